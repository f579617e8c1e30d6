// Last-N end to end: five werift participants in one room's call through the component (data plane
// in a worker thread), last-N 2 above 4 participants. Each sends the benchmark's synthetic audio
// and video with an RFC 6464 audio level in every audio packet, two of them loud. Every receiver
// gets everyone's audio, but video only from the two most recent speakers other than itself; when
// a quiet one becomes loud, its video reaches the others and the least recent speaker's stops.
// Alice announces urn:carillon:call:forwarding:0 in disco#info and is told by session-info which
// videos are paused for her and resumed; Bob does not announce it and is told nothing.
import assert from 'node:assert/strict';
import { startCallHost, type CallHost } from './helpers/call-host.js';
import type { User } from './helpers/user.js';
import type { CallParticipant } from './helpers/call-participant.js';
import { LOUD, QUIET, SyntheticPeer } from './helpers/synthetic-peer.js';
import { joinCall, joinRoom } from './helpers/call-scenario.js';
import { freePortRange } from '../support/ports.js';
import { until } from '../support/until.js';
import { xml } from './helpers/user.js';
import type { Element } from 'ltx';

const FORWARDING = 'urn:carillon:call:forwarding:0';
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';

const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin'];

describe('last-N video in a room call of five werift participants', function () {
  this.timeout(180000);
  let host: CallHost;
  const users: Record<string, User> = {};
  const parts: Record<string, CallParticipant> = {};
  const peers: Record<string, SyntheticPeer> = {};
  const room = 'big@call.localhost';
  const nick = (u: string) => u[0].toUpperCase() + u.slice(1);
  /** Forwarding session-info each user received, in order: [paused|resumed, content name]. */
  const told: Record<string, Array<[string, string]>> = {};
  /** Owners (nicks) whose video is paused at u, from the last word on each content. */
  const pausedAt = (u: string): string[] => {
    const last = new Map<string, string>();
    for (const [what, mid] of told[u]) last.set(mid, what);
    return [...last].filter(([, w]) => w === 'paused').map(([mid]) => parts[u].received.get(mid)!.owner.replace(`${room}/`, '')).sort();
  };

  before(async () => {
    host = await startCallHost({ users: NAMES, media: { workers: 1 }, component: { lastN: { n: 2, threshold: 4 } } });
    Object.assign(users, host.users);
    for (const u of NAMES) {
      told[u] = [];
      const prev = users[u].onStanza;
      users[u].onStanza = (el: Element) => {
        prev?.(el);
        const j = el.name === 'iq' && el.attrs.type === 'set' ? el.getChild('jingle', 'urn:xmpp:jingle:1') : undefined;
        if (j?.attrs.action !== 'session-info') return;
        for (const c of j.getChildElements()) if (c.attrs.xmlns === FORWARDING) told[u].push([c.name, c.attrs.name as string]);
      };
    }
    // Alice's client takes forwarding session-info; the others answer disco#info without it
    users.alice.xmpp.iqCallee.get(DISCO_INFO, 'query', () => xml('query', { xmlns: DISCO_INFO },
      xml('feature', { var: 'urn:xmpp:jingle:1' }), xml('feature', { var: FORWARDING })));
    for (const u of NAMES.slice(1)) users[u].xmpp.iqCallee.get(DISCO_INFO, 'query', () => xml('query', { xmlns: DISCO_INFO }, xml('feature', { var: 'urn:xmpp:jingle:1' })));
  });
  after(async () => {
    for (const p of Object.values(parts)) p.close();
    await host?.stop();
  });

  /** Packets received per sender and kind at u, e.g. "Carol video". */
  async function counts(u: string): Promise<Map<string, number>> {
    const m = await parts[u].packetsBySource();
    return new Map([...m].map(([k, v]) => [k.replace(`${room}/`, ''), v]));
  }
  const all = async (): Promise<Record<string, Map<string, number>>> =>
    Object.fromEntries(await Promise.all(NAMES.map(async (u) => [u, await counts(u)] as const)));
  const delta = (a: Record<string, Map<string, number>>, b: Record<string, Map<string, number>>, u: string, key: string) =>
    (b[u].get(key) ?? 0) - (a[u].get(key) ?? 0);

  /** Waits until every listed stream at every receiver grew by `min` packets since `from`; the counts then. */
  async function grows(from: Record<string, Map<string, number>>, streams: Record<string, string[]>, min: number, what: string) {
    let now = from;
    await until(async () => {
      now = await all();
      return Object.entries(streams).every(([u, keys]) => keys.every((k) => delta(from, now, u, k) >= min));
    }, () => `${what}: ${JSON.stringify(Object.fromEntries(Object.entries(now).map(([u, m]) => [u, Object.fromEntries(m)])))}`, 90000);
    return now;
  }

  /** Audio from every other participant, and video from the listed ones. */
  const expected = (video: Record<string, string[]>): Record<string, string[]> => Object.fromEntries(NAMES.map((u) => [u,
    [...NAMES.filter((o) => o !== u).map((o) => `${nick(o)} audio`), ...video[u].map((o) => `${nick(o)} video`)]]));

  it('each receiver gets everyone\'s audio and video only from the two most recent speakers, never its own', async () => {
    const { portMin, portMax } = await freePortRange(40);
    for (const u of NAMES) {
      await joinRoom(users[u], room, nick(u));
      // Carol and Dave speak; the others are quiet (and join in this order: Alice and Bob first)
      peers[u] = new SyntheticPeer([portMin, portMax], u === 'carol' || u === 'dave' ? LOUD : QUIET);
      parts[u] = await joinCall(users[u], room, peers[u]);
    }
    // The speaker order is Carol and Dave (in either order), then Alice, Bob, Erin as they joined.
    const video: Record<string, string[]> = {
      alice: ['carol', 'dave'], bob: ['carol', 'dave'], erin: ['carol', 'dave'], carol: ['dave', 'alice'], dave: ['carol', 'alice'],
    };
    const want = expected(video);
    const start = await grows(Object.fromEntries(NAMES.map((u) => [u, new Map()])), want, 30, 'every receiver getting its streams');
    // What is paused now stays paused: measured over a window in which every wanted stream moved on.
    const a = await grows(start, want, 30, 'a first window');
    const b = await grows(a, want, 60, 'a second window');
    for (const u of NAMES) {
      for (const o of NAMES.filter((x) => x !== u && !video[u].includes(x))) {
        assert.equal(delta(a, b, u, `${nick(o)} video`), 0, `${u} gets no video from ${o}: ${JSON.stringify(Object.fromEntries(b[u]))}`);
      }
      assert.ok(!(b[u].has(`${nick(u)} video`) || b[u].has(`${nick(u)} audio`)), `${u} never receives itself`);
    }
    // Alice was told which two are paused (session-info is sent before the forward changes state)
    await until(() => pausedAt('alice').join() === 'Bob,Erin', () => `Alice told ${JSON.stringify(told.alice)}`, 30000);
    assert.ok(told.alice.every(([what]) => what === 'paused' || what === 'resumed'));
    assert.deepEqual(told.bob, [], 'Bob did not announce the feature and gets no forwarding session-info');
  });

  it('a quiet one who becomes loud: its video reaches the others at once (keyframe asked for), the least recent speaker\'s stops', async () => {
    const plis = peers.erin.plis;
    peers.erin.level = LOUD;
    // Erin comes first: Alice and Bob see Erin and the more recent of Carol and Dave; Carol and
    // Dave see Erin and each other; Erin sees Carol and Dave.
    const before = await all();
    const now = await grows(before, { alice: ['Erin video'], bob: ['Erin video'], carol: ['Erin video'], dave: ['Erin video'] }, 30, 'Erin\'s video at the others');
    assert.ok(peers.erin.plis > plis, 'the room asked Erin for a keyframe when her video was resumed');
    const want = expected({ alice: ['erin'], bob: ['erin'], carol: ['erin', 'dave'], dave: ['erin', 'carol'], erin: ['carol', 'dave'] });
    const a = await grows(now, want, 30, 'after Erin spoke');
    const b = await grows(a, want, 60, 'a window after Erin spoke');
    for (const u of ['alice', 'bob']) {
      // of Carol and Dave exactly one still reaches them (the more recent speaker); Alice and Bob never
      const moving = ['Carol video', 'Dave video', 'Alice video', 'Bob video'].filter((k) => delta(a, b, u, k) > 0);
      assert.equal(moving.length, 1, `${u}: video beside Erin's from ${moving.join(', ')}`);
      assert.ok(moving[0] === 'Carol video' || moving[0] === 'Dave video', `${u}: ${moving[0]}`);
    }
    for (const u of ['carol', 'dave']) {
      assert.equal(delta(a, b, u, 'Alice video'), 0, `${u} no longer gets Alice's video`);
      assert.equal(delta(a, b, u, 'Bob video'), 0);
    }
    assert.equal(delta(a, b, 'erin', 'Alice video') + delta(a, b, 'erin', 'Bob video'), 0, 'Erin sees the two speakers only');
    // Alice was told Erin's video resumed and the one of Carol and Dave that stopped paused
    const stopped = delta(a, b, 'alice', 'Carol video') > 0 ? 'Dave' : 'Carol';
    await until(() => pausedAt('alice').join() === ['Bob', stopped].sort().join(), () => `Alice told ${JSON.stringify(told.alice)}`, 30000);
    assert.ok(told.alice.some(([what, mid]) => what === 'resumed' && parts.alice.received.get(mid)?.owner === `${room}/Erin`), 'Erin\'s video resumed at Alice');
    assert.deepEqual(told.bob, []);
  });

  it('a video paused and resumed goes on where it stopped: no gap of the paused time in its numbering', async () => {
    // Of Carol and Dave, one is paused at Alice now. It stops speaking for a while, then speaks
    // again: the most recent speaker, its video resumes at Alice.
    const before = await all();
    const c = await grows(before, { alice: ['Erin video'] }, 20, 'Erin\'s video at Alice');
    const paused = delta(before, c, 'alice', 'Carol video') > 0 ? 'dave' : 'carol';
    // The data plane's report when it notices the silence: two speaking (Erin and the other) of three.
    const silence = new Promise<void>((resolve) => {
      const off = host.component.router.on((ev) => {
        if (ev.type === 'speakers' && ev.sources.filter((x) => x.speaking).length === 2) { off(); resolve(); }
      });
    });
    peers[paused].level = QUIET;
    await silence;
    peers[paused].level = LOUD;
    const name = nick(paused);
    const resumed = await grows(await all(), { alice: [`${name} video`], bob: [`${name} video`] }, 20, `${name}'s video back at Alice and Bob`);
    assert.ok((resumed.alice.get(`${name} video`) ?? 0) > (before.alice.get(`${name} video`) ?? 0));
    // RFC 3550 §5.1: the receiver sees one stream numbered on, not a jump of the paused seconds
    // that it would NACK and count as lost.
    for (const u of ['alice', 'bob']) {
      const worst = Math.max(...peers[u].maxJump.values());
      assert.ok(worst < 10, `${u}: a gap of ${worst} sequence numbers in a forwarded stream`);
    }
  });
});
