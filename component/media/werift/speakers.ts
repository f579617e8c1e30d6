// Who is speaking, from the audio levels senders put in their RTP: the RFC 6464 client-to-mixer
// header extension (urn:ietf:params:rtp-hdrext:ssrc-audio-level), which browsers send when the
// answer negotiates it. The level is the packet's audio level in −dBov (0 loudest, 127 silence);
// nothing is decoded. Levels are gathered per source and looked at once per interval; a room's
// `speakers` report goes out only when someone starts or stops speaking. Pure (no timers, no I/O).
import type { SpeakerLevel } from '../router.js';

/**
 * A packet at or above −50 dBov counts as voice: speech into a headset or laptop microphone lies
 * around −20 to −40 dBov after the browser's gain control; a quiet room's noise floor below −60.
 */
export const VOICE_LEVEL = 50;
/** Speaking starts when at least this share of an interval's packets carry voice. */
const START_SHARE = 0.5;
/** …and ends after this many intervals in a row below STOP_SHARE (1 s at 4 intervals a second): pauses between words do not count. */
const STOP_SHARE = 0.2;
const HOLD_INTERVALS = 4;

interface Track {
  roomId: string;
  peerId: string;
  mid: string;
  sum: number;
  packets: number;
  voiced: number;
  level: number;
  speaking: boolean;
  quiet: number;
}

export class SpeakerDetector {
  private readonly tracks = new Map<string, Track>(); // by "peerId mid"

  /** One audio packet's level (RFC 6464 §3: the 7-bit level; the V flag is not relied on, not every sender sets it). */
  add(roomId: string, peerId: string, mid: string, level: number): void {
    const key = `${peerId} ${mid}`;
    let t = this.tracks.get(key);
    if (!t) {
      t = { roomId, peerId, mid, sum: 0, packets: 0, voiced: 0, level: 127, speaking: false, quiet: 0 };
      this.tracks.set(key, t);
    }
    t.sum += level;
    t.packets++;
    if (level <= VOICE_LEVEL) t.voiced++;
  }

  /** A peer closed: its sources are forgotten (its room's next report leaves it out). */
  remove(peerId: string): void {
    for (const [key, t] of this.tracks) if (t.peerId === peerId) this.tracks.delete(key);
  }

  /**
   * End an interval: the rooms in which someone started or stopped speaking, each with all of its
   * sources. A source that sent nothing (muted, or discontinuous transmission) was silent.
   */
  interval(): Map<string, SpeakerLevel[]> {
    const changed = new Set<string>();
    for (const t of this.tracks.values()) {
      const share = t.packets > 0 ? t.voiced / t.packets : 0;
      t.level = t.packets > 0 ? Math.round(t.sum / t.packets) : 127;
      t.sum = 0;
      t.packets = 0;
      t.voiced = 0;
      let speaking = t.speaking;
      if (!t.speaking && share >= START_SHARE) speaking = true;
      else if (t.speaking) {
        t.quiet = share < STOP_SHARE ? t.quiet + 1 : 0;
        if (t.quiet >= HOLD_INTERVALS) speaking = false;
      }
      if (speaking !== t.speaking) {
        t.speaking = speaking;
        t.quiet = 0;
        changed.add(t.roomId);
      }
    }
    const out = new Map<string, SpeakerLevel[]>();
    for (const t of this.tracks.values()) {
      if (!changed.has(t.roomId)) continue;
      const list = out.get(t.roomId) ?? [];
      list.push({ peerId: t.peerId, mid: t.mid, level: t.level, speaking: t.speaking });
      out.set(t.roomId, list);
    }
    return out;
  }
}
