// Last-N as pure rules: who receives whose video as speakers change (component/calls/last-n.ts),
// who counts as speaking from RFC 6464 levels (component/media/werift/speakers.ts), the room's
// own call cap (calls/call-cap.ts), and the lastN config key. No servers, no media.
import assert from 'node:assert/strict';
import { LAST_N_DEFAULT, SpeakerOrder, parseLastN, videoFrom, type LastNSettings } from '../../component/calls/last-n.js';
import { callCap } from '../../component/calls/call-cap.js';
import { SpeakerDetector, VOICE_LEVEL } from '../../component/media/werift/speakers.js';
import { ConfigError, checks } from '../../xmpp/config-checks.js';

type Step =
  | { join: string }
  | { leave: string }
  | { speak: Array<[string, number]> };

/** Each receiver's video sources after a step, as "receiver:owner,owner" (sorted), or "all" for everyone's. */
function run(settings: LastNSettings, steps: Step[]): string[] {
  const order = new SpeakerOrder();
  return steps.map((s) => {
    if ('join' in s) order.join(s.join);
    else if ('leave' in s) order.leave(s.leave);
    else order.started(s.speak.map(([id, level]) => ({ id, level })));
    const all = [...order.ids].sort();
    const views = all.map((r) => {
      const from = videoFrom(order.ids, r, settings);
      return from === null ? null : `${r}:${[...from].sort().join(',')}`;
    });
    return views.every((v) => v === null) ? 'all' : views.join(' ');
  });
}

describe('last-N: who receives whose video', () => {
  const table: Array<[string, LastNSettings, Step[], string[]]> = [
    ['at or below the threshold everyone gets everyone', { n: 1, threshold: 3 },
      [{ join: 'a' }, { join: 'b' }, { join: 'c' }, { speak: [['c', 20]] }],
      ['all', 'all', 'all', 'all']],
    ['above it, before anyone speaks: the first to join, never oneself', { n: 2, threshold: 3 },
      [{ join: 'a' }, { join: 'b' }, { join: 'c' }, { join: 'd' }, { join: 'e' }],
      ['all', 'all', 'all', 'a:b,c b:a,c c:a,b d:a,b', 'a:b,c b:a,c c:a,b d:a,b e:a,b']],
    ['a speaker comes to the front; the least recent drops out', { n: 2, threshold: 3 },
      [{ join: 'a' }, { join: 'b' }, { join: 'c' }, { join: 'd' }, { speak: [['d', 30]] }, { speak: [['c', 30]] }],
      ['all', 'all', 'all', 'a:b,c b:a,c c:a,b d:a,b', 'a:b,d b:a,d c:a,d d:a,b', 'a:c,d b:c,d c:a,d d:a,c']],
    ['two start at once: the louder (lower level) goes first', { n: 1, threshold: 2 },
      [{ join: 'a' }, { join: 'b' }, { join: 'c' }, { speak: [['b', 40], ['c', 10]] }],
      ['all', 'all', 'a:b b:a c:a', 'a:c b:c c:b']],
    ['a speaker who leaves makes room for the next in the order', { n: 1, threshold: 2 },
      [{ join: 'a' }, { join: 'b' }, { join: 'c' }, { join: 'd' }, { speak: [['c', 20]] }, { leave: 'c' }],
      ['all', 'all', 'a:b b:a c:a', 'a:b b:a c:a d:a', 'a:c b:c c:a d:c', 'a:b b:a d:a']],
    ['falling back to the threshold turns last-N off again', { n: 1, threshold: 2 },
      [{ join: 'a' }, { join: 'b' }, { join: 'c' }, { leave: 'b' }],
      ['all', 'all', 'a:b b:a c:a', 'all']],
    ['n 0 is off whatever the size', { n: 0, threshold: 0 },
      [{ join: 'a' }, { join: 'b' }, { join: 'c' }],
      ['all', 'all', 'all']],
    ['threshold 0: last-N from the second participant on', { n: 1, threshold: 0 },
      [{ join: 'a' }, { join: 'b' }, { join: 'c' }],
      ['a:', 'a:b b:a', 'a:b b:a c:a']],
  ];
  for (const [what, settings, steps, expected] of table) {
    it(what, () => assert.deepEqual(run(settings, steps), expected));
  }

  it('someone who keeps speaking keeps its place; unknown ids change nothing', () => {
    const o = new SpeakerOrder();
    for (const id of ['a', 'b', 'c']) o.join(id);
    assert.equal(o.started([{ id: 'b', level: 20 }]), true);
    assert.deepEqual(o.ids, ['b', 'a', 'c']);
    assert.equal(o.started([{ id: 'b', level: 20 }]), false, 'already first');
    assert.equal(o.started([{ id: 'zed', level: 0 }]), false);
    assert.deepEqual(o.ids, ['b', 'a', 'c']);
  });

  it('the default: everyone sees everyone up to the default call cap of 8, then 6 videos each', () => {
    assert.deepEqual(LAST_N_DEFAULT, { n: 6, threshold: 8 });
    const order = Array.from({ length: 9 }, (_, i) => `p${i}`);
    assert.equal(videoFrom(order.slice(0, 8), 'p0', LAST_N_DEFAULT), null);
    assert.deepEqual([...videoFrom(order, 'p0', LAST_N_DEFAULT)!], ['p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  });
});

describe('speaking, from RFC 6464 audio levels', () => {
  const LOUD = 25; // −25 dBov: speech
  const QUIET = 90; // −90 dBov: a silent room
  /** Feed `packets` levels per interval for each source, return the speaking states reported per interval ("" when no report). */
  function intervals(levels: Array<Record<string, number | null>>): string[] {
    const d = new SpeakerDetector();
    return levels.map((per) => {
      for (const [id, level] of Object.entries(per)) if (level !== null) for (let i = 0; i < 12; i++) d.add('room', id, '0', level);
      const report = d.interval().get('room');
      return report ? report.map((s) => `${s.peerId}${s.speaking ? '+' : '-'}`).join(' ') : '';
    });
  }

  it('starts speaking in the first loud interval, reported with every source of the room', () => {
    assert.deepEqual(intervals([{ a: QUIET, b: QUIET }, { a: LOUD, b: QUIET }, { a: LOUD, b: QUIET }]), ['', 'a+ b-', '']);
  });

  it('stops only after four quiet intervals in a row (a pause between words is not the end)', () => {
    assert.deepEqual(intervals([{ a: LOUD }, { a: QUIET }, { a: QUIET }, { a: LOUD }, { a: QUIET }, { a: QUIET }, { a: QUIET }, { a: QUIET }]),
      ['a+', '', '', '', '', '', '', 'a-']);
  });

  it('a source that sends nothing (muted, DTX) is silent; the threshold is −50 dBov', () => {
    assert.deepEqual(intervals([{ a: LOUD }, { a: null }, { a: null }, { a: null }, { a: null }]), ['a+', '', '', '', 'a-']);
    assert.deepEqual(intervals([{ a: VOICE_LEVEL }, { b: VOICE_LEVEL + 1 }]), ['a+', '']);
  });

  it('reports the mean level, rooms apart, and forgets a removed peer', () => {
    const d = new SpeakerDetector();
    for (const l of [10, 20, 30]) d.add('r1', 'a', '0', l);
    d.add('r2', 'b', '0', 100);
    const first = d.interval();
    assert.deepEqual(first.get('r1'), [{ peerId: 'a', mid: '0', level: 20, speaking: true }]);
    assert.equal(first.has('r2'), false, 'nothing changed in r2');
    d.remove('a');
    assert.equal(d.interval().size, 0);
  });
});

describe('the call cap of a room', () => {
  const table: Array<[number, number, number]> = [[8, 0, 8], [8, 3, 3], [8, 8, 8], [8, 20, 8], [0, 5, 5], [0, 0, 0]];
  for (const [service, room, cap] of table) it(`service ${service}, room ${room}: ${cap}`, () => assert.equal(callCap(service, room), cap));
});

describe('the lastN config key', () => {
  const c = checks('test.json');
  it('defaults, and takes n and threshold', () => {
    assert.deepEqual(parseLastN('call.lastN', undefined, c), LAST_N_DEFAULT);
    assert.deepEqual(parseLastN('call.lastN', { n: 2 }, c), { n: 2, threshold: 8 });
    assert.deepEqual(parseLastN('call.lastN', { n: 0, threshold: 3 }, c), { n: 0, threshold: 3 });
  });
  const bad: Array<[unknown, string]> = [
    [5, 'call.lastN'], [{ n: -1 }, 'call.lastN.n'], [{ n: 2.5 }, 'call.lastN.n'], [{ threshold: 'big' }, 'call.lastN.threshold'], [{ last: 3 }, 'call.lastN.last'],
  ];
  for (const [v, key] of bad) {
    it(`refuses ${JSON.stringify(v)}, naming ${key}`, () => {
      assert.throws(() => parseLastN('call.lastN', v, c), (e: unknown) => e instanceof ConfigError && e.key === key);
    });
  }
});
