// What a room driver hands the generator: the publishers' sources to tick, the receivers' counters.
// One room may be driven by several generator processes: each brings up its own members (global
// participant indices) of the same room, in two phases the runner paces across the processes.
import type { SyntheticSource, StreamCounter, Histogram } from './synthetic.js';

export interface RoomOptions {
  /** The room's size, over all generator processes. */
  participants: number;
  /** The participants this process drives (indices 0 … participants − 1). */
  members: number[];
  /** The room, as the runner named it: the same in every process. */
  room: string;
  /** This process creates the room (Janus: the first process; Carillon rooms are created on entry). */
  createRoom: boolean;
  /** UDP ports this process's peers may bind (its own part of the bench's range). */
  peerPorts: [number, number];
  latency: { recording: boolean; hist: Histogram };
  /** Videos each receiver is due: the others' (participants − 1), fewer in a last-N room. */
  videosPerReceiver: number;
  /** The RFC 6464 audio level participant i sends in every audio packet; undefined: none (no extension). */
  level?: (i: number) => number | undefined;
  /** The generator's publishers, ticked from the moment they are pushed here. */
  sources: SyntheticSource[];
  log: (s: string) => void;
}

export interface RoomLoad {
  counters: StreamCounter[];
  /** Bring this process's members in as publishers; seconds taken. */
  publish(): Promise<number>;
  /** Once every process has published: make this process's members receive every other participant; seconds taken. */
  subscribe(): Promise<number>;
  close(): Promise<void>;
}
