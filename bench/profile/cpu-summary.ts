// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and total time per
// file, top entries first. Usage: node --import tsx bench/profile/cpu-summary.ts FILE [N]
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

export function summarize(p: Profile, top = 25): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
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

if (process.argv[1]?.endsWith('cpu-summary.ts')) {
  const [file, n] = process.argv.slice(2);
  console.log(summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(n ?? 25)));
}
