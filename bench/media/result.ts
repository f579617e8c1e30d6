// What the runner tells a generator process, and what it reports back.
export type MediaSut = 'carillon' | 'janus';

/** What one generator process is started with (generator.ts). */
export interface GeneratorConfig {
  sut: MediaSut;
  /** The room's size, over all processes. */
  participants: number;
  /** The participants this process drives. */
  members: number[];
  /** This process's place among the room's generator processes; the first creates the room. */
  index: number;
  processes: number;
  room: string;
  peerPorts: [number, number];
  janusUrl?: string;
  carillon?: { wsUrl: string; domain: string; callDomain: string; password: string; userPrefix: string };
}

/** A generator's counters at one instant. */
export interface WindowCounts {
  received: number;
  late: number;
  expected: number;
  sent: number;
  /** The process's own CPU seconds (utime + stime). */
  cpuS: number;
  /** Wall clock, ms. */
  at: number;
  streams: number;
}

/** One generator's answer to one command. */
export interface GeneratorReply {
  ok: boolean;
  error?: string;
  seconds?: number;
  window?: { start: WindowCounts; end: WindowCounts; bins: Array<[number, number]> };
}

export interface MediaResult {
  sut: MediaSut;
  participants: number;
  ok: boolean;
  error?: string;
  setupS?: { publishersS: number; subscribersS: number };
  windowS?: number;
  sentPerS?: number;
  /** Distinct RTP packets received by all receivers together, per second (copies not counted). */
  forwardedPerS?: number;
  /** What a lossless SFU would have delivered: sent × (N − 1). */
  idealPerS?: number;
  /** N × (N − 1) × packets per publisher per second. */
  nominalPerS?: number;
  /** Packets received again (at or behind the highest sequence number seen: copies, retransmissions), per second. */
  copiesPerS?: number;
  /** Forwarded streams (tracks) at all receivers together. */
  streams?: number;
  lossPct?: number | null;
  /** Receive time minus the send time carried in the payload (same clock), over the window. */
  latencyMs?: { p50: number | null; p95: number | null; p99: number | null; samples: number };
  server?: { pid: number; cpuS: number; cpuPctOfCore: number; cpuSPer1000: number | null; rssMB: number; rssIdleMB: number; rssPerParticipantMB: number };
  /** The busiest generator process (of `processes`), and whether one was saturated. */
  generator?: { cpuPctOfCore: number; saturated: boolean; processes?: number; perProcessPct?: number[] };
  machineBusyPct?: number;
  udpRcvbufErrors?: number;
  loadAverage1m?: number;
}
