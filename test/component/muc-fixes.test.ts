// XEP-0045 (1.34) behaviour clients rely on, end to end through Carillon with the call component
// attached: leaving by unavailable presence to the bare room JID, the order of a newcomer's entry,
// the owner's configuration result ahead of status 104, voice requests (§8.6), and the quota on
// rooms one user may own (§10.1.1 not-allowed), also set through the server's call.maxRoomsPerUser.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Element } from 'ltx';
import { startCarillon } from '../../server/index.js';
import { freePortRange } from '../support/ports.js';
import { User, statusCodes, xml } from './helpers/user.js';
import { CALL, NS_DATA, NS_MUC, NS_MUC_ADMIN, NS_MUC_USER, configure, enter, errorCondition, startRoomHost, type RoomHost } from './helpers/room-host.js';

const MUC_REQUEST = 'http://jabber.org/protocol/muc#request';

/** Everything `u` receives from now on, in order (alongside the waiters). */
function record(u: User): { log: Element[]; stop(): void } {
  const log: Element[] = [];
  const prev = u.onStanza;
  u.onStanza = (el) => { prev?.(el); log.push(el); };
  return { log, stop: () => { u.onStanza = prev; } };
}

const fields = (form: Element): Record<string, string> =>
  Object.fromEntries(form.getChildren('field').map((f) => [f.attrs.var as string, f.getChildText('value') ?? '']));

describe('rooms: XEP-0045 behaviour clients rely on', function () {
  this.timeout(30000);
  let host: RoomHost;
  before(async () => {
    host = await startRoomHost({ users: ['alice', 'bob', 'carol'], component: { maxRoomsPerUser: 3 } });
  });
  after(() => host?.stop());

  it('leaves the room on unavailable presence to the bare room JID, and the others see it', async () => {
    const room = `bare@${CALL}`;
    const { alice, bob } = host.users;
    await enter(alice, room, 'Alice');
    await enter(bob, room, 'Bob');
    const seen = alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/Bob` && el.attrs.type === 'unavailable');
    const own = bob.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/Bob` && el.attrs.type === 'unavailable');
    await bob.send(xml('presence', { to: room, type: 'unavailable' }));
    assert.deepEqual(statusCodes(await own), ['110']);
    assert.equal((await seen).getChild('x', NS_MUC_USER)!.getChild('item')!.attrs.role, 'none');
    // Bob is gone: his groupchat is refused, and Alice is alone in the occupant list.
    const refused = bob.waitFor((el) => el.name === 'message' && el.attrs.type === 'error');
    await bob.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'still here?')));
    assert.equal(errorCondition(await refused), 'not-acceptable');
    const list = await alice.iq('get', room, xml('query', { xmlns: NS_MUC_ADMIN }, xml('item', { role: 'participant' })));
    assert.deepEqual(list.getChild('query')!.getChildren('item').map((i) => i.attrs.nick), []);
    await alice.send(xml('presence', { to: room, type: 'unavailable' }));
    await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/Alice` && el.attrs.type === 'unavailable');
  });

  it('gives a newcomer its whole entry in order: others, itself with 110, history, subject (§7.2)', async () => {
    const room = `order@${CALL}`;
    const { alice, carol } = host.users;
    await enter(alice, room, 'Alice');
    const said = alice.waitFor((el) => el.name === 'message' && el.getChildText('body') === 'before you came');
    await alice.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'before you came')));
    await said;
    const rec = record(carol);
    const subject = await enter(carol, room, 'Carol');
    rec.stop();
    const fromRoom = rec.log.filter((el) => String(el.attrs.from).startsWith(room));
    const kinds = fromRoom.map((el) => {
      if (el.name === 'presence') return statusCodes(el).includes('110') ? 'self' : `presence ${el.attrs.from.split('/')[1]}`;
      if (el.getChild('subject')) return 'subject';
      return `history ${el.getChildText('body')}`;
    });
    assert.deepEqual(kinds, ['presence Alice', 'self', 'history before you came', 'subject']);
    assert.equal(fromRoom[fromRoom.length - 1], subject);
    const seen = await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/Carol`);
    assert.deepEqual(statusCodes(seen), []);
  });

  it('answers the owner\u2019s configuration change before sending status 104 (§10.2)', async () => {
    const room = `config@${CALL}`;
    const { alice } = host.users;
    await enter(alice, room, 'Alice');
    const rec = record(alice);
    const notice = alice.waitFor((el) => el.name === 'message' && statusCodes(el).includes('104'));
    const result = await configure(alice, room, { 'muc#roomconfig_roomname': 'Renamed', 'muc#roomconfig_whois': 'anyone' });
    assert.equal(result.attrs.type, 'result');
    const n = await notice;
    rec.stop();
    assert.deepEqual(statusCodes(n), ['104', '172']);
    assert.ok(rec.log.indexOf(result) < rec.log.indexOf(n), 'the IQ result comes first');
  });

  it('passes a visitor\u2019s voice request to the moderators, and approving it grants voice (§8.6)', async () => {
    const room = `voice@${CALL}`;
    const { alice, bob } = host.users;
    await enter(alice, room, 'Alice');
    assert.equal((await configure(alice, room, { 'muc#roomconfig_moderatedroom': '1' })).attrs.type, 'result');
    const info = await bob.iq('get', room, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    assert.ok(features.includes('muc_moderated') && features.includes(MUC_REQUEST));
    // In a moderated room Bob, without affiliation, enters as a visitor (§5.1.2) and has no voice.
    const self = bob.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/Bob` && statusCodes(el).includes('110'));
    await enter(bob, room, 'Bob');
    assert.equal((await self).getChild('x', NS_MUC_USER)!.getChild('item')!.attrs.role, 'visitor');
    const silent = bob.waitFor((el) => el.name === 'message' && el.attrs.type === 'error');
    await bob.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'may I?')));
    assert.equal(errorCondition(await silent), 'forbidden');
    // Example 79 (XEP-0045 1.34): the visitor asks.
    const request = alice.waitFor((el) => el.name === 'message' && el.attrs.from === room && !!el.getChild('x', NS_DATA));
    await bob.send(xml('message', { to: room, id: 'yd53c486' }, xml('x', { xmlns: NS_DATA, type: 'submit' },
      xml('field', { var: 'FORM_TYPE' }, xml('value', {}, MUC_REQUEST)),
      xml('field', { var: 'muc#role', type: 'list-single', label: 'Requested role' }, xml('value', {}, 'participant')))));
    // Example 108: the moderators are asked.
    const form = (await request).getChild('x', NS_DATA)!;
    assert.equal(form.attrs.type, 'form');
    const asked = fields(form);
    assert.equal(asked.FORM_TYPE, MUC_REQUEST);
    assert.equal(asked['muc#role'], 'participant');
    assert.equal(asked['muc#roomnick'], 'Bob');
    assert.equal(asked['muc#jid'], bob.jid);
    assert.ok(['0', 'false'].includes(asked['muc#request_allow']!));
    // Example 109: the moderator approves; the room grants voice (§8.3) and says so to everyone.
    const voiced = bob.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/Bob`
      && el.getChild('x', NS_MUC_USER)?.getChild('item')?.attrs.role === 'participant');
    await alice.send(xml('message', { to: room }, xml('x', { xmlns: NS_DATA, type: 'submit' },
      xml('field', { var: 'FORM_TYPE' }, xml('value', {}, MUC_REQUEST)),
      xml('field', { var: 'muc#role' }, xml('value', {}, 'participant')),
      xml('field', { var: 'muc#jid' }, xml('value', {}, bob.jid)),
      xml('field', { var: 'muc#roomnick' }, xml('value', {}, 'Bob')),
      xml('field', { var: 'muc#request_allow' }, xml('value', {}, 'true')))));
    await voiced;
    const heard = alice.waitFor((el) => el.name === 'message' && el.getChildText('body') === 'thank you');
    await bob.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'thank you')));
    await heard;
    // Only a moderator's answer counts: Bob cannot approve a request for himself.
    const own = bob.waitFor((el) => el.name === 'message' && el.attrs.type === 'error');
    await bob.send(xml('message', { to: room }, xml('x', { xmlns: NS_DATA, type: 'form' },
      xml('field', { var: 'FORM_TYPE' }, xml('value', {}, MUC_REQUEST)))));
    assert.equal(errorCondition(await own), 'bad-request');
  });

  it('refuses to create more rooms than maxRoomsPerUser with not-allowed (§10.1.1), other users unaffected', async () => {
    const { bob, carol } = host.users;
    // Carol owns nothing yet: three rooms are hers to create (the component runs with maxRoomsPerUser 3).
    for (const n of [1, 2, 3]) await enter(carol, `quota${n}@${CALL}`, 'Carol');
    const refused = carol.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error' && el.attrs.from === `quota9@${CALL}/Carol`);
    await carol.send(xml('presence', { to: `quota9@${CALL}/Carol` }, xml('x', { xmlns: NS_MUC })));
    const error = await refused;
    assert.equal(errorCondition(error), 'not-allowed');
    assert.match(error.getChild('error')!.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '', /most one user may \(3\)/);
    assert.ok(error.getChild('x', NS_MUC), 'the error echoes the MUC element');
    // The room was not created: it is not in the directory.
    const items = await bob.iq('get', CALL, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }));
    const listed = items.getChild('query')!.getChildren('item').map((i) => i.attrs.jid);
    assert.ok(listed.includes(`quota1@${CALL}`) && !listed.includes(`quota9@${CALL}`));
    // Someone else creates it.
    assert.equal((await enter(bob, `quota9@${CALL}`, 'Bob')).getChildText('subject'), '');
    // Leaving a temporary room ends it, and with it Carol's ownership: she may create another.
    await carol.send(xml('presence', { to: `quota1@${CALL}/Carol`, type: 'unavailable' }));
    await carol.waitFor((el) => el.name === 'presence' && el.attrs.from === `quota1@${CALL}/Carol` && el.attrs.type === 'unavailable');
    assert.equal((await enter(carol, `quota4@${CALL}`, 'Carol')).getChildText('subject'), '');
  });
});

describe('the room quota through the server\u2019s config (call.maxRoomsPerUser)', function () {
  this.timeout(20000);
  it('reaches the in-process call component', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carillon-quota-'));
    const media = await freePortRange(10);
    const srv = await startCarillon({
      domain: 'localhost', dataDir: dir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null },
      c2s: { port: 0 }, s2s: { port: null }, components: { port: 0 },
      call: { enabled: true, maxRoomsPerUser: 1, archiveDays: 30, media: { ...media, publicAddress: null } }, log: { level: 'silent' },
    });
    let alice: User | undefined;
    try {
      assert.equal(srv.config.call.archiveDays, 30);
      await srv.users.add('alice@localhost', 'pw');
      alice = await User.connect(`ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, 'localhost', 'alice', 'pw');
      await enter(alice, `first@${CALL}`, 'Alice');
      const refused = alice.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error' && el.attrs.from === `second@${CALL}/Alice`);
      await alice.send(xml('presence', { to: `second@${CALL}/Alice` }, xml('x', { xmlns: NS_MUC })));
      assert.equal(errorCondition(await refused), 'not-allowed');
    } finally {
      await alice?.stop();
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
