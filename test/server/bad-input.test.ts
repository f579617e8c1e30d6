// Bad input (RFC 6120 §4.9, §11): the offending connection gets the right stream error and is
// closed; everyone else carries on; stored data stays intact.
import assert from 'node:assert/strict';
import { connect, next, startTestServer, stopAll, xml, type TestServer, type XmppClient } from './helpers.js';
import { RawConnection } from './raw.js';

describe('bad input', function () {
  let srv: TestServer;
  let bystander: XmppClient;
  let witness: XmppClient;

  before(async () => {
    srv = await startTestServer({ limits: { maxStanzaBytes: 20_000 } });
    for (const u of ['mallory', 'alice', 'bob']) await srv.users.add(`${u}@localhost`, 'secret');
    bystander = await connect(srv, 'alice', 'secret');
    witness = await connect(srv, 'bob', 'secret', { transport: 'tcp' });
  });
  after(async () => {
    await stopAll(bystander, witness);
    await srv.stop();
  });

  /** After each attack, alice and bob still talk, and the server still answers bob's ping. */
  async function othersUnaffected(): Promise<void> {
    const got = next(witness, (el) => el.is('message') && el.getChildText('body') === 'still here?');
    await bystander.send(xml('message', { to: 'bob@localhost', type: 'chat' }, xml('body', {}, 'still here?')));
    await got;
    const pong = await witness.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(pong.attrs.type, 'result');
  }

  const nest = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
  const attacks: [string, string | Buffer, RegExp][] = [
    ['malformed XML', `<message to='alice@localhost'><body>oops</message>`, /<not-well-formed xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/],
    ['an undefined entity', `<message to='alice@localhost'><body>&lol9;</body></message>`, /<not-well-formed/],
    ['a DTD inside the stream', `<!DOCTYPE x [<!ENTITY a "b">]>`, /<(restricted-xml|not-well-formed)/],
    ['an XML comment', `<!-- comment -->`, /<restricted-xml/],
    ['a processing instruction', `<?php echo 1; ?>`, /<restricted-xml/],
    ['a stanza over the size limit', `<message to='alice@localhost'><body>${'A'.repeat(30_000)}</body></message>`, /<policy-violation/],
    ['a non-stanza element', `<foo xmlns='urn:example'/>`, /<unsupported-stanza-type/],
    ['a spoofed from', `<message from='alice@localhost/x' to='bob@localhost'><body>I am alice</body></message>`, /<invalid-from/],
    ['an undeclared element prefix', `<message to='alice@localhost'><foo:bar/></message>`, /<bad-namespace-prefix/],
    ['an undeclared attribute prefix', `<message to='alice@localhost' foo:x='1'><body>x</body></message>`, /<bad-namespace-prefix/],
    ['invalid UTF-8', Buffer.concat([Buffer.from(`<message to='alice@localhost'><body>`), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(`</body></message>`)]), /<not-well-formed/],
    ['a forbidden XML character', `<message to='alice@localhost'><body>\u0001</body></message>`, /<not-well-formed/],
    ['a stream header inside the stream', `<stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`, /<unsupported-stanza-type/],
    ['nesting 100 levels deep', `<message to='alice@localhost'>${nest(100)}</message>`, /<policy-violation/],
    ['a start tag with 100,000 attributes (1 MB)', `<message to='alice@localhost'${Array.from({ length: 100_000 }, (_, i) => ` a${i}=''`).join('')}/>`, /<policy-violation/],
  ];
  for (const [what, payload, expected] of attacks) {
    it(`closes only the offending stream on ${what}`, async () => {
      const raw = await RawConnection.open(srv.ports.c2s!);
      await raw.login('mallory', 'secret');
      raw.send(payload);
      await raw.waitFor(expected);
      await raw.waitFor(/<\/stream:stream>/);
      await raw.waitClosed();
      await othersUnaffected();
    });
  }

  it('refuses a 100 MB attribute as it arrives, without buffering it', async function () {
    this.timeout(20_000);
    const raw = await RawConnection.open(srv.ports.c2s!);
    await raw.login('mallory', 'secret');
    const rss0 = process.memoryUsage().rss;
    raw.send(`<message to='alice@localhost' x='`);
    const sent = await raw.pump(Buffer.alloc(64 * 1024, 'A'), 100 * 1024 * 1024, () => /<policy-violation/.test(raw.received));
    await raw.waitFor(/<policy-violation/);
    await raw.waitClosed();
    const grown = process.memoryUsage().rss - rss0;
    assert.ok(sent < 100 * 1024 * 1024, 'the server read the whole attribute');
    assert.ok(grown < 50 * 1024 * 1024, `server grew by ${(grown / 1e6).toFixed(0)} MB`);
    await othersUnaffected();
  });

  it('holds streams to a lower limit until SASL succeeds (limits.maxStanzaBytesPreAuth)', async () => {
    assert.equal(srv.config.limits.maxStanzaBytesPreAuth, 10_000);
    const stanza = `<message to='bob@localhost' type='chat'><body>${'B'.repeat(15_000)}</body></message>`;
    const before = await RawConnection.open(srv.ports.c2s!);
    await before.secure();
    before.send(stanza);
    await before.waitFor(/<policy-violation/);
    await before.waitClosed();

    const after = await RawConnection.open(srv.ports.c2s!);
    await after.login('mallory', 'secret');
    const got = next(witness, (el) => el.is('message') && el.getChildText('body')?.length === 15_000);
    after.send(stanza);
    await got;
    after.end();
    await othersUnaffected();
  });

  it('answers an invalid `to` with jid-malformed and keeps the stream', async () => {
    const raw = await RawConnection.open(srv.ports.c2s!);
    await raw.login('mallory', 'secret');
    raw.send(`<message to='a@b@c' id='m1'><body>x</body></message>`);
    await raw.waitFor(/<message[^>]*type="error"[\s\S]*<jid-malformed/);
    raw.send(`<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await raw.waitFor(/<iq[^>]*id="p1"[^>]*type="result"|<iq[^>]*type="result"[^>]*id="p1"/);
    raw.end();
  });

  it('closes a stream after three failed authentications', async () => {
    const raw = await RawConnection.open(srv.ports.c2s!);
    await raw.secure();
    for (let i = 0; i < 3; i++) raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from('\u0000mallory\u0000nope').toString('base64')}</auth>`);
    await raw.waitFor(/<policy-violation/);
    await raw.waitClosed();
    assert.equal((raw.received.match(/<not-authorized\/>/g) ?? []).length, 3);
  });

  it('survives a flood of garbage connections and keeps stored data', async () => {
    const raws = await Promise.all(Array.from({ length: 30 }, () => RawConnection.open(srv.ports.c2s!)));
    for (const r of raws) r.send('\u0000\u0001garbage<<<>>>');
    await Promise.all(raws.map((r) => r.waitClosed()));
    await othersUnaffected();
    assert.ok(srv.server.storage.users.exists('alice'));
    const again = await connect(srv, 'alice', 'secret', { resource: 'again' });
    await stopAll(again);
  });
});

describe('bad input under a large stanza limit', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ limits: { maxStanzaBytes: 4 * 1024 * 1024 } });
    await srv.users.add('mallory@localhost', 'secret');
  });
  after(() => srv.stop());

  it('refuses a 1 MB start tag with 100,000 attributes by its attribute count', async () => {
    const raw = await RawConnection.open(srv.ports.c2s!);
    await raw.login('mallory', 'secret');
    raw.send(`<message to='mallory@localhost'${Array.from({ length: 100_000 }, (_, i) => ` a${i}='0'`).join('')}/>`);
    await raw.waitFor(/<policy-violation[\s\S]*attributes/);
    await raw.waitClosed();
  });
});
