// What the runner tells a generator process, and what it reports back.
export type MediaSut = 'carillon' | 'janus';

export interface GeneratorConfig {
  sut: MediaSut;
  participants: number;
  seconds: number;
  warmupS: number;
  peerPorts: [number, number];
  /** The server process measured (its whole process tree: all threads and children). */
  serverPid: number;
  janusUrl?: string;
  carillon?: { wsUrl: string; domain: string; callDomain: string; password: string; userPrefix: string };
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
  generator?: { cpuPctOfCore: number; saturated: boolean };
  machineBusyPct?: number;
  udpRcvbufErrors?: number;
  loadAverage1m?: number;
}
