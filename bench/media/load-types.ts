// What a room driver hands the generator: the publishers' sources to tick, the receivers' counters.
import type { SyntheticSource, StreamCounter, Histogram } from './synthetic.js';

export interface RoomOptions {
  participants: number;
  /** UDP ports the generator's peers may bind. */
  peerPorts: [number, number];
  latency: { recording: boolean; hist: Histogram };
  /** The generator's publishers, ticked from the moment they are pushed here. */
  sources: SyntheticSource[];
  log: (s: string) => void;
}

export interface RoomLoad {
  counters: StreamCounter[];
  /** Seconds to bring the publishers and then the subscriptions up. */
  setup: { publishersS: number; subscribersS: number };
  close(): Promise<void>;
}
