// Scenario 5: presence fan-out. One account gets a roster of `fanContacts` online contacts, set up
// through the protocol: each contact asks to subscribe (RFC 6121 §3.1.1) and the owner, online,
// approves (§3.1.4). Then the owner sends a presence update with a fresh <status/> and the time
// until the last contact has it is measured; repeated `fanRounds` times, median reported.
import type { BatchResult, FanResult } from '../load/protocol.js';
import { failed, firstErrors, sleep, type Context, type Outcome } from './context.js';
import { byWorker } from './idle-memory.js';

export interface Fanout {
  contacts: number;
  medianMs: number;
  rounds: number[];
}

/** Contacts are the first `fanContacts` idle sessions, already online on their workers. */
export async function fanout(ctx: Context): Promise<Outcome<Fanout>> {
  const n = ctx.scale.fanContacts;
  const parts = byWorker(ctx, 0, n);
  const login = await ctx.pool.call<BatchResult>(0, {
    op: 'login', group: 'owner', users: [ctx.owner], password: ctx.password, mechanism: 'PLAIN', transport: 'tcp',
    presence: true, keep: true, concurrency: 1,
  });
  if (login.errors.length) return failed(`owner login: ${login.errors[0]}`);
  await ctx.pool.call(0, { op: 'fanOwner', group: 'owner', owner: ctx.owner });
  const subs = await ctx.pool.all<BatchResult>((w) => ({
    op: 'fanSubscribe', group: 'idle', users: parts[w], owner: ctx.owner, concurrency: 50, timeoutMs: 60_000,
  }));
  const err = firstErrors(subs.map((r) => r.errors));
  if (err) return failed(`subscriptions: ${err}`);
  await sleep(500);
  const rounds: number[] = [];
  for (let r = 0; r < ctx.scale.fanRounds; r++) {
    const marker = `fan-${r}-${Date.now()}`;
    await ctx.pool.all((w) => ({ op: 'fanArm', group: 'idle', users: parts[w], owner: ctx.owner, marker }));
    const t0 = await ctx.pool.call<number>(0, { op: 'fanSend', group: 'owner', owner: ctx.owner, marker });
    const got = await ctx.pool.all<FanResult>({ op: 'fanCollect', timeoutMs: 30_000 });
    const received = got.reduce((a, g) => a + g.received, 0);
    const e = firstErrors(got.map((g) => g.errors));
    if (e || received !== n) return failed<Fanout>(`round ${r + 1}: ${received} of ${n} contacts got the presence${e ? `; ${e}` : ''}`, { contacts: n, rounds });
    rounds.push(Math.max(...got.map((g) => g.last)) - t0);
    await sleep(300);
  }
  const sorted = [...rounds].sort((a, b) => a - b);
  return { status: 'ok', data: { contacts: n, medianMs: sorted[Math.floor(sorted.length / 2)], rounds } };
}
