// Summarises a V8 .heapsnapshot: self size and count per constructor/type, top entries first;
// with two files, the growth from the first to the second (per-session cost when they were taken
// at different session counts). Usage: node --import tsx bench/profile/heap-summary.ts A [B] [N]
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

export function aggregate(s: Snapshot): Map<string, { size: number; count: number }> {
  const f = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = f.length;
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iSize = f.indexOf('self_size');
  const out = new Map<string, { size: number; count: number }>();
  for (let k = 0; k < s.nodes.length; k += width) {
    const type = types[s.nodes[k + iType]];
    const name = type === 'object' || type === 'closure' || type === 'native' ? s.strings[s.nodes[k + iName]] : `(${type})`;
    const key = type === 'closure' ? `closure ${name}` : name;
    const e = out.get(key) ?? { size: 0, count: 0 };
    e.size += s.nodes[k + iSize];
    e.count++;
    out.set(key, e);
  }
  return out;
}

if (process.argv[1]?.endsWith('heap-summary.ts')) {
  const args = process.argv.slice(2);
  const top = /^\d+$/.test(args[args.length - 1] ?? '') ? Number(args.pop()) : 30;
  const a = aggregate(JSON.parse(readFileSync(args[0], 'utf8')) as Snapshot);
  const b = args[1] ? aggregate(JSON.parse(readFileSync(args[1], 'utf8')) as Snapshot) : null;
  const rows = [...(b ?? a)].map(([k, v]) => {
    const base = b ? a.get(k) ?? { size: 0, count: 0 } : { size: 0, count: 0 };
    return { k, size: v.size - base.size, count: v.count - base.count };
  });
  const total = rows.reduce((x, r) => x + r.size, 0);
  console.log(`${b ? 'growth' : 'total'}: ${(total / 2 ** 20).toFixed(1)} MB`);
  for (const r of rows.sort((x, y) => y.size - x.size).slice(0, top)) {
    console.log(`${(r.size / 1024).toFixed(0).padStart(10)} kB  ${String(r.count).padStart(9)}  ${r.k}`);
  }
}
