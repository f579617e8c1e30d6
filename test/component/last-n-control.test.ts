// Last-N and the room's own call cap in the control plane, against the fake MediaRouter: which
// forwards are set up paused, which setForwarding calls follow the data plane's `speakers` reports
// and joins and leaves; and the cap an owner sets in the room configuration form (XEP-0045 §10.2).
import assert from 'node:assert/strict';
import type { Jingle } from '../../component/calls/jingle.js';
import { CALL_MAX_FIELD } from '../../component/muc/config-form.js';
import type { SpeakerLevel } from '../../component/media/router.js';
import { sdpToJingle } from '../../xmpp/jingle-sdp/index.js';
import { x, type Element } from '../../xmpp/xml.js';
import { participantLines, sdpOf } from './helpers/fake-media.js';
import { Harness, ROOM, type Client } from './helpers/call-harness.js';

const OWNER = 'http://jabber.org/protocol/muc#owner';
const DATA = 'jabber:x:data';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** What flows into a peer: "Nick kind" of every forward not paused, sorted. */
function flowing(h: Harness, to: Client, all: Client[]): string[] {
  const byPeer = new Map(all.map((c) => [h.peerOf(c), c.nick]));
  return [...h.router.flowingTo(h.peerOf(to))].map((s) => {
    const [peer, mid] = s.split('/');
    return `${byPeer.get(peer)} ${mid === '0' ? 'audio' : 'video'}`;
  }).sort();
}

/** Everyone in the call has audio and video of everyone else forwarded (paused or not). */
const allForwarded = (h: Harness, cs: Client[]) => () => cs.every((c) => h.router.forwardsTo(h.peerOf(c)).size === 2 * (cs.length - 1));

function speakers(h: Harness, levels: Array<[Client, number, boolean]>): void {
  const sources: SpeakerLevel[] = levels.map(([c, level, speaking]) => ({ peerId: h.peerOf(c), mid: '0', level, speaking }));
  h.router.emit({ type: 'speakers', roomId: ROOM, sources });
}

async function ownerIq(h: Harness, c: Client, type: 'get' | 'set', ...children: Element[]): Promise<Element> {
  const id = `o${Math.random().toString(36).slice(2)}`;
  const reply = h.next((el) => el.attrs.id === id);
  await h.service.receive(x('iq', { type, id, from: c.jid, to: ROOM }, x('query', { xmlns: OWNER }, ...children)));
  return reply;
}

const submit = (...fields: Array<[string, string]>) => x('x', { xmlns: DATA, type: 'submit' },
  x('field', { var: 'FORM_TYPE' }, x('value', {}, 'http://jabber.org/protocol/muc#roomconfig')),
  ...fields.map(([v, value]) => x('field', { var: v }, x('value', {}, value))));

describe('last-N in the call control plane', () => {
  it('above the threshold only the first N others\' video flows (join order before anyone speaks); audio from all; a speaker\'s video is resumed and the least recent paused', async () => {
    const h = new Harness(0, { n: 1, threshold: 2 });
    const cs = [await h.enter('alice', 'Alice'), await h.enter('bob', 'Bob'), await h.enter('carol', 'Carol')];
    const [alice, bob, carol] = cs;
    for (const c of cs) { await h.initiate(c); h.sources(c); }
    await h.router.when(allForwarded(h, cs));
    assert.deepEqual(flowing(h, alice, cs), ['Bob audio', 'Bob video', 'Carol audio']);
    assert.deepEqual(flowing(h, bob, cs), ['Alice audio', 'Alice video', 'Carol audio']);
    assert.deepEqual(flowing(h, carol, cs), ['Alice audio', 'Alice video', 'Bob audio']);
    // Carol's forwards came up with three in the call: those she is not to see start paused.
    const c = h.peerOf(carol);
    assert.ok(h.router.calls.some((call) => call === `forward ${h.peerOf(bob)}/1 ${c}/${[...h.router.forwardsTo(c)].find(([, s]) => s === `${h.peerOf(bob)}/1`)![0]} paused`), h.router.calls.join('\n'));

    const before = h.router.calls.length;
    speakers(h, [[alice, 90, false], [bob, 90, false], [carol, 22, true]]);
    await h.router.when(() => flowing(h, alice, cs).includes('Carol video'));
    assert.deepEqual(flowing(h, alice, cs), ['Bob audio', 'Carol audio', 'Carol video']);
    assert.deepEqual(flowing(h, bob, cs), ['Alice audio', 'Carol audio', 'Carol video']);
    assert.deepEqual(flowing(h, carol, cs), ['Alice audio', 'Alice video', 'Bob audio'], 'never her own; Alice is next in the order');
    const changes = h.router.calls.slice(before).filter((call) => call.startsWith('setForwarding'));
    assert.equal(changes.length, 4, `only what changed reaches the data plane: ${changes.join(', ')}`);

    // The same report again (Carol still speaking) changes nothing.
    speakers(h, [[alice, 90, false], [bob, 90, false], [carol, 20, true]]);
    await new Promise((r) => setImmediate(r));
    assert.equal(h.router.calls.slice(before).filter((call) => call.startsWith('setForwarding')).length, 4);

    // Bob starts too: Alice now sees Bob (the most recent), Bob sees Carol, Carol sees Bob.
    speakers(h, [[alice, 90, false], [bob, 30, true], [carol, 20, true]]);
    await h.router.when(() => flowing(h, carol, cs).includes('Bob video'));
    assert.deepEqual(flowing(h, alice, cs), ['Bob audio', 'Bob video', 'Carol audio']);
    assert.deepEqual(flowing(h, bob, cs), ['Alice audio', 'Carol audio', 'Carol video']);
    assert.deepEqual(flowing(h, carol, cs), ['Alice audio', 'Bob audio', 'Bob video']);
  });

  it('back at the threshold (one leaves) every paused video is resumed', async () => {
    const h = new Harness(0, { n: 1, threshold: 2 });
    const cs = [await h.enter('alice', 'Alice'), await h.enter('bob', 'Bob'), await h.enter('carol', 'Carol')];
    const [alice, bob, carol] = cs;
    for (const c of cs) { await h.initiate(c); h.sources(c); }
    await h.router.when(allForwarded(h, cs));
    assert.deepEqual(flowing(h, bob, cs), ['Alice audio', 'Alice video', 'Carol audio']);
    const left = h.jingleTo(bob, 'content-remove');
    assert.equal((await h.request(carol, { action: 'session-terminate', sid: carol.sid } as Jingle)).attrs.type, 'result');
    await left;
    await h.router.when(() => flowing(h, alice, [alice, bob]).length === 2 && flowing(h, bob, [alice, bob]).length === 2);
    assert.deepEqual(flowing(h, alice, [alice, bob]), ['Bob audio', 'Bob video']);
    assert.deepEqual(flowing(h, bob, [alice, bob]), ['Alice audio', 'Alice video']);
  });

  it('with last-N off (n 0) nothing is ever paused', async () => {
    const h = new Harness(0, { n: 0, threshold: 0 });
    const cs = [await h.enter('alice', 'Alice'), await h.enter('bob', 'Bob'), await h.enter('carol', 'Carol')];
    for (const c of cs) { await h.initiate(c); h.sources(c); }
    await h.router.when(allForwarded(h, cs));
    speakers(h, [[cs[2], 20, true]]);
    await new Promise((r) => setImmediate(r));
    for (const c of cs) assert.equal(flowing(h, c, cs).length, 4);
    assert.ok(!h.router.calls.some((call) => call.startsWith('setForwarding') || call.endsWith(' paused')), h.router.calls.join('\n'));
  });
});

describe('the room\'s own call cap (muc#owner form)', () => {
  it('the form shows the value and the service\'s bound; above it is not-acceptable naming the field; the owner\'s cap refuses one more participant and is kept with the room', async () => {
    const h = new Harness(8);
    const [alice, bob, carol] = [await h.enter('alice', 'Alice'), await h.enter('bob', 'Bob'), await h.enter('carol', 'Carol')];
    const fieldOf = (res: Element) => res.getChild('query', OWNER)!.getChild('x', DATA)!.getChildren('field').find((f) => f.attrs.var === CALL_MAX_FIELD)!;
    const form = await ownerIq(h, alice, 'get');
    const f = fieldOf(form);
    assert.ok(f, form.toString());
    assert.equal(f.getChildText('value'), '0');
    assert.equal(f.getChild('validate', 'http://jabber.org/protocol/xdata-validate')?.getChild('range')?.attrs.max, '8');
    assert.match(f.attrs.label as string, /at most 8/);

    const over = await ownerIq(h, alice, 'set', submit([CALL_MAX_FIELD, '9']));
    assert.equal(over.attrs.type, 'error');
    assert.ok(over.getChild('error')?.getChild('not-acceptable', STANZAS), over.toString());
    assert.ok((over.getChild('error')?.getChildText('text', STANZAS) ?? '').includes(CALL_MAX_FIELD), over.toString());
    for (const junk of ['two', '-1', '']) {
      const r = await ownerIq(h, alice, 'set', submit([CALL_MAX_FIELD, junk]));
      assert.ok(r.getChild('error')?.getChild('not-acceptable', STANZAS), `${JSON.stringify(junk)}: ${r.toString()}`);
    }
    const notOwner = await ownerIq(h, bob, 'set', submit([CALL_MAX_FIELD, '1']));
    assert.ok(notOwner.getChild('error')?.getChild('forbidden', STANZAS), notOwner.toString());

    const ok = await ownerIq(h, alice, 'set', submit(['muc#roomconfig_persistentroom', '1'], [CALL_MAX_FIELD, '2']));
    assert.equal(ok.attrs.type, 'result', ok.toString());
    assert.equal(fieldOf(await ownerIq(h, alice, 'get')).getChildText('value'), '2');
    h.service.ctx.store.flush();
    const saved = h.service.ctx.store.loadRooms().find((r) => `${r.local}@call.test` === ROOM);
    assert.equal(saved?.config.callMaxParticipants, 2, 'persisted with the room');

    await h.initiate(alice);
    await h.initiate(bob);
    const { contents, groups } = sdpToJingle(sdpOf(participantLines(), { ufrag: 'c', pwd: 'carol-password-long-enough', setup: 'actpass', port: 1 }), 'initiator');
    const res = await h.request(carol, { action: 'session-initiate', sid: carol.sid, initiator: carol.jid, contents, groups } as Jingle);
    assert.equal(res.attrs.type, 'error');
    assert.ok(res.getChild('error')?.getChild('resource-constraint', STANZAS), res.toString());
    assert.match(res.getChild('error')?.getChildText('text', STANZAS) ?? '', /full \(2 participants\)/);
    assert.equal(h.router.calls.filter((call) => call.startsWith('createPeer')).length, 2);

    // 0 gives the service's cap back: Carol gets in.
    assert.equal((await ownerIq(h, alice, 'set', submit([CALL_MAX_FIELD, '0']))).attrs.type, 'result');
    await h.initiate(carol);
    assert.equal(h.calls.stats.participants, 3);
  });
});
