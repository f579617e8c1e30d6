// Last Activity (XEP-0012), with the XEP's examples: Juliet and Romeo, here both on capulet.com.
import assert from 'node:assert/strict';
import { connect, next, startTestServer, stopAll, xml, type TestServer, type XmppClient, type XmlElement, befriend, isPresence } from './helpers.js';

const LAST = 'jabber:iq:last';
const DOMAIN = 'capulet.com';
const JULIET = `juliet@${DOMAIN}`;
const ROMEO = `romeo@${DOMAIN}`;



/** Example 1: the query; resolves with the <query/> of the result. */
async function last(c: XmppClient, to: string): Promise<XmlElement> {
  const r = await c.iqCaller.request(xml('iq', { type: 'get', to, id: 'last1' }, xml('query', { xmlns: LAST })));
  return r.getChild('query', LAST)!;
}

function seconds(q: XmlElement): number {
  assert.match(q.attrs.seconds ?? '', /^\d+$/, 'seconds is a non-negative integer');
  return Number(q.attrs.seconds);
}

describe('last activity (XEP-0012)', function () {
  let srv: TestServer;
  const open: XmppClient[] = [];
  const login = async (user: string, opts: Parameters<typeof connect>[3] = {}) => {
    const c = await connect(srv, user, 'secret', opts);
    open.push(c);
    return c;
  };

  beforeEach(async () => {
    srv = await startTestServer({ domain: DOMAIN, components: { port: null } });
    for (const u of ['juliet', 'romeo', 'nurse']) await srv.users.add(`${u}@${DOMAIN}`, 'secret');
  });
  afterEach(async () => {
    await stopAll(...open.splice(0));
    await srv.stop();
  });

  it("answers the server's uptime and announces the feature (Examples 6-8)", async () => {
    const romeo = await login('romeo');
    const q = await last(romeo, DOMAIN);
    assert.ok(seconds(q) <= Math.ceil((Date.now() - srv.server.startedAt) / 1000));
    assert.equal(q.getText(), '', 'no character data for a server');
    const info = await romeo.iqCaller.request(xml('iq', { type: 'get', to: DOMAIN }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === LAST));
  });

  it('answers 0 for a contact who is online (Offline User Query: "at least one available resource")', async () => {
    const juliet = await login('juliet', { resource: 'balcony' });
    const romeo = await login('romeo', { resource: 'orchard' });
    await befriend(juliet, JULIET, romeo, ROMEO);
    const q = await last(romeo, JULIET);
    assert.equal(q.attrs.seconds, '0');
    assert.equal(q.getText(), '');
  });

  it('answers the time since the last unavailable presence, with its status (Example 3: "Heading Home")', async () => {
    const juliet = await login('juliet', { resource: 'balcony' });
    const romeo = await login('romeo', { resource: 'orchard' });
    await befriend(juliet, JULIET, romeo, ROMEO);
    const gone = next(romeo, isPresence(JULIET, 'unavailable'));
    await juliet.send(xml('presence', { type: 'unavailable' }, xml('status', {}, 'Heading Home')));
    await gone;
    const q = await last(romeo, JULIET);
    seconds(q);
    assert.equal(q.getText(), 'Heading Home');
    // The logout that follows keeps the status of the unavailable presence sent before it.
    await juliet.stop();
    const after = await last(romeo, JULIET);
    seconds(after);
    assert.equal(after.getText(), 'Heading Home');
  });

  it('counts a session that ends without unavailable presence as a logout without status', async () => {
    const juliet = await login('juliet', { resource: 'balcony' });
    const romeo = await login('romeo', { resource: 'orchard' });
    await befriend(juliet, JULIET, romeo, ROMEO);
    const away = next(romeo, isPresence(JULIET, 'unavailable'));
    await juliet.send(xml('presence', { type: 'unavailable' }, xml('status', {}, 'Heading Home')));
    await away;
    const back = next(romeo, isPresence(JULIET, undefined));
    await juliet.send(xml('presence'));
    await back;
    // RFC 6121 §4.6.1: the server sends the unavailable presence of a vanished session.
    const gone = next(romeo, isPresence(JULIET, 'unavailable'));
    await juliet.stop();
    await gone;
    const q = await last(romeo, JULIET);
    seconds(q);
    assert.equal(q.getText(), '');
  });

  it('answers the owner, whose own unavailable presence counts', async () => {
    const juliet = await login('juliet', { resource: 'balcony' });
    const echoed = next(juliet, isPresence(JULIET, 'unavailable'));
    await juliet.send(xml('presence', { type: 'unavailable' }, xml('status', {}, 'Asleep')));
    await echoed;
    const q = await last(juliet, JULIET);
    seconds(q);
    assert.equal(q.getText(), 'Asleep');
  });

  it('refuses an entity without a presence subscription with forbidden (§3, §8)', async () => {
    const juliet = await login('juliet');
    const nurse = await login('nurse');
    await assert.rejects(last(nurse, JULIET), { condition: 'forbidden' });
    // A subscription the other way is not enough.
    const romeo = await login('romeo');
    const request = next(romeo, isPresence(JULIET, 'subscribe'));
    await juliet.send(xml('presence', { to: ROMEO, type: 'subscribe' }));
    await request;
    const approved = next(juliet, isPresence(ROMEO, 'subscribed'));
    await romeo.send(xml('presence', { to: JULIET, type: 'subscribed' }));
    await approved;
    // Juliet is subscribed to Romeo (state To); Romeo has no subscription to Juliet.
    await assert.rejects(last(romeo, JULIET), { condition: 'forbidden' });
    assert.equal(seconds(await last(juliet, ROMEO)), 0);
  });

  it('leaves a query to a full JID to the client (Examples 4-5)', async () => {
    const juliet = await login('juliet', { resource: 'balcony' });
    const romeo = await login('romeo', { resource: 'orchard' });
    await befriend(juliet, JULIET, romeo, ROMEO);
    const reply = next(romeo, (el) => el.is('iq') && el.attrs.id === 'last2');
    await romeo.send(xml('iq', { type: 'get', to: `${JULIET}/balcony`, id: 'last2' }, xml('query', { xmlns: LAST })));
    const r = await reply;
    // @xmpp/client does not implement it and answers service-unavailable itself.
    assert.equal(r.attrs.from, `${JULIET}/balcony`);
    assert.equal(r.attrs.type, 'error');
    assert.ok(r.getChild('error')!.getChild('service-unavailable', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
  });
});
