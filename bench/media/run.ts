// `npm run bench -- --media`: the same synthetic rooms through Carillon's SFU and Janus VideoRoom,
// a fresh server per room size, the generator in a process of its own; prints both side by side.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CarillonSfu, JanusSfu, type MediaPorts, type SfuUnderTest } from './servers.js';
import type { GeneratorConfig, MediaResult, MediaSut } from './result.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));

export const DEFAULT_PORTS: MediaPorts = {
  carillon: { c2s: 22422, http: 22480, components: 22447, media: [23000, 23499] },
  janus: { ws: 24000, rtp: [24100, 24599] },
  peers: [23500, 23999],
};

export interface MediaOptions {
  sizes: number[];
  servers: MediaSut[];
  seconds: number;
  warmupS: number;
  ports: MediaPorts;
  log: (s: string) => void;
}

/** Runs one generator process against a started server; its JSON line is the result. */
function generate(cfg: GeneratorConfig, log: (s: string) => void): Promise<MediaResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'generator.ts'), JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      for (const line of d.toString().split('\n')) if (line.trim()) log(`  ${line}`);
    });
    // Bounded: set-up, warm-up, window and teardown of the largest room fit well inside this.
    const limit = setTimeout(() => child.kill('SIGKILL'), (cfg.seconds + cfg.warmupS + 240) * 1000);
    child.on('exit', () => {
      clearTimeout(limit);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as MediaResult);
      } catch {
        resolve({ sut: cfg.sut, participants: cfg.participants, ok: false, error: `generator printed no result: ${err.slice(-500)}` });
      }
    });
  });
}

export async function runMedia(o: MediaOptions): Promise<{ results: MediaResult[]; versions: Record<string, string> }> {
  const root = mkdtempSync(join(os.tmpdir(), 'carillon-mediabench-'));
  const results: MediaResult[] = [];
  const versions: Record<string, string> = {};
  const keep = !!process.env.MEDIABENCH_KEEP; // keep the servers' directories (configs, logs)
  if (keep) o.log(`work directory ${root} (kept)`);
  try {
    for (const n of o.sizes) {
      for (const name of o.servers) {
        const dir = join(root, `${name}-${n}`);
        const sfu: SfuUnderTest = name === 'janus' ? new JanusSfu(dir, o.ports.janus) : new CarillonSfu(dir, o.ports.carillon, Math.max(...o.sizes), o.log);
        o.log(`${name}: room of ${n} (load average ${os.loadavg()[0].toFixed(2)})`);
        try {
          await sfu.start();
          versions[name] = sfu.version;
          const r = await generate({
            sut: name, participants: n, seconds: o.seconds, warmupS: o.warmupS, peerPorts: o.ports.peers, serverPid: sfu.pid, ...sfu.target(),
          }, o.log);
          results.push(r);
          o.log(`${name} ${n}: ${r.ok ? `${r.forwardedPerS} fwd pkt/s of ${r.idealPerS}, loss ${r.lossPct} %, server ${r.server?.cpuPctOfCore} % of a core, latency p99 ${r.latencyMs?.p99} ms` : `FAILED ${r.error}`}`);
        } catch (e) {
          results.push({ sut: name, participants: n, ok: false, error: (e as Error).message });
          o.log(`${name} ${n}: FAILED ${(e as Error).message}`);
        } finally {
          await sfu.stop();
        }
      }
    }
  } finally {
    if (!keep) rmSync(root, { recursive: true, force: true });
  }
  return { results, versions };
}
