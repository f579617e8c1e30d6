// The shell around the call state machine: XEP-0353 messages in and out, the StanzaJS Jingle
// session (XEP-0166/0167/0176/0320), local media, tones and timers. All decisions are made by
// call-machine.ts; this file only performs its effects and reports what happens.
import type { Agent } from 'stanza';
import type { MediaSession } from 'stanza/jingle/index.js';
import type { ReceivedMessage, Message } from 'stanza/protocol/index.js';
import {
  transition, IDLE, type CallEffect, type CallEvent, type CallState, type EndReason, type Media,
} from '../protocol/call-machine.js';
import { JmiHistory } from '../protocol/jmi-history.js';
import { diagnoseIce, reachability } from '../protocol/call-checks.js';
import { watchPeerCapabilities } from './peer-capabilities.js';
import { attachIceRestart } from './ice-restart.js';
import { bindVideoSwitch, type VideoSwitchActions, type VideoSwitchView } from './video-switch.js';
import type { IceFailure } from '../protocol/call-machine.js';
import { bare } from '../protocol/jid.js';
import { sendNow } from '../protocol/connection.js';
import { jmiMessage, newSessionId, type JingleMessage } from '../protocol/xep0353-jmi.js';
import { Store } from '../state/store.js';
import { playTone } from './tones.js';
import { mediaConstraints, watchEnded, type LiveMedia } from './devices.js';

export interface CallView extends CallState, VideoSwitchView {
  local?: MediaStream;
  remote?: MediaStream;
  muted: boolean;
  cameraOff: boolean;
  sharing: boolean;
  error?: string;
  /** Looking at the contact's clients (presence, caps) before ringing them. */
  checking?: boolean;
  /** The other side said it muted its microphone / turned its camera off (XEP-0167 §7). */
  remoteMuted?: boolean;
  remoteCameraOff?: boolean;
  /** The remote video track stopped delivering frames (MediaStreamTrack `mute`). */
  remoteVideoStalled?: boolean;
}

export const NO_CALL: CallView = { ...IDLE, muted: false, cameraOff: false, sharing: false };

export interface CallActions extends VideoSwitchActions {
  call(peer: string, media: Media): Promise<void>;
  accept(): Promise<void>;
  decline(): void;
  hangup(): void;
  /** The page is going away: end a live call at once, best effort (XEP-0166 <gone/>). */
  leave(): void;
  dismiss(): void;
  toggleMute(): void;
  toggleCamera(): void;
  toggleScreenShare(): Promise<void>;
  /** WebRTC statistics of the current call (getStats), for diagnostics. */
  stats(): Promise<RTCStatsReport | undefined>;
  /** The current call's peer connection configuration (ICE servers in use), for diagnostics. */
  configuration(): RTCConfiguration | undefined;
  /** The call's camera and microphone, for the device picker (features/devices.ts). */
  readonly live: LiveMedia;
}

function mediaOf(jm: JingleMessage): Media {
  return jm.descriptions?.some((d) => d.media === 'video') ? 'video' : 'audio';
}

/** A call that did not ring here, for its line in the conversation (replaces an earlier one of the same sid). */
export interface QuietCall { sid: string; peer: string; media: Media; at: number; reason: EndReason }

export interface CallHooks {
  /** A proposal that must not ring (delayed, or already settled elsewhere); called again when what became of it changes. */
  onQuietCall?: (call: QuietCall) => void;
  /** Whether the peer already receives our presence (a roster subscription 'from' or 'both'). */
  sharesPresence?: (peer: string) => boolean;
  /** The peer's available resources (full JIDs), or undefined when we do not see their presence. */
  peerResources?: (peer: string) => readonly string[] | undefined;
}


export function bindCalls(client: Agent, store: Store<CallView>, hooks: CallHooks = {}): CallActions {
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  let screen: MediaStreamTrack | undefined;
  let camera: MediaStreamTrack | undefined;
  /** While the page unloads: write stanzas to the socket now, nothing asynchronous gets out. */
  let leaving = false;

  const session = (): MediaSession | undefined => {
    const sid = store.value.sid;
    return sid ? (client.jingle.sessions[sid] as MediaSession | undefined) : undefined;
  };

  const stopMedia = () => {
    for (const t of store.value.local?.getTracks() ?? []) t.stop();
    screen?.stop();
    screen = camera = undefined;
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
  };

  /** The Jingle content name (= the m-line's mid, as StanzaJS names contents) carrying `kind`. */
  const contentOf = (s: MediaSession, kind: 'audio' | 'video'): string | undefined =>
    s.pc.getTransceivers().find((t) => t.mid !== null && (t.receiver.track.kind === kind))?.mid ?? undefined;
  /** XEP-0167 §7: tell the other side; the contents were all created by the session's initiator. */
  const announce = (kind: 'audio' | 'video', off: boolean) => {
    const s = session();
    const name = s && contentOf(s, kind);
    if (!s || !name || s.state === 'ended') return;
    void (off ? s.mute('initiator', name) : s.unmute('initiator', name)).catch(() => undefined);
  };
  /** Which media a received <mute/>/<unmute/> is about: its named content, or all without a name. */
  const mutedKinds = (s: MediaSession, info: { name?: string }): Array<'audio' | 'video'> => {
    if (!info.name) return ['audio', 'video'];
    const kind = s.pc.getTransceivers().find((t) => t.mid === info.name)?.receiver.track.kind;
    return kind === 'audio' || kind === 'video' ? [kind] : [];
  };

  /** Per session: TURN errors seen while gathering (RTCPeerConnection icecandidateerror). */
  const relayErrors = new Map<string, number[]>();
  /** Adding video to an audio call (features/video-switch.ts, add-video.ts). */
  const videoSwitch = bindVideoSwitch(store, () => session(), (t) => watchEnded(live, t));
  const watchIce = (s: MediaSession) => {
    // a lost connection or a network change restarts ICE in the same session
    attachIceRestart(s, { creatorOf: videoSwitch.watch(s).creatorOf });
    const errors: number[] = [];
    relayErrors.set(s.sid, errors);
    if (relayErrors.size > 8) relayErrors.delete(relayErrors.keys().next().value!);
    s.pc.addEventListener('icecandidateerror', (e) => {
      const ev = e as RTCPeerConnectionIceErrorEvent;
      if (/^turns?:/.test(ev.url ?? '')) errors.push(ev.errorCode);
    });
  };
  /** Why media does not flow in this session, if ICE never connected. */
  const iceCause = (sid: string): IceFailure | undefined => {
    const s = client.jingle.sessions[sid] as MediaSession | undefined;
    if (!s?.pc || s.pc.iceConnectionState === 'connected' || s.pc.iceConnectionState === 'completed') return undefined;
    const urls = (s.pc.getConfiguration().iceServers ?? []).flatMap((x) => (Array.isArray(x.urls) ? x.urls : [x.urls]));
    return diagnoseIce({ relayConfigured: urls.some((u) => /^turns?:/.test(u)), relayErrors: relayErrors.get(sid) ?? [] });
  };

  const getMedia = async (media: Media): Promise<MediaStream> => {
    const existing = store.value.local;
    if (existing) return existing;
    const stream = await navigator.mediaDevices.getUserMedia(mediaConstraints(media === 'video'));
    store.set((v) => ({ ...v, local: stream }));
    for (const t of stream.getTracks()) watchEnded(live, t);
    return stream;
  };

  function dispatch(ev: CallEvent): void {
    const before = store.value;
    const { state, effects } = transition(before, ev);
    if (state !== before) {
      // a new call arriving on the ended screen starts from nothing of the previous one
      const fresh = before.phase === 'ended' && state.sid !== before.sid;
      store.set((v) => ({ ...(fresh ? NO_CALL : v), ...state }));
      if (state.phase === 'ended' && before.phase !== 'ended') stopMedia();
      if (state.phase === 'idle') store.set({ ...NO_CALL });
    }
    for (const e of effects) void run(e);
  }

  async function run(e: CallEffect): Promise<void> {
    try {
      switch (e.kind) {
        case 'send':
          // XEP-0353 §3.1/§3.3: without a presence subscription, directed presence first, so
          // the other side's server and client know this device before Jingle IQs reach it
          if ((e.jm.type === 'propose' || e.jm.type === 'proceed') && !hooks.sharesPresence?.(bare(e.to))) {
            const caps = client.disco.getCaps();
            client.sendPresence({ to: e.to, ...(caps ? { legacyCapabilities: caps } : {}) });
          }
          if (leaving) sendNow(client, 'message', { id: client.nextId(), ...jmiMessage(e.to, e.jm) });
          else client.sendMessage(jmiMessage(e.to, e.jm));
          return;
        case 'send-self':
          client.sendMessage(jmiMessage(own(), e.jm));
          return;
        case 'tone':
          playTone(e.tone);
          return;
        case 'timer': {
          clearTimeout(timers.get(e.sid));
          timers.set(e.sid, setTimeout(() => {
            const cause = iceCause(e.sid);
            dispatch({ type: 'timeout', sid: e.sid, ...(cause ? { cause } : {}) });
          }, e.ms));
          return;
        }
        case 'start-session': {
          const stream = await getMedia(e.media);
          const s = client.jingle.createMediaSession(e.to, e.sid, stream);
          watchIce(s);
          await s.start();
          return;
        }
        case 'accept-session': {
          const s = client.jingle.sessions[e.sid] as MediaSession | undefined;
          if (!s) return;
          const stream = await getMedia(store.value.media ?? 'audio');
          for (const track of stream.getTracks()) await s.addTrack(track, stream);
          await s.accept();
          return;
        }
        case 'decline-session':
        case 'end-session': {
          const s = client.jingle.sessions[e.sid];
          if (!s) return;
          if (leaving && s.state !== 'ended') {
            const jingle = { action: 'session-terminate', sid: e.sid, reason: { condition: e.reason } };
            const sent = sendNow(client, 'iq', { type: 'set', id: client.nextId(), to: s.peerID, jingle });
            s.end(e.reason as 'success', sent); // silently when it went out above
            return;
          }
          s.end(e.reason as 'success');
          return;
        }
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      store.set((v) => ({ ...v, error: /permission|notallowed/i.test(message) ? 'Camera or microphone access was refused.' : message }));
      const sid = store.value.sid;
      if (sid) dispatch({ type: 'failed', sid });
    }
  }

  const own = () => bare(client.jid);

  const live: LiveMedia = {
    stream: () => store.value.local,
    // while the screen is shared, the camera is not on the sender: it is put back from the stream
    senders: () => session()?.pc.getSenders().filter((x) => x.track && x.track !== screen) ?? [],
    changed: (stream) => store.set((v) => (v.local === stream ? { ...v } : v)),
  };

  const peerCapabilities = watchPeerCapabilities(client, (peer) => hooks.peerResources?.(peer));

  /** Every JMI id seen, and what became of it, so that a settled or repeated propose never rings. */
  const history = new JmiHistory();
  /** Proposes that did not ring, by id, for their line in the conversation. */
  const quiet = new Map<string, Omit<QuietCall, 'reason'>>();

  /** The message forwarded in the last received carbon: StanzaJS emits it as a plain message next. */
  let carbonCopy: Message | undefined;
  client.on('carbon:received', (c) => { carbonCopy = c.carbon?.forward.message; });

  function onJmi(msg: Message & { from?: string }, self: boolean): void {
    const jm = msg.jingleMessage;
    if (!jm?.id || !msg.from) return;
    const carbon = msg === carbonCopy;
    carbonCopy = undefined;
    // (StanzaJS stamps the message forwarded in a carbon with a delay too)
    const route = history.receive({ id: jm.id, action: jm.type, self, delayed: !carbon && msg.delay !== undefined, carbon });
    if (route.line) {
      let q = quiet.get(jm.id);
      if (!q) {
        q = { sid: jm.id, peer: bare(msg.from), media: mediaOf(jm), at: msg.delay?.timestamp?.getTime() ?? Date.now() };
        quiet.set(jm.id, q);
        if (quiet.size > 50) quiet.delete(quiet.keys().next().value!);
      }
      hooks.onQuietCall?.({ ...q, reason: route.line });
    }
    if (!route.dispatch) return;
    const base = { sid: jm.id, from: msg.from, self };
    switch (jm.type) {
      case 'propose': dispatch({ type: 'propose', ...base, media: mediaOf(jm) }); break;
      case 'ringing': dispatch({ type: 'ringing', ...base }); break;
      case 'proceed':
      case 'accept': dispatch({ type: 'proceed', ...base }); break;
      case 'reject': dispatch({ type: 'reject', ...base, ...(jm.reason?.condition ? { reason: jm.reason.condition } : {}), ...(jm.tieBreak ? { tieBreak: true } : {}) }); break;
      case 'retract': dispatch({ type: 'retract', ...base }); break;
      case 'finish': dispatch({ type: 'finish', ...base }); break;
    }
  }

  client.on('message', (msg: ReceivedMessage) => {
    if (msg.jingleMessage && msg.type !== 'error') onJmi(msg, bare(msg.from) === own());
  });
  // XEP-0280: what our other devices sent (e.g. their proceed/reject) arrives as a sent carbon
  client.on('message:sent', (msg: Message, viaCarbon: boolean) => {
    if (viaCarbon && msg.jingleMessage) onJmi({ ...msg, from: msg.from ?? `${own()}/other` }, true);
  });

  client.on('jingle:incoming', (s) => {
    const ms = s as MediaSession;
    if (ms.pc) watchIce(ms);
    dispatch({ type: 'session-initiate', sid: s.sid, from: s.peerID, media: ms.includesVideo ? 'video' : 'audio' });
  });
  client.on('jingle:terminated', (s, reason) => {
    const cause = s.sid === store.value.sid ? iceCause(s.sid) : undefined;
    dispatch({ type: 'terminated', sid: s.sid, ...(reason?.condition ? { reason: reason.condition } : {}), ...(cause ? { cause } : {}) });
  });
  client.jingle.on('connectionState', (s: MediaSession, state: string) => {
    if (s.sid !== store.value.sid) return;
    if (state === 'connected') {
      dispatch({ type: 'connected', sid: s.sid, at: Date.now() });
      // switched off before media flowed (while ringing): say so now that the session can carry it
      if (store.value.muted) announce('audio', true);
      if (store.value.cameraOff) announce('video', true);
    }
    if (state === 'failed') {
      const cause = iceCause(s.sid);
      dispatch({ type: 'failed', sid: s.sid, ...(cause ? { cause } : {}) });
    }
    // ICE disconnected or failed after media flowed: ICE is restarted (features/ice-restart.ts); if
    // media is not back within MEDIA_LOSS_TIMEOUT_MS the call ends on both sides with connectivity-error
    if (state === 'interrupted' || state === 'disconnected') dispatch({ type: 'interrupted', sid: s.sid, at: Date.now() });
  });
  for (const [event, off] of [['mute', true], ['unmute', false]] as const) {
    client.jingle.on(event, (s: MediaSession, info: { name?: string }) => {
      if (s.sid !== store.value.sid) return;
      const kinds = mutedKinds(s, info ?? {});
      store.set((v) => ({
        ...v,
        ...(kinds.includes('audio') ? { remoteMuted: off } : {}),
        ...(kinds.includes('video') ? { remoteCameraOff: off } : {}),
      }));
    });
  }
  client.jingle.on('peerTrackAdded', (s: MediaSession, track: MediaStreamTrack) => {
    if (s.sid !== store.value.sid) return;
    if (track.kind === 'video') {
      // a camera turned off by a client that does not send <mute/> stops the frames: show a
      // placeholder rather than a frozen or black picture
      const stalled = (v: boolean) => () => { if (s.sid === store.value.sid) store.set((x) => ({ ...x, remoteVideoStalled: v })); };
      track.addEventListener('mute', stalled(true));
      track.addEventListener('unmute', stalled(false));
    }
    const remote = store.value.remote ?? new MediaStream();
    if (!remote.getTracks().includes(track)) remote.addTrack(track);
    store.set((v) => ({ ...v, remote }));
  });
  // A dropped XMPP connection does not end a call: media flows peer to peer, the stream is
  // resumed (XEP-0198) or re-established, and ICE failure or the timers end what cannot go on.

  return {
    async call(peer, media) {
      if (store.value.phase !== 'idle' && store.value.phase !== 'ended') return;
      store.set({ ...NO_CALL });
      try {
        await getMedia(media); // ask for the devices before ringing anyone
      } catch {
        store.set((v) => ({ ...v, phase: 'ended', endReason: 'failed', peer: bare(peer), media, error: 'Camera or microphone access was refused.' }));
        return;
      }
      const sid = newSessionId();
      store.set((v) => ({ ...v, phase: 'proposing', direction: 'outgoing', peer: bare(peer), media, sid, checking: true }));
      const found = reachability(await peerCapabilities(bare(peer)), media);
      if (store.value.sid !== sid || !store.value.checking) return; // hung up meanwhile
      store.set((v) => ({ ...v, checking: false }));
      if (found === 'offline' || found === 'incapable') {
        store.set((v) => ({ ...v, phase: 'idle' }));
        dispatch({ type: 'unreachable', sid, peer, media, reason: found });
        return;
      }
      store.set((v) => ({ ...v, phase: 'idle' }));
      dispatch({ type: 'call', sid, peer, media });
    },
    async accept() {
      try {
        await getMedia(store.value.media ?? 'audio');
      } catch {
        store.set((v) => ({ ...v, error: 'Camera or microphone access was refused.' }));
        dispatch({ type: 'decline' });
        return;
      }
      dispatch({ type: 'accept' });
    },
    decline: () => dispatch({ type: 'decline' }),
    hangup: () => {
      if (store.value.checking) {
        // nothing was sent yet: the check before ringing is simply abandoned
        stopMedia();
        store.set({ ...NO_CALL });
        return;
      }
      dispatch({ type: 'hangup' });
    },
    leave() {
      leaving = true;
      try {
        dispatch({ type: 'gone' });
      } finally {
        leaving = false;
      }
    },
    dismiss: () => dispatch({ type: 'dismiss' }),
    toggleMute() {
      const muted = !store.value.muted;
      for (const t of store.value.local?.getAudioTracks() ?? []) t.enabled = !muted;
      store.set((v) => ({ ...v, muted }));
      announce('audio', muted);
    },
    toggleCamera() {
      const cameraOff = !store.value.cameraOff;
      for (const t of store.value.local?.getVideoTracks() ?? []) t.enabled = !cameraOff;
      store.set((v) => ({ ...v, cameraOff }));
      announce('video', cameraOff);
    },
    async stats() {
      return session()?.pc.getStats();
    },
    configuration() {
      return session()?.pc.getConfiguration();
    },
    live,
    ...videoSwitch.actions,
    async toggleScreenShare() {
      const sender = session()?.pc.getSenders().find((x) => x.track?.kind === 'video');
      if (!sender) return;
      if (screen) {
        // the camera in the stream now (the device picker may have switched it meanwhile)
        await sender.replaceTrack(store.value.local?.getVideoTracks()[0] ?? camera ?? null);
        screen.stop();
        screen = undefined;
        store.set((v) => ({ ...v, sharing: false }));
        return;
      }
      const display = await navigator.mediaDevices.getDisplayMedia({ video: true });
      const track = display.getVideoTracks()[0];
      if (!track) return;
      track.contentHint = 'detail'; // keep text legible: lower the frame rate before the resolution
      camera = sender.track ?? undefined;
      screen = track;
      await sender.replaceTrack(track);
      track.addEventListener('ended', () => {
        if (screen === track) void this.toggleScreenShare();
      });
      store.set((v) => ({ ...v, sharing: true }));
    },
  };
}
