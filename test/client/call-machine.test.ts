// The call state machine, one row per transition: start state, event, expected phase/end reason,
// and the effects that must (and must not) come out.
import { strict as assert } from 'node:assert';
import {
  transition, IDLE, RING_TIMEOUT_MS, CONNECT_TIMEOUT_MS, MEDIA_LOSS_TIMEOUT_MS,
  type CallState, type CallEvent, type CallEffect,
} from '../../client/src/protocol/call-machine.js';

const ROMEO = 'romeo@montague.example';
const ROMEO_PHONE = 'romeo@montague.example/orchard';
const JULIET = 'juliet@capulet.example';
const JULIET_PHONE = 'juliet@capulet.example/phone';
const JULIET_TABLET = 'juliet@capulet.example/tablet';
const SID = 'ca3cf894-5325-482f-a412-a6e9f832298d';

// We are Juliet in the incoming rows and Romeo in the outgoing rows.
const outProposing: CallState = { phase: 'proposing', direction: 'outgoing', sid: SID, peer: JULIET, media: 'video' };
const outRinging: CallState = { ...outProposing, phase: 'ringing' };
const outConnecting: CallState = { ...outProposing, phase: 'connecting', peerFull: JULIET_PHONE };
const outActive: CallState = { ...outConnecting, phase: 'active', startedAt: 1000 };
const inRinging: CallState = { phase: 'ringing', direction: 'incoming', sid: SID, peer: ROMEO, peerFull: ROMEO_PHONE, media: 'audio' };
const inConnecting: CallState = { ...inRinging, phase: 'connecting' };
const inActive: CallState = { ...inConnecting, phase: 'active', startedAt: 5 };
const jingleRinging: CallState = { ...inRinging, viaJingle: true };

interface Row {
  name: string;
  from: CallState;
  ev: CallEvent;
  phase: CallState['phase'];
  endReason?: CallState['endReason'];
  effects?: CallEffect[];
  /** effects that must be present (subset) */
  has?: CallEffect[];
  check?: (s: CallState) => void;
}

const rows: Row[] = [
  // ── outgoing ───────────────────────────────────────────────────────────
  {
    name: 'a video call proposes audio+video to the bare JID and arms the ring timer',
    from: IDLE, ev: { type: 'call', sid: SID, peer: JULIET, media: 'video' }, phase: 'proposing',
    effects: [
      { kind: 'send', to: JULIET, jm: { type: 'propose', id: SID, descriptions: [{ media: 'audio' }, { media: 'video' }] } },
      { kind: 'timer', sid: SID, ms: RING_TIMEOUT_MS },
    ],
  },
  {
    name: 'an audio call proposes audio only',
    from: IDLE, ev: { type: 'call', sid: SID, peer: `${JULIET}/x`, media: 'audio' }, phase: 'proposing',
    has: [{ kind: 'send', to: JULIET, jm: { type: 'propose', id: SID, descriptions: [{ media: 'audio' }] } }],
  },
  { name: 'a second call while one is live is ignored', from: outActive, ev: { type: 'call', sid: 'x', peer: JULIET, media: 'audio' }, phase: 'active', effects: [] },
  { name: 'a new call may start from the ended screen', from: { phase: 'ended', endReason: 'busy' }, ev: { type: 'call', sid: 'n', peer: JULIET, media: 'audio' }, phase: 'proposing' },
  {
    name: 'ringing from a callee device plays ringback',
    from: outProposing, ev: { type: 'ringing', sid: SID, from: JULIET_PHONE }, phase: 'ringing',
    effects: [{ kind: 'tone', tone: 'ringback' }],
  },
  {
    name: 'proceed starts the Jingle session with the device that answered',
    from: outRinging, ev: { type: 'proceed', sid: SID, from: JULIET_PHONE }, phase: 'connecting',
    effects: [
      { kind: 'tone', tone: 'off' },
      { kind: 'start-session', to: JULIET_PHONE, sid: SID, media: 'video' },
      { kind: 'timer', sid: SID, ms: CONNECT_TIMEOUT_MS },
    ],
    check: (s) => assert.equal(s.peerFull, JULIET_PHONE),
  },
  { name: 'proceed before ringing is fine too', from: outProposing, ev: { type: 'proceed', sid: SID, from: JULIET_TABLET }, phase: 'connecting' },
  { name: 'a second proceed (another device) is ignored', from: outConnecting, ev: { type: 'proceed', sid: SID, from: JULIET_TABLET }, phase: 'connecting', effects: [] },
  { name: 'proceed for another session is ignored', from: outRinging, ev: { type: 'proceed', sid: 'other', from: JULIET_PHONE }, phase: 'ringing', effects: [] },
  { name: 'reject with busy ends as busy', from: outRinging, ev: { type: 'reject', sid: SID, from: JULIET_PHONE, reason: 'busy' }, phase: 'ended', endReason: 'busy', effects: [{ kind: 'tone', tone: 'off' }] },
  { name: 'reject with decline ends as declined', from: outProposing, ev: { type: 'reject', sid: SID, from: JULIET_PHONE, reason: 'decline' }, phase: 'ended', endReason: 'declined' },
  {
    name: 'hanging up before an answer retracts (cancel)',
    from: outRinging, ev: { type: 'hangup' }, phase: 'ended', endReason: 'cancelled',
    effects: [{ kind: 'send', to: JULIET, jm: { type: 'retract', id: SID, reason: { condition: 'cancel', text: 'Retracted' } } }, { kind: 'tone', tone: 'off' }],
  },
  {
    name: 'nobody answering retracts with timeout',
    from: outProposing, ev: { type: 'timeout', sid: SID }, phase: 'ended', endReason: 'no-answer',
    has: [{ kind: 'send', to: JULIET, jm: { type: 'retract', id: SID, reason: { condition: 'timeout', text: 'No answer' } } }],
  },
  { name: 'a stale timer of an old call is ignored', from: outProposing, ev: { type: 'timeout', sid: 'old' }, phase: 'proposing', effects: [] },
  { name: 'media flowing makes the call active', from: outConnecting, ev: { type: 'connected', sid: SID, at: 42 }, phase: 'active', check: (s) => assert.equal(s.startedAt, 42) },
  {
    name: 'hang up in a call terminates Jingle and sends finish to the bare JID',
    from: outActive, ev: { type: 'hangup' }, phase: 'ended', endReason: 'hangup',
    effects: [
      { kind: 'end-session', sid: SID, reason: 'success' },
      { kind: 'send', to: JULIET, jm: { type: 'finish', id: SID, reason: { condition: 'success' } } },
      { kind: 'tone', tone: 'off' },
    ],
  },
  { name: 'the peer terminating ends the call and we finish too', from: outActive, ev: { type: 'terminated', sid: SID }, phase: 'ended', endReason: 'remote-hangup', has: [{ kind: 'send', to: JULIET, jm: { type: 'finish', id: SID, reason: { condition: 'success' } } }] },
  { name: 'a session-terminate with decline after proceed is a declined call', from: outConnecting, ev: { type: 'terminated', sid: SID, reason: 'decline' }, phase: 'ended', endReason: 'declined' },
  { name: 'a session-terminate with busy is busy', from: outConnecting, ev: { type: 'terminated', sid: SID, reason: 'busy' }, phase: 'ended', endReason: 'busy' },
  { name: 'a session-terminate with failed-transport is a failed call', from: outActive, ev: { type: 'terminated', sid: SID, reason: 'failed-transport' }, phase: 'ended', endReason: 'failed' },
  { name: 'a finish from the peer ends the call', from: inActive, ev: { type: 'finish', sid: SID, from: ROMEO_PHONE }, phase: 'ended', endReason: 'remote-hangup' },
  { name: 'media not flowing in time fails the call', from: outConnecting, ev: { type: 'timeout', sid: SID }, phase: 'ended', endReason: 'failed', has: [{ kind: 'end-session', sid: SID, reason: 'connectivity-error' }] },
  { name: 'an ICE failure fails the call', from: inActive, ev: { type: 'failed', sid: SID }, phase: 'ended', endReason: 'failed' },
  {
    name: 'media stopping in an active call arms the media-loss timer',
    from: outActive, ev: { type: 'interrupted', sid: SID, at: 2000 }, phase: 'active',
    effects: [{ kind: 'timer', sid: SID, ms: MEDIA_LOSS_TIMEOUT_MS }],
    check: (s) => assert.equal(s.interruptedAt, 2000),
  },
  { name: 'a second interruption does not re-arm it', from: { ...outActive, interruptedAt: 2000 }, ev: { type: 'interrupted', sid: SID, at: 3000 }, phase: 'active', effects: [] },
  {
    name: 'media coming back clears the interruption',
    from: { ...outActive, interruptedAt: 2000 }, ev: { type: 'connected', sid: SID, at: 4000 }, phase: 'active', effects: [],
    check: (s) => { assert.equal(s.interruptedAt, undefined); assert.equal(s.startedAt, 1000); },
  },
  {
    name: 'media not back in time ends the call on both sides with connectivity-error',
    from: { ...outActive, interruptedAt: 2000 }, ev: { type: 'timeout', sid: SID }, phase: 'ended', endReason: 'failed',
    has: [
      { kind: 'end-session', sid: SID, reason: 'connectivity-error' },
      { kind: 'send', to: JULIET, jm: { type: 'finish', id: SID, reason: { condition: 'connectivity-error' } } },
    ],
  },
  { name: 'a late timer in a healthy active call does nothing', from: outActive, ev: { type: 'timeout', sid: SID }, phase: 'active', effects: [] },

  // ── the page goes away (closed, reloaded) ──────────────────────────────
  {
    name: 'closing the page in a call terminates the session with gone and finishes',
    from: outActive, ev: { type: 'gone' }, phase: 'ended', endReason: 'hangup',
    effects: [
      { kind: 'end-session', sid: SID, reason: 'gone' },
      { kind: 'send', to: JULIET, jm: { type: 'finish', id: SID, reason: { condition: 'success' } } },
      { kind: 'tone', tone: 'off' },
    ],
  },
  { name: 'closing the page while connecting does the same', from: inConnecting, ev: { type: 'gone' }, phase: 'ended', has: [{ kind: 'end-session', sid: SID, reason: 'gone' }] },
  { name: 'closing the page while proposing retracts', from: outRinging, ev: { type: 'gone' }, phase: 'ended', endReason: 'cancelled', has: [{ kind: 'send', to: JULIET, jm: { type: 'retract', id: SID, reason: { condition: 'cancel', text: 'Retracted' } } }] },
  { name: 'closing the page while a call rings here leaves it to our other devices', from: inRinging, ev: { type: 'gone' }, phase: 'ringing', effects: [] },

  // ── incoming ───────────────────────────────────────────────────────────
  {
    name: 'a propose rings here and tells the caller so',
    from: IDLE, ev: { type: 'propose', sid: SID, from: ROMEO_PHONE, media: 'audio' }, phase: 'ringing',
    effects: [
      { kind: 'send', to: ROMEO_PHONE, jm: { type: 'ringing', id: SID } },
      { kind: 'tone', tone: 'ring' },
      { kind: 'timer', sid: SID, ms: RING_TIMEOUT_MS },
    ],
    check: (s) => { assert.equal(s.direction, 'incoming'); assert.equal(s.peer, ROMEO); },
  },
  { name: 'our own propose seen through carbons does not ring', from: IDLE, ev: { type: 'propose', sid: SID, from: `${JULIET}/laptop`, media: 'audio', self: true }, phase: 'idle', effects: [] },
  { name: 'a duplicate propose (archive replay) is ignored', from: inRinging, ev: { type: 'propose', sid: SID, from: ROMEO_PHONE, media: 'audio' }, phase: 'ringing', effects: [] },
  {
    // XEP-0353 0.3 §3.3 as Conversations and Dino do it: accept to our own bare JID (our other
    // devices stop ringing), proceed to the full JID of the device that proposed (Dino starts
    // the session only on a proceed addressed to that resource)
    name: 'accepting sends accept to our own devices and proceed to the device that called',
    from: inRinging, ev: { type: 'accept' }, phase: 'connecting',
    effects: [
      { kind: 'tone', tone: 'off' },
      { kind: 'send-self', jm: { type: 'accept', id: SID } },
      { kind: 'send', to: ROMEO_PHONE, jm: { type: 'proceed', id: SID } },
      { kind: 'timer', sid: SID, ms: CONNECT_TIMEOUT_MS },
    ],
  },
  { name: 'the session-initiate of the accepted call is accepted', from: inConnecting, ev: { type: 'session-initiate', sid: SID, from: ROMEO_PHONE, media: 'audio' }, phase: 'connecting', effects: [{ kind: 'accept-session', sid: SID }] },
  {
    name: 'a session-initiate that comes before our answer waits for it',
    from: inRinging, ev: { type: 'session-initiate', sid: SID, from: ROMEO_PHONE, media: 'audio' }, phase: 'ringing', effects: [],
    check: (s) => assert.equal(s.earlySession, true),
  },
  {
    name: 'answering then proceeds and accepts that session',
    from: { ...inRinging, earlySession: true }, ev: { type: 'accept' }, phase: 'connecting',
    effects: [
      { kind: 'tone', tone: 'off' },
      { kind: 'send-self', jm: { type: 'accept', id: SID } },
      { kind: 'send', to: ROMEO_PHONE, jm: { type: 'proceed', id: SID } },
      { kind: 'accept-session', sid: SID },
      { kind: 'timer', sid: SID, ms: CONNECT_TIMEOUT_MS },
    ],
  },
  { name: 'a session-initiate from a stranger with our sid is not accepted', from: inConnecting, ev: { type: 'session-initiate', sid: SID, from: 'mallory@evil.example/x', media: 'audio' }, phase: 'connecting', has: [{ kind: 'decline-session', sid: SID, reason: 'busy' }] },
  {
    name: 'declining rejects to the caller\'s bare JID',
    from: inRinging, ev: { type: 'decline' }, phase: 'ended', endReason: 'declined',
    effects: [{ kind: 'send', to: ROMEO, jm: { type: 'reject', id: SID, reason: { condition: 'decline', text: 'Declined' } } }, { kind: 'tone', tone: 'off' }],
  },
  { name: 'a retract before answering is a missed call', from: inRinging, ev: { type: 'retract', sid: SID, from: ROMEO_PHONE }, phase: 'ended', endReason: 'missed', effects: [{ kind: 'tone', tone: 'off' }] },
  { name: 'ringing out unanswered is a missed call, and sends nothing', from: inRinging, ev: { type: 'timeout', sid: SID }, phase: 'ended', endReason: 'missed', effects: [{ kind: 'tone', tone: 'off' }] },
  { name: 'another device of ours answering stops the ringing', from: inRinging, ev: { type: 'proceed', sid: SID, from: `${JULIET}/tablet`, self: true }, phase: 'ended', endReason: 'answered-elsewhere' },
  { name: 'our own accept coming back to us changes nothing', from: inConnecting, ev: { type: 'proceed', sid: SID, from: JULIET_PHONE, self: true }, phase: 'connecting', effects: [] },
  { name: 'another device of ours declining stops the ringing', from: inRinging, ev: { type: 'reject', sid: SID, from: `${JULIET}/tablet`, self: true }, phase: 'ended', endReason: 'declined', effects: [{ kind: 'tone', tone: 'off' }] },
  {
    name: 'a call while in a call is rejected as busy',
    from: outActive, ev: { type: 'propose', sid: 'zzz', from: 'mercutio@verona.example/a', media: 'audio' }, phase: 'active',
    effects: [{ kind: 'send', to: 'mercutio@verona.example', jm: { type: 'reject', id: 'zzz', reason: { condition: 'busy', text: 'Busy' } } }],
  },

  // ── plain Jingle, no JMI (older clients) ───────────────────────────────
  {
    name: 'a bare session-initiate rings without a JMI ringing message',
    from: IDLE, ev: { type: 'session-initiate', sid: 'j1', from: ROMEO_PHONE, media: 'video' }, phase: 'ringing',
    effects: [{ kind: 'tone', tone: 'ring' }, { kind: 'timer', sid: 'j1', ms: RING_TIMEOUT_MS }],
    check: (s) => assert.equal(s.viaJingle, true),
  },
  { name: 'accepting it accepts the Jingle session directly', from: jingleRinging, ev: { type: 'accept' }, phase: 'connecting', has: [{ kind: 'accept-session', sid: SID }] },
  { name: 'declining it declines the Jingle session', from: jingleRinging, ev: { type: 'decline' }, phase: 'ended', endReason: 'declined', has: [{ kind: 'decline-session', sid: SID, reason: 'decline' }] },
  { name: 'its caller giving up is a missed call', from: jingleRinging, ev: { type: 'terminated', sid: SID }, phase: 'ended', endReason: 'missed' },
  { name: 'a session-initiate while busy is declined', from: outActive, ev: { type: 'session-initiate', sid: 'j2', from: ROMEO_PHONE, media: 'audio' }, phase: 'active', effects: [{ kind: 'decline-session', sid: 'j2', reason: 'busy' }] },

  // ── XEP-0353 §4.1 tie-breaking: both call each other at once ───────────
  {
    name: 'glare, their id is lower: we retract ours (tie-break) and proceed with theirs',
    from: { ...outProposing, sid: 'm-ours', peer: JULIET }, ev: { type: 'propose', sid: 'a-theirs', from: JULIET_PHONE, media: 'audio' }, phase: 'connecting',
    effects: [
      { kind: 'send', to: JULIET, jm: { type: 'retract', id: 'm-ours', tieBreak: true, reason: { condition: 'expired', text: 'Tie-Break' } } },
      { kind: 'send-self', jm: { type: 'accept', id: 'a-theirs' } },
      { kind: 'send', to: JULIET_PHONE, jm: { type: 'proceed', id: 'a-theirs' } },
      { kind: 'timer', sid: 'a-theirs', ms: CONNECT_TIMEOUT_MS },
    ],
    check: (s) => { assert.equal(s.sid, 'a-theirs'); assert.equal(s.direction, 'incoming'); },
  },
  {
    name: 'glare, their id is higher: we reject theirs (tie-break) and keep ours',
    from: { ...outRinging, sid: 'a-ours', peer: JULIET }, ev: { type: 'propose', sid: 'm-theirs', from: JULIET_PHONE, media: 'audio' }, phase: 'ringing',
    effects: [{ kind: 'send', to: JULIET, jm: { type: 'reject', id: 'm-theirs', tieBreak: true, reason: { condition: 'expired', text: 'Tie-Break' } } }],
    check: (s) => assert.equal(s.sid, 'a-ours'),
  },
  { name: 'a tie-break reject of ours does not end the call that goes on', from: outProposing, ev: { type: 'reject', sid: SID, from: JULIET_PHONE, tieBreak: true, reason: 'expired' }, phase: 'proposing', effects: [] },

  // ── after the end ──────────────────────────────────────────────────────
  { name: 'dismissing the ended screen returns to idle', from: { ...outActive, phase: 'ended', endReason: 'hangup' }, ev: { type: 'dismiss' }, phase: 'idle', check: (s) => assert.deepEqual(s, IDLE) },
  { name: 'a late finish after the end changes nothing', from: { ...outActive, phase: 'ended', endReason: 'hangup' }, ev: { type: 'finish', sid: SID, from: JULIET_PHONE }, phase: 'ended', effects: [] },
  { name: 'hang up when idle does nothing', from: IDLE, ev: { type: 'hangup' }, phase: 'idle', effects: [] },
];

describe('call state machine', () => {
  for (const row of rows) {
    it(row.name, () => {
      const frozen = JSON.stringify(row.from);
      const { state, effects } = transition(row.from, row.ev);
      assert.equal(JSON.stringify(row.from), frozen, 'the input state is not mutated');
      assert.equal(state.phase, row.phase);
      if (row.endReason) assert.equal(state.endReason, row.endReason);
      if (row.effects) assert.deepEqual(effects, row.effects);
      for (const e of row.has ?? []) assert.ok(effects.some((x) => JSON.stringify(x) === JSON.stringify(e)), `missing effect ${JSON.stringify(e)} in ${JSON.stringify(effects)}`);
      row.check?.(state);
    });
  }

  it('a whole outgoing call, propose to finish', () => {
    let s = IDLE;
    const sent: string[] = [];
    const feed = (ev: CallEvent) => {
      const t = transition(s, ev);
      s = t.state;
      for (const e of t.effects) if (e.kind === 'send') sent.push(e.jm.type);
    };
    feed({ type: 'call', sid: SID, peer: JULIET, media: 'video' });
    feed({ type: 'ringing', sid: SID, from: JULIET_PHONE });
    feed({ type: 'ringing', sid: SID, from: JULIET_TABLET });
    feed({ type: 'proceed', sid: SID, from: JULIET_PHONE });
    feed({ type: 'connected', sid: SID, at: 1 });
    feed({ type: 'hangup' });
    assert.deepEqual(sent, ['propose', 'finish']);
    assert.equal(s.phase, 'ended');
    feed({ type: 'dismiss' });
    assert.equal(s.phase, 'idle');
  });
});
