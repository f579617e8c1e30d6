// XEP-0198 Stream Management: acknowledgements, and resumption after a dropped connection, driven
// by raw XML with the XEP's own elements (Examples 4, 5, 8, 11, 12). @xmpp/client, which enables
// Stream Management by itself, exercises it in every other test.
import assert from 'node:assert/strict';
import { collect, connect, next, ping, startTestServer, stopAll, xml, type TestServer, type XmlElement, type XmppClient } from './helpers.js';
import { RawConnection } from './raw.js';

const SM = 'urn:xmpp:sm:3';
const DELAY = 'urn:xmpp:delay';
const SID = 'urn:xmpp:sid:0';

/** Stanzas in a piece of what the server sent (no stanza nests another in these tests). */
function stanzaCount(text: string): number {
  return text.match(/<(message|presence|iq)[\s/>]/g)?.length ?? 0;
}

/** Signs in on a raw stream with Stream Management enabled and available presence; resolves with the SM id. */
async function smSession(port: number, user: string, resource: string, resume = true): Promise<{ raw: RawConnection; id: string }> {
  const raw = await RawConnection.open(port);
  await raw.login(user, 'secret', resource);
  raw.send(`<enable xmlns='${SM}'${resume ? ` resume='true'` : ''}/>`);
  const [, id] = await raw.waitFor(/<enabled xmlns="urn:xmpp:sm:3" id="([^"]+)"/);
  raw.received = '';
  raw.send(`<presence/>`);
  await raw.waitFor(/<presence/);
  return { raw, id: id! };
}

describe('stream management (XEP-0198)', function () {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
    await srv.users.add('juliet@localhost', 'secret');
    await srv.users.add('romeo@localhost', 'secret');
  });
  after(() => srv.stop());

  it('offers <sm/> after authentication and answers <r/> with the count of handled stanzas', async () => {
    const raw = await RawConnection.open(srv.ports.c2s!);
    await raw.authenticate('juliet', 'secret');
    assert.match(raw.received, /<sm xmlns="urn:xmpp:sm:3"\/>/);
    raw.send(`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>acks</resource></bind></iq>`);
    await raw.waitFor(/<jid>/);
    raw.send(`<enable xmlns='${SM}'/>`);
    await raw.waitFor(/<enabled xmlns="urn:xmpp:sm:3" id="[^"]+"\/>/);
    raw.send(`<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq><iq type='get' id='p2' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq><r xmlns='${SM}'/>`);
    await raw.waitFor(/<a xmlns="urn:xmpp:sm:3" h="2"\/>/);
    raw.end();
  });

  it('resumes a dropped session: presence stays, and messages sent meanwhile arrive after <resumed/>', async () => {
    const first = await RawConnection.open(srv.ports.c2s!);
    await first.login('juliet', 'secret', 'balcony');
    first.send(`<enable xmlns='${SM}' resume='true'/>`);
    const [, id] = await first.waitFor(/<enabled xmlns="urn:xmpp:sm:3" id="([^"]+)" resume="true" max="\d+"\/>/);
    first.send(`<presence/>`);
    await first.waitFor(/<presence/);
    first.end(); // the connection drops without a closing tag
    await first.waitClosed();

    // Whether the server has noticed the drop yet or not, what Romeo sends now is kept for the
    // session: queued unacknowledged on the dead stream, or queued while it hibernates.
    const romeo = await connect(srv, 'romeo', 'secret');
    // Juliet's session is kept: Romeo gets no error for either, and no answer to the IQ yet.
    const answers = collect(romeo, (el) => el.attrs.from === 'juliet@localhost/balcony' || el.attrs.id === 'to-juliet');
    await romeo.send(xml('message', { to: 'juliet@localhost/balcony', type: 'chat' }, xml('body', {}, 'Are you still there?')));
    await romeo.send(xml('iq', { type: 'get', to: 'juliet@localhost/balcony', id: 'to-juliet' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.deepEqual((await answers.done()).map(String), [], 'an IQ to a hibernating session waits for the resumed stream');

    const second = await RawConnection.open(srv.ports.c2s!);
    await second.authenticate('juliet', 'secret');
    second.send(`<resume xmlns='${SM}' h='1' previd='${id}'/>`);
    await second.waitFor(new RegExp(`<resumed xmlns="urn:xmpp:sm:3" h="\\d+" previd="${id}"/>`));
    await second.waitFor(/Are you still there\?/);
    await second.waitFor(/<iq [^>]*id="to-juliet"/);
    second.send(`<message to='romeo@localhost' type='chat'><body>Yes, from the same resource</body></message>`);
    const reply = await next(romeo, (el) => el.is('message') && el.getChildText('body') === 'Yes, from the same resource');
    assert.equal(reply.attrs.from, 'juliet@localhost/balcony');
    second.end();
    await stopAll(romeo);
  });

  it('refuses to resume an unknown or someone else\'s session with <failed/>', async () => {
    const raw = await RawConnection.open(srv.ports.c2s!);
    await raw.authenticate('romeo', 'secret');
    raw.send(`<resume xmlns='${SM}' h='0' previd='no-such-id'/>`);
    await raw.waitFor(/<failed xmlns="urn:xmpp:sm:3"><item-not-found/);
    // The stream goes on: the client binds a fresh session instead.
    raw.send(`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
    await raw.waitFor(/<jid>romeo@localhost\//);
    raw.end();
  });

  it('resumption delivers exactly the stanzas the client had not acknowledged, once', async () => {
    const { raw: first, id } = await smSession(srv.ports.c2s!, 'juliet', 'window');
    const romeo = await connect(srv, 'romeo', 'secret');
    for (const n of [1, 2, 3]) await romeo.send(xml('message', { to: 'juliet@localhost/window', type: 'chat', id: `w${n}` }, xml('body', {}, `window ${n}`)));
    await first.waitFor(/id="w3"/);
    // The client handled everything up to w1 (its own presence and w1); w2 and w3 were read by no one.
    const h = stanzaCount(first.received.slice(0, first.received.lastIndexOf('<message', first.received.indexOf('id="w2"'))));
    first.end();
    await first.waitClosed();
    await romeo.send(xml('message', { to: 'juliet@localhost/window', type: 'chat', id: 'w4' }, xml('body', {}, 'window 4')));
    await ping(romeo);

    const second = await RawConnection.open(srv.ports.c2s!);
    await second.authenticate('juliet', 'secret');
    second.send(`<resume xmlns='${SM}' h='${h}' previd='${id}'/>`);
    await second.waitFor(/<resumed /);
    second.send(`<iq type='get' id='after' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await second.waitFor(/<iq [^>]*id="after"/);
    const ids = [...second.received.matchAll(/<message [^>]*id="(w\d)"/g)].map((m) => m[1]);
    assert.deepEqual(ids, ['w2', 'w3', 'w4']);
    second.end();
    await stopAll(romeo);
  });

  describe('a session that ends with stanzas unacknowledged (XEP-0198 §5, RFC 6121 §8.5.3.2)', function () {
    let short: TestServer;
    let phone: XmppClient;
    let romeo: XmppClient;
    before(async () => {
      // Dropped sessions wait one second to be resumed.
      short = await startTestServer({ limits: { resumeSeconds: 1 } });
      await short.users.add('juliet@localhost', 'secret');
      await short.users.add('romeo@localhost', 'secret');
      phone = await connect(short, 'juliet', 'secret', { resource: 'phone' });
      romeo = await connect(short, 'romeo', 'secret');
    });
    after(async () => {
      await stopAll(phone, romeo);
      await short.stop();
    });

    const fromRomeo = (el: XmlElement) => el.is('message') && el.attrs.from?.startsWith('romeo@localhost/');

    it('announces the configured resumption time', async () => {
      const raw = await RawConnection.open(short.ports.c2s!);
      await raw.login('juliet', 'secret', 'max');
      raw.send(`<enable xmlns='${SM}' resume='true'/>`);
      await raw.waitFor(/<enabled [^>]*max="1"\/>/);
      raw.end();
    });

    it('on expiry, messages go to the other resource once each, stamped with the time they were first sent, and an IQ gets an error', async () => {
      const { raw } = await smSession(short.ports.c2s!, 'juliet', 'balcony');
      const started = Date.now();
      for (let i = 0; i < 20; i++) {
        await romeo.send(xml('message', { to: 'juliet@localhost/balcony', type: 'chat', id: `u${i}` }, xml('body', {}, `unread ${i}`)));
      }
      // One that already carries a delay (as a message from offline storage or a room's history does).
      await romeo.send(xml('message', { to: 'juliet@localhost/balcony', type: 'chat', id: 'old' }, xml('body', {}, 'old news'), xml('delay', { xmlns: DELAY, from: 'romeo@localhost', stamp: '2001-01-01T00:00:00Z' })));
      // Delivered and never answered: the client is about to go.
      const iq = romeo.iqCaller.request(xml('iq', { type: 'get', to: 'juliet@localhost/balcony' }, xml('ping', { xmlns: 'urn:xmpp:ping' })), 10_000).then(
        () => assert.fail('the IQ was answered'),
        (err: { condition?: string }) => err,
      );
      await raw.waitFor(/<iq [^>]*type="get"[^>]*>/);
      await raw.waitFor(/id="old"/);
      // Directed presence, also never acknowledged: it is dropped, not sent on (XEP-0198 §5).
      await romeo.send(xml('presence', { to: 'juliet@localhost/balcony' }, xml('status', {}, 'directed')));
      await raw.waitFor(/<presence [^>]*from="romeo@localhost\/[^"]*"[^>]*>.*?directed/s);
      const sentBy = Date.now();
      const presences = collect(phone, (el) => el.is('presence') && el.attrs.from?.startsWith('romeo@localhost/') === true);

      const arrived: { el: XmlElement; at: number }[] = [];
      const all = new Promise<void>((resolve) => {
        const on = (el: XmlElement) => {
          if (!fromRomeo(el)) return;
          arrived.push({ el, at: Date.now() });
          if (arrived.length === 21) {
            phone.off('stanza', on);
            resolve();
          }
        };
        phone.on('stanza', on);
      });
      const extra = collect(phone, fromRomeo);
      raw.end(); // dropped: the session hibernates for a second, then expires
      await all;
      const err = await iq;
      assert.equal(err.condition, 'service-unavailable');
      assert.deepEqual((await extra.done()).length, 21, 'each message arrives once');
      assert.deepEqual(await presences.done(), [], 'the unacknowledged presence is dropped');

      assert.deepEqual(arrived.map((a) => a.el.attrs.id), [...Array.from({ length: 20 }, (_, i) => `u${i}`), 'old']);
      for (const { el, at } of arrived.slice(0, 20)) {
        const delays = el.getChildren('delay', DELAY);
        assert.equal(delays.length, 1, el.toString());
        assert.equal(delays[0]!.attrs.from, 'localhost');
        const stamp = Date.parse(delays[0]!.attrs.stamp);
        assert.ok(stamp >= started - 1 && stamp <= sentBy, `stamped ${delays[0]!.attrs.stamp}, sent between ${new Date(started).toISOString()} and ${new Date(sentBy).toISOString()}`);
        assert.ok(at - stamp >= 900, 'stamped with the original time, not that of the expiry');
        // The archive's stanza-id (XEP-0359) is the one of the first delivery, so clients deduplicate.
        const sids = el.getChildren('stanza-id', SID);
        assert.deepEqual(sids.map((s) => s.attrs.by), ['juliet@localhost'], el.toString());
        assert.ok(raw.received.includes(`id="${sids[0]!.attrs.id}"`), 'the same stanza-id as when first sent to the balcony');
        assert.equal(short.server.storage.modules.query('mam', 'juliet', { ids: [sids[0]!.attrs.id!], max: 1 }).count, 1, "the archive's id");
      }
      const old = arrived[20]!.el.getChildren('delay', DELAY);
      assert.deepEqual(old.map((d) => d.attrs.stamp), ['2001-01-01T00:00:00Z'], 'an existing delay is kept, and no second one added');
      assert.equal(short.server.sessions.get('juliet@localhost', 'balcony'), undefined);
    });

    it('goes to offline storage, with the original stamp, when no other resource is available', async () => {
      await phone.send(xml('presence', { type: 'unavailable' }));
      const { raw } = await smSession(short.ports.c2s!, 'juliet', 'attic', false);
      await romeo.send(xml('message', { to: 'juliet@localhost/attic', type: 'chat', id: 'later' }, xml('body', {}, 'read me later')));
      await raw.waitFor(/id="later"/);
      const sent = Date.now();
      raw.end(); // not resumable: the session ends at once
      await raw.waitClosed();
      const back = await connect(short, 'juliet', 'secret', { resource: 'back', sendPresence: false });
      const stored = next(back, (el) => el.attrs.id === 'later');
      await back.send(xml('presence'));
      const el = await stored;
      const delays = el.getChildren('delay', DELAY);
      assert.equal(delays.length, 1, el.toString());
      assert.ok(Date.parse(delays[0]!.attrs.stamp) <= sent);
      await stopAll(back);
      await phone.send(xml('presence'));
      await ping(phone);
    });

    it('a session replaced by a new one with the same resource hands on what it had not acknowledged', async () => {
      const { raw } = await smSession(short.ports.c2s!, 'juliet', 'desk', false);
      await romeo.send(xml('message', { to: 'juliet@localhost/desk', type: 'chat', id: 'replaced' }, xml('body', {}, 'to the old desk')));
      await raw.waitFor(/id="replaced"/);
      const got = next(phone, (el) => el.attrs.id === 'replaced');
      const again = await RawConnection.open(short.ports.c2s!);
      await again.login('juliet', 'secret', 'desk');
      await raw.waitFor(/<conflict /);
      const el = await got;
      assert.equal(el.getChildren('delay', DELAY).length, 1);
      again.end();
      raw.end();
    });

    it('a client that acknowledges everything and closes its stream leaves nothing to deliver again', async () => {
      const { raw } = await smSession(short.ports.c2s!, 'juliet', 'tidy', false);
      await romeo.send(xml('message', { to: 'juliet@localhost/tidy', type: 'chat', id: 'tidy' }, xml('body', {}, 'read and acked')));
      await raw.waitFor(/id="tidy"/);
      const echoes = collect(phone, (el) => el.attrs.id === 'tidy');
      raw.send(`<a xmlns='${SM}' h='${stanzaCount(raw.received)}'/></stream:stream>`);
      await raw.waitClosed();
      assert.deepEqual((await echoes.done()).map(String), []);
    });

    it('@xmpp/client closing its stream causes no duplicates (its final <a/> leaves out IQs)', async () => {
      const laptop = await connect(short, 'juliet', 'secret', { resource: 'laptop' });
      await ping(laptop); // an IQ result its count leaves out
      const got = next(laptop, (el) => el.attrs.id === 'lap');
      await romeo.send(xml('message', { to: 'juliet@localhost/laptop', type: 'chat', id: 'lap' }, xml('body', {}, 'seen on the laptop')));
      await got;
      const echoes = collect(phone, (el) => el.attrs.id === 'lap');
      await laptop.stop();
      assert.deepEqual((await echoes.done()).map(String), []);
    });
  });
});
