// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and total time per
// file, top entries first, optionally within a time range; or the busy share per second.
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Busy share per second of the profile, to find the phases of a run (idle = waiting for I/O). */
export function timeline(p: Profile): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const busy: number[] = [];
  const all: number[] = [];
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    const sec = Math.floor(t / 1e6);
    const idle = byId.get(p.samples[i])?.callFrame.functionName === '(idle)';
    all[sec] = (all[sec] ?? 0) + (p.timeDeltas[i] ?? 0);
    if (!idle) busy[sec] = (busy[sec] ?? 0) + (p.timeDeltas[i] ?? 0);
  }
  return all.map((a, s) => `${String(s).padStart(4)}s ${'#'.repeat(Math.round((20 * (busy[s] ?? 0)) / (a || 1)))}`).join('\n');
}

export function summarize(p: Profile, top = 25, from = 0, to = Infinity): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (t < from * 1e6 || t > to * 1e6) continue;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/.*\/(node_modules\/)/, '$1').replace(/.*\/dist\//, 'dist/');
    const key = `${n.callFrame.functionName || '(anonymous)'}  ${url}:${n.callFrame.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const f = url || `(${n.callFrame.functionName})`;
    file.set(f, (file.get(f) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const lines = [`${(total / 1e6).toFixed(1)} s sampled`, '', 'self time by function:'];
  for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(us)}  ${k}`);
  lines.push('', 'self time by file:');
  for (const [k, us] of [...file].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(us)}  ${k}`);
  return lines.join('\n');
}

// Usage: cpu-summary.ts FILE [TOP] [FROM_S TO_S] | cpu-summary.ts FILE timeline
if (process.argv[1]?.endsWith('cpu-summary.ts')) {
  const [file, n, from, to] = process.argv.slice(2);
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  if (n === 'timeline') console.log(timeline(p));
  else console.log(summarize(p, Number(n ?? 25), Number(from ?? 0), to === undefined ? Infinity : Number(to)));
}
