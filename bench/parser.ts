// Throughput of the stream parser (xmpp/parser.ts) alone, on typical one-to-one chat traffic.
//
//   node --import tsx bench/parser.ts [--stanzas 200000] [--rounds 5]
//
// Two input shapes: one stanza per chunk (a client typing), and 16 KiB chunks cut anywhere (a
// busy s2s link or a burst). Prints the best round of each, timed in CPU time of this process
// (user + system, so other load on the machine matters less than with wall time): stanzas per
// CPU second, MB/s, and the GC count and pause time of that round.
import { PerformanceObserver } from 'node:perf_hooks';
import { StreamParser } from '../xmpp/parser.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? def : Number(process.argv[i + 1]);
}

const N = arg('stanzas', 200_000);
const ROUNDS = arg('rounds', 5);

const HEADER = `<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0' xml:lang='en'>`;

/** A chat message as clients send them: id, to, type, a body, a chat state, a receipt request. */
function stanza(i: number): string {
  const accent = i % 4 === 0 ? ' — ça va? 👋' : '';
  return (
    `<message to='juliet${i % 50}@example.com' type='chat' id='m${i}' xml:lang='en'>` +
    `<body>Message number ${i}: wherefore art thou, Romeo?${accent}</body>` +
    `<active xmlns='http://jabber.org/protocol/chatstates'/>` +
    `<request xmlns='urn:xmpp:receipts'/>` +
    `<origin-id xmlns='urn:xmpp:sid:0' id='o${i}'/>` +
    `</message>`
  );
}

const perStanza: Buffer[] = [];
for (let i = 0; i < N; i++) perStanza.push(Buffer.from(stanza(i)));
const all = Buffer.concat(perStanza);
const bulk: Buffer[] = [];
for (let off = 0; off < all.length; off += 16 * 1024) bulk.push(all.subarray(off, off + 16 * 1024));

const gc = { count: 0, ms: 0 };
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.count++;
    gc.ms += e.duration;
  }
});
gcObserver.observe({ entryTypes: ['gc'] });

interface Round {
  seconds: number;
  gcCount: number;
  gcMs: number;
}

function round(chunks: Buffer[]): Omit<Round, 'gcCount' | 'gcMs'> {
  let count = 0;
  const p = new StreamParser(
    { framing: 'stream', maxStanzaBytes: 256 * 1024 },
    {
      streamStart: () => {},
      element: () => void count++,
      streamEnd: () => {},
      error: (e) => {
        throw e;
      },
    },
  );
  p.write(Buffer.from(HEADER));
  const t0 = process.cpuUsage();
  for (const c of chunks) p.write(c);
  const t = process.cpuUsage(t0);
  if (count !== N) throw new Error(`parsed ${count} of ${N} stanzas`);
  return { seconds: (t.user + t.system) / 1e6 };
}

/** Runs a round, then lets the GC observer report what happened during it. */
async function measured(chunks: Buffer[]): Promise<Round> {
  const g0 = { ...gc };
  const r = round(chunks);
  await new Promise((resolve) => setImmediate(resolve));
  return { ...r, gcCount: gc.count - g0.count, gcMs: gc.ms - g0.ms };
}

console.log(`node ${process.version}, ${N} stanzas of ~${Math.round(all.length / N)} bytes, best of ${ROUNDS} rounds (CPU time)`);
for (const [name, chunks] of [
  ['one stanza per chunk', perStanza],
  ['16 KiB chunks', bulk],
] as const) {
  round(chunks); // warm-up
  let best: Round = { seconds: Infinity, gcCount: 0, gcMs: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    const res = await measured(chunks);
    if (res.seconds < best.seconds) best = res;
  }
  const rate = N / best.seconds;
  const mbps = all.length / best.seconds / 1e6;
  console.log(
    `${name.padEnd(22)} ${Math.round(rate).toLocaleString('en-US').padStart(9)} stanzas/s  ${mbps.toFixed(1).padStart(6)} MB/s  ${(1e9 / rate).toFixed(0).padStart(5)} ns/stanza  GC ${best.gcCount}× ${best.gcMs.toFixed(0)} ms`,
  );
}
gcObserver.disconnect();
