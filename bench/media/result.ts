// What the runner tells a generator process, and what it reports back.
import type { LastNSettings } from '../../component/calls/last-n.js';

/**
 * The SFUs under test: Carillon and Janus all receiving all (last-N off, like for like), and
 * Carillon as a user's room gets it by default, last-N on (`carillon-lastn`).
 */
export type MediaSut = 'carillon' | 'janus' | 'carillon-lastn';

/**
 * The videos each receiver is meant to get in a room of n: the others' (n − 1), or with last-N on
 * and the room above its threshold, the `n` most recent speakers' (component/calls/last-n.ts videoFrom).
 */
export function videosPerReceiver(n: number, lastN?: LastNSettings): number {
  return lastN && lastN.n > 0 && n > lastN.threshold ? Math.min(lastN.n, n - 1) : n - 1;
}

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
  /** Carillon with last-N on: its settings, so the generator knows what is due and who is loud. */
  lastN?: LastNSettings;
  carillon?: { wsUrl: string; domain: string; callDomain: string; password: string; userPrefix: string };
}

/** A generator's counters at one instant. */
export interface WindowCounts {
  received: number;
  late: number;
  expected: number;
  sent: number;
  sentAudio: number;
  sentVideo: number;
  /** Streams that received a packet since the window's start (set in the end counts only). */
  flowing?: { audio: number; video: number };
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
  sentAudioPerS?: number;
  sentVideoPerS?: number;
  /** Distinct RTP packets received by all receivers together, per second (copies not counted). */
  forwardedPerS?: number;
  /**
   * What a lossless SFU would have delivered: audio sent × (N − 1) + video sent × the videos each
   * receiver is due (N − 1 all receiving all, last-N's n above its threshold).
   */
  idealPerS?: number;
  /** The same from the nominal rates: N × (N − 1) × 50 audio + N × videos × 60 video packets/s. */
  nominalPerS?: number;
  /** Streams each receiver is due, and how many the receivers together had moving in the window. */
  due?: { audioPerReceiver: number; videoPerReceiver: number; audio: number; video: number };
  flowing?: { audio: number; video: number };
  /** Carillon's last-N settings in this run (carillon-lastn only). */
  lastN?: LastNSettings;
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
  /** The machine's cores' busy share over the window (over the attempt when set-up failed). */
  machineBusyPct?: number;
  udpRcvbufErrors?: number;
  loadAverage1m?: number;
}

/**
 * All cores this busy (the SFU and the generator share the machine): what is lost then is the
 * machine's doing, not a measure of the SFU alone.
 */
export const MACHINE_SATURATED_PCT = 95;

export const machineSaturated = (r: MediaResult | undefined): boolean => (r?.machineBusyPct ?? 0) >= MACHINE_SATURATED_PCT;
