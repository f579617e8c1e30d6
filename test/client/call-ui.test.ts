// The pure parts of the call screens: the active speaker's smoothing and hysteresis, screen tiles
// in the group call's state, and the screen marker on the sources the room forwards.
import { strict as assert } from 'node:assert';
import type { JingleContent } from 'stanza/protocol/index.js';
import { NO_SPEAKER, sampleLevels, type SpeakerState } from '../../client/src/rooms/active-speaker.js';
import { NO_GROUP_CALL, ownerOf, sourcesAdded, sourcesRemoved } from '../../client/src/rooms/group-call.js';
import { SCREEN_PARAMETER, sourceOf } from '../../client/src/rooms/room-call-session.js';

const run = (samples: Array<Record<string, number>>, from: SpeakerState = NO_SPEAKER): Array<string | undefined> => {
  const out: Array<string | undefined> = [];
  let s = from;
  for (const x of samples) { s = sampleLevels(s, x); out.push(s.speaker); }
  return out;
};

describe('client: active speaker (audio levels, smoothed, with hysteresis)', () => {
  it('nobody speaks in silence; the first voice is highlighted at once', () => {
    assert.deepEqual(run([{ a: 0, b: 0 }, { a: 0.001, b: 0 }]), [undefined, undefined]);
    assert.deepEqual(run([{ a: 0.3, b: 0 }]), ['a']);
  });

  it('a louder voice takes over only after several samples in a row, not on one peak', () => {
    const talk = { a: 0.2, b: 0.05 };
    const peak = { a: 0.2, b: 0.9 };
    assert.deepEqual(run([talk, peak, talk, talk]), ['a', 'a', 'a', 'a'], 'a cough does not move the highlight');
    const over = { a: 0.05, b: 0.5 };
    assert.deepEqual(run([talk, over, over, over, over]).slice(-1), ['b'], 'b talking over a takes it');
    assert.equal(run([talk, over]).at(-1), 'a', 'but not at the first sample');
  });

  it('the speaker stays highlighted through a short pause, and is let go in a longer silence', () => {
    const quiet = { a: 0 };
    const states = run([{ a: 0.3 }, quiet, quiet, quiet, quiet, quiet, quiet, quiet, quiet]);
    assert.equal(states[1], 'a', 'a short pause keeps the highlight');
    assert.equal(states.at(-1), undefined, 'a long silence clears it');
  });
});

const content = (name: string, media: 'audio' | 'video', parameters: Record<string, string>): JingleContent => ({
  creator: 'responder', name,
  application: { applicationType: 'urn:xmpp:jingle:apps:rtp:1', media, sources: [{ ssrc: '1', parameters }] },
} as unknown as JingleContent);

describe('client: a shared screen in a room call', () => {
  const owner = 'studio@call.localhost/alice';
  it('the room\'s screen marker makes a source a screen (XEP-0339 parameter, RFC 4796 "slides")', () => {
    assert.deepEqual(sourceOf(content('4', 'video', { owner, [SCREEN_PARAMETER.name]: SCREEN_PARAMETER.value })), { name: '4', owner, kind: 'video', screen: true });
    assert.deepEqual(sourceOf(content('3', 'video', { owner })), { name: '3', owner, kind: 'video' });
  });

  it('a screen is a tile of its own beside its owner\'s camera, removed alone by content-remove', () => {
    let s = sourcesAdded(NO_GROUP_CALL, [{ name: '2', owner, kind: 'audio' }, { name: '3', owner, kind: 'video' }]);
    s = sourcesAdded(s, [{ name: '4', owner, kind: 'video', screen: true }]);
    const tiles = Object.values(s.tiles);
    assert.equal(tiles.length, 2);
    const screen = tiles.find((t) => t.screen)!;
    assert.equal(screen.nick, 'alice');
    assert.deepEqual(screen.contents, { 4: 'video' });
    assert.equal(ownerOf(s, '4'), screen.owner);
    assert.equal(ownerOf(s, '3'), owner);
    assert.notEqual(screen.owner, owner);
    s = sourcesRemoved(s, ['4']);
    assert.deepEqual(Object.keys(s.tiles), [owner]);
  });
});
