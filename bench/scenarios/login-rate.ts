// Scenario 2: login rate — TCP connect, stream, STARTTLS, SASL, restart, bind, for `logins`
// accounts with a fixed number of logins in flight; each session then closes its stream. The
// generator, like a real client, keeps the SCRAM salted password from an earlier login (the idle
// scenario logs every account in with SCRAM first; RFC 5802 §5.1 allows caching), so the figure
// measures the server; with `warm`, an untimed pass fills that cache first.
import type { BatchResult } from '../load/protocol.js';
import type { Mechanism, Transport } from '../load/session.js';
import { failed, firstErrors, type Context, type Outcome } from './context.js';
import { byWorker } from './idle-memory.js';

export interface LoginRate {
  logins: number;
  seconds: number;
  perSec: number;
}

async function pass(ctx: Context, mechanism: Mechanism, transport: Transport): Promise<{ ms: number; err: string | null }> {
  const parts = byWorker(ctx, 0, ctx.scale.logins);
  const conc = Math.max(1, Math.round(ctx.scale.loginConcurrency / ctx.pool.size));
  const t0 = performance.now();
  const res = await ctx.pool.all<BatchResult>((w) => ({
    op: 'login', group: 'login', users: parts[w], password: ctx.password, mechanism, transport,
    presence: false, keep: false, concurrency: conc,
  }));
  return { ms: performance.now() - t0, err: firstErrors(res.map((r) => r.errors)) };
}

export async function loginRate(ctx: Context, mechanism: Mechanism, transport: Transport, warm = false): Promise<Outcome<LoginRate>> {
  if (warm && mechanism === 'SCRAM-SHA-1') {
    const warm = await pass(ctx, mechanism, transport);
    if (warm.err) return failed(warm.err);
  }
  const { ms, err } = await pass(ctx, mechanism, transport);
  const data = { logins: ctx.scale.logins, seconds: ms / 1000, perSec: (ctx.scale.logins / ms) * 1000 };
  if (err) return failed(err, data);
  return { status: 'ok', data };
}
