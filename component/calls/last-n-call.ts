// Last-N in one room's call: keeps the speaker order (last-n.ts) from joins, leaves and the data
// plane's `speakers` reports, and tells the data plane which forwarded video to pause or resume
// (MediaRouter.setForwarding; resuming asks the sender for a keyframe). Audio is never paused, nor
// a shared screen (a presentation is what everyone in the call is there to see). The m-lines stay
// negotiated: a paused source costs no renegotiation, only its RTP stops.
import type { MediaRouter, SpeakerLevel } from '../media/router.js';
import { SpeakerOrder, videoFrom, type LastNSettings } from './last-n.js';
import type { Participant, Subscription } from './participant.js';

export class LastNForwarding {
  private readonly order = new SpeakerOrder();
  /** Participants (peer ids) speaking at the last report. */
  private speaking = new Set<string>();

  constructor(
    private readonly router: MediaRouter, private readonly settings: LastNSettings,
    /** Told of every change of a forward's state, to tell the receiver (forwarding-info.ts). */
    private readonly changed: (q: Participant, mid: string, on: boolean) => void = () => undefined,
  ) {}

  /** A participant is in the call (its session-initiate was taken). */
  join(p: Participant, all: Iterable<Participant>): void {
    this.order.join(p.peerId);
    this.apply(all);
  }

  leave(p: Participant, all: Iterable<Participant>): void {
    this.order.leave(p.peerId);
    this.speaking.delete(p.peerId);
    this.apply(all);
  }

  /** The data plane's report of who speaks in the room. */
  speakers(sources: readonly SpeakerLevel[], all: Iterable<Participant>): void {
    const now = new Map<string, number>();
    for (const s of sources) {
      if (!s.speaking) continue;
      now.set(s.peerId, Math.min(now.get(s.peerId) ?? 127, s.level));
    }
    const started = [...now].filter(([id]) => !this.speaking.has(id)).map(([id, level]) => ({ id, level }));
    this.speaking = new Set(now.keys());
    if (this.order.started(started)) this.apply(all);
  }

  /** Should q get what this subscription carries now? */
  wanted(q: Participant, sub: Pick<Subscription, 'owner' | 'source'>): boolean {
    if (sub.source.kind !== 'video' || sub.owner.screens.has(sub.source.mid)) return true;
    const from = videoFrom(this.order.ids, q.peerId, this.settings);
    return from === null || from.has(sub.owner.peerId);
  }

  /** Pause and resume forwards to match the order; only changes reach the data plane. */
  apply(all: Iterable<Participant>): void {
    for (const q of all) {
      if (q.closed) continue;
      for (const [mid, sub] of q.subscriptions) {
        // not forwarded yet: the forward starts in the state wanted then (applyAnswer, renegotiation.ts)
        if (sub.removed || sub.paused === undefined) continue;
        const on = this.wanted(q, sub);
        if (sub.paused === !on) continue;
        sub.paused = !on;
        this.router.setForwarding({ peerId: q.peerId, mid }, on).catch(() => undefined);
        this.changed(q, mid, on);
      }
    }
  }
}
