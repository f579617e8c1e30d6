// Scenarios 3 and 4: chat messages between online pairs.
// Throughput: senders offer a fixed total rate, spread round-robin over the pairs (open loop, as
// many independent users would); the rate doubles until the server no longer keeps up (delivered
// rate, first send to last receipt, below 95% of the offered rate), then is narrowed by bisection. Every message is counted on arrival; after each step the flow drains and
// any message not delivered fails the scenario.
// Latency: messages at a fixed rate (half the measured throughput, and a reference rate equal for
// every server), each carrying its send time; p50/p99 of send→receive over all of them.
import type { BatchResult, FlowResult } from '../load/protocol.js';
import { cpuSeconds } from '../servers/proc.js';
import { failed, firstErrors, percentile, type Context, type Outcome } from './context.js';

export interface Throughput {
  msgPerSec: number;
  serverCores: number;
  generatorCores: number;
  steps: Array<{ offered: number; delivered: number; p50: number; p99: number; serverCores: number; kept: boolean }>;
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

interface Step {
  offered: number;
  delivered: number;
  p50: number;
  p99: number;
  serverCores: number;
  generatorCores: number;
  kept: boolean;
  received: number;
  error: string | null;
}

/**
 * One paced step at `rate` msg/s. Delivered rate = messages / (first send → last receipt); the step
 * is kept when that is ≥ 95% of the offered rate — a server that falls behind needs the drain to
 * catch up and lowers it, a short pause that it catches up on does not.
 */
async function step(ctx: Context, rate: number): Promise<Step> {
  const cpu0 = cpuSeconds(ctx.server.pid);
  const gen0 = await workerCpu(ctx);
  const t0 = performance.now();
  const res = await ctx.pool.all<FlowResult>({ op: 'paced', rate: rate / ctx.pool.size, durationMs: ctx.scale.stepMs, drainMs: 10_000 });
  const wall = (performance.now() - t0) / 1000;
  const serverCores = (cpuSeconds(ctx.server.pid) - cpu0) / wall;
  const generatorCores = ((await workerCpu(ctx)) - gen0) / wall;
  const err = firstErrors(res.map((r) => r.errors));
  const lost = res.reduce((a, r) => a + r.lost, 0);
  const sent = res.reduce((a, r) => a + r.sent, 0);
  const received = res.reduce((a, r) => a + r.received, 0);
  const windowS = Math.max(...res.map((r) => r.windowMs)) / 1000;
  const spanS = Math.max(...res.map((r) => r.spanMs)) / 1000;
  const lat = res.flatMap((r) => r.latencies ?? []).sort((a, b) => a - b);
  const offered = sent / windowS;
  const delivered = received / Math.max(spanS, windowS);
  const s: Step = {
    offered, delivered, p50: percentile(lat, 50), p99: percentile(lat, 99),
    serverCores, generatorCores, kept: delivered >= 0.95 * offered, received,
    error: err || lost > 0 ? `${lost} of ${sent} messages not delivered${err ? `; ${err}` : ''}` : null,
  };
  ctx.log(`  offered ${s.offered.toFixed(0)} msg/s: delivered ${s.delivered.toFixed(0)}/s, p50 ${s.p50.toFixed(1)} ms, ` +
    `p99 ${s.p99.toFixed(1)} ms, server ${serverCores.toFixed(2)} cores, generator ${generatorCores.toFixed(2)} cores${s.kept ? '' : ' — saturated'}`);
  return s;
}

/**
 * Open-loop ramp: the offered rate doubles until the server no longer keeps up, then two bisection
 * steps narrow the gap. Every
 * message must arrive in the end, saturated or not; a loss fails the scenario.
 */
export async function throughput(ctx: Context): Promise<Outcome<Throughput>> {
  const steps: Step[] = [];
  let delivered = 0;
  let lo = 0;
  let hi = 0;
  let rate = ctx.scale.startRate;
  const run = async (r: number): Promise<Step | string> => {
    const s = await step(ctx, r);
    steps.push(s);
    delivered += s.received;
    return s.error ?? s;
  };
  for (;;) {
    const s = await run(rate);
    if (typeof s === 'string') break;
    if (s.kept) lo = rate;
    else {
      hi = rate;
      break;
    }
    if (rate >= ctx.scale.maxRate) break;
    rate *= 2;
  }
  // Below the first rate: halve until one is kept (a slow server still gets a figure).
  while (lo === 0 && hi > ctx.scale.startRate / 16 && !steps.some((x) => x.error)) {
    const s = await run(hi / 2);
    if (typeof s === 'string') break;
    if (s.kept) lo = hi / 2;
    else hi /= 2;
  }
  for (let k = 0; k < 2 && lo > 0 && hi > 0 && !steps.some((x) => x.error); k++) {
    const mid = (lo + hi) / 2;
    const s = await run(mid);
    if (typeof s === 'string') break;
    if (s.kept) lo = mid;
    else hi = mid;
  }
  const summary = steps.map(({ offered, delivered: d, p50, p99, serverCores, kept }) => ({ offered, delivered: d, p50, p99, serverCores, kept }));
  const bad = steps.find((x) => x.error);
  if (bad) return failed<Throughput>(`at ${bad.offered.toFixed(0)} msg/s: ${bad.error}`, { steps: summary, delivered });
  const kept = steps.filter((x) => x.kept).sort((a, b) => b.delivered - a.delivered)[0];
  if (!kept) return failed<Throughput>(`no offered rate down to ${(ctx.scale.startRate / 16).toFixed(0)} msg/s was sustained`, { steps: summary, delivered });
  return {
    status: 'ok',
    data: { msgPerSec: kept.delivered, serverCores: kept.serverCores, generatorCores: kept.generatorCores, steps: summary, delivered },
  };
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
