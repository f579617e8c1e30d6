// Scenarios 3 and 4: chat messages between online pairs.
// Throughput: each sender keeps `window` messages in flight to its partner (a new one leaves as
// one arrives); the window grows until the delivered rate stops growing — the server is then
// saturated. Every message is counted on arrival; after each step the flow drains and any
// message not delivered fails the scenario.
// Latency: messages at a fixed rate (half the measured throughput, and a reference rate equal for
// every server), each carrying its send time; p50/p99 of send→receive over all of them.
import type { BatchResult, FlowResult } from '../load/protocol.js';
import { cpuSeconds } from '../servers/proc.js';
import { failed, firstErrors, percentile, type Context, type Outcome } from './context.js';

export interface Throughput {
  msgPerSec: number;
  window: number;
  serverCores: number;
  generatorCores: number;
  steps: Array<{ window: number; msgPerSec: number; serverCores: number }>;
  delivered: number;
}

export interface Latency {
  rate: number;
  messages: number;
  p50: number;
  p99: number;
  max: number;
}

export async function setupPairs(ctx: Context): Promise<string | null> {
  const w = ctx.pool.size;
  const users: string[][] = Array.from({ length: w }, () => []);
  const pairs: Array<Array<[string, string]>> = Array.from({ length: w }, () => []);
  for (let k = 0; k < ctx.scale.pairs; k++) {
    const a = ctx.user(2 * k);
    const b = ctx.user(2 * k + 1);
    users[k % w].push(a, b);
    pairs[k % w].push([a, b]);
  }
  const res = await ctx.pool.all<BatchResult>((i) => ({
    op: 'login', group: 'chat', users: users[i], password: ctx.password, mechanism: 'PLAIN', transport: 'tcp',
    presence: true, keep: true, concurrency: 25,
  }));
  const err = firstErrors(res.map((r) => r.errors));
  if (err) return err;
  await ctx.pool.all((i) => ({ op: 'pairs', group: 'chat', pairs: pairs[i] }));
  return null;
}

async function workerCpu(ctx: Context): Promise<number> {
  const s = await ctx.pool.all<{ cpuSeconds: number }>({ op: 'stats' });
  return s.reduce((a, x) => a + x.cpuSeconds, 0);
}

export async function throughput(ctx: Context): Promise<Outcome<Throughput>> {
  const steps: Throughput['steps'] = [];
  let best: Throughput | null = null;
  let stalls = 0;
  let delivered = 0;
  for (const window of ctx.scale.windows) {
    const cpu0 = cpuSeconds(ctx.server.pid);
    const gen0 = await workerCpu(ctx);
    const t0 = performance.now();
    const res = await ctx.pool.all<FlowResult>({
      op: 'throughput', window, warmupMs: ctx.scale.warmupMs, durationMs: ctx.scale.stepMs, drainMs: 10_000,
    });
    const wall = (ctx.scale.warmupMs + ctx.scale.stepMs) / 1000;
    const serverCores = (cpuSeconds(ctx.server.pid) - cpu0) / wall;
    const generatorCores = ((await workerCpu(ctx)) - gen0) / ((performance.now() - t0) / 1000);
    const err = firstErrors(res.map((r) => r.errors));
    const lost = res.reduce((a, r) => a + r.lost, 0);
    const sent = res.reduce((a, r) => a + r.sent, 0);
    delivered += res.reduce((a, r) => a + r.received, 0);
    const rate = res.reduce((a, r) => a + r.windowReceived, 0) / (Math.max(...res.map((r) => r.windowMs)) / 1000);
    steps.push({ window, msgPerSec: rate, serverCores });
    ctx.log(`  window ${window}/pair: ${rate.toFixed(0)} msg/s, server ${serverCores.toFixed(2)} cores, generator ${generatorCores.toFixed(2)} cores`);
    if (err || lost > 0) {
      return failed<Throughput>(`window ${window}: ${lost} of ${sent} messages not delivered${err ? `; ${err}` : ''}`, { steps, delivered });
    }
    if (!best || rate > best.msgPerSec * 1.05) {
      stalls = 0;
    } else {
      stalls++;
    }
    if (!best || rate > best.msgPerSec) best = { msgPerSec: rate, window, serverCores, generatorCores, steps, delivered };
    if (stalls >= 2) break;
  }
  if (!best) return failed('no step ran');
  best.delivered = delivered;
  return { status: 'ok', data: best };
}

export async function latency(ctx: Context, rate: number): Promise<Outcome<Latency>> {
  const res = await ctx.pool.all<FlowResult>({
    op: 'paced', rate: rate / ctx.pool.size, durationMs: ctx.scale.latencyMs, drainMs: 10_000,
  });
  const err = firstErrors(res.map((r) => r.errors));
  const lost = res.reduce((a, r) => a + r.lost, 0);
  const sent = res.reduce((a, r) => a + r.sent, 0);
  const all = res.flatMap((r) => r.latencies ?? []).sort((a, b) => a - b);
  const data: Latency = { rate, messages: all.length, p50: percentile(all, 50), p99: percentile(all, 99), max: all[all.length - 1] ?? NaN };
  if (err || lost > 0) return failed(`${lost} of ${sent} messages not delivered${err ? `; ${err}` : ''}`, data);
  return { status: 'ok', data };
}
