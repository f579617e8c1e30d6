// Interop with a federation peer nobody here wrote: Prosody 0.12 from Debian serves prosody.test,
// Carillon serves carillon.test. Prosody finds us through SRV records on a loopback DNS server;
// we find it through `s2s.hosts`. Certificates are self-signed, so both directions use dialback.
import assert from 'node:assert/strict';
import { startServer, User, xml, isMessageBody, isPresence, type TestServer } from './helpers.js';
import { startDns, type TestDns } from './dns-server.js';
import { startProsody, type Prosody } from '../support/prosody.js';

describe('federation interop: Carillon and Prosody 0.12', function () {
  this.timeout(60000);
  let dns: TestDns;
  let prosody: Prosody;
  let carillon: TestServer;
  let alice: User; // alice@carillon.test
  let romeo: User; // romeo@prosody.test

  before(async () => {
    carillon = await startServer('carillon.test');
    dns = await startDns({ 'carillon.test': { ip: '127.0.0.1', s2sPort: carillon.ports.s2s! } });
    prosody = await startProsody({ domain: 'prosody.test', federation: { dnsPort: dns.port }, logLevel: 'debug' });
    carillon.config.s2s.hosts['prosody.test'] = `127.0.0.1:${prosody.s2sPort}`;
    prosody.register('romeo', 'pw-romeo');
    await carillon.users.add('alice@carillon.test', 'pw-alice');
    alice = await User.connect(carillon.ports.c2s!, 'carillon.test', 'alice', 'pw-alice', 'web');
    romeo = await User.connect(prosody.c2sPort, 'prosody.test', 'romeo', 'pw-romeo', 'phone');
    // RFC 6121 §2.1.6: only resources that asked for the roster are "interested" in subscription traffic.
    for (const u of [alice, romeo]) await u.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    await alice.send(xml('presence'));
    await romeo.send(xml('presence'));
  });

  after(async function () {
    if (this.currentTest?.state === 'failed' && prosody) console.log(prosody.log().split('\n').filter((l) => /s2s|dialback/i.test(l)).slice(-40).join('\n'));
    await alice?.stop();
    await romeo?.stop();
    await prosody?.stop();
    await carillon?.stop();
    await dns?.close();
  });

  it('delivers a message from Carillon to Prosody', async () => {
    await alice.send(xml('message', { to: 'romeo@prosody.test', type: 'chat' }, xml('body', {}, 'to prosody')));
    const m = await romeo.waitFor(isMessageBody('to prosody'), 10000);
    assert.equal(m.attrs.from, 'alice@carillon.test/web');
  });

  it('delivers a message from Prosody to Carillon', async () => {
    await romeo.send(xml('message', { to: 'alice@carillon.test', type: 'chat' }, xml('body', {}, 'to carillon')));
    const m = await alice.waitFor(isMessageBody('to carillon'), 10000);
    assert.equal(m.attrs.from, 'romeo@prosody.test/phone');
  });

  it('subscribes a Carillon user to a Prosody user', async () => {
    await alice.send(xml('presence', { to: 'romeo@prosody.test', type: 'subscribe' }));
    await romeo.waitFor(isPresence('alice@carillon.test', 'subscribe'), 10000, 'the request');
    await romeo.send(xml('presence', { to: 'alice@carillon.test', type: 'subscribed' }));
    await alice.waitFor(isPresence('romeo@prosody.test', 'subscribed'), 10000, 'the approval');
    await alice.waitFor(isPresence('romeo@prosody.test/phone', undefined), 10000, "romeo's presence");
  });

  it('subscribes a Prosody user to a Carillon user, and presence flows', async () => {
    await romeo.send(xml('presence', { to: 'alice@carillon.test', type: 'subscribe' }));
    await alice.waitFor(isPresence('romeo@prosody.test', 'subscribe'), 10000, 'the request');
    await alice.send(xml('presence', { to: 'romeo@prosody.test', type: 'subscribed' }));
    await romeo.waitFor(isPresence('alice@carillon.test', 'subscribed'), 10000, 'the approval');
    await romeo.waitFor(isPresence('alice@carillon.test/web', undefined), 10000, "alice's presence");
    await alice.send(xml('presence', {}, xml('show', {}, 'dnd')));
    const p = await romeo.waitFor((el) => isPresence('alice@carillon.test/web', undefined)(el) && el.getChildText('show') === 'dnd', 10000, 'the dnd presence');
    assert.ok(p);
    const roster = await alice.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    const item = roster.getChild('query')!.getChildren('item').find((i) => i.attrs.jid === 'romeo@prosody.test');
    assert.equal(item?.attrs.subscription, 'both');
  });

  it('authenticated both directions with dialback (self-signed certificates)', () => {
    const log = prosody.log();
    // Prosody logs attributes in no fixed order.
    assert.match(log, /Sending\[s2sout_unauthed\]: <db:result (?=[^>]*to='carillon.test')(?=[^>]*from='prosody.test')/, 'Prosody as originating server');
    assert.match(log, /Received\[s2sin_unauthed\]: <verify (?=[^>]*from='carillon.test')(?=[^>]*to='prosody.test')/, 'Prosody as authoritative server for our db:verify');
  });

  it('answers IQs both ways: ping and disco', async () => {
    const pong = await alice.iq(xml('iq', { type: 'get', to: 'prosody.test' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(pong.attrs.type, 'result');
    const info = await romeo.iq(xml('iq', { type: 'get', to: 'carillon.test' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const identity = info.getChild('query')!.getChild('identity');
    assert.equal(identity?.attrs.category, 'server');
  });
});
