// The load generator end to end at tiny scale, against Carillon (in process) and Prosody; its two
// pure pieces are tested in load.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { WorkerPool } from '../../bench/load/pool.js';
import { ProsodyServer } from '../../bench/servers/prosody.js';
import type { BenchServer } from '../../bench/servers/types.js';
import type { Scale } from '../../bench/scale.js';
import type { BatchResult } from '../../bench/load/protocol.js';
import { idleMemory } from '../../bench/scenarios/idle-memory.js';
import { fanout } from '../../bench/scenarios/fanout.js';
import { loginRate } from '../../bench/scenarios/login-rate.js';
import { latency, setupPairs, throughput } from '../../bench/scenarios/chat.js';
import type { Context } from '../../bench/scenarios/context.js';
import { startCarillon } from '../../server/index.js';
import { freePorts } from '../support/ports.js';

const TINY: Scale = {
  name: 'quick', idle: [4, 8], logins: 6, loginConcurrency: 4, pairs: 2, startRate: 50, maxRate: 100, stepMs: 300,
  latencyMs: 300, fanContacts: 4, fanRounds: 2, refRate: 40, settleMs: 50,
};

/** Every scenario once, tiny, as the runner does it; each must come back ok with sane figures. */
async function runAll(server: BenchServer): Promise<void> {
  const pool = new WorkerPool(2);
  try {
    await pool.setTarget(server.target);
    const ctx: Context = { pool, server, scale: TINY, password: 'smoke-pw', user: (i) => `s${i}`, owner: 'boss', log: () => {} };
    const names = [...Array.from({ length: 8 }, (_, i) => ctx.user(i)), ctx.owner];
    const reg = await pool.all<BatchResult>((w) => ({
      op: 'register', users: names.filter((_, i) => i % 2 === w), password: ctx.password, transport: 'tcp', concurrency: 4,
    }));
    assert.deepEqual(reg.flatMap((r) => r.errors), []);
    assert.equal(reg.reduce((a, r) => a + r.ok, 0), names.length);

    const idle = await idleMemory(ctx);
    assert.equal(idle.status, 'ok', JSON.stringify(idle));
    if (idle.status === 'ok') assert.equal(idle.data.sessionsHeld, 8);
    const fan = await fanout(ctx);
    assert.equal(fan.status, 'ok', JSON.stringify(fan));
    if (fan.status === 'ok') assert.equal(fan.data.rounds.length, 2);
    await pool.all({ op: 'close', group: 'owner' });
    await pool.all({ op: 'close', group: 'idle' });

    for (const [mech, transport] of [['SCRAM-SHA-1', 'tcp'], ['PLAIN', 'tcp'], ['SCRAM-SHA-1', 'ws'], ['PLAIN', 'ws']] as const) {
      const r = await loginRate(ctx, mech, transport);
      assert.equal(r.status, 'ok', `${mech}/${transport}: ${JSON.stringify(r)}`);
      if (r.status === 'ok') assert.ok(r.data.perSec > 0);
    }
    // A wrong password must be reported as a failure, never as a figure.
    const bad = await loginRate({ ...ctx, password: 'wrong' }, 'PLAIN', 'tcp');
    assert.equal(bad.status, 'failed');

    assert.equal(await setupPairs(ctx), null);
    const tp = await throughput(ctx);
    assert.equal(tp.status, 'ok', JSON.stringify(tp));
    if (tp.status === 'ok') {
      assert.ok(tp.data.msgPerSec > 0);
      assert.ok(tp.data.delivered > 0);
    }
    const lat = await latency(ctx, 40);
    assert.equal(lat.status, 'ok', JSON.stringify(lat));
    if (lat.status === 'ok') {
      assert.ok(lat.data.messages >= 10, `only ${lat.data.messages} timed messages`);
      assert.ok(lat.data.p50 > 0 && lat.data.p99 >= lat.data.p50);
    }
    await pool.all({ op: 'close', group: 'chat' });
  } finally {
    await pool.close();
  }
}

describe('bench: load generator end to end', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const tmp = () => {
    const d = mkdtempSync(join(os.tmpdir(), 'bench-smoke-'));
    dirs.push(d);
    return d;
  };

  it('runs every scenario against Carillon', async () => {
    const srv = await startCarillon({
      domain: 'bench.test', dataDir: tmp(), listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: 0 },
      s2s: { port: null }, components: { port: null }, registration: { open: true, throttle: 0 },
      limits: { c2s: { rate: null }, connectionsPerIp: 1_000_000 },
    });
    try {
      const server: BenchServer = {
        name: 'carillon', version: 'in process', pid: process.pid, notes: [],
        target: { domain: 'bench.test', host: '127.0.0.1', c2sPort: srv.ports.c2s ?? 0, wsUrl: `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket` },
        start: async () => {},
        stop: async () => {},
      };
      await runAll(server);
    } finally {
      await srv.close();
    }
  });

  it('runs every scenario against Prosody', async () => {
    const [c2s, s2s, http, components] = (await freePorts(4)) as [number, number, number, number];
    const server = new ProsodyServer({ workDir: tmp(), domain: 'bench.test', ports: { c2s, s2s, http, components }, log: () => {} });
    await server.start();
    try {
      await runAll(server);
    } finally {
      await server.stop();
    }
  });
});
