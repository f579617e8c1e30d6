// Last-N video (docs/calls.md): in a call of more than `threshold` participants each receiver gets
// the video of only the N participants who spoke most recently (never its own), and everyone's
// audio. The same idea as Jitsi Videobridge's lastN, ordered the same way: by speaker history,
// those who have not spoken yet in the order they joined. Pure: the call (last-n-call.ts) feeds it
// joins, leaves and the data plane's `speakers` reports, and applies what it returns.
import type { Checks } from '../../xmpp/config-checks.js';

export interface LastNSettings {
  /** Video sources each receiver gets in a large call; 0 turns last-N off (everyone gets everyone). */
  n: number;
  /** Last-N applies once a call has more participants than this. */
  threshold: number;
}

/**
 * Everyone sees everyone up to 8 participants (the default call cap, so a default call is not
 * changed): 7 streams of ~500 kbit/s, 3.5 Mbit/s down, which home lines and phones take. Beyond
 * 8, a receiver gets 6 videos whatever the size of the room: 3 Mbit/s down, and a grid of 6 others
 * plus oneself is what a phone or laptop screen shows at a size worth decoding.
 */
export const LAST_N_DEFAULT: LastNSettings = { n: 6, threshold: 8 };

/** Participants (by id), most recent speaker first; those who never spoke after, in join order. */
export class SpeakerOrder {
  private order: string[] = [];

  get ids(): readonly string[] {
    return this.order;
  }

  join(id: string): void {
    if (!this.order.includes(id)) this.order.push(id);
  }

  leave(id: string): void {
    this.order = this.order.filter((x) => x !== id);
  }

  /**
   * Those who started speaking go to the front, the loudest (lowest RFC 6464 level) first; whether
   * the order changed. Someone already speaking keeps its place, so a long talk does not reshuffle.
   */
  started(speakers: ReadonlyArray<{ id: string; level: number }>): boolean {
    const known = speakers.filter((s) => this.order.includes(s.id));
    if (known.length === 0) return false;
    const front = [...known].sort((a, b) => a.level - b.level).map((s) => s.id);
    const next = [...front, ...this.order.filter((x) => !front.includes(x))];
    const changed = next.some((x, i) => x !== this.order[i]);
    this.order = next;
    return changed;
  }
}

/**
 * Whose video a receiver gets: the first N of the order other than itself, or null for everyone's
 * (last-N off, or a call not above the threshold).
 */
export function videoFrom(order: readonly string[], receiver: string, s: LastNSettings): Set<string> | null {
  if (s.n <= 0 || order.length <= s.threshold) return null;
  return new Set(order.filter((id) => id !== receiver).slice(0, s.n));
}

/**
 * The `lastN` key of a config (server `call.lastN`, component `component.lastN`): an object with
 * `n` (0–100; 0: off) and `threshold` (0–1000), each defaulting to LAST_N_DEFAULT's.
 */
export function parseLastN(key: string, v: unknown, c: Checks): LastNSettings {
  if (v === undefined) return { ...LAST_N_DEFAULT };
  const s = c.section(key, v);
  c.only(key, s, ['n', 'threshold']);
  return {
    n: c.int(`${key}.n`, s.n, LAST_N_DEFAULT.n, 0, 100),
    threshold: c.int(`${key}.threshold`, s.threshold, LAST_N_DEFAULT.threshold, 0, 1000),
  };
}
