// Which objects hold the biggest internal arrays/strings of a heap snapshot: for nodes of one type
// (default "array") larger than a threshold, sums their sizes by retainer constructor and edge name.
// Usage: node --import tsx bench/profile/heap-retainers.ts FILE [TYPE] [MIN_BYTES]
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const [file, wanted = 'array', minArg = '256'] = process.argv.slice(2);
const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const m = s.snapshot.meta;
const nw = m.node_fields.length;
const ew = m.edge_fields.length;
const [iType, iName, iSize, iEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) => m.node_fields.indexOf(f));
const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => m.edge_fields.indexOf(f));
const ntypes = m.node_types[0];
const etypes = m.edge_types[0];
const min = Number(minArg);
const sums = new Map<string, { size: number; count: number }>();
let edge = 0;
for (let n = 0; n < s.nodes.length; n += nw) {
  const owner = `${ntypes[s.nodes[n + iType]]}:${s.strings[s.nodes[n + iName]].slice(0, 40)}`;
  const count = s.nodes[n + iEdges];
  for (let k = 0; k < count; k++, edge += ew) {
    const to = s.edges[edge + eTo];
    if (ntypes[s.nodes[to + iType]] !== wanted) continue;
    const size = s.nodes[to + iSize];
    if (size < min) continue;
    const et = etypes[s.edges[edge + eType]];
    const name = et === 'element' || et === 'hidden' ? `[${et}]` : s.strings[s.edges[edge + eName]];
    const key = `${owner} .${name}`;
    const e = sums.get(key) ?? { size: 0, count: 0 };
    e.size += size;
    e.count++;
    sums.set(key, e);
  }
}
for (const [k, v] of [...sums].sort((a, b) => b[1].size - a[1].size).slice(0, 25)) {
  console.log(`${(v.size / 1024).toFixed(0).padStart(8)} kB ${String(v.count).padStart(7)}  ${k}`);
}
