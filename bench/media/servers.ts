// The two SFUs under test, each started fresh in its own process: Carillon as `npm start` runs it
// (`node bin/carillon.js start`: the XMPP server with the call component embedded) and Janus.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from '../load/session.js';
import { ensureBuilt } from '../servers/carillon.js';
import { killAndWait, spawnWithLimit, waitPort, writeText } from '../servers/proc.js';
import { LAST_N_DEFAULT, type LastNSettings } from '../../component/calls/last-n.js';
import { JanusInstance } from './janus.js';
import type { GeneratorConfig } from './result.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface MediaPorts {
  carillon: { c2s: number; http: number; components: number; media: [number, number] };
  janus: { ws: number; rtp: [number, number] };
  /** The generator's own peers. */
  peers: [number, number];
}

export interface SfuUnderTest {
  name: 'carillon' | 'janus' | 'carillon-lastn';
  version: string;
  pid: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** What the generator needs to reach it. */
  target(): Pick<GeneratorConfig, 'janusUrl' | 'carillon'>;
}

export class CarillonSfu implements SfuUnderTest {
  readonly name: 'carillon' | 'carillon-lastn';
  version = 'Carillon';
  pid = 0;
  private proc: ChildProcess | null = null;
  private readonly domain = 'media.bench';
  private readonly password = 'bench-media';
  /** `lastN`: Carillon's last-N as given (its default when equal to it); without, last-N off. */
  constructor(private readonly dir: string, private readonly ports: MediaPorts['carillon'], private readonly accounts: number, private readonly log: (s: string) => void,
    private readonly lastN?: LastNSettings) {
    this.name = lastN ? 'carillon-lastn' : 'carillon';
  }

  async start(): Promise<void> {
    ensureBuilt(this.log);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    this.version = `Carillon ${pkg.version} (Node ${process.versions.node})`;
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    const p = this.ports;
    // All receiving all, as the benchmark asks of both SFUs: last-N (on by default above 8) off;
    // the last-N row runs with no `lastN` key at all when it measures the default.
    const isDefault = this.lastN?.n === LAST_N_DEFAULT.n && this.lastN.threshold === LAST_N_DEFAULT.threshold;
    const lastN = isDefault ? {} : { lastN: this.lastN ?? { n: 0, threshold: 8 } };
    const config = {
      domain: this.domain,
      dataDir: join(this.dir, 'data'),
      listen: '127.0.0.1', // also the call component's media bind address: loopback only
      http: { port: p.http },
      https: { port: null },
      c2s: { port: p.c2s },
      s2s: { port: null },
      components: { port: p.components },
      registration: { open: true, throttle: 0 },
      limits: { c2s: { rate: null }, connectionsPerIp: 100_000 },
      // Every participant of the largest room in one call (the default allows 8).
      // MEDIABENCH_SPREAD_ABOVE=<n>: call.media.spreadAbove (a room over several workers above n; default 8).
      call: { maxParticipants: 100, ...lastN, media: { portMin: p.media[0], portMax: p.media[1],
        ...(process.env.MEDIABENCH_SPREAD_ABOVE ? { spreadAbove: Number(process.env.MEDIABENCH_SPREAD_ABOVE) } : {}) } },
      log: { level: process.env.MEDIABENCH_LOG ?? 'warn' }, // MEDIABENCH_LOG=info shows the call service's joins and leaves
    };
    writeText(join(this.dir, 'carillon.json'), JSON.stringify(config, null, 2));
    // MEDIABENCH_PROFILE=<dir>: V8 CPU profiles of the server, one per thread (its media workers too).
    const profile = process.env.MEDIABENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.MEDIABENCH_PROFILE}`] : [];
    this.proc = spawnWithLimit(process.execPath, [...profile, join(ROOT, 'bin/carillon.js'), 'start', '--config', join(this.dir, 'carillon.json')],
      { cwd: this.dir, log: join(this.dir, 'console.log') });
    this.pid = this.proc.pid ?? 0;
    const proc = this.proc;
    await waitPort(p.c2s, 60_000, () => proc.exitCode === null);
    await waitPort(p.http, 10_000, () => proc.exitCode === null);
    // A port answered by something else (a server left over from an earlier run) is no start.
    await new Promise((r) => setTimeout(r, 300));
    if (proc.exitCode !== null) throw new Error(`carillon exited (code ${proc.exitCode}); are its ports in use? see ${join(this.dir, 'console.log')}`);
    // Accounts by in-band registration (XEP-0077), as the messaging benchmark makes them.
    const target = { domain: this.domain, host: '127.0.0.1', c2sPort: p.c2s, wsUrl: `ws://127.0.0.1:${p.http}/xmpp-websocket` };
    for (let i = 0; i < this.accounts; i++) {
      const s = new Session(target);
      await s.registerOnly(`m${i}`, this.password, 'ws', 20_000);
      await s.close();
    }
  }

  async stop(): Promise<void> {
    if (this.pid) await killAndWait(this.pid, 10_000);
    this.pid = 0;
    this.proc = null;
  }

  target(): Pick<GeneratorConfig, 'carillon'> {
    return { carillon: { wsUrl: `ws://127.0.0.1:${this.ports.http}/xmpp-websocket`, domain: this.domain, callDomain: `call.${this.domain}`, password: this.password, userPrefix: 'm' } };
  }
}

export class JanusSfu implements SfuUnderTest {
  readonly name = 'janus' as const;
  private readonly janus: JanusInstance;
  constructor(dir: string, ports: MediaPorts['janus']) {
    mkdirSync(dir, { recursive: true });
    this.janus = new JanusInstance(dir, ports);
  }
  get version(): string { return this.janus.version; }
  get pid(): number { return this.janus.pid; }
  start(): Promise<void> { return this.janus.start(); }
  stop(): Promise<void> { return this.janus.stop(); }
  target(): Pick<GeneratorConfig, 'janusUrl'> { return { janusUrl: this.janus.url }; }
}
