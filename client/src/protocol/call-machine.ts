// The state of one 1:1 call, as a pure transition function: (state, event) -> (state, effects).
// No I/O here: the shell (calls.ts) turns effects into JMI messages, Jingle actions, tones and
// timers, and feeds what happens back in as events.
//
//   idle ──call──▶ proposing ──ringing──▶ ringing ──proceed──▶ connecting ──connected──▶ active
//   idle ──propose──▶ ringing(incoming) ──accept──▶ connecting ──connected──▶ active
//   any live phase ──hangup/decline/reject/retract/finish/terminated/timeout/failed──▶ ended ──dismiss──▶ idle
//
// XEP-0353 §3 (propose → ringing → proceed/reject/retract → finish) and §4.1 (crossing proposes:
// the lower session id, by i;octet collation, wins).
//
// Addressing, as the deployed clients (Conversations, Dino) do it: propose, retract, reject and
// finish go to the other party's bare JID; ringing and proceed go to the full JID of the device
// that proposed (a proceed is what makes that device start the session, and Dino acts only on
// one addressed to it, as XEP-0353 0.3 §3.3 had it); the answering device also sends <accept/>
// to its own bare JID, so that its other devices stop ringing (0.3 §3.3; carbons of the proceed
// do the same for clients that follow 0.7).
import { bare } from './jid.js';
import type { JingleMessage } from './xep0353-jmi.js';

export type Phase = 'idle' | 'proposing' | 'ringing' | 'connecting' | 'active' | 'ended';
export type Media = 'audio' | 'video';
export type Direction = 'outgoing' | 'incoming';
export type EndReason =
  | 'hangup' | 'remote-hangup' | 'declined' | 'busy' | 'missed' | 'cancelled' | 'no-answer'
  | 'answered-elsewhere' | 'failed'
  /** Found before ringing anyone: no available resource / none with Jingle RTP (XEP-0167 §11). */
  | 'offline' | 'incapable';

/** Why media could not flow (ICE failed or never completed), as far as this side can tell. */
export type IceFailure = 'no-relay' | 'relay-refused' | 'blocked';

export interface CallState {
  phase: Phase;
  direction?: Direction;
  sid?: string;
  /** Bare JID of the other party. */
  peer?: string;
  /** Full JID of the device that answered (outgoing) or that called (incoming). */
  peerFull?: string;
  media?: Media;
  /** True when the call arrived as a bare Jingle session-initiate, without JMI. */
  viaJingle?: boolean;
  /** The caller's session-initiate came before our proceed (it is accepted with the call). */
  earlySession?: boolean;
  /** When media stopped arriving in an active call (ICE disconnected), until it recovers. */
  interruptedAt?: number;
  startedAt?: number;
  endReason?: EndReason;
  /** With endReason 'failed' after ICE could not connect: why, in words the call screen shows. */
  failure?: IceFailure;
}

export const IDLE: CallState = { phase: 'idle' };

/** How long a proposal rings before it is given up, and how long media may take to flow. */
export const RING_TIMEOUT_MS = 45_000;
export const CONNECT_TIMEOUT_MS = 30_000;
/**
 * How long an active call may go without media (ICE disconnected or failed) before it is ended:
 * long enough for an ICE restart (features/ice-restart.ts: 2 s of grace, then a signalling round
 * trip and new connectivity checks) to bring it back.
 */
export const MEDIA_LOSS_TIMEOUT_MS = 15_000;

export type CallEvent =
  // local user
  | { type: 'call'; sid: string; peer: string; media: Media }
  /** The check before ringing (contact's presence and caps) found nobody to ring. */
  | { type: 'unreachable'; sid: string; peer: string; media: Media; reason: 'offline' | 'incapable' }
  | { type: 'accept' }
  | { type: 'decline' }
  | { type: 'hangup' }
  /** The page is going away (closed, reloaded): end what is live, with `gone` (XEP-0166 §7.4). */
  | { type: 'gone' }
  | { type: 'dismiss' }
  // XEP-0353 messages; `self` when sent by another device of our own account (carbons)
  | { type: 'propose'; sid: string; from: string; media: Media; self?: boolean }
  | { type: 'ringing'; sid: string; from: string; self?: boolean }
  | { type: 'proceed'; sid: string; from: string; self?: boolean }
  | { type: 'reject'; sid: string; from: string; self?: boolean; reason?: string; tieBreak?: boolean }
  | { type: 'retract'; sid: string; from: string; self?: boolean }
  | { type: 'finish'; sid: string; from: string; self?: boolean }
  // Jingle (XEP-0166) and media
  | { type: 'session-initiate'; sid: string; from: string; media: Media }
  | { type: 'connected'; sid: string; at: number }
  /** Media stopped arriving (ICE disconnected); `connected` again means it recovered. */
  | { type: 'interrupted'; sid: string; at: number }
  | { type: 'terminated'; sid: string; reason?: string; cause?: IceFailure }
  /** `cause` when ICE failed (RTCPeerConnection connectionState 'failed'). */
  | { type: 'failed'; sid: string; cause?: IceFailure }
  /** `cause`: what the shell knows of ICE when a timer ends a call that never got media. */
  | { type: 'timeout'; sid: string; cause?: IceFailure };

export type Tone = 'ring' | 'ringback' | 'off';

export type CallEffect =
  | { kind: 'send'; to: string; jm: JingleMessage }
  /** To our own bare JID (XEP-0353 <accept/>, for our other devices). */
  | { kind: 'send-self'; jm: JingleMessage }
  | { kind: 'start-session'; to: string; sid: string; media: Media }
  | { kind: 'accept-session'; sid: string }
  | { kind: 'decline-session'; sid: string; reason: string }
  | { kind: 'end-session'; sid: string; reason: string }
  | { kind: 'tone'; tone: Tone }
  | { kind: 'timer'; sid: string; ms: number };

export interface Transition {
  state: CallState;
  effects: CallEffect[];
}

/** What became of a call id, learnt from any JMI message about it (XEP-0353 §3.2–§3.5). */
export type JmiOutcome = 'retracted' | 'accepted' | 'rejected' | 'finished';
export interface KnownOutcome { outcome: JmiOutcome; /** by another device of our own account */ self: boolean }

/** The outcome a JMI action records for its id, if any; `ringing` and `propose` settle nothing. */
export function outcomeOf(action: string, self: boolean): KnownOutcome | undefined {
  switch (action) {
    case 'retract': return { outcome: 'retracted', self };
    case 'accept': case 'proceed': return { outcome: 'accepted', self };
    case 'reject': return { outcome: 'rejected', self };
    case 'finish': return { outcome: 'finished', self };
    default: return undefined;
  }
}

/** Keeps the most telling outcome: a finish after an accept or a reject does not hide who answered. */
export function mergeOutcome(prev: KnownOutcome | undefined, next: KnownOutcome): KnownOutcome {
  if (!prev) return next;
  if (next.outcome === 'finished' && prev.outcome !== 'retracted') return prev;
  return prev.outcome === 'finished' ? next : prev;
}

export type ProposalVerdict =
  | { ring: true }
  /** Not to ring; `line` is what the conversation shows for it (none for a duplicate). */
  | { ring: false; line?: 'missed' | 'answered-elsewhere' | 'declined' };

/**
 * Whether an incoming propose may ring. Only a live one may: a propose that carries a XEP-0203
 * <delay/> waited somewhere — offline storage (XEP-0160), or a XEP-0198 session that expired
 * before the client acknowledged it, whose stanzas the server re-delivers stamped — and its caller
 * gave up long ago or is about to. A propose whose id was already settled (retracted, accepted
 * or rejected by another of our devices, finished), by an earlier stanza or a carbon, never
 * rings either, whatever its order of arrival. Each shows as a line in the conversation instead.
 */
export function judgeProposal(p: { delayed: boolean; duplicate: boolean; known?: KnownOutcome }): ProposalVerdict {
  if (p.duplicate) return { ring: false };
  switch (p.known?.outcome) {
    case 'accepted': return { ring: false, line: p.known.self ? 'answered-elsewhere' : 'missed' };
    case 'rejected': return { ring: false, line: p.known.self ? 'declined' : 'missed' };
    // a finish only follows a session: one of our devices took the call
    case 'finished': return { ring: false, line: 'answered-elsewhere' };
    case 'retracted': return { ring: false, line: 'missed' };
  }
  if (p.delayed) return { ring: false, line: 'missed' };
  return { ring: true };
}

/** RFC 4790 §9.3 i;octet: compare code units, which for the ASCII ids in use is byte order. */
export function octetLess(a: string, b: string): boolean {
  return a < b;
}

const LIVE: readonly Phase[] = ['proposing', 'ringing', 'connecting', 'active'];

/** What a session-terminate reason (XEP-0166 §7.4) means to the user. */
function terminationReason(reason: string | undefined): EndReason {
  switch (reason) {
    case 'decline': return 'declined';
    case 'busy': return 'busy';
    case 'connectivity-error': case 'failed-application': case 'failed-transport':
    case 'media-error': case 'security-error': case 'incompatible-parameters':
    case 'unsupported-applications': case 'unsupported-transports': case 'general-error':
      return 'failed';
    default: return 'remote-hangup';
  }
}

function end(s: CallState, endReason: EndReason, effects: CallEffect[]): Transition {
  return { state: { ...s, phase: 'ended', endReason }, effects: [...effects, { kind: 'tone', tone: 'off' }] };
}

function same<T>(state: T): { state: T; effects: CallEffect[] } {
  return { state, effects: [] };
}

function incoming(ev: { sid: string; from: string; media: Media }, viaJingle: boolean): Transition {
  const state: CallState = {
    phase: 'ringing', direction: 'incoming', sid: ev.sid, peer: bare(ev.from), peerFull: ev.from,
    media: ev.media, ...(viaJingle ? { viaJingle: true } : {}),
  };
  const effects: CallEffect[] = [];
  // §3.1: tell the caller this device rings (Jingle-only callers get XEP-0167 ringing from the session)
  if (!viaJingle) effects.push({ kind: 'send', to: ev.from, jm: { type: 'ringing', id: ev.sid } });
  effects.push({ kind: 'tone', tone: 'ring' }, { kind: 'timer', sid: ev.sid, ms: RING_TIMEOUT_MS });
  return { state, effects };
}

export function transition(s: CallState, ev: CallEvent): Transition {
  const live = LIVE.includes(s.phase);

  // Stale events about another session are ignored, except new calls arriving while busy.
  if ('sid' in ev && ev.type !== 'call' && ev.type !== 'unreachable' && ev.type !== 'propose' && ev.type !== 'session-initiate' && ev.sid !== s.sid) {
    return same(s);
  }

  switch (ev.type) {
    case 'unreachable':
      if (live) return same(s);
      return { state: { phase: 'ended', direction: 'outgoing', sid: ev.sid, peer: bare(ev.peer), media: ev.media, endReason: ev.reason }, effects: [] };

    case 'call':
      if (live) return same(s);
      return {
        state: { phase: 'proposing', direction: 'outgoing', sid: ev.sid, peer: bare(ev.peer), media: ev.media },
        effects: [
          { kind: 'send', to: bare(ev.peer), jm: { type: 'propose', id: ev.sid, descriptions: ev.media === 'video' ? [{ media: 'audio' }, { media: 'video' }] : [{ media: 'audio' }] } },
          { kind: 'timer', sid: ev.sid, ms: RING_TIMEOUT_MS },
        ],
      };

    case 'propose': {
      if (ev.self || ev.sid === s.sid) return same(s); // our own carbon, or a duplicate (MAM)
      if (!live) return incoming(ev, false);
      const glare = s.direction === 'outgoing' && (s.phase === 'proposing' || s.phase === 'ringing') && s.peer === bare(ev.from);
      if (glare && s.sid && octetLess(ev.sid, s.sid)) {
        // §4.1: theirs has the lower id and wins; withdraw ours and answer theirs. Both sides asked
        // for a call with each other, so it is taken at once.
        const next = incoming(ev, false);
        return {
          state: { ...next.state, phase: 'connecting' },
          effects: [
            { kind: 'send', to: s.peer!, jm: { type: 'retract', id: s.sid, tieBreak: true, reason: { condition: 'expired', text: 'Tie-Break' } } },
            { kind: 'send-self', jm: { type: 'accept', id: ev.sid } },
            { kind: 'send', to: ev.from, jm: { type: 'proceed', id: ev.sid } },
            { kind: 'timer', sid: ev.sid, ms: CONNECT_TIMEOUT_MS },
          ],
        };
      }
      if (glare) {
        return { state: s, effects: [{ kind: 'send', to: bare(ev.from), jm: { type: 'reject', id: ev.sid, tieBreak: true, reason: { condition: 'expired', text: 'Tie-Break' } } }] };
      }
      return { state: s, effects: [{ kind: 'send', to: bare(ev.from), jm: { type: 'reject', id: ev.sid, reason: { condition: 'busy', text: 'Busy' } } }] };
    }

    case 'ringing':
      if (s.direction === 'outgoing' && s.phase === 'proposing' && !ev.self) {
        return { state: { ...s, phase: 'ringing' }, effects: [{ kind: 'tone', tone: 'ringback' }] };
      }
      return same(s);

    case 'proceed':
      if (s.direction === 'outgoing' && (s.phase === 'proposing' || s.phase === 'ringing') && !ev.self) {
        return {
          state: { ...s, phase: 'connecting', peerFull: ev.from },
          effects: [
            { kind: 'tone', tone: 'off' },
            { kind: 'start-session', to: ev.from, sid: s.sid!, media: s.media ?? 'audio' },
            { kind: 'timer', sid: s.sid!, ms: CONNECT_TIMEOUT_MS },
          ],
        };
      }
      // another device of ours took the call
      if (s.direction === 'incoming' && s.phase === 'ringing' && ev.self) return end(s, 'answered-elsewhere', []);
      return same(s);

    case 'reject':
      if (s.direction === 'outgoing' && (s.phase === 'proposing' || s.phase === 'ringing') && !ev.self) {
        // §4.1: a tie-break reject means their crossing propose (lower id) is the call that goes on
        if (ev.tieBreak) return same(s);
        return end(s, ev.reason === 'busy' ? 'busy' : 'declined', []);
      }
      if (s.direction === 'incoming' && s.phase === 'ringing' && ev.self) return end(s, 'declined', []);
      return same(s);

    case 'retract':
      if (s.direction === 'incoming' && s.phase === 'ringing' && !ev.self) return end(s, 'missed', []);
      return same(s);

    case 'accept':
      if (s.direction !== 'incoming' || s.phase !== 'ringing') return same(s);
      return {
        state: { ...s, phase: 'connecting' },
        effects: [
          { kind: 'tone', tone: 'off' },
          // accept to our own devices, proceed to the device that proposed (see the top of this file)
          ...(s.viaJingle ? [] : [
            { kind: 'send-self', jm: { type: 'accept', id: s.sid! } } as CallEffect,
            { kind: 'send', to: s.peerFull ?? s.peer!, jm: { type: 'proceed', id: s.sid! } } as CallEffect,
          ]),
          ...(s.viaJingle || s.earlySession ? [{ kind: 'accept-session', sid: s.sid! } as CallEffect] : []),
          { kind: 'timer', sid: s.sid!, ms: CONNECT_TIMEOUT_MS },
        ],
      };

    case 'decline':
      if (s.direction !== 'incoming' || s.phase !== 'ringing') return same(s);
      return end(s, 'declined', [
        s.viaJingle
          ? { kind: 'decline-session', sid: s.sid!, reason: 'decline' }
          : { kind: 'send', to: s.peer!, jm: { type: 'reject', id: s.sid!, reason: { condition: 'decline', text: 'Declined' } } },
      ]);

    case 'session-initiate':
      if (ev.sid === s.sid && s.direction === 'incoming' && s.phase === 'connecting' && bare(ev.from) === s.peer) {
        return { state: { ...s, peerFull: ev.from }, effects: [{ kind: 'accept-session', sid: ev.sid }] };
      }
      if (ev.sid === s.sid && s.direction === 'incoming' && s.phase === 'ringing' && bare(ev.from) === s.peer) {
        return same({ ...s, peerFull: ev.from, earlySession: true }); // accepted once the user answers
      }
      if (!live) return incoming(ev, true);
      return { state: s, effects: [{ kind: 'decline-session', sid: ev.sid, reason: 'busy' }] };

    case 'connected':
      if (s.phase === 'active' && s.interruptedAt !== undefined) {
        const { interruptedAt: _, ...rest } = s;
        return same(rest); // media came back: the pending loss timer finds nothing to end
      }
      if (s.phase !== 'connecting') return same(s);
      return { state: { ...s, phase: 'active', startedAt: ev.at }, effects: [] };

    case 'interrupted':
      if (s.phase !== 'active' || s.interruptedAt !== undefined) return same(s);
      return { state: { ...s, interruptedAt: ev.at }, effects: [{ kind: 'timer', sid: s.sid!, ms: MEDIA_LOSS_TIMEOUT_MS }] };

    case 'gone':
      // Best effort while the page unloads: what a hang-up sends, with `gone` on the session.
      // A call ringing here is left to ring on our other devices: nobody declined it.
      if (s.phase === 'connecting' || s.phase === 'active') {
        return end(s, 'hangup', [
          { kind: 'end-session', sid: s.sid!, reason: 'gone' },
          ...(s.viaJingle ? [] : [{ kind: 'send', to: s.peer!, jm: { type: 'finish', id: s.sid!, reason: { condition: 'success' } } } as CallEffect]),
        ]);
      }
      if (s.phase === 'proposing' || s.phase === 'ringing') {
        if (s.direction === 'incoming') return same(s);
        return transition(s, { type: 'hangup' });
      }
      return same(s);

    case 'hangup':
      if (s.phase === 'proposing' || s.phase === 'ringing') {
        if (s.direction === 'incoming') return transition(s, { type: 'decline' });
        return end(s, 'cancelled', [{ kind: 'send', to: s.peer!, jm: { type: 'retract', id: s.sid!, reason: { condition: 'cancel', text: 'Retracted' } } }]);
      }
      if (s.phase === 'connecting' || s.phase === 'active') {
        return end(s, 'hangup', [
          { kind: 'end-session', sid: s.sid!, reason: 'success' },
          ...(s.viaJingle ? [] : [{ kind: 'send', to: s.peer!, jm: { type: 'finish', id: s.sid!, reason: { condition: 'success' } } } as CallEffect]),
        ]);
      }
      return same(s);

    case 'finish':
    case 'terminated':
      if (s.phase === 'connecting' || s.phase === 'active') {
        const effects: CallEffect[] = [{ kind: 'end-session', sid: s.sid!, reason: 'success' }];
        // §3.5: both sides send finish, so archives hold the end of the call
        if (!s.viaJingle) effects.push({ kind: 'send', to: s.peer!, jm: { type: 'finish', id: s.sid!, reason: { condition: 'success' } } });
        const reason = ev.type === 'terminated' ? terminationReason(ev.reason) : 'remote-hangup';
        // the other side gave up on connectivity: say why if media never flowed here either
        // (only for a transport failure: a description that could not be applied is not ICE's fault)
        const transport = ev.type === 'terminated' && (ev.reason === 'failed-transport' || ev.reason === 'connectivity-error');
        const cause = transport && s.phase === 'connecting' ? ev.cause : undefined;
        return end(cause ? { ...s, failure: cause } : s, reason, effects);
      }
      if (ev.type === 'terminated' && s.phase === 'ringing' && s.direction === 'incoming') return end(s, 'missed', []);
      return same(s);

    case 'failed':
      if (!live) return same(s);
      // a cause only for a call whose media never flowed: one that ran and lost it is not explained by the relay
      return end(ev.cause && s.phase !== 'active' ? { ...s, failure: ev.cause } : s, 'failed', [
        { kind: 'end-session', sid: s.sid!, reason: 'connectivity-error' },
        ...(s.viaJingle || s.phase === 'proposing' || s.phase === 'ringing' ? [] : [{ kind: 'send', to: s.peer!, jm: { type: 'finish', id: s.sid!, reason: { condition: 'connectivity-error' } } } as CallEffect]),
      ]);

    case 'timeout':
      if (s.phase === 'proposing' || s.phase === 'ringing') {
        if (s.direction === 'incoming') return end(s, 'missed', []);
        return end(s, 'no-answer', [{ kind: 'send', to: s.peer!, jm: { type: 'retract', id: s.sid!, reason: { condition: 'timeout', text: 'No answer' } } }]);
      }
      const failed = { type: 'failed', sid: s.sid!, ...(ev.cause ? { cause: ev.cause } : {}) } as const;
      if (s.phase === 'connecting') return transition(s, failed);
      // media did not come back in time
      if (s.phase === 'active' && s.interruptedAt !== undefined) return transition(s, failed);
      return same(s);

    case 'dismiss':
      return s.phase === 'ended' ? same(IDLE) : same(s);
  }
}
