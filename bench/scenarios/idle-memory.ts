// Scenario 1: memory per idle authenticated session. Sessions (STARTTLS, SCRAM, bind, initial
// presence) are added in steps; the server's RSS is read from /proc after each step settles. The
// figure is the growth per session between the first and the last step, not one point. At the
// end every session answers a ping (XEP-0199), which proves they are all still held.
import type { BatchResult } from '../load/protocol.js';
import { rssBytes } from '../servers/proc.js';
import { failed, firstErrors, sleep, type Context, type Outcome } from './context.js';

export interface IdleMemory {
  points: Array<{ sessions: number; rssMB: number }>;
  baselineMB: number;
  kBPerSession: number;
  sessionsHeld: number;
  rampLoginsPerSec: number;
}

export function byWorker(ctx: Context, from: number, to: number): string[][] {
  const out: string[][] = Array.from({ length: ctx.pool.size }, () => []);
  for (let i = from; i < to; i++) out[i % ctx.pool.size].push(ctx.user(i));
  return out;
}

async function sampleRss(pid: number, settleMs: number): Promise<number> {
  await sleep(settleMs);
  let sum = 0;
  for (let k = 0; k < 3; k++) {
    sum += rssBytes(pid);
    await sleep(300);
  }
  return sum / 3;
}

export async function idleMemory(ctx: Context): Promise<Outcome<IdleMemory>> {
  const pid = ctx.server.pid;
  const baseline = await sampleRss(pid, ctx.scale.settleMs);
  await ctx.checkpoint?.('0-sessions');
  const points: IdleMemory['points'] = [];
  let prev = 0;
  let loginMs = 0;
  for (const n of ctx.scale.idle) {
    const parts = byWorker(ctx, prev, n);
    const t0 = performance.now();
    const res = await ctx.pool.all<BatchResult>((w) => ({
      op: 'login', group: 'idle', users: parts[w], password: ctx.password, mechanism: 'SCRAM-SHA-1', transport: 'tcp',
      presence: true, keep: true, concurrency: ctx.scale.loginConcurrency,
    }));
    loginMs += performance.now() - t0;
    const err = firstErrors(res.map((r) => r.errors));
    const partial = { points, baselineMB: baseline / 2 ** 20 };
    if (err) return failed<IdleMemory>(`login of session ${prev + 1}…${n}: ${err}`, partial);
    const rss = await sampleRss(pid, ctx.scale.settleMs);
    points.push({ sessions: n, rssMB: rss / 2 ** 20 });
    ctx.log(`  ${n} idle sessions: RSS ${(rss / 2 ** 20).toFixed(1)} MB`);
    prev = n;
  }
  const pings = await ctx.pool.all<BatchResult>({ op: 'ping', group: 'idle', concurrency: 200 });
  const held = pings.reduce((a, r) => a + r.ok, 0);
  await ctx.checkpoint?.(`${prev}-sessions`);
  const first = points[0];
  const last = points[points.length - 1];
  const data: IdleMemory = {
    points,
    baselineMB: baseline / 2 ** 20,
    kBPerSession: ((last.rssMB - first.rssMB) * 1024) / (last.sessions - first.sessions),
    sessionsHeld: held,
    rampLoginsPerSec: (prev / loginMs) * 1000,
  };
  const err = firstErrors(pings.map((r) => r.errors));
  if (err || held !== prev) return failed(`${prev - held} of ${prev} sessions did not answer a ping: ${err}`, data);
  return { status: 'ok', data };
}
