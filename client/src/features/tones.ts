// Ringtone and ringback generated with WebAudio, so no audio file ships with the client.
import type { Tone } from '../protocol/call-machine.js';

let ctx: AudioContext | undefined;
let stopCurrent: (() => void) | undefined;

/** Browsers only let audio start after a user gesture: call this from one (the sign-in click). */
export function unlockAudio(): void {
  try {
    ctx ??= new AudioContext();
    void ctx.resume();
  } catch {
    // no WebAudio: calls still work, silently
  }
}

function beep(c: AudioContext, freqs: number[], start: number, dur: number, gain: number): void {
  const g = c.createGain();
  g.gain.setValueAtTime(0, start);
  g.gain.linearRampToValueAtTime(gain, start + 0.02);
  g.gain.setValueAtTime(gain, start + dur - 0.05);
  g.gain.linearRampToValueAtTime(0, start + dur);
  g.connect(c.destination);
  for (const f of freqs) {
    const o = c.createOscillator();
    o.type = 'sine';
    o.frequency.value = f;
    o.connect(g);
    o.start(start);
    o.stop(start + dur);
  }
}

// ring: a two-note chime twice, every 3 s; ringback: 425 Hz, 1 s on, 4 s off (ITU-T E.180)
const PATTERNS: Record<Exclude<Tone, 'off'>, { period: number; play: (c: AudioContext, t: number) => void }> = {
  ring: {
    period: 3000,
    play: (c, t) => {
      beep(c, [659.25], t, 0.22, 0.18);
      beep(c, [523.25], t + 0.25, 0.32, 0.18);
      beep(c, [659.25], t + 0.7, 0.22, 0.18);
      beep(c, [523.25], t + 0.95, 0.32, 0.18);
    },
  },
  ringback: { period: 5000, play: (c, t) => beep(c, [425], t, 1, 0.08) },
};

/** The page's one AudioContext, running; undefined without WebAudio. */
function audio(): AudioContext | undefined {
  try {
    ctx ??= new AudioContext();
  } catch {
    return undefined;
  }
  void ctx.resume();
  return ctx;
}

export function playTone(tone: Tone): void {
  stopCurrent?.();
  stopCurrent = undefined;
  if (tone === 'off') return;
  const c = audio();
  if (!c) return;
  const p = PATTERNS[tone];
  p.play(c, c.currentTime + 0.05);
  const timer = setInterval(() => p.play(c, c.currentTime + 0.05), p.period);
  stopCurrent = () => clearInterval(timer);
}

/** A short two-note chime for a message that arrives while the page is in the background. */
export function playChime(): void {
  const c = audio();
  if (!c) return;
  beep(c, [880], c.currentTime + 0.02, 0.12, 0.08);
  beep(c, [1174.66], c.currentTime + 0.14, 0.16, 0.08);
}
