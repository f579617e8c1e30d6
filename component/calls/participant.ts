// One call participant: its Jingle session with the room (the participant is the initiator, the
// room the responder) and the media peer behind it.
import type { JingleContent, Jingle } from './jingle-sdp.js';
import type { IncomingSource, MediaPeer } from './media-peer.js';
import type { RTCRtpTransceiver } from 'werift';
import { randomBytes } from 'node:crypto';

export interface Subscription {
  owner: Participant;
  source: IncomingSource;
  transceiver: RTCRtpTransceiver;
  stop(): void;
  removed: boolean;
}

export interface PendingAdd {
  names: string[];
  entries: Array<{ owner: Participant; source: IncomingSource; transceiver: RTCRtpTransceiver }>;
  offered: { contents: JingleContent[]; groups: Jingle['groups'] };
  settle(accepted: JingleContent[] | 'rejected'): void;
}

export class Participant {
  /** The participant's own contents, from its session-initiate, in m-line order. */
  own: JingleContent[] = [];
  /** Its answers for contents the room added (content-accept), by name. */
  accepted = new Map<string, JingleContent>();
  /** Sources it refused (content-reject): not offered again. */
  declined = new Set<IncomingSource>();
  /** What it receives, by the content name (mid) on its session. */
  subscriptions = new Map<string, Subscription>();
  active = false;
  closed = false;
  negotiating = false;
  dirty = false;
  pending?: PendingAdd;
  /** The media stream id (msid) its forwarded audio and video share, so receivers pair them. */
  readonly streamId = randomBytes(8).toString('hex');

  constructor(readonly jid: string, public nick: string, readonly sid: string, readonly peer: MediaPeer) {}

  /** Does it already receive (or is about to receive) this source? */
  receives(source: IncomingSource): boolean {
    if (this.declined.has(source)) return true;
    for (const s of this.subscriptions.values()) if (s.source === source && !s.removed) return true;
    return !!this.pending?.entries.some((e) => e.source === source);
  }
}
