// Messages between the runner and its load worker processes (over the child_process IPC channel).
import type { Mechanism, Target, Transport } from './session.js';

export type Command =
  | { op: 'target'; target: Target }
  | { op: 'register'; users: string[]; password: string; transport: Transport; concurrency: number }
  | {
      op: 'login';
      group: string;
      users: string[];
      password: string;
      mechanism: Mechanism;
      transport: Transport;
      presence: boolean;
      keep: boolean;
      concurrency: number;
    }
  | { op: 'ping'; group: string; concurrency: number }
  | { op: 'close'; group: string }
  | { op: 'pairs'; group: string; pairs: Array<[string, string]> }
  | { op: 'paced'; rate: number; durationMs: number; drainMs: number }
  | { op: 'fanOwner'; group: string; owner: string }
  | { op: 'fanSubscribe'; group: string; users: string[]; owner: string; concurrency: number; timeoutMs: number }
  | { op: 'fanArm'; group: string; users: string[]; owner: string; marker: string }
  | { op: 'fanCollect'; timeoutMs: number }
  | { op: 'fanSend'; group: string; owner: string; marker: string }
  | { op: 'stats' };

export interface BatchResult {
  ok: number;
  errors: string[];
  ms: number;
}

export interface FlowResult {
  sent: number;
  received: number;
  /** messages received while sending went on, and how long that was */
  windowReceived: number;
  windowMs: number;
  /** from the first send to the last receipt */
  spanMs: number;
  lost: number;
  errors: string[];
  latencies?: number[];
}

export interface FanResult {
  expected: number;
  received: number;
  /** wall-clock time (ms since epoch, fractional) of the last delivery */
  last: number;
  errors: string[];
}

export interface Reply {
  id: number;
  ok: boolean;
  error?: string;
  result?: unknown;
}
