// Room archives of the call component: XEP-0313 (1.1) queries at the room's JID, XEP-0359
// stanza-ids on the live messages, history on entering (XEP-0045 §7.2.15) from the archive across
// a restart, and the import of a rooms.json of earlier versions. Carillon with the component
// attached, @xmpp/client occupants.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Element } from 'ltx';
import { createClient } from 'stanza';
import { xml, type User } from './helpers/user.js';
import {
  CALL, NS_DATA, NS_MAM, NS_MUC, NS_MUC_USER, NS_RSM, NS_SID, configure, enter, errorCondition, startRoomHost, type RoomHost,
} from './helpers/room-host.js';

interface Result { id: string; body: string; from: string; stamp: string; realJid?: string; messageId?: string; to?: string }

/** One MAM query to `room`: the results (in the order received) and the <fin/>. */
async function query(u: User, room: string, opts: { form?: Record<string, string | string[]>; set?: Element[]; flip?: boolean } = {}): Promise<{ results: Result[]; fin: Element; iq: Element }> {
  const queryid = `q${Math.random().toString(36).slice(2)}`;
  const results: Result[] = [];
  const prev = u.onStanza;
  u.onStanza = (el) => {
    prev?.(el);
    const r = el.getChild('result', NS_MAM);
    if (el.name !== 'message' || r?.attrs.queryid !== queryid) return;
    const fwd = r.getChild('forwarded', 'urn:xmpp:forward:0')!;
    const m = fwd.getChild('message')!;
    results.push({
      id: r.attrs.id, body: m.getChildText('body') ?? '', from: m.attrs.from, to: m.attrs.to, stamp: fwd.getChild('delay', 'urn:xmpp:delay')!.attrs.stamp,
      realJid: m.getChild('x', NS_MUC_USER)?.getChild('item')?.attrs.jid, messageId: m.attrs.id,
    });
  };
  const form = opts.form && xml('x', { xmlns: NS_DATA, type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_MAM)),
    ...Object.entries(opts.form).map(([v, val]) => xml('field', { var: v }, ...(Array.isArray(val) ? val : [val]).map((s) => xml('value', {}, s)))));
  try {
    const iq = await u.iq('set', room, xml('query', { xmlns: NS_MAM, queryid }, ...(form ? [form] : []),
      ...(opts.set ? [xml('set', { xmlns: NS_RSM }, ...opts.set)] : []), ...(opts.flip ? [xml('flip-page')] : [])));
    return { results, fin: iq.getChild('fin', NS_MAM)!, iq };
  } finally {
    u.onStanza = prev;
  }
}

const rsm = (name: string, value = ''): Element => xml(name, {}, value);

describe('room archives (XEP-0313 on rooms)', function () {
  this.timeout(60000);
  let host: RoomHost;
  const room = `archive@${CALL}`;
  /** stanza-id of each live message, by body. */
  const live = new Map<string, string>();

  before(async () => {
    host = await startRoomHost({ users: ['alice', 'bob', 'carol'] });
    const { alice, bob } = host.users;
    await enter(alice, room, 'Alice');
    assert.equal((await configure(alice, room, { 'muc#roomconfig_persistentroom': '1' })).attrs.type, 'result');
    await enter(bob, room, 'Bob');
    // 200 messages, alternately from Alice and Bob; each one waited for as Alice sees it.
    for (let i = 0; i < 200; i++) {
      const [u, nick] = i % 2 === 0 ? [alice, 'Alice'] : [bob, 'Bob'];
      const body = `message ${i}`;
      const seen = alice.waitFor((el) => el.name === 'message' && el.getChildText('body') === body && el.attrs.from === `${room}/${nick}`);
      await u.send(xml('message', { to: room, type: 'groupchat', id: `m${i}` }, xml('body', {}, body)));
      const m = await seen;
      const sid = m.getChild('stanza-id', NS_SID);
      assert.ok(sid, `message ${i} carries a stanza-id`);
      assert.equal(sid.attrs.by, room);
      live.set(body, sid.attrs.id);
    }
    // Chat states are relayed but not archived, and carry no stanza-id (there is nothing to page from).
    const state = bob.waitFor((el) => el.name === 'message' && !!el.getChild('composing'));
    await alice.send(xml('message', { to: room, type: 'groupchat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    assert.equal((await state).getChild('stanza-id', NS_SID), undefined);
  });
  after(() => host?.stop());

  it('advertises urn:xmpp:mam:2 and the extended features in the room\u2019s disco#info', async () => {
    const info = await host.users.carol.iq('get', room, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    assert.ok(features.includes(NS_MAM));
    assert.ok(features.includes('urn:xmpp:mam:2#extended'));
  });

  it('pages forwards through all 200 messages without gap or duplicate, stanza-ids equal to the live ones', async () => {
    const seen: Result[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const { results, fin } = await query(host.users.alice, room, { set: [rsm('max', '30'), ...(after ? [rsm('after', after)] : [])] });
      const set = fin.getChild('set', NS_RSM)!;
      assert.equal(set.getChildText('count'), '200');
      assert.equal(set.getChild('first')!.attrs.index, String(seen.length));
      assert.equal(set.getChildText('first'), results[0]!.id);
      assert.equal(set.getChildText('last'), results[results.length - 1]!.id);
      seen.push(...results);
      after = set.getChildText('last')!;
      if (fin.attrs.complete === 'true') break;
      assert.equal(results.length, 30);
    }
    assert.deepEqual(seen.map((r) => r.body), Array.from({ length: 200 }, (_, i) => `message ${i}`));
    assert.deepEqual(seen.map((r) => r.id), seen.map((r) => live.get(r.body)));
    // The sender's own message ids come back with the messages (as in XEP-0313's MUC example).
    assert.deepEqual(seen.map((r) => r.messageId), Array.from({ length: 200 }, (_, i) => `m${i}`));
    assert.equal(seen.some((r) => r.to !== undefined), false, 'a forwarded MUC message has no to');
    assert.equal(seen[1]!.from, `${room}/Bob`);
    // Alice is the owner, a moderator: she is shown the real JIDs (XEP-0313 §5.1.2 with XEP-0045's rules).
    assert.equal(seen[1]!.realJid, 'bob@localhost');
  });

  it('answers a StanzaJS client’s searchHistory (the web client’s library) page by page', async () => {
    const stanzaClient = createClient({
      jid: 'carol@localhost', password: 'pw', resource: 'stanza',
      transports: { websocket: `ws://127.0.0.1:${host.srv.ports.http}/xmpp-websocket`, bosh: false },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        stanzaClient.once('session:started', () => resolve());
        stanzaClient.once('auth:failed', () => reject(new Error('auth failed')));
        stanzaClient.connect();
      });
      const last = await stanzaClient.searchHistory(room, { paging: { max: 10, before: '' } });
      assert.deepEqual(last.results!.map((r) => r.item.message!.body), Array.from({ length: 10 }, (_, i) => `message ${190 + i}`));
      assert.deepEqual(last.results!.map((r) => r.id), last.results!.map((r) => live.get(r.item.message!.body!)));
      assert.equal(last.results![0]!.item.message!.from, `${room}/Alice`);
      assert.equal(last.paging?.count, 200);
      const before = await stanzaClient.searchHistory(room, { paging: { max: 10, before: last.paging!.first! } });
      assert.deepEqual(before.results!.map((r) => r.item.message!.body), Array.from({ length: 10 }, (_, i) => `message ${180 + i}`));
      const bobs = await stanzaClient.searchHistory(room, { with: `${room}/Bob`, paging: { max: 3 } });
      assert.deepEqual(bobs.results!.map((r) => r.item.message!.body), ['message 1', 'message 3', 'message 5']);
    } finally {
      await stanzaClient.disconnect();
    }
  });

  it('pages backwards from the last page (an empty <before/>) to the first', async () => {
    const pages: Result[][] = [];
    let before = '';
    for (let n = 0; n < 20; n++) {
      const { results, fin } = await query(host.users.bob, room, { set: [rsm('max', '45'), rsm('before', before)] });
      pages.unshift(results);
      before = fin.getChild('set', NS_RSM)!.getChildText('first')!;
      if (fin.attrs.complete === 'true') break;
    }
    const all = pages.flat();
    assert.deepEqual(all.map((r) => r.body), Array.from({ length: 200 }, (_, i) => `message ${i}`));
    assert.equal(pages.length, 5);
    assert.equal(pages[0]!.length, 200 - 4 * 45);
    // Bob is a participant in a semi-anonymous room: no real JIDs for him.
    assert.equal(all[0]!.realJid, undefined);
  });

  it('filters by occupant JID (with), by time, and by the extended ids', async () => {
    const bobs = await query(host.users.carol, room, { form: { with: `${room}/Bob` }, set: [rsm('max', '250')] });
    assert.equal(bobs.results.length, 100);
    assert.ok(bobs.results.every((r) => r.from === `${room}/Bob`));
    assert.equal(bobs.fin.attrs.complete, 'true');
    const stamp = bobs.results[50]!.stamp;
    const since = await query(host.users.carol, room, { form: { start: stamp }, set: [rsm('max', '250')] });
    assert.ok(since.results.length > 0 && since.results.length <= 100);
    assert.ok(since.results.every((r) => Date.parse(r.stamp) >= Date.parse(stamp)));
    const ids = [live.get('message 3')!, live.get('message 150')!];
    const picked = await query(host.users.carol, room, { form: { ids } });
    assert.deepEqual(picked.results.map((r) => r.body), ['message 3', 'message 150']);
    const between = await query(host.users.carol, room, { form: { 'after-id': live.get('message 10')!, 'before-id': live.get('message 14')! } });
    assert.deepEqual(between.results.map((r) => r.body), ['message 11', 'message 12', 'message 13']);
    const flipped = await query(host.users.carol, room, { set: [rsm('max', '3'), rsm('before')], flip: true });
    assert.deepEqual(flipped.results.map((r) => r.body), ['message 199', 'message 198', 'message 197']);
  });

  it('refuses what it cannot answer with the XEP-0313 / XEP-0059 errors', async () => {
    const { carol } = host.users;
    const unknown = await query(carol, room, { set: [rsm('after', 'no-such-id')] });
    assert.equal(errorCondition(unknown.iq), 'item-not-found');
    const field = await query(carol, room, { form: { 'urn:example:filter': 'x' } });
    assert.equal(errorCondition(field.iq), 'feature-not-implemented');
    const max = await query(carol, room, { set: [rsm('max', 'lots')] });
    assert.equal(errorCondition(max.iq), 'bad-request');
    const when = await query(carol, room, { form: { start: 'yesterday' } });
    assert.equal(errorCondition(when.iq), 'bad-request');
    const index = await query(carol, room, { set: [rsm('max', '5'), rsm('index', '10')] });
    assert.equal(errorCondition(index.iq), 'feature-not-implemented');
    const missing = await query(carol, room, { form: { ids: ['no-such-id'] } });
    assert.equal(errorCondition(missing.iq), 'item-not-found');
    // A room that does not exist.
    const none = await query(carol, `nowhere@${CALL}`);
    assert.equal(errorCondition(none.iq), 'item-not-found');
    // Carol is no moderator in a semi-anonymous room: filtering by real JID would tell who is who.
    const real = await query(carol, room, { form: { with: 'bob@localhost' } });
    assert.equal(errorCondition(real.iq), 'forbidden');
    const moderator = await query(host.users.alice, room, { form: { with: 'bob@localhost' }, set: [rsm('max', '250')] });
    assert.equal(moderator.results.length, 100);
  });

  it('lets only members read the archive of a members-only room', async () => {
    const { alice, carol } = host.users;
    const anyone = await query(carol, room, { set: [rsm('max', '1')] });
    assert.equal(anyone.iq.attrs.type, 'result', 'a public open room: anyone may read');
    assert.equal((await configure(alice, room, { 'muc#roomconfig_membersonly': '1' })).attrs.type, 'result');
    // Bob (no affiliation) was removed with 322 when the room became members-only.
    const refused = await query(carol, room, { set: [rsm('max', '1')] });
    assert.equal(errorCondition(refused.iq), 'forbidden');
    const member = await alice.iq('set', room, xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' },
      xml('item', { affiliation: 'member', jid: 'carol@localhost' })));
    assert.equal(member.attrs.type, 'result');
    const allowed = await query(carol, room, { set: [rsm('max', '1')] });
    assert.equal(allowed.results.length, 1);
    assert.equal((await configure(alice, room, { 'muc#roomconfig_membersonly': '0' })).attrs.type, 'result');
  });

  it('replays the history on entering from the archive, after a restart of the component', async () => {
    await host.restart();
    const { carol } = host.users;
    carol.clear();
    const history: Element[] = [];
    const prev = carol.onStanza;
    carol.onStanza = (el) => { prev?.(el); if (el.name === 'message' && el.getChild('delay', 'urn:xmpp:delay')) history.push(el); };
    await enter(carol, room, 'Carol', xml('x', { xmlns: NS_MUC }, xml('history', { maxstanzas: '5' })));
    carol.onStanza = prev;
    assert.deepEqual(history.map((m) => m.getChildText('body')), ['message 195', 'message 196', 'message 197', 'message 198', 'message 199']);
    assert.equal(history[4]!.getChild('stanza-id', NS_SID)!.attrs.id, live.get('message 199'));
    assert.equal(history[4]!.attrs.id, 'm199');
    assert.equal(history[4]!.getChild('delay', 'urn:xmpp:delay')!.attrs.from, room);
    // The archive is still there to page after the restart.
    const { fin } = await query(carol, room, { set: [rsm('max', '0')] });
    assert.equal(fin.getChild('set', NS_RSM)!.getChildText('count'), '200');
  });

  it('limits the history by maxchars and by seconds (XEP-0045 §7.2.15)', async () => {
    const { bob } = host.users;
    const history: Element[] = [];
    const prev = bob.onStanza;
    bob.onStanza = (el) => { prev?.(el); if (el.name === 'message' && el.getChild('delay', 'urn:xmpp:delay')) history.push(el); };
    await enter(bob, room, 'Bob', xml('x', { xmlns: NS_MUC }, xml('history', { maxchars: '0' })));
    assert.equal(history.length, 0, 'maxchars 0: no history');
    await bob.send(xml('presence', { to: `${room}/Bob`, type: 'unavailable' }));
    await bob.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/Bob` && el.attrs.type === 'unavailable');
    await enter(bob, room, 'Bob', xml('x', { xmlns: NS_MUC }, xml('history', { seconds: '86400', maxchars: '1000' })));
    bob.onStanza = prev;
    assert.ok(history.length > 0 && history.length < 20, `a few messages fit in 1000 characters (got ${history.length})`);
    assert.equal(history[history.length - 1]!.getChildText('body'), 'message 199', 'the newest messages are the ones kept');
  });
  it('answers the form of query fields and the archive metadata (urn:xmpp:mam:2#extended)', async () => {
    const { carol } = host.users;
    const form = await carol.iq('get', room, xml('query', { xmlns: NS_MAM }));
    const fields = form.getChild('query', NS_MAM)!.getChild('x', NS_DATA)!.getChildren('field');
    assert.deepEqual(fields.map((f) => f.attrs.var), ['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids']);
    assert.ok(fields.find((f) => f.attrs.var === 'ids')!.getChild('validate', 'http://jabber.org/protocol/xdata-validate')?.getChild('open'));
    const meta = (await carol.iq('get', room, xml('metadata', { xmlns: NS_MAM }))).getChild('metadata', NS_MAM)!;
    assert.equal(meta.getChild('start')!.attrs.id, live.get('message 0'));
    assert.equal(meta.getChild('end')!.attrs.id, live.get('message 199'));
  });

  it('archives no muc#user element of the sender’s, and names the real sender only to those who may know (MUC message spoofing)', async () => {
    const { alice, bob, carol } = host.users;
    const echo = bob.waitFor((el) => el.name === 'message' && el.getChildText('body') === 'I am Alice');
    await bob.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'I am Alice'),
      xml('x', { xmlns: NS_MUC_USER }, xml('item', { jid: 'alice@localhost', affiliation: 'owner', role: 'moderator' }))));
    const id = (await echo).getChild('stanza-id', NS_SID)!.attrs.id;
    const asCarol = await query(carol, room, { form: { ids: [id] } });
    assert.deepEqual(asCarol.results.map((r) => [r.body, r.from, r.realJid]), [['I am Alice', `${room}/Bob`, undefined]]);
    // Alice, owner (not in the room since the restart), may know who is who: the room says Bob.
    const asAlice = await query(alice, room, { form: { ids: [id] } });
    assert.deepEqual(asAlice.results.map((r) => r.realJid), ['bob@localhost']);
  });
});

describe('rooms.json of earlier versions', function () {
  this.timeout(30000);
  let host: RoomHost;
  const room = `old@${CALL}`;
  after(() => host?.stop());

  it('is imported on first start into the database and renamed, rooms and messages with it; archiveDays expires the old ones', async () => {
    host = await startRoomHost({
      users: ['alice', 'dave'],
      before: (dataDir) => writeFileSync(join(dataDir, 'rooms.json'), JSON.stringify({
        version: 1,
        rooms: [{
          local: 'old',
          config: { name: 'Old room', description: '', persistent: true, public: true, membersOnly: false, password: '', maxUsers: 0, whois: 'moderators', changeSubject: false },
          affiliations: { 'alice@localhost': 'owner' },
          subject: { text: 'Imported subject', nick: 'Alice' },
          history: [
            { nick: 'Alice', bareJid: 'alice@localhost', stanzaId: 'old-0', stamp: '2020-01-01T00:00:00.000Z', xml: '<body>years ago</body>' },
            { nick: 'Alice', bareJid: 'alice@localhost', stanzaId: 'old-1', stamp: '2026-11-30T10:00:00.000Z', xml: '<body>before the upgrade</body>' },
            { nick: 'Dave', bareJid: 'dave@localhost', stanzaId: 'old-2', stamp: '2026-11-30T10:01:00.000Z', xml: '<body>me too</body>' },
          ],
        }],
      })),
    });
    assert.equal(existsSync(join(host.dataDir, 'rooms.json')), false);
    assert.equal(existsSync(join(host.dataDir, 'rooms.json.imported')), true);
    assert.ok(existsSync(join(host.dataDir, 'rooms.db')));
    assert.ok(host.logged.includes('imported rooms.json into rooms.db'), `logged: ${host.logged.join(', ')}`);
    // The message of 2020 is past the default retention (365 days) and went at start.
    assert.ok(host.logged.includes('expired archived room messages'), `logged: ${host.logged.join(', ')}`);
    const { dave, alice } = host.users;
    const subject = await enter(dave, room, 'Dave');
    assert.equal(subject.getChildText('subject'), 'Imported subject');
    const { results } = await query(dave, room);
    assert.deepEqual(results.map((r) => [r.id, r.body, r.stamp]), [['old-1', 'before the upgrade', '2026-11-30T10:00:00.000Z'], ['old-2', 'me too', '2026-11-30T10:01:00.000Z']]);
    // The owner is still the owner.
    const form = await alice.iq('get', room, xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' }));
    assert.equal(form.attrs.type, 'result');
    // A second start does not import again (the file is gone) and keeps the rooms.
    await host.restart();
    const again = await query(dave, room);
    assert.equal(again.results.length, 2);
  });
});
