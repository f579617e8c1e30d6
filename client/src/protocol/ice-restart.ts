// ICE restart in a running Jingle session, its decisions as pure functions (the browser side is
// features/ice-restart.ts). XEP-0176 §2.4 with RFC 8445 §9 and RFC 8839 §4.4.1.1.1: a
// transport-info whose <transport/> carries a new ufrag and pwd and no candidates is an offer to
// restart ICE; the other side applies it and answers with a transport-info carrying its own new
// ufrag and pwd and its new candidates. The Jingle session (its sid) stays the same; DTLS and the
// media keep going over whatever pair ICE selects next.
//
// Wire compatibility, as the deployed clients do it:
// - Conversations (JingleRtpConnection.checkForIceRestart / initiateIceRestart, WebRTCWrapper
//   .restartIce): restarts after the connection failed, from either side, with a transport-info of
//   ufrag/pwd and no candidates; tells an offer from an answer by the candidates ("zero candidates
//   + modified credentials are an ICE restart offer"); acknowledges the offer with an empty IQ
//   result and only then sends its candidates, each transport-info carrying ufrag, pwd and a
//   candidate, the first of which is the answer. Crossing offers: the session's initiator answers
//   the responder's with a <tie-break/> error and the responder gives its own up and answers.
//   Its own answer's DTLS `setup` is rewritten to the peer's current role.
// - StanzaJS (ICESession.restartIce/onTransportInfo): the initiator alone restarts, with the same
//   kind of offer, and answers with a transport-info of ufrag/pwd and no candidates, before its IQ
//   result. Its trickled candidates carry the ufrag but no pwd.
// - Dino sets the remote credentials once per session and ignores new ones: it never restarts and
//   never answers one; a call with Dino that loses its path ends when media does not come back.
// So this side offers with ufrag/pwd and no candidates and answers with ufrag/pwd and candidates,
// which Conversations and this code tell apart; a plain StanzaJS peer's candidate-less answer
// reads as a crossing offer and is refused (tie-break) or applied as one.

// ---------------------------------------------------------------- when to restart (pure)

/** Disconnected this long (and not back): the initiator restarts. libwebrtc and StanzaJS wait 2 s. */
export const DISCONNECT_GRACE_MS = 2_000;
/** The responder waits longer, so that the initiator's restart normally comes first. */
export const RESPONDER_GRACE_MS = 5_000;
/** A restart that has not reconnected in this time is tried again, up to MAX_RESTARTS times. */
export const RESTART_TIMEOUT_MS = 10_000;
export const MAX_RESTARTS = 3;

export interface RestartState {
  /** The last RTCIceConnectionState seen. */
  ice: string;
  /** Media flowed once: only then is a lost connection restarted (never-connected is a failure). */
  everConnected: boolean;
  /** Since when ICE has been disconnected or failed. */
  lostSince?: number;
  /** A restart (ours, or one the peer offered) is under way since then. */
  restartingSince?: number;
  /** Our restart offer is out and not answered yet. */
  awaitingAnswer?: boolean;
  /** Restarts since the connection was last good. */
  attempts: number;
}

export const RESTART_IDLE: RestartState = { ice: 'new', everConnected: false, attempts: 0 };

export type RestartInput =
  | { type: 'ice'; state: string; at: number }
  /** The device changed networks (`online`, a Network Information `change`). */
  | { type: 'network'; at: number }
  /** The peer offered a restart and we answered it. */
  | { type: 'remote-restart'; at: number }
  /** The answer to our restart offer was applied. */
  | { type: 'answered'; at: number }
  /** A wake-up asked for earlier is due. */
  | { type: 'tick'; at: number };

export interface RestartDecision {
  state: RestartState;
  /** Send a restart offer now. */
  restart: boolean;
  /** Give up: the connection is lost for good. */
  giveUp: boolean;
  /** Feed a `tick` at this time. */
  wakeAt?: number;
}

const isLost = (ice: string) => ice === 'disconnected' || ice === 'failed';
const isGood = (ice: string) => ice === 'connected' || ice === 'completed';

/**
 * Who restarts and when. The session's initiator restarts a lost connection (after
 * DISCONNECT_GRACE_MS disconnected, at once when failed); the responder only after
 * RESPONDER_GRACE_MS, for initiators that never do (or whose offer got lost). A network change is
 * seen only by the device that changed, so it restarts at once whichever side it is. When both
 * offer at once the initiator wins (see restartOfferVerdict). One restart at a time, each given
 * RESTART_TIMEOUT_MS, MAX_RESTARTS in a row.
 */
export function decideRestart(s: RestartState, input: RestartInput, initiator: boolean): RestartDecision {
  const keep = (state: RestartState, wakeAt?: number): RestartDecision => ({ state, restart: false, giveUp: false, ...(wakeAt !== undefined ? { wakeAt } : {}) });
  const start = (state: RestartState, at: number): RestartDecision => ({
    state: { ...state, restartingSince: at, awaitingAnswer: true, attempts: state.attempts + 1 }, restart: true, giveUp: false, wakeAt: at + RESTART_TIMEOUT_MS,
  });
  const grace = (ice: string) => (!initiator ? RESPONDER_GRACE_MS : ice === 'failed' ? 0 : DISCONNECT_GRACE_MS);
  /** A lost connection with no restart under way: restart once its grace is over. */
  const whenLost = (state: RestartState, at: number): RestartDecision => {
    const due = (state.lostSince ?? at) + grace(state.ice);
    return at >= due ? start(state, at) : keep(state, due);
  };

  switch (input.type) {
    case 'ice': {
      const ice = input.state;
      if (isGood(ice)) return keep({ ice, everConnected: true, attempts: 0 });
      if (!isLost(ice)) return keep({ ...s, ice });
      if (!s.everConnected) return keep({ ...s, ice });
      const state = { ...s, ice, lostSince: s.lostSince ?? input.at };
      if (state.restartingSince !== undefined) return keep(state, state.restartingSince + RESTART_TIMEOUT_MS);
      return whenLost(state, input.at);
    }
    case 'network':
      // a restart already answered does not cover a newer network change; one still out does
      if (!s.everConnected || s.awaitingAnswer) return keep(s, s.restartingSince !== undefined ? s.restartingSince + RESTART_TIMEOUT_MS : undefined);
      return start(s, input.at);
    case 'remote-restart':
      return keep({ ...s, restartingSince: input.at, awaitingAnswer: false }, input.at + RESTART_TIMEOUT_MS);
    case 'answered':
      return keep({ ...s, awaitingAnswer: false }, s.restartingSince !== undefined ? s.restartingSince + RESTART_TIMEOUT_MS : undefined);
    case 'tick': {
      if (s.restartingSince !== undefined) {
        const due = s.restartingSince + RESTART_TIMEOUT_MS;
        if (input.at < due) return keep(s, due);
        const { restartingSince: _, awaitingAnswer: __, ...rest } = s;
        if (!isLost(s.ice)) return keep({ ...rest, attempts: 0 }); // it came back, or never went away
        if (s.attempts >= MAX_RESTARTS) return { state: rest, restart: false, giveUp: true };
        return start(rest, input.at);
      }
      if (s.everConnected && isLost(s.ice)) return whenLost(s, input.at);
      return keep(s);
    }
  }
}

// ---------------------------------------------------------------- what a transport-info is (pure)

export type TransportInfoKind = 'candidates' | 'restart-offer' | 'restart-answer';

/**
 * A transport-info whose credentials differ from the remote ones in use is a restart: without
 * candidates an offer (Conversations' rule: "zero candidates + modified credentials are an ICE
 * restart offer"), with candidates the answer to ours if ours is out. Without a pwd it is never a
 * restart: StanzaJS trickles candidates with the ufrag alone.
 */
export function classifyTransportInfo(t: {
  ufrag?: string; pwd?: string; candidates: number; currentUfrag?: string; localOfferPending: boolean;
}): TransportInfoKind {
  if (!t.ufrag || !t.pwd || t.ufrag === t.currentUfrag) return 'candidates';
  return t.candidates > 0 && t.localOfferPending ? 'restart-answer' : 'restart-offer';
}

/**
 * A restart offer while ours is out (glare, XEP-0166 §7.2.16 tie-break): the session's initiator
 * refuses the responder's with <tie-break/>; the responder gives its own up and answers.
 */
export function restartOfferVerdict(p: { initiator: boolean; localOfferPending: boolean }): 'apply' | 'tie-break' {
  return p.localOfferPending && p.initiator ? 'tie-break' : 'apply';
}

// ---------------------------------------------------------------- SDP credentials (pure)

export interface IceCredentials { ufrag: string; pwd: string }
export type DtlsSetup = 'actpass' | 'active' | 'passive';

const sections = (sdp: string): string[] => sdp.split(/\r\n(?=m=)/);
const attr = (section: string, name: string): string | undefined => new RegExp(`^a=${name}:(.+)$`, 'm').exec(section)?.[1]?.trim();

/** The ICE credentials of each m-section, by mid (session-level ones apply to every section). */
export function sdpIceCredentials(sdp: string): Map<string, IceCredentials> {
  const [session, ...media] = sections(sdp);
  const out = new Map<string, IceCredentials>();
  for (const m of media) {
    const mid = attr(m, 'mid');
    const ufrag = attr(m, 'ice-ufrag') ?? attr(session, 'ice-ufrag');
    const pwd = attr(m, 'ice-pwd') ?? attr(session, 'ice-pwd');
    if (mid !== undefined && ufrag && pwd) out.set(mid, { ufrag, pwd });
  }
  return out;
}

/**
 * A description with new remote credentials (per mid; one set for all when a single one is given),
 * its candidates dropped (RFC 8445 §9: a restart starts over) and, when given, its DTLS setup.
 */
export function withIceCredentials(sdp: string, creds: Map<string, IceCredentials>, setup?: DtlsSetup): string {
  const only = creds.size === 1 ? [...creds.values()][0] : undefined;
  const [session, ...media] = sections(sdp);
  const fix = (section: string, c: IceCredentials | undefined): string => section
    .split('\r\n')
    .filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates')
    .map((l) => {
      if (c && l.startsWith('a=ice-ufrag:')) return `a=ice-ufrag:${c.ufrag}`;
      if (c && l.startsWith('a=ice-pwd:')) return `a=ice-pwd:${c.pwd}`;
      if (setup && l.startsWith('a=setup:')) return `a=setup:${setup}`;
      return l;
    })
    .join('\r\n');
  return [fix(session, only), ...media.map((m) => fix(m, creds.get(attr(m, 'mid') ?? '') ?? only))].join('\r\n');
}

export function sdpSetup(sdp: string | undefined): DtlsSetup | undefined {
  const v = sdp ? /^a=setup:(\w+)/m.exec(sdp)?.[1] : undefined;
  return v === 'actpass' || v === 'active' || v === 'passive' ? v : undefined;
}

/**
 * The peer's DTLS role in the session so far, for an answer built from its earlier description
 * (an answer may not say actpass, RFC 8842 §5.3): its own setup if it chose one, else the
 * opposite of ours.
 */
export function peerSetup(localSdp: string | undefined, remoteSdp: string | undefined): 'active' | 'passive' {
  const remote = sdpSetup(remoteSdp);
  if (remote === 'active' || remote === 'passive') return remote;
  return sdpSetup(localSdp) === 'passive' ? 'active' : 'passive';
}
