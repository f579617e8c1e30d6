// Instant messaging and presence (RFC 6121) between independent clients (@xmpp/client), with the
// RFC's own characters and examples: Juliet, Romeo and the Nurse, all on example.com here.
import assert from 'node:assert/strict';
import { collect, connect, next, ping, startTestServer, stopAll, xml, type TestServer, type XmppClient, type XmlElement, befriend, isPresence } from './helpers.js';

const ROSTER = 'jabber:iq:roster';

async function roster(c: XmppClient): Promise<XmlElement[]> {
  const r = await c.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
  return r.getChild('query', ROSTER)!.getChildren('item');
}


describe('IM and presence (RFC 6121)', function () {
  let srv: TestServer;
  const open: XmppClient[] = [];
  const login = async (user: string, opts: Parameters<typeof connect>[3] = {}) => {
    const c = await connect(srv, user, 'secret', opts);
    open.push(c);
    return c;
  };

  before(async () => {
    srv = await startTestServer({ domain: 'example.com', components: { port: null } });
    for (const u of ['juliet', 'romeo', 'nurse', 'benvolio', 'mercutio', 'tybalt']) await srv.users.add(`${u}@example.com`, 'secret');
  });
  afterEach(async () => stopAll(...open.splice(0)));
  after(() => srv.stop());

  it('adds, updates and removes roster items with pushes (RFC 6121 §2.3–2.5, Examples 2.3.1, 2.5.1)', async () => {
    const juliet = await login('juliet', { resource: 'balcony' });
    const chamber = await login('juliet', { resource: 'chamber', transport: 'tcp' });
    assert.deepEqual(await roster(juliet), []);
    await roster(chamber); // interested resources get pushes (§2.1.6)
    const push = next(chamber, (el) => el.is('iq') && el.attrs.type === 'set' && !!el.getChild('query', ROSTER));
    await juliet.iqCaller.request(xml('iq', { type: 'set', id: 'rs1' }, xml('query', { xmlns: ROSTER }, xml('item', { jid: 'nurse@example.com', name: 'Nurse' }, xml('group', {}, 'Servants')))));
    const pushed = (await push).getChild('query', ROSTER)!.getChild('item')!;
    assert.equal(pushed.attrs.jid, 'nurse@example.com');
    assert.equal(pushed.attrs.subscription, 'none');
    assert.equal(pushed.getChildText('group'), 'Servants');
    const items = await roster(juliet);
    assert.equal(items.length, 1);
    assert.equal(items[0]!.attrs.name, 'Nurse');

    const removal = next(chamber, (el) => el.is('iq') && el.getChild('query', ROSTER)?.getChild('item')?.attrs.subscription === 'remove');
    await juliet.iqCaller.request(xml('iq', { type: 'set', id: 'remove1' }, xml('query', { xmlns: ROSTER }, xml('item', { jid: 'nurse@example.com', subscription: 'remove' }))));
    await removal;
    assert.deepEqual(await roster(juliet), []);
  });

  it('refuses roster sets that break §2.3.3 with the right errors', async () => {
    const juliet = await login('juliet');
    const set = (...items: XmlElement[]) => juliet.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: ROSTER }, ...items)));
    await assert.rejects(set(xml('item', { jid: 'a@example.com' }), xml('item', { jid: 'b@example.com' })), { condition: 'bad-request' });
    await assert.rejects(set(xml('item', { jid: 'a@example.com', subscription: 'both' })), { condition: 'bad-request' });
    await assert.rejects(set(xml('item', { jid: 'not a jid@example.com' })), { condition: 'jid-malformed' });
    await assert.rejects(set(xml('item', { jid: 'ghost@example.com', subscription: 'remove' })), { condition: 'item-not-found' });
  });

  it('runs the subscription handshake and exchanges presence (RFC 6121 §3.1, §4.2)', async () => {
    const romeo = await login('romeo', { resource: 'orchard' });
    const juliet = await login('juliet', { resource: 'balcony' });
    await roster(romeo);
    await roster(juliet);
    await befriend(romeo, 'romeo@example.com', juliet, 'juliet@example.com');
    const items = await roster(romeo);
    assert.equal(items.find((i) => i.attrs.jid === 'juliet@example.com')?.attrs.subscription, 'both');

    // Presence broadcast to a subscribed contact, with status (§4.4).
    const seen = next(romeo, (el) => el.is('presence') && el.attrs.from === 'juliet@example.com/balcony' && el.getChildText('show') === 'away');
    await juliet.send(xml('presence', {}, xml('show', {}, 'away'), xml('status', {}, 'I shall be back')));
    assert.equal((await seen).getChildText('status'), 'I shall be back');

    // A new resource probes on login and learns the contact's presence (§4.3).
    const ro2 = await login('romeo', { resource: 'street', sendPresence: false });
    const probed = next(ro2, (el) => el.is('presence') && el.attrs.from === 'juliet@example.com/balcony');
    await ro2.send(xml('presence'));
    assert.equal((await probed).getChildText('show'), 'away');

    // Unavailable when Juliet goes away (§4.6).
    const gone = next(romeo, isPresence('juliet@example.com/balcony', 'unavailable'));
    await juliet.stop();
    await gone;
  });

  it('delivers a pending subscription request at the next login (§3.1.3) and honours pre-approval (§3.4)', async () => {
    const benvolio = await login('benvolio');
    await benvolio.send(xml('presence', { to: 'mercutio@example.com', type: 'subscribe' }));
    await ping(benvolio); // the request is stored for Mercutio
    const mercutio = await login('mercutio', { sendPresence: false });
    const request = next(mercutio, isPresence('benvolio@example.com', 'subscribe'));
    await mercutio.send(xml('presence'));
    await request;

    // Tybalt pre-approves Mercutio; Mercutio's later request is approved at once.
    const tybalt = await login('tybalt');
    await roster(tybalt);
    const push = next(tybalt, (el) => el.is('iq') && el.getChild('query', ROSTER)?.getChild('item')?.attrs.approved === 'true');
    await tybalt.send(xml('presence', { to: 'mercutio@example.com', type: 'subscribed' }));
    await push;
    const approved = next(mercutio, isPresence('tybalt@example.com', 'subscribed'));
    const unexpected = collect(tybalt, isPresence('mercutio@example.com', 'subscribe'));
    await mercutio.send(xml('presence', { to: 'tybalt@example.com', type: 'subscribe' }));
    await approved; // the server has handled the request
    assert.equal((await unexpected.done()).length, 0, 'a pre-approved request is not shown to the user');
  });

  it('routes messages to full and bare JIDs and stamps `from` (RFC 6120 §8.1.2.1, RFC 6121 §8.5)', async () => {
    const romeo = await login('romeo', { resource: 'orchard' });
    const juliet = await login('juliet', { resource: 'balcony' });
    const got = next(juliet, (el) => el.is('message'));
    await romeo.send(xml('message', { to: 'juliet@example.com', type: 'chat', id: 'ktx72v49' }, xml('body', {}, 'Art thou not Romeo, and a Montague?')));
    const m = await got;
    assert.equal(m.attrs.from, 'romeo@example.com/orchard');
    assert.equal(m.attrs.id, 'ktx72v49');
    assert.equal(m.getChildText('body'), 'Art thou not Romeo, and a Montague?');

    const direct = next(romeo, (el) => el.is('message'));
    await juliet.send(xml('message', { to: 'romeo@example.com/orchard', type: 'chat' }, xml('body', {}, 'Neither, fair saint, if either thee dislike.')));
    assert.equal((await direct).attrs.from, 'juliet@example.com/balcony');
  });

  it('delivers a bare-JID chat to the highest-priority resources only (§8.5.2.1.1)', async () => {
    const low = await login('juliet', { resource: 'low', sendPresence: false });
    const high = await login('juliet', { resource: 'high', sendPresence: false });
    await low.send(xml('presence', {}, xml('priority', {}, '1')));
    await high.send(xml('presence', {}, xml('priority', {}, '5')));
    await Promise.all([ping(low), ping(high)]); // both priorities are known
    const romeo = await login('romeo');
    const atLow = collect(low, (el) => el.is('message') && !!el.getChild('body'));
    const atHigh = next(high, (el) => el.is('message'));
    await romeo.send(xml('message', { to: 'juliet@example.com', type: 'chat' }, xml('body', {}, 'Wherefore?')));
    await atHigh;
    assert.equal((await atLow.done()).length, 0);
  });

  it('stores messages for offline users and delivers them with a XEP-0203 delay at next presence', async () => {
    const romeo = await login('romeo');
    await romeo.send(xml('message', { to: 'nurse@example.com', type: 'chat' }, xml('body', {}, 'Commend me to thy lady')));
    await romeo.send(xml('message', { to: 'nurse@example.com', type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await romeo.send(xml('message', { to: 'nurse@example.com/gone', type: 'normal' }, xml('body', {}, 'second')));
    await ping(romeo); // all three are handled (stored or dropped)
    const nurse = await login('nurse', { sendPresence: false });
    const msgs = collect(nurse, (el) => el.is('message'));
    await nurse.send(xml('presence'));
    const got = await msgs.done();
    assert.deepEqual(got.map((m) => m.getChildText('body')), ['Commend me to thy lady', 'second']);
    const delay = got[0]!.getChild('delay', 'urn:xmpp:delay')!;
    assert.equal(delay.attrs.from, 'example.com');
    assert.ok(Math.abs(Date.parse(delay.attrs.stamp) - Date.now()) < 60_000);
    // Delivered once: the store is empty afterwards.
    await nurse.stop();
    const again = await login('nurse', { sendPresence: false });
    const none = collect(again, (el) => el.is('message'));
    await again.send(xml('presence'));
    assert.equal((await none.done()).length, 0);
  });

  it('answers unknown IQ namespaces and absent accounts with service-unavailable (RFC 6120 §8.2.3, RFC 6121 §8.5.1)', async () => {
    const romeo = await login('romeo');
    await assert.rejects(romeo.iqCaller.request(xml('iq', { type: 'get', to: 'example.com' }, xml('query', { xmlns: 'urn:example:unknown' }))), { condition: 'service-unavailable' });
    await assert.rejects(romeo.iqCaller.request(xml('iq', { type: 'get', to: 'juliet@example.com/nowhere' }, xml('ping', { xmlns: 'urn:xmpp:ping' }))), { condition: 'service-unavailable' });
    const bounce = next(romeo, (el) => el.is('message') && el.attrs.type === 'error');
    await romeo.send(xml('message', { to: 'rosaline@example.com', type: 'chat', id: 'r1' }, xml('body', {}, 'hello?')));
    const err = await bounce;
    assert.equal(err.attrs.from, 'rosaline@example.com');
    assert.ok(err.getChild('error')!.getChild('service-unavailable', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
  });

  it('answers disco#info, ping and version for the server and accounts (XEP-0030, 0199, 0092)', async () => {
    const romeo = await login('romeo');
    const info = await romeo.iqCaller.request(xml('iq', { type: 'get', to: 'example.com' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const q = info.getChild('query')!;
    assert.equal(q.getChild('identity')!.attrs.category, 'server');
    const features = q.getChildren('feature').map((f) => f.attrs.var);
    for (const f of ['http://jabber.org/protocol/disco#info', 'urn:xmpp:ping', 'jabber:iq:version', 'urn:xmpp:carbons:2']) assert.ok(features.includes(f), f);
    const account = await romeo.iqCaller.request(xml('iq', { type: 'get', to: 'juliet@example.com' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.equal(account.getChild('query')!.getChild('identity')!.attrs.category, 'account');
    const version = await romeo.iqCaller.request(xml('iq', { type: 'get', to: 'example.com' }, xml('query', { xmlns: 'jabber:iq:version' })));
    assert.equal(version.getChild('query')!.getChildText('name'), 'Carillon');
    const ping = await romeo.iqCaller.request(xml('iq', { type: 'get', to: 'juliet@example.com' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(ping.attrs.type, 'result');
  });

  it('stores a vCard readable by others and writable only by its owner (XEP-0054)', async () => {
    const juliet = await login('juliet');
    const romeo = await login('romeo');
    await juliet.iqCaller.request(xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Juliet Capulet'))));
    const got = await romeo.iqCaller.request(xml('iq', { type: 'get', to: 'juliet@example.com' }, xml('vCard', { xmlns: 'vcard-temp' })));
    assert.equal(got.getChild('vCard')!.getChildText('FN'), 'Juliet Capulet');
    await assert.rejects(romeo.iqCaller.request(xml('iq', { type: 'set', to: 'juliet@example.com' }, xml('vCard', { xmlns: 'vcard-temp' }))), { condition: 'forbidden' });
  });

  it('copies chat messages to other resources with carbons (XEP-0280)', async () => {
    const phone = await login('juliet', { resource: 'phone' });
    const laptop = await login('juliet', { resource: 'laptop' });
    await laptop.iqCaller.request(xml('iq', { type: 'set' }, xml('enable', { xmlns: 'urn:xmpp:carbons:2' })));
    const romeo = await login('romeo');
    const sentCopy = next(laptop, (el) => !!el.getChild('sent', 'urn:xmpp:carbons:2'));
    await phone.send(xml('message', { to: 'romeo@example.com', type: 'chat' }, xml('body', {}, 'from my phone')));
    // XEP-0297 §3: the forwarded message is in the jabber:client namespace, written out.
    const copy = (await sentCopy).getChild('sent')!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message', 'jabber:client')!;
    assert.equal(copy.getChildText('body'), 'from my phone');
    const receivedCopy = next(laptop, (el) => !!el.getChild('received', 'urn:xmpp:carbons:2'));
    await romeo.send(xml('message', { to: 'juliet@example.com/phone', type: 'chat' }, xml('body', {}, 'to your phone')));
    assert.equal((await receivedCopy).getChild('received')!.getChild('forwarded')!.getChild('message', 'jabber:client')!.getChildText('body'), 'to your phone');
  });
});
