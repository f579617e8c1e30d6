// `npm run bench [-- --quick] [--servers carillon,prosody,ejabberd] [--workers N] [--profile] [--mam]`
// `npm run bench -- --media [...]`: the media benchmark instead (bench/media/cli.ts).
// Starts each server in turn on the same machine, runs every scenario against it with the same
// load generator, prints the side-by-side table and writes bench/results/latest.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkerPool } from './load/pool.js';
import { FULL, QUICK, type Scale } from './scale.js';
import { CarillonServer } from './servers/carillon.js';
import { EjabberdServer } from './servers/ejabberd.js';
import { ProsodyServer } from './servers/prosody.js';
import type { BenchServer, ServerName, ServerOptions } from './servers/types.js';
import type { BatchResult } from './load/protocol.js';
import { failed, firstErrors, type Context } from './scenarios/context.js';
import { idleMemory } from './scenarios/idle-memory.js';
import { fanout } from './scenarios/fanout.js';
import { loginRate } from './scenarios/login-rate.js';
import { latency, setupPairs, throughput } from './scenarios/chat.js';
import { failures, renderMarkdown, renderTerminal, table, type ServerResult } from './report.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const PORTS: Record<ServerName, ServerOptions['ports']> = {
  carillon: { c2s: 22122, s2s: 22169, http: 22180, components: 22147 },
  prosody: { c2s: 22222, s2s: 22269, http: 22280, components: 22247 },
  ejabberd: { c2s: 22322, s2s: 22369, http: 22380, components: 22347 },
};

interface Args {
  scale: Scale;
  servers: ServerName[];
  workers: number;
  profile: boolean;
  keep: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { scale: FULL, servers: ['carillon', 'prosody', 'ejabberd'], workers: 2, profile: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--quick') a.scale = QUICK;
    else if (k === '--servers') a.servers = argv[++i].split(',').map((s) => s.trim()) as ServerName[];
    else if (k === '--workers') a.workers = Number(argv[++i]);
    else if (k === '--profile') a.profile = true;
    else if (k === '--keep') a.keep = true;
    else if (k === '--mam') process.env.BENCH_MAM = '1'; // Carillon archives every message (XEP-0313)
    else if (k === '--ref-rate') a.scale = { ...a.scale, refRate: Number(argv[++i]) };
    else throw new Error(`unknown argument ${k}`);
  }
  for (const s of a.servers) if (!(s in PORTS)) throw new Error(`unknown server ${s}`);
  return a;
}

const started = Date.now();
let running: { server: BenchServer; pool: WorkerPool } | null = null;
const log = (s: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${s}\n`);

function makeServer(name: ServerName, o: ServerOptions): BenchServer {
  if (name === 'carillon') return new CarillonServer(o);
  if (name === 'prosody') return new ProsodyServer(o);
  return new EjabberdServer(o);
}

async function benchOne(name: ServerName, args: Args, root: string): Promise<ServerResult> {
  const scale = args.scale;
  const profileDir = args.profile && name === 'carillon' ? join(HERE, 'results/profiles') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const server = makeServer(name, { workDir: join(root, name), domain: 'bench.test', ports: PORTS[name], log, profileDir });
  mkdirSync(join(root, name), { recursive: true });
  const result: ServerResult = { name, version: name, notes: server.notes };
  const pool = new WorkerPool(args.workers);
  running = { server, pool };
  try {
    log(`${name}: starting (machine load average ${os.loadavg()[0].toFixed(2)}, CPU pressure ${cpuPressure() ?? '?'} %)`);
    await server.start();
    result.version = server.version;
    log(`${name}: ${server.version} up, pid ${server.pid}`);
    await pool.setTarget(server.target);
    const accounts = Math.max(scale.idle[scale.idle.length - 1], scale.logins, 2 * scale.pairs, scale.fanContacts);
    const ctx: Context = { pool, server, scale, password: 'bench-secret', user: (i) => `u${i}`, owner: 'owner', log };
    if (profileDir && server instanceof CarillonServer) {
      ctx.checkpoint = async (label) => {
        const file = await server.heapSnapshot(label);
        log(`${name}: heap snapshot ${file ?? 'not written'}`);
      };
    }

    // Accounts by in-band registration (XEP-0077), all servers alike.
    const names = [...Array.from({ length: accounts }, (_, i) => ctx.user(i)), ctx.owner];
    const t0 = performance.now();
    const reg = await pool.all<BatchResult>((w) => ({
      op: 'register', users: names.filter((_, i) => i % pool.size === w), password: ctx.password, transport: 'tcp', concurrency: 25,
    }));
    const regErr = firstErrors(reg.map((r) => r.errors));
    const regRate = (names.length / (performance.now() - t0)) * 1000;
    result.registration = regErr ? failed(regErr) : { status: 'ok', data: { accounts: names.length, perSec: regRate } };
    log(`${name}: registered ${names.length} accounts, ${regRate.toFixed(0)}/s${regErr ? ` — ${regErr}` : ''}`);
    if (regErr) throw new Error(`registration failed: ${regErr}`);

    log(`${name}: idle sessions ${scale.idle.join(', ')}`);
    result.idle = await idleMemory(ctx);
    report(name, 'idle memory', result.idle, (d) => `${d.kBPerSession.toFixed(1)} kB/session, ${d.sessionsHeld} held`);

    log(`${name}: presence fan-out to ${scale.fanContacts} contacts`);
    result.fanout = await fanout(ctx);
    report(name, 'fan-out', result.fanout, (d) => `${d.medianMs.toFixed(1)} ms (${d.rounds.map((r) => r.toFixed(1)).join(', ')})`);
    await pool.all({ op: 'close', group: 'owner' });
    await pool.all({ op: 'close', group: 'idle' });

    for (const [key, mech, transport] of [
      ['loginScram', 'SCRAM-SHA-1', 'tcp'],
      ['loginPlain', 'PLAIN', 'tcp'],
      ['loginScramWs', 'SCRAM-SHA-1', 'ws'],
    ] as const) {
      log(`${name}: ${scale.logins} logins, ${mech} over ${transport}`);
      const r = await loginRate(ctx, mech, transport, scale.logins > scale.idle[scale.idle.length - 1]);
      result[key] = r;
      report(name, key, r, (d) => `${d.perSec.toFixed(0)}/s`);
    }

    log(`${name}: ${scale.pairs} chat pairs`);
    const pairErr = await setupPairs(ctx);
    if (pairErr) {
      result.throughput = failed(`pair login: ${pairErr}`);
    } else {
      result.throughput = await throughput(ctx);
      report(name, 'throughput', result.throughput, (d) => `${d.msgPerSec.toFixed(0)} msg/s sustained`);
      if (result.throughput.status === 'ok') {
        const half = result.throughput.data.msgPerSec / 2;
        result.latencyHalf = await latency(ctx, half);
        report(name, `latency at ${half.toFixed(0)} msg/s`, result.latencyHalf, (d) => `p50 ${d.p50.toFixed(2)} ms, p99 ${d.p99.toFixed(2)} ms`);
      }
      result.latencyRef = await latency(ctx, scale.refRate);
      report(name, `latency at ${scale.refRate} msg/s`, result.latencyRef, (d) => `p50 ${d.p50.toFixed(2)} ms, p99 ${d.p99.toFixed(2)} ms`);
    }
    await pool.all({ op: 'close', group: 'chat' });
  } catch (e) {
    result.error = String((e as Error).message ?? e);
    log(`${name}: ${result.error}`);
  } finally {
    await pool.close();
    log(`${name}: stopping`);
    await server.stop();
    running = null;
  }
  return result;
}

function report<T>(name: string, what: string, o: { status: 'ok'; data: T } | { status: 'failed'; error: string }, f: (d: T) => string): void {
  log(`${name}: ${what}: ${o.status === 'ok' ? f(o.data) : `FAILED — ${o.error}`}`);
}

/** Share of time some runnable task waited for a CPU over the last minute (Linux PSI), in %. */
function cpuPressure(): number | null {
  try {
    const m = /some avg10=[\d.]+ avg60=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function machine(): Record<string, string | number | null> {
  let distro = '';
  try {
    distro = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    /* unknown */
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    os: distro,
    node: process.versions.node,
    /** other work on the machine during the run skews absolute figures; ratios within a run hold better */
    loadAverage1m: Number(os.loadavg()[0].toFixed(2)),
    cpuPressure60s: cpuPressure(),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = mkdtempSync(join(os.tmpdir(), 'carillon-bench-'));
  log(`${args.scale.name} run, ${args.workers} load workers, work dir ${root}`);
  const results: ServerResult[] = [];
  const stop = () => {
    log('interrupted; stopping the server under test');
    const r = running;
    void (async () => {
      if (r) {
        await r.pool.close().catch(() => {});
        await r.server.stop().catch(() => {});
      }
      if (!args.keep) rmSync(root, { recursive: true, force: true });
      process.exit(130);
    })();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for (const name of args.servers) {
      results.push(await benchOne(name, args, root));
      save(args, results); // a later crash keeps what was measured
    }
  } finally {
    if (!args.keep) rmSync(root, { recursive: true, force: true });
  }
  const { t, out } = save(args, results);
  process.stdout.write(`\n${renderTerminal(t)}\n\n`);
  for (const f of out.failures) process.stdout.write(`FAILED ${f}\n`);
  process.stdout.write(`${args.scale.name} run in ${out.seconds.toFixed(0)} s on ${out.machine.cores} × ${out.machine.cpu}; bench/results/latest.json\n`);
}

function save(args: Args, results: ServerResult[]) {
  const sessionsTarget = args.scale.idle[args.scale.idle.length - 1];
  const t = table(results, sessionsTarget);
  const out = {
    date: new Date().toISOString(),
    mode: args.scale.name,
    scale: args.scale,
    machine: machine(),
    loadWorkers: args.workers,
    seconds: (Date.now() - started) / 1000,
    servers: results,
    table: t,
    failures: failures(results),
  };
  mkdirSync(join(HERE, 'results'), { recursive: true });
  const json = JSON.stringify(out, null, 2);
  writeFileSync(join(HERE, 'results/latest.json'), json);
  writeFileSync(join(HERE, `results/${args.scale.name}.json`), json);
  writeFileSync(join(HERE, `results/${args.scale.name}.md`), `${renderMarkdown(t)}\n`);
  return { t, out };
}

// `--media` is a benchmark of its own (bench/media/): the call service's SFU beside Janus.
const entry = process.argv.includes('--media') || process.argv.includes('--media-setup') ? import('./media/cli.js').then((m) => m.mediaMain(process.argv.slice(2))).then((code) => process.exit(code)) : main();
entry.catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
