// One call participant: its Jingle session with the room (the participant is the initiator, the
// room the responder) and the id of the media peer behind it in the data plane (../media/router.ts).
import { randomBytes } from 'node:crypto';
import type { Kind } from '../media/router.js';
import type { JingleContent, Jingle } from './jingle.js';

/** A source the participant sends: one m-line of its own session. */
export interface Source {
  owner: Participant;
  kind: Kind;
  mid: string;
}

export interface Subscription {
  owner: Participant;
  source: Source;
  removed: boolean;
  /** Last-N (last-n-call.ts): forwarded but paused; undefined until the forward is set up. */
  paused?: boolean;
}

export interface PendingAdd {
  names: string[];
  /** The sources offered, each with the mid of the m-line it is to be sent on. */
  entries: Array<{ owner: Participant; source: Source; mid: string }>;
  offered: { contents: JingleContent[]; groups: Jingle['groups'] };
  settle(accepted: JingleContent[] | 'rejected'): void;
}

export class Participant {
  /** The participant's own contents, from its session-initiate, in m-line order. */
  own: JingleContent[] = [];
  /** Its answers for contents the room added (content-accept), by name. */
  accepted = new Map<string, JingleContent>();
  /** What it sends, as the data plane reported it, by mid. */
  sources = new Map<string, Source>();
  /** Sources it refused (content-reject): not offered again. */
  declined = new Set<Source>();
  /** What it receives, by the content name (mid) on its session. */
  subscriptions = new Map<string, Subscription>();
  active = false;
  /** It announced urn:carillon:call:forwarding:0 in disco#info (forwarding-info.ts); false until known. */
  hearsForwarding = false;
  closed = false;
  negotiating = false;
  dirty = false;
  pending?: PendingAdd;
  /** The participant's ICE credentials since its last ICE restart (before: those in `own`). */
  remoteIce?: { usernameFragment: string; password: string };
  /** Settles once the data plane has its peer (trickled candidates wait for it). */
  created: Promise<void> = Promise.resolve();
  /** The data plane's latest local description of its session (for rebuilding its offers). */
  localSdp = '';
  /** Its own contents marked as a screen (participant-sources.ts), by name = mid on its session. */
  screens = new Set<string>();
  /** The media stream id (msid) its forwarded audio and video share, so receivers pair them. */
  readonly streamId = randomBytes(8).toString('hex');
  /** Its peer in the data plane. */
  readonly peerId = randomBytes(9).toString('base64url');

  constructor(readonly jid: string, public nick: string, readonly sid: string) {}

  /** Does it already receive (or is about to receive) this source? */
  receives(source: Source): boolean {
    if (this.declined.has(source)) return true;
    for (const s of this.subscriptions.values()) if (s.source === source && !s.removed) return true;
    return !!this.pending?.entries.some((e) => e.source === source);
  }
}
