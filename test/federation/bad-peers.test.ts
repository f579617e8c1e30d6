// Misbehaving peers: a spoofed or unverified `from`, malformed XML, a peer that never answers —
// each concerns only its own stream; a good peer's stream keeps working throughout.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startFederation, type Federation } from '../../federation/index.js';
import { startServer, pinEachOther, User, xml, isMessageBody, type TestServer } from './helpers.js';
import { RawPeer, startSilentListener } from './raw-peer.js';
import { startDns, type TestDns } from './dns-server.js';

const STREAM_ERR = 'urn:ietf:params:xml:ns:xmpp-streams';

describe('federation: bad peers', function () {
  this.timeout(60000);
  let one: TestServer;
  let two: TestServer;
  let fed: Federation;
  let silent: Awaited<ReturnType<typeof startSilentListener>>;
  let dns: TestDns;
  let alice: User;
  let bob: User;
  let n = 0;

  /** bob@two.test → alice@one.test still arrives: the good stream is unaffected. */
  async function goodStreamWorks(): Promise<void> {
    const body = `still fine ${++n}`;
    await bob.send(xml('message', { to: 'alice@one.test', type: 'chat' }, xml('body', {}, body)));
    await alice.waitFor(isMessageBody(body));
  }

  before(async () => {
    // one.test starts federation itself, with short timeouts for the stuck-peer cases.
    // A DNS server that knows no domain: lookups fail fast and the same everywhere.
    dns = await startDns({});
    one = await startServer('one.test', { s2s: { port: null, hosts: {} } });
    fed = await startFederation(one, { port: 0, connectTimeout: 1500, dialbackTimeout: 1500, dnsServers: [`127.0.0.1:${dns.port}`] });
    two = await startServer('two.test');
    pinEachOther(one, two);
    silent = await startSilentListener();
    one.config.s2s.hosts['silent.test'] = `127.0.0.1:${silent.port}`;
    await one.users.add('alice@one.test', 'pw');
    await two.users.add('bob@two.test', 'pw');
    alice = await User.connect(one.ports.c2s!, 'one.test', 'alice', 'pw');
    bob = await User.connect(two.ports.c2s!, 'two.test', 'bob', 'pw');
    await alice.send(xml('presence'));
    await goodStreamWorks();
  });

  after(async () => {
    await alice?.stop();
    await bob?.stop();
    await one?.stop();
    await two?.stop();
    await silent?.close();
    await dns?.close();
  });

  it('closes a stream that sends a stanza from a domain it never verified (invalid-from)', async () => {
    const peer = await RawPeer.open(one.ports.s2s!, 'two.test', 'one.test');
    peer.send("<message from='mallory@two.test' to='alice@one.test' type='chat'><body>spoofed</body></message>");
    const err = await peer.waitFor((el) => el.name === 'stream:error');
    assert.ok(err.getChild('invalid-from', STREAM_ERR), err.toString());
    await peer.waitClosed();
    await goodStreamWorks();
    assert.equal(alice.received.some(isMessageBody('spoofed')), false);
  });

  it('answers a forged dialback key as invalid after asking the real authoritative server', async () => {
    const peer = await RawPeer.open(one.ports.s2s!, 'two.test', 'one.test');
    peer.send(`<db:result from='two.test' to='one.test'>${'0'.repeat(64)}</db:result>`);
    const answer = await peer.waitFor((el) => el.name === 'db:result' && el.attrs.type !== undefined);
    assert.equal(answer.attrs.type, 'invalid');
    peer.send("<message from='mallory@two.test' to='alice@one.test' type='chat'><body>forged</body></message>");
    const err = await peer.waitFor((el) => el.name === 'stream:error');
    assert.ok(err.getChild('invalid-from', STREAM_ERR), err.toString());
    await goodStreamWorks();
    assert.equal(alice.received.some(isMessageBody('forged')), false);
  });

  it('requires both addresses on stanzas (improper-addressing)', async () => {
    const peer = await RawPeer.open(one.ports.s2s!, 'two.test', 'one.test');
    peer.send("<message to='alice@one.test'><body>no from</body></message>");
    const err = await peer.waitFor((el) => el.name === 'stream:error');
    assert.ok(err.getChild('improper-addressing', STREAM_ERR), err.toString());
  });

  it('closes a stream that sends malformed XML (not-well-formed)', async () => {
    const peer = await RawPeer.open(one.ports.s2s!, 'two.test', 'one.test');
    peer.send('<message from="a@two.test" to="alice@one.test"><body>oops</bdy></message>');
    const err = await peer.waitFor((el) => el.name === 'stream:error');
    assert.ok(err.getChild('not-well-formed', STREAM_ERR), err.toString());
    await peer.waitClosed();
    await goodStreamWorks();
  });

  it('holds an unverified stream to the pre-authentication stanza limit (policy-violation)', async () => {
    assert.equal(one.config.limits.maxStanzaBytesPreAuth, 10_000);
    const peer = await RawPeer.open(one.ports.s2s!, 'two.test', 'one.test');
    peer.send(`<db:result from='two.test' to='one.test'>${'0'.repeat(15_000)}</db:result>`);
    const err = await peer.waitFor((el) => el.name === 'stream:error');
    assert.ok(err.getChild('policy-violation', STREAM_ERR), err.toString());
    await peer.waitClosed();
    await goodStreamWorks();
  });

  it('refuses anything but STARTTLS on a plain stream', async () => {
    const s = connect(one.ports.s2s!, '127.0.0.1');
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.write("<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='two.test' to='one.test' version='1.0'><db:result from='two.test' to='one.test'>abc</db:result>");
    await new Promise((r) => s.once('close', r));
    assert.match(got, /<policy-violation/);
  });

  it('answers with a timeout when the authoritative server never answers, without holding up others', async () => {
    const peer = await RawPeer.open(one.ports.s2s!, 'silent.test', 'one.test');
    const t0 = Date.now();
    peer.send(`<db:result from='silent.test' to='one.test'>${'1'.repeat(64)}</db:result>`);
    // While that question hangs, the good stream goes on.
    await goodStreamWorks();
    const answer = await peer.waitFor((el) => el.name === 'db:result' && el.attrs.type !== undefined, 8000);
    assert.equal(answer.attrs.type, 'error');
    assert.ok(answer.getChild('error')?.getChild('remote-server-timeout', 'urn:ietf:params:xml:ns:xmpp-stanzas'), answer.toString());
    assert.ok(Date.now() - t0 >= 1000, 'waited for the dialback timeout');
    assert.ok(silent.connections() >= 1, 'dialed back to the silent peer');
    peer.destroy();
  });

  it('closes a stream that asks for too many dialback checks at once', async () => {
    const names = Array.from({ length: 17 }, (_, i) => `flood${i}.test`);
    for (const d of names) one.config.s2s.hosts[d] = `127.0.0.1:${silent.port}`;
    const peer = await RawPeer.open(one.ports.s2s!, 'flood0.test', 'one.test');
    for (const d of names) peer.send(`<db:result from='${d}' to='one.test'>${'2'.repeat(64)}</db:result>`);
    const err = await peer.waitFor((el) => el.name === 'stream:error');
    assert.ok(err.getChild('policy-violation', STREAM_ERR), err.toString());
    await goodStreamWorks();
  });

  it('bounces stanzas for a peer that accepts connections but never speaks (remote-server-timeout)', async () => {
    await alice.send(xml('message', { to: 'nobody@silent.test', type: 'chat', id: 's1' }, xml('body', {}, 'one')));
    await alice.send(xml('iq', { to: 'nobody@silent.test', type: 'get', id: 's2' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    for (const id of ['s1', 's2']) {
      const e = await alice.waitFor((el) => el.attrs.id === id && el.attrs.type === 'error', 8000, `the bounce of ${id}`);
      assert.ok(e.getChild('error')?.getChild('remote-server-timeout', 'urn:ietf:params:xml:ns:xmpp-stanzas'), e.toString());
    }
    await goodStreamWorks();
  });

  it('bounces with remote-server-not-found for a domain that does not resolve', async () => {
    await alice.send(xml('message', { to: 'x@nowhere.invalid', type: 'chat', id: 'nf' }, xml('body', {}, 'hello?')));
    const e = await alice.waitFor((el) => el.attrs.id === 'nf' && el.attrs.type === 'error', 8000, 'the bounce');
    assert.ok(e.getChild('error')?.getChild('remote-server-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas'), e.toString());
  });

  it('still has the good outgoing stream to two.test, authenticated by dialback', () => {
    assert.ok(fed.stats.outgoing.some((o) => o.to === 'two.test' && o.auth === 'dialback'), JSON.stringify(fed.stats));
  });
});
