// XEP-0191 Blocking Command, from outside with @xmpp/client: the XEP's own examples (numbered as in
// version 1.3), with its characters — Juliet blocks Romeo; Iago, on another server name, by domain.
import assert from 'node:assert/strict';
import { befriend, connect, next, startTestServer, stopAll, xml, type TestServer, type XmppClient, type XmlElement } from './helpers.js';

const NS = 'urn:xmpp:blocking';
const NS_ERRORS = 'urn:xmpp:blocking:errors';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

const blocklist = async (c: XmppClient): Promise<string[]> => {
  const r = await c.iqCaller.request(xml('iq', { type: 'get', id: 'blocklist1' }, xml('blocklist', { xmlns: NS })));
  return r.getChild('blocklist', NS)!.getChildren('item').map((i) => i.attrs.jid as string);
};
const set = (c: XmppClient, name: 'block' | 'unblock', ...jids: string[]) =>
  c.iqCaller.request(xml('iq', { type: 'set' }, xml(name, { xmlns: NS }, ...jids.map((jid) => xml('item', { jid })))));
const isPush = (name: string) => (el: XmlElement) => el.is('iq') && el.attrs.type === 'set' && !!el.getChild(name, NS);
/** A round trip to the server: whatever was on its way to `c` has arrived once the reply is back. */
const ping = (c: XmppClient) => c.iqCaller.request(xml('iq', { type: 'get' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
/** Everything `c` receives until a ping round trip completes. */
async function until_ping(c: XmppClient, pred: (el: XmlElement) => boolean): Promise<XmlElement[]> {
  const got: XmlElement[] = [];
  const on = (el: XmlElement) => pred(el) && got.push(el);
  c.on('stanza', on);
  await ping(c);
  c.off('stanza', on);
  return got;
}
const errorOf = (el: XmlElement) => el.getChild('error')!;

describe('XEP-0191 Blocking Command', function () {
  let srv: TestServer;
  const open: XmppClient[] = [];
  const login = async (user: string, resource?: string) => {
    const c = await connect(srv, user, 'secret', { resource, transport: 'tcp' });
    open.push(c);
    return c;
  };

  before(async () => {
    srv = await startTestServer({ domain: 'capulet.com', components: { port: null } });
    for (const u of ['juliet', 'romeo', 'nurse']) await srv.users.add(`${u}@capulet.com`, 'secret');
  });
  afterEach(async () => {
    // Each test starts from an empty blocklist.
    const j = await connect(srv, 'juliet', 'secret', { resource: 'cleanup', sendPresence: false });
    await set(j, 'unblock');
    await stopAll(j, ...open.splice(0));
  });
  after(() => srv.stop());

  it('is announced by the server (Examples 1, 2)', async () => {
    const juliet = await login('juliet', 'chamber');
    const r = await juliet.iqCaller.request(xml('iq', { to: 'capulet.com', type: 'get', id: 'disco1' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const features = r.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    assert.ok(features.includes(NS), `features: ${features.join(' ')}`);
  });

  it('returns the blocklist, empty and then with items (Examples 3–5)', async () => {
    const juliet = await login('juliet', 'chamber');
    assert.deepEqual(await blocklist(juliet), []);
    await set(juliet, 'block', 'romeo@capulet.com', 'iago@shakespeare.lit');
    assert.deepEqual((await blocklist(juliet)).sort(), ['iago@shakespeare.lit', 'romeo@capulet.com']);
    // The block applies across sessions (§3.3).
    const later = await login('juliet', 'later');
    assert.deepEqual((await blocklist(later)).sort(), ['iago@shakespeare.lit', 'romeo@capulet.com']);
  });

  it('pushes blocks and unblocks to the resources that requested the blocklist, and only to them (Examples 6–8, 10–12)', async () => {
    const chamber = await login('juliet', 'chamber');
    const balcony = await login('juliet', 'balcony');
    const garden = await login('juliet', 'garden'); // never asks for the blocklist
    await blocklist(chamber);
    await blocklist(balcony);
    const pushes = [next(chamber, isPush('block')), next(balcony, isPush('block'))];
    const r = await chamber.iqCaller.request(xml('iq', { type: 'set', id: 'block1' }, xml('block', { xmlns: NS }, xml('item', { jid: 'romeo@capulet.com' }))));
    assert.equal(r.attrs.type, 'result');
    const got = await Promise.all(pushes);
    assert.deepEqual(got.map((p) => p.attrs.to), ['juliet@capulet.com/chamber', 'juliet@capulet.com/balcony'], 'each push addressed to its own resource');
    for (const p of got) assert.deepEqual(p.getChild('block', NS)!.getChildren('item').map((i) => i.attrs.jid), ['romeo@capulet.com']);
    assert.deepEqual(await until_ping(garden, isPush('block')), [], 'no push to a resource that did not ask');

    const unpushes = [next(chamber, isPush('unblock')), next(balcony, isPush('unblock'))];
    await set(balcony, 'unblock', 'romeo@capulet.com');
    for (const p of await Promise.all(unpushes)) assert.deepEqual(p.getChild('unblock', NS)!.getChildren('item').map((i) => i.attrs.jid), ['romeo@capulet.com']);
    assert.deepEqual(await blocklist(chamber), []);
  });

  it('unblocks everyone with an empty unblock, pushed as such (Examples 13–15)', async () => {
    const chamber = await login('juliet', 'chamber');
    await set(chamber, 'block', 'romeo@capulet.com', 'nurse@capulet.com');
    await blocklist(chamber);
    const p = next(chamber, isPush('unblock'));
    await set(chamber, 'unblock');
    assert.equal((await p).getChild('unblock', NS)!.getChildren('item').length, 0);
    assert.deepEqual(await blocklist(chamber), []);
  });

  it('refuses a block without items (bad-request) and an item that is not a JID (jid-malformed)', async () => {
    const juliet = await login('juliet', 'chamber');
    await assert.rejects(set(juliet, 'block'), (e: { condition?: string }) => e.condition === 'bad-request');
    await assert.rejects(set(juliet, 'block', 'not a jid@'), (e: { condition?: string }) => e.condition === 'jid-malformed');
    assert.deepEqual(await blocklist(juliet), []);
  });

  it('keeps everything from a blocked contact away: messages bounce service-unavailable, IQs too, presence is dropped (§3.3)', async () => {
    const juliet = await login('juliet', 'chamber');
    const romeo = await login('romeo', 'orchard');
    await set(juliet, 'block', 'romeo@capulet.com');

    const bounce = next(romeo, (el) => el.is('message') && el.attrs.type === 'error');
    await romeo.send(xml('message', { to: 'juliet@capulet.com', type: 'chat', id: 'm1' }, xml('body', {}, 'Can you hear me now?')));
    const err = await bounce;
    assert.equal(err.attrs.from, 'juliet@capulet.com');
    assert.ok(errorOf(err).getChild('service-unavailable', STANZAS));
    await assert.rejects(
      romeo.iqCaller.request(xml('iq', { type: 'get', to: 'juliet@capulet.com/chamber' }, xml('ping', { xmlns: 'urn:xmpp:ping' }))),
      (e: { condition?: string }) => e.condition === 'service-unavailable',
    );
    await romeo.send(xml('presence', { to: 'juliet@capulet.com/chamber' }));
    await romeo.send(xml('presence', { to: 'juliet@capulet.com', type: 'subscribe' }));
    assert.deepEqual(await until_ping(romeo, (el) => el.attrs.type === 'error' && el.is('presence')), [], 'presence gets no error');
    // Romeo's stanzas went first; a message from the nurse afterwards arrives, and nothing from Romeo did.
    const nurse = await login('nurse', 'kitchen');
    const seen: XmlElement[] = [];
    juliet.on('stanza', (el) => el.attrs.from?.startsWith('romeo@') && seen.push(el));
    const fromNurse = next(juliet, (el) => el.is('message') && el.attrs.from?.startsWith('nurse@') === true);
    await nurse.send(xml('message', { to: 'juliet@capulet.com/chamber', type: 'chat' }, xml('body', {}, 'Madam!')));
    await fromNurse;
    await ping(juliet);
    assert.deepEqual(seen, []);
  });

  it('blocks a whole domain: every user@domain matches (§4)', async () => {
    const juliet = await login('juliet', 'chamber');
    const nurse = await login('nurse', 'kitchen');
    await set(juliet, 'block', 'capulet.com');
    const bounce = next(nurse, (el) => el.is('message') && el.attrs.type === 'error');
    await nurse.send(xml('message', { to: 'juliet@capulet.com', type: 'chat' }, xml('body', {}, 'Madam!')));
    assert.ok(errorOf(await bounce).getChild('service-unavailable', STANZAS));
  });

  it('refuses what the user sends to a blocked contact with not-acceptable and <blocked/> (Example 9)', async () => {
    const juliet = await login('juliet', 'chamber');
    const romeo = await login('romeo', 'orchard');
    await set(juliet, 'block', 'romeo@capulet.com');
    const refused = next(juliet, (el) => el.is('message') && el.attrs.type === 'error');
    await juliet.send(xml('message', { to: 'romeo@capulet.com', type: 'chat', id: 'm2' }, xml('body', {}, 'Can you hear me now?')));
    const err = await refused;
    assert.equal(err.attrs.from, 'romeo@capulet.com');
    assert.equal(err.attrs.id, 'm2');
    assert.equal(errorOf(err).attrs.type, 'cancel');
    assert.ok(errorOf(err).getChild('not-acceptable', STANZAS));
    assert.ok(errorOf(err).getChild('blocked', NS_ERRORS));
    assert.equal(err.getChildText('body'), 'Can you hear me now?');
    assert.deepEqual(await until_ping(romeo, (el) => el.is('message')), [], 'nothing reached Romeo');
  });

  it('sends unavailable to a blocked contact that saw the user, hides later presence, and shows it again on unblock (§3.3, §3.4)', async () => {
    const juliet = await login('juliet', 'chamber');
    const romeo = await login('romeo', 'orchard');
    await befriend(juliet, 'juliet@capulet.com', romeo, 'romeo@capulet.com');
    const gone = next(romeo, (el) => el.is('presence') && el.attrs.from === 'juliet@capulet.com/chamber' && el.attrs.type === 'unavailable');
    await set(juliet, 'block', 'romeo@capulet.com');
    await gone;
    await juliet.send(xml('presence', {}, xml('show', {}, 'away')));
    await ping(juliet);
    assert.deepEqual(await until_ping(romeo, (el) => el.is('presence') && el.attrs.from?.startsWith('juliet@') === true), [], 'a blocked contact sees no broadcast');

    const back = next(romeo, (el) => el.is('presence') && el.attrs.from === 'juliet@capulet.com/chamber' && el.attrs.type === undefined);
    await set(juliet, 'unblock', 'romeo@capulet.com');
    assert.equal((await back).getChildText('show'), 'away');
    const msg = next(juliet, (el) => el.is('message') && el.getChildText('body') === 'At last');
    await romeo.send(xml('message', { to: 'juliet@capulet.com', type: 'chat' }, xml('body', {}, 'At last')));
    await msg;
  });
});
