// Adding video to a running 1:1 Jingle session (XEP-0166 §6.7 content-add, XEP-0167 video
// description), in the browser, on a StanzaJS MediaSession (which rejects every content-add).
// As Conversations does: an incoming video content-add is held (acknowledged at once) and the
// user is asked; accepting answers content-accept, declining content-reject. The SDP of each
// renegotiation is the session's current remote description plus the added content, translated
// through xmpp/jingle-sdp both ways.
import type { MediaSession } from 'stanza/jingle/index.js';
import type { Jingle, JingleContent, JingleContentGroup } from 'stanza/protocol/index.js';
import { jingleToSdp, rtpDescription, sdpToJingle } from '../../../xmpp/jingle-sdp/index.js';
import { peerSetup } from '../protocol/ice-restart.js';

type Cb = (err?: { condition: string; jingleError?: string; type?: string; text?: string }) => void;
type Role = 'initiator' | 'responder';

/** The parts of StanzaJS's session this file takes over or uses (protected there). */
interface SessionInternals {
  pc: RTCPeerConnection;
  role: Role;
  peerRole: Role;
  state: string;
  send(action: string, data: Partial<Jingle>): void;
  processLocal<T>(name: string, handler: () => Promise<T>): Promise<T>;
  onContentAdd(changes: Jingle, cb: Cb): void;
  onContentAccept(changes: Jingle, cb: Cb): Promise<void> | void;
  onContentReject(changes: Jingle, cb: Cb): Promise<void> | void;
  _log(level: string, message: string, ...data: unknown[]): void;
}

export interface AddVideoHooks {
  /** The peer asks to add video: call accept() or reject(). */
  onRequest(): void;
  /** What became of our own content-add. */
  onAnswer(accepted: boolean): void;
}

export interface AddVideo {
  /** Sends our camera in a new content (content-add); the answer comes through onAnswer. */
  offer(track: MediaStreamTrack, stream: MediaStream): Promise<void>;
  /** Accepts the held request, sending `track` back when given (else receive only). */
  accept(track?: MediaStreamTrack, stream?: MediaStream): Promise<void>;
  /** Declines the held request (content-reject). */
  reject(): void;
  /** Who created a content (XEP-0166 `creator`), by name, for transport-infos about it. */
  creatorOf(name: string): Role;
}

const bundleOf = (contents: JingleContent[]): JingleContentGroup[] =>
  [{ semantics: 'BUNDLE', contents: contents.map((c) => c.name) }];

/** Only video RTP contents may be added here (XEP-0167); anything else is refused. */
export function isVideoAddition(changes: Pick<Jingle, 'contents'>): boolean {
  const contents = changes.contents ?? [];
  return contents.length > 0 && contents.every((c) => rtpDescription(c)?.media === 'video');
}

export function attachAddVideo(ms: MediaSession, hooks: AddVideoHooks): AddVideo {
  const s = ms as unknown as SessionInternals;
  const pc = s.pc;
  const creators = new Map<string, Role>();
  /** The peer's content-add, waiting for the user. */
  let held: Jingle | undefined;
  /** Our content-add, waiting for the peer: its transceiver and track. */
  let ours: { transceiver: RTCRtpTransceiver; track: MediaStreamTrack } | undefined;

  /** The peer's current description as Jingle, with `added` after its contents (m-line order). */
  const remoteWith = (added: Jingle): { contents: JingleContent[]; groups: JingleContentGroup[] } => {
    const current = sdpToJingle(pc.remoteDescription!.sdp, s.peerRole);
    const contents = [...current.contents, ...(added.contents ?? [])];
    return { contents, groups: added.groups?.length ? added.groups : bundleOf(contents) };
  };

  /**
   * The peer's description with `added`, as SDP of `type`. An answer may not say actpass
   * (RFC 8842 §5.3), and an offer built from the peer's earlier answer keeps the DTLS role it
   * chose then: in both, every m-line (the added one too) gets the role the peer holds.
   */
  const remoteSdp = (added: Jingle, type: 'offer' | 'answer'): string => {
    const sdp = jingleToSdp(remoteWith(added), s.peerRole);
    if (type === 'offer' && pc.remoteDescription!.type !== 'answer') return sdp;
    return sdp.replace(/^a=setup:actpass$/gm, `a=setup:${peerSetup(pc.localDescription?.sdp, pc.remoteDescription!.sdp)}`);
  };

  s.onContentAdd = (changes, cb) => {
    if (!isVideoAddition(changes)) {
      cb();
      s.send('content-reject', { contents: changes.contents, reason: { condition: 'failed-application', text: 'Only video can be added' } });
      return;
    }
    // an offer of ours (content-add or ICE restart) is under way: XEP-0166 §7.2 tie-break
    if (held || ours || pc.signalingState !== 'stable') {
      cb({ condition: 'conflict', jingleError: 'tie-break', type: 'cancel' });
      return;
    }
    for (const c of changes.contents ?? []) creators.set(c.name, c.creator ?? s.peerRole);
    held = changes;
    cb(); // acknowledged now; content-accept or content-reject follows once the user decides
    hooks.onRequest();
  };

  s.onContentAccept = async (changes, cb) => {
    const pending = ours;
    if (!pending || pc.signalingState !== 'have-local-offer') return cb({ condition: 'unexpected-request', jingleError: 'out-of-order', type: 'cancel' });
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp: remoteSdp(changes, 'answer') });
      ours = undefined;
      cb();
      hooks.onAnswer(true);
    } catch (err) {
      s._log('error', 'Could not apply a content-accept', err);
      cb({ condition: 'bad-request' });
      await undo(pending);
      hooks.onAnswer(false);
    }
  };

  s.onContentReject = async (_changes, cb) => {
    const pending = ours;
    if (!pending) return cb({ condition: 'unexpected-request', jingleError: 'out-of-order', type: 'cancel' });
    cb();
    await undo(pending);
    hooks.onAnswer(false);
  };

  /** Our content is gone: back to the description before it, its transceiver stopped. */
  async function undo(pending: NonNullable<typeof ours>): Promise<void> {
    ours = undefined;
    if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' }).catch(() => undefined);
    if (pending.transceiver.mid) creators.delete(pending.transceiver.mid);
    pending.transceiver.stop();
  }

  return {
    creatorOf: (name) => creators.get(name) ?? 'initiator',
    offer: (track, stream) => s.processLocal('content-add', async () => {
      if (ours || held || pc.signalingState !== 'stable') throw new Error('Another change of the call is under way');
      const transceiver = pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
      ours = { transceiver, track };
      try {
        await pc.setLocalDescription(await pc.createOffer());
        const local = sdpToJingle(pc.localDescription!.sdp, s.role);
        const contents = local.contents.filter((c) => c.name === transceiver.mid).map((c) => ({ ...c, creator: s.role }));
        for (const c of contents) creators.set(c.name, s.role);
        // the whole BUNDLE group, as it is after the addition (XEP-0338)
        s.send('content-add', { contents, groups: local.groups });
      } catch (err) {
        await undo({ transceiver, track });
        throw err;
      }
    }),
    accept: (track, stream) => s.processLocal('content-accept', async () => {
      const request = held;
      if (!request) return;
      held = undefined;
      await pc.setRemoteDescription({ type: 'offer', sdp: remoteSdp(request, 'offer') });
      const names = new Set((request.contents ?? []).map((c) => c.name));
      for (const t of pc.getTransceivers()) {
        if (!t.mid || !names.has(t.mid)) continue;
        if (track) {
          await t.sender.replaceTrack(track);
          if (stream) t.sender.setStreams(stream);
          t.direction = 'sendrecv';
        } else {
          t.direction = 'recvonly';
        }
      }
      await pc.setLocalDescription(await pc.createAnswer());
      const contents = sdpToJingle(pc.localDescription!.sdp, s.role).contents
        .filter((c) => names.has(c.name))
        .map((c) => ({ ...c, creator: creators.get(c.name) ?? s.peerRole }));
      s.send('content-accept', { contents });
    }),
    reject() {
      const request = held;
      if (!request || s.state === 'ended') return;
      held = undefined;
      for (const c of request.contents ?? []) creators.delete(c.name);
      void s.processLocal('content-reject', async () => {
        s.send('content-reject', {
          contents: (request.contents ?? []).map((c) => ({ creator: c.creator ?? s.peerRole, name: c.name }) as JingleContent),
          reason: { condition: 'decline' },
        });
      });
    },
  };
}
