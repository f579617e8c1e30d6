// What every scenario gets, and what it gives back.
import type { WorkerPool } from '../load/pool.js';
import type { BenchServer } from '../servers/types.js';
import type { Scale } from '../scale.js';

export interface Context {
  pool: WorkerPool;
  server: BenchServer;
  scale: Scale;
  password: string;
  /** account names: u0 … u{n-1}, plus the fan-out owner */
  user: (i: number) => string;
  owner: string;
  log: (s: string) => void;
  /** called with no sessions open and again at the largest idle count (heap snapshots when profiling) */
  checkpoint?: (label: string) => Promise<void>;
}

export type Outcome<T> = { status: 'ok'; data: T } | { status: 'failed'; error: string; data?: Partial<T> };

export function failed<T>(error: string, data?: Partial<T>): Outcome<T> {
  return { status: 'failed', error, data };
}

/** Errors gathered from workers, or null when there were none. */
export function firstErrors(lists: string[][]): string | null {
  const all = lists.flat();
  return all.length ? all.slice(0, 5).join(' | ') : null;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
