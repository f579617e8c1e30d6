// Who is speaking in a room call, from the audio level of each inbound audio stream
// (RTCInboundRtpStreamStats.audioLevel, 0..1, RFC 6464 levels as decoded by the browser): levels
// are smoothed, and the highlight moves only to someone clearly louder for a while (hysteresis),
// so that it does not flicker between people talking over each other or on a cough. Pure, except
// `watchSpeaker`, which samples getStats.

/** Below this smoothed level nobody is speaking (about -34 dBov). */
export const SPEAKING = 0.02;
/** A challenger must be this much louder than the current speaker … */
const LOUDER = 1.5;
/** … for this many samples in a row. */
const HOLD = 3;
/** Weight of a new sample in the moving average. */
const ALPHA = 0.4;

export interface SpeakerState {
  levels: Record<string, number>;
  speaker?: string;
  challenger?: string;
  streak: number;
}

export const NO_SPEAKER: SpeakerState = { levels: {}, streak: 0 };

/** One sample: the audio level per owner. Returns the next state. */
export function sampleLevels(s: SpeakerState, sample: Record<string, number>): SpeakerState {
  const levels: Record<string, number> = {};
  for (const [owner, level] of Object.entries(sample)) levels[owner] = (s.levels[owner] ?? 0) * (1 - ALPHA) + level * ALPHA;
  const loudest = Object.entries(levels).sort((a, b) => b[1] - a[1])[0];
  const current = s.speaker !== undefined ? levels[s.speaker] ?? 0 : 0;
  if (!loudest || loudest[1] < SPEAKING) {
    // silence: the last speaker stays highlighted until they are quiet for HOLD samples
    const streak = s.challenger === '' ? s.streak + 1 : 1;
    return streak >= HOLD ? { levels, streak: 0 } : { levels, ...(s.speaker ? { speaker: s.speaker } : {}), challenger: '', streak };
  }
  const [who, level] = loudest;
  if (who === s.speaker) return { levels, speaker: who, streak: 0 };
  if (s.speaker === undefined || current < SPEAKING) return { levels, speaker: who, streak: 0 };
  if (level < current * LOUDER) return { levels, speaker: s.speaker, streak: 0 };
  const streak = s.challenger === who ? s.streak + 1 : 1;
  if (streak >= HOLD) return { levels, speaker: who, streak: 0 };
  return { levels, speaker: s.speaker, challenger: who, streak };
}

/** Audio levels per owner from a getStats report; `ownerOf` maps an m-line's mid to its owner. */
export function levelsFrom(report: RTCStatsReport, ownerOf: (mid: string) => string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  report.forEach((r: { type: string; kind?: string; mid?: string; audioLevel?: number }) => {
    if (r.type !== 'inbound-rtp' || r.kind !== 'audio' || r.mid === undefined || r.audioLevel === undefined) return;
    const owner = ownerOf(r.mid);
    if (owner) out[owner] = Math.max(out[owner] ?? 0, r.audioLevel);
  });
  return out;
}

/** Samples every 400 ms while the call lasts; returns a stop function. */
export function watchSpeaker(stats: () => Promise<RTCStatsReport | undefined>, ownerOf: (mid: string) => string | undefined, onSpeaker: (owner: string | undefined) => void): () => void {
  let state = NO_SPEAKER;
  let stopped = false;
  const tick = async () => {
    const report = await stats().catch(() => undefined);
    if (stopped || !report) return;
    const next = sampleLevels(state, levelsFrom(report, ownerOf));
    if (next.speaker !== state.speaker) onSpeaker(next.speaker);
    state = next;
  };
  const timer = setInterval(() => void tick(), 400);
  return () => { stopped = true; clearInterval(timer); };
}
