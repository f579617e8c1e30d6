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

  /** After each attack, alice and bob still talk. */
  async function othersUnaffected(): Promise<void> {
    const got = next(witness, (el) => el.is('message') && el.getChildText('body') === 'still here?');
    await bystander.send(xml('message', { to: 'bob@localhost', type: 'chat' }, xml('body', {}, 'still here?')));
    await got;
  }

  const attacks: [string, string, RegExp][] = [
    ['malformed XML', `<message to='alice@localhost'><body>oops</message>`, /<not-well-formed xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/],
    ['an undefined entity', `<message to='alice@localhost'><body>&lol9;</body></message>`, /<not-well-formed/],
    ['a DTD inside the stream', `<!DOCTYPE x [<!ENTITY a "b">]>`, /<(restricted-xml|not-well-formed)/],
    ['an XML comment', `<!-- comment -->`, /<restricted-xml/],
    ['a processing instruction', `<?php echo 1; ?>`, /<restricted-xml/],
    ['a stanza over the size limit', `<message to='alice@localhost'><body>${'A'.repeat(30_000)}</body></message>`, /<policy-violation/],
    ['a non-stanza element', `<foo xmlns='urn:example'/>`, /<unsupported-stanza-type/],
    ['a spoofed from', `<message from='alice@localhost/x' to='bob@localhost'><body>I am alice</body></message>`, /<invalid-from/],
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
