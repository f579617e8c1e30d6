// `npm run bench -- --media`: the same synthetic rooms through Carillon's SFU and Janus VideoRoom,
// a fresh server per room size, the generator in a process of its own; prints both side by side.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { CarillonSfu, JanusSfu, type MediaPorts, type SfuUnderTest } from './servers.js';
import { defaultProcesses, runRoom } from './pool.js';
import { LAST_N_DEFAULT, type LastNSettings } from '../../component/calls/last-n.js';
import type { MediaResult, MediaSut } from './result.js';

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
  /** Generator processes per room; by default defaultProcesses(N). */
  generators?: number;
  /** Last-N for the `carillon-lastn` server; Carillon's default unless given. */
  lastN?: LastNSettings;
  /** Room sizes for `carillon-lastn`, run after all the others (default: `sizes`). */
  lastNSizes?: number[];
  log: (s: string) => void;
}

export async function runMedia(o: MediaOptions): Promise<{ results: MediaResult[]; versions: Record<string, string> }> {
  const root = mkdtempSync(join(os.tmpdir(), 'carillon-mediabench-'));
  const results: MediaResult[] = [];
  const versions: Record<string, string> = {};
  const keep = !!process.env.MEDIABENCH_KEEP; // keep the servers' directories (configs, logs)
  if (keep) o.log(`work directory ${root} (kept)`);
  // All receiving all first, size by size; the last-N rows after them.
  const runs = [
    ...o.sizes.flatMap((n) => o.servers.filter((s) => s !== 'carillon-lastn').map((name) => ({ n, name }))),
    ...(o.servers.includes('carillon-lastn') ? (o.lastNSizes ?? o.sizes).map((n) => ({ n, name: 'carillon-lastn' as const })) : []),
  ];
  try {
    for (const { n, name } of runs) {
      const dir = join(root, `${name}-${n}`);
      const lastN = name === 'carillon-lastn' ? o.lastN ?? LAST_N_DEFAULT : undefined;
      const sfu: SfuUnderTest = name === 'janus' ? new JanusSfu(dir, o.ports.janus) : new CarillonSfu(dir, o.ports.carillon, Math.max(...runs.map((r) => r.n)), o.log, lastN);
      o.log(`${name}: room of ${n} (load average ${os.loadavg()[0].toFixed(2)})`);
      try {
        await sfu.start();
        versions[name] = sfu.version;
        const processes = o.generators ?? defaultProcesses(n);
        const r = await runRoom({
          sut: name, participants: n, processes, seconds: o.seconds, warmupS: o.warmupS, peerPorts: o.ports.peers, serverPid: sfu.pid, target: sfu.target(), lastN, log: o.log,
        });
        results.push(r);
        o.log(`${name} ${n}: ${r.ok ? `${r.forwardedPerS} fwd pkt/s of ${r.idealPerS}, loss ${r.lossPct} %, server ${r.server?.cpuPctOfCore} % of a core, latency p99 ${r.latencyMs?.p99} ms` : `FAILED ${r.error}`}`);
      } catch (e) {
        results.push({ sut: name, participants: n, ok: false, error: (e as Error).message, ...(lastN ? { lastN } : {}) });
        o.log(`${name} ${n}: FAILED ${(e as Error).message}`);
      } finally {
        await sfu.stop();
      }
    }
  } finally {
    if (!keep) rmSync(root, { recursive: true, force: true });
  }
  return { results, versions };
}
