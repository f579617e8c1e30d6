// Carillon itself, started as a user would: `node bin/carillon.js start --config FILE`, from the
// compiled dist/ (built here when the sources are newer). Same certificate type as the anchors.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAndWait, makeCert, sleep, spawnWithLimit, waitPort, writeText } from './proc.js';
import { targetFor, type BenchServer, type ServerOptions } from './types.js';
import type { Target } from '../load/session.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, name.name);
    if (name.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (name.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Compiles the project when dist/server is missing or older than the sources it runs (tsc emits despite type errors elsewhere). */
export function ensureBuilt(log: (s: string) => void): void {
  const cli = join(ROOT, 'dist/server/cli.js');
  // the server runs code from all of these (the call service, the shared core, federation)
  const newest = Math.max(...['server', 'component', 'xmpp', 'federation'].map((d) => newestMtime(join(ROOT, d))));
  const stale = !existsSync(cli) || statSync(cli).mtimeMs < newest;
  if (!stale) return;
  log('compiling the server (tsc)…');
  spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', ROOT], { cwd: ROOT, stdio: 'ignore' });
  if (!existsSync(cli)) throw new Error('dist/server/cli.js missing after tsc; is server/cli.ts there?');
}

export class CarillonServer implements BenchServer {
  readonly name = 'carillon' as const;
  version = 'Carillon';
  pid = 0;
  target: Target;
  notes = ['node bin/carillon.js start, one process', 'registration.open, throttle 0, log warn', 'no rate limits, connection limits raised (load from one address)', process.env.BENCH_MAM === '1' ? 'message archive on (mam.default always)' : 'no message archive (mam.default never), as the others'];
  private proc: ChildProcess | null = null;

  constructor(private readonly o: ServerOptions) {
    this.target = targetFor(o);
  }

  async start(): Promise<void> {
    ensureBuilt(this.o.log);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    this.version = `Carillon ${pkg.version} (Node ${process.versions.node})`;
    const dir = this.o.workDir;
    mkdirSync(`${dir}/data`, { recursive: true });
    mkdirSync(`${dir}/certs`, { recursive: true });
    const { key, cert } = makeCert(`${dir}/certs`, this.o.domain);
    const p = this.o.ports;
    const config = {
      domain: this.o.domain,
      dataDir: `${dir}/data`,
      listen: '127.0.0.1',
      tls: { cert, key },
      http: { port: p.http },
      https: { port: null },
      c2s: { port: p.c2s },
      s2s: { port: p.s2s },
      components: { port: p.components },
      registration: { open: true, throttle: 0 },
      // Like the Prosody run (no mod_limits): no rate limits, and all the load comes from one address.
      limits: { c2s: { rate: null }, s2s: { rate: null }, connectionsPerIp: 1_000_000, connections: 1_000_000 },
      // Nor does it archive (no mod_mam there, none in ejabberd's set): `npm run bench -- --mam` measures Carillon archiving.
      mam: { default: process.env.BENCH_MAM === '1' ? 'always' : 'never' },
      log: { level: 'warn' },
    };
    writeText(`${dir}/carillon.json`, JSON.stringify(config, null, 2));
    const pd = this.o.profileDir;
    const flags = pd ? ['--cpu-prof', `--cpu-prof-dir=${pd}`, `--diagnostic-dir=${pd}`, '--heapsnapshot-signal=SIGUSR2'] : [];
    const args = [...flags, join(ROOT, 'bin/carillon.js'), 'start', '--config', `${dir}/carillon.json`];
    // Heap snapshots taken on SIGUSR2 land in the working directory.
    this.proc = spawnWithLimit(process.execPath, args, { cwd: pd ?? dir, log: `${dir}/console.log` });
    this.pid = this.proc.pid ?? 0;
    const proc = this.proc;
    await waitPort(p.c2s, 30_000, () => proc.exitCode === null);
  }

  /** Writes a heap snapshot (profiling runs only) and waits until the file is complete. */
  async heapSnapshot(label: string): Promise<string | null> {
    const pd = this.o.profileDir;
    if (!pd || !this.pid) return null;
    const before = new Set(readdirSync(pd));
    process.kill(this.pid, 'SIGUSR2');
    for (let i = 0; i < 1200; i++) {
      await sleep(250);
      const fresh = readdirSync(pd).filter((f) => f.endsWith('.heapsnapshot') && !before.has(f));
      if (fresh.length === 0) continue;
      const file = join(pd, fresh[0]);
      const size = statSync(file).size;
      await sleep(1000);
      if (statSync(file).size === size && size > 0) {
        const named = join(pd, `carillon-${label}.heapsnapshot`);
        renameSync(file, named);
        return named;
      }
    }
    return null;
  }

  async stop(): Promise<void> {
    // SIGTERM lets the server close and, when profiling, write its --cpu-prof file.
    if (this.pid) await killAndWait(this.pid, 15_000);
    this.proc = null;
  }
}
