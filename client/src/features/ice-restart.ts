// ICE restart in a running Jingle session, in the browser: takes a StanzaJS MediaSession's ICE
// restarts over (when: decideRestart; what goes over the wire and why: protocol/ice-restart.ts).
import type { MediaSession } from 'stanza/jingle/index.js';
import type { Jingle, JingleContent, JingleIce } from 'stanza/protocol/index.js';
import { sdpToJingle } from '../../../xmpp/jingle-sdp/index.js';
import {
  RESTART_IDLE, classifyTransportInfo, decideRestart, peerSetup, restartOfferVerdict, sdpIceCredentials,
  withIceCredentials, type IceCredentials, type RestartDecision, type RestartInput,
} from '../protocol/ice-restart.js';

type Cb = (err?: { condition: string; jingleError?: string; type?: string; text?: string }) => void;

/** The parts of StanzaJS's ICESession this file takes over or uses (protected there). */
interface SessionInternals {
  pc: RTCPeerConnection;
  sid: string;
  role: 'initiator' | 'responder';
  isInitiator: boolean;
  state: string;
  connectionState: string;
  send(action: string, data: Partial<Jingle>): void;
  processLocal<T>(name: string, handler: () => Promise<T>): Promise<T>;
  onTransportInfo(changes: Jingle, cb: Cb): Promise<void> | void;
  onIceStateChange(): void;
  onIceCandidate(e: RTCPeerConnectionIceEvent): void;
  end(reason?: string, silent?: boolean): void;
  _log(level: string, message: string, ...data: unknown[]): void;
}

export interface IceRestartOptions {
  /** Who created a content (XEP-0166 `creator`), by name: the initiator unless said otherwise. */
  creatorOf?: (name: string) => 'initiator' | 'responder';
  /** Called with every restart offer sent or answered, for the call's log. */
  onRestart?: (what: 'offered' | 'answered') => void;
}

export interface IceRestart {
  /** Offer a restart now (as on a network change); false when one cannot start now. */
  restart(): Promise<boolean>;
  /** Our restart offer was rolled back for a remote offer (content-add): offer again. */
  again(): void;
}

/** How long to wait for the first candidates of an answer before sending it anyway. */
const ANSWER_GATHER_MS = 1_000;
const ANSWER_GATHER_MAX_MS = 5_000;

interface NetworkInformationLike { addEventListener(type: 'change', fn: () => void): void; removeEventListener(type: 'change', fn: () => void): void }

/**
 * Takes over a MediaSession's ICE restarts: StanzaJS's own (initiator only, answers without
 * candidates, ends the session on a second disconnection) gives way to decideRestart and the
 * wire forms above. connectionState reports a lost connection of a call that had media as
 * 'interrupted' while restarts go on, and 'failed' once they give up.
 */
export function attachIceRestart(ms: MediaSession, opts: IceRestartOptions = {}): IceRestart {
  const s = ms as unknown as SessionInternals;
  const pc = s.pc;
  const originalTransportInfo = s.onTransportInfo.bind(s);
  const originalIceState = s.onIceStateChange.bind(s);
  const originalCandidate = s.onIceCandidate.bind(s);
  let state = RESTART_IDLE;
  let wake: ReturnType<typeof setTimeout> | undefined;
  /** While our answer is put together: its candidates go in it, not in transport-infos of their own. */
  let held: RTCPeerConnectionIceEvent[] | undefined;
  const creatorOf = opts.creatorOf ?? (() => 'initiator' as const);

  const ended = () => s.state === 'ended' || pc.signalingState === 'closed';
  /** One step of decideRestart: its state kept, its wake-up armed, a give-up reported. */
  const step = (input: RestartInput): RestartDecision | undefined => {
    if (ended()) { stop(); return undefined; }
    const d = decideRestart(state, input, s.isInitiator);
    state = d.state;
    clearTimeout(wake);
    wake = d.wakeAt !== undefined ? setTimeout(() => feed({ type: 'tick', at: Date.now() }), Math.max(0, d.wakeAt - Date.now())) : undefined;
    if (d.giveUp) s.connectionState = 'failed';
    return d;
  };
  const feed = (input: RestartInput): void => { if (step(input)?.restart) void offer(); };

  const onNetwork = () => feed({ type: 'network', at: Date.now() });
  const connection = (globalThis.navigator as { connection?: NetworkInformationLike } | undefined)?.connection;
  globalThis.addEventListener?.('online', onNetwork);
  connection?.addEventListener('change', onNetwork);
  function stop(): void {
    clearTimeout(wake);
    globalThis.removeEventListener?.('online', onNetwork);
    connection?.removeEventListener('change', onNetwork);
  }

  const transportInfo = (sdp: string, withCandidates: boolean): Partial<Jingle> => ({
    contents: (sdpToJingle(sdp, s.role).contents ?? []).map((c) => {
      const t = c.transport as JingleIce;
      return { creator: creatorOf(c.name), name: c.name, transport: { ...t, candidates: withCandidates ? t.candidates ?? [] : [] } } as JingleContent;
    }),
  });

  async function offer(): Promise<boolean> {
    // our earlier restart offer, never answered (refused with tie-break, or a peer that ignores
    // restarts): given up for this one; any other negotiation under way: the next tick retries
    if (ended() || (pc.signalingState !== 'stable' && pc.signalingState !== 'have-local-offer')) return false;
    try {
      await s.processLocal('restart-ice', async () => {
        if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' });
        const o = await pc.createOffer({ iceRestart: true });
        // the offer first, then the candidates StanzaJS trickles once it is applied
        s.send('transport-info', transportInfo(o.sdp!, false));
        await pc.setLocalDescription(o);
      });
      opts.onRestart?.('offered');
      return true;
    } catch (err) {
      s._log('error', 'Could not offer an ICE restart', err);
      return false;
    }
  }

  const credentialsOf = (changes: Jingle): Map<string, IceCredentials> => {
    const out = new Map<string, IceCredentials>();
    for (const c of changes.contents ?? []) {
      const t = c.transport as JingleIce | undefined;
      if (t?.usernameFragment && t.password) out.set(c.name, { ufrag: t.usernameFragment, pwd: t.password });
    }
    return out;
  };
  /** The candidates are added by StanzaJS's handler; the ufrag is taken out so that it does not try a restart of its own. */
  const candidatesOnly = (changes: Jingle): Jingle => ({
    ...changes,
    contents: (changes.contents ?? []).map((c) => ({ ...c, transport: { ...(c.transport as JingleIce), usernameFragment: undefined, password: undefined } as JingleIce })),
  });

  async function applyAnswer(changes: Jingle, cb: Cb): Promise<void> {
    const remote = pc.remoteDescription!.sdp;
    const sdp = withIceCredentials(remote, credentialsOf(changes), peerSetup(pc.currentLocalDescription?.sdp, remote));
    await pc.setRemoteDescription({ type: 'answer', sdp });
    feed({ type: 'answered', at: Date.now() });
    await originalTransportInfo(candidatesOnly(changes), cb);
  }

  async function applyOffer(changes: Jingle, cb: Cb): Promise<void> {
    const remote = pc.remoteDescription!.sdp;
    feed({ type: 'remote-restart', at: Date.now() });
    // a pending offer of ours (the responder's, in glare) is rolled back by this one (JSEP §4.1.10)
    await pc.setRemoteDescription({ type: 'offer', sdp: withIceCredentials(remote, credentialsOf(changes), 'actpass') });
    held = [];
    const gathered = firstCandidates();
    await pc.setLocalDescription(await pc.createAnswer());
    // the result first: Conversations reads candidates only once its offer is acknowledged
    await originalTransportInfo(candidatesOnly(changes), cb);
    await gathered;
    const answer = pc.localDescription!.sdp;
    s.send('transport-info', transportInfo(answer, true));
    const late = held.filter((e) => e.candidate && !answer.includes(e.candidate.candidate));
    held = undefined;
    for (const e of late) originalCandidate(e);
    opts.onRestart?.('answered');
  }

  /** Resolves once gathering is complete, or ANSWER_GATHER_MS after the first candidate (ANSWER_GATHER_MAX_MS at most). */
  function firstCandidates(): Promise<void> {
    return new Promise((resolve) => {
      let first: ReturnType<typeof setTimeout> | undefined;
      const max = setTimeout(done, ANSWER_GATHER_MAX_MS);
      function done(): void {
        clearTimeout(first);
        clearTimeout(max);
        pc.removeEventListener('icegatheringstatechange', onGathering);
        pc.removeEventListener('icecandidate', onCandidate);
        resolve();
      }
      function onGathering(): void { if (pc.iceGatheringState === 'complete') done(); }
      function onCandidate(e: RTCPeerConnectionIceEvent): void { if (e.candidate && !first) first = setTimeout(done, ANSWER_GATHER_MS); }
      pc.addEventListener('icegatheringstatechange', onGathering);
      pc.addEventListener('icecandidate', onCandidate);
    });
  }

  s.onIceCandidate = (e) => {
    if (held) held.push(e);
    else originalCandidate(e);
  };

  s.onTransportInfo = async (changes, cb) => {
    const first = changes.contents?.[0];
    const t = first?.transport as JingleIce | undefined;
    const remote = pc.remoteDescription?.sdp;
    if (!first || !t || !remote || t.gatheringComplete) return originalTransportInfo(changes, cb);
    const current = sdpIceCredentials(remote);
    const kind = classifyTransportInfo({
      ufrag: t.usernameFragment, pwd: t.password, currentUfrag: (current.get(first.name) ?? [...current.values()][0])?.ufrag,
      candidates: (changes.contents ?? []).reduce((n, c) => n + ((c.transport as JingleIce | undefined)?.candidates?.length ?? 0), 0),
      localOfferPending: pc.signalingState === 'have-local-offer',
    });
    try {
      if (kind === 'candidates') return await originalTransportInfo(candidatesOnly(changes), cb);
      if (kind === 'restart-answer') return await applyAnswer(changes, cb);
      if (restartOfferVerdict({ initiator: s.isInitiator, localOfferPending: pc.signalingState === 'have-local-offer' }) === 'tie-break') {
        return cb({ condition: 'conflict', jingleError: 'tie-break', type: 'cancel' });
      }
      return await applyOffer(changes, cb);
    } catch (err) {
      held = undefined;
      s._log('error', 'Could not apply an ICE restart', err);
      cb({ condition: 'general-error' });
      s.end('failed-transport');
    }
  };

  s.onIceStateChange = () => {
    const ice = pc.iceConnectionState;
    if (ice === 'closed') { stop(); return originalIceState(); }
    switch (ice) {
      case 'checking': s.connectionState = 'connecting'; break;
      case 'connected': case 'completed': s.connectionState = 'connected'; break;
      case 'disconnected': s.connectionState = pc.signalingState === 'stable' ? 'interrupted' : 'disconnected'; break;
      // never connected: a failure to report; once connected: restarts go on (decideRestart)
      case 'failed': s.connectionState = state.everConnected ? 'interrupted' : 'failed'; break;
    }
    feed({ type: 'ice', state: ice, at: Date.now() });
  };

  return {
    restart: async () => (step({ type: 'network', at: Date.now() })?.restart ? offer() : false),
    again: () => {
      if (ended() || !state.everConnected) return;
      const { restartingSince: _, awaitingAnswer: __, ...rest } = state;
      state = rest;
      feed({ type: 'network', at: Date.now() });
    },
  };
}
