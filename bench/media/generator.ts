// The media load generator, a process of its own so that the server under test is measured alone:
//   node --import tsx bench/media/generator.ts '<GeneratorConfig as JSON>'
// Brings one room up (Janus VideoRoom or a Carillon call), lets it warm up, then measures a window:
// packets sent and received, loss from sequence gaps, one-way latency from the send time in each
// payload, and the server process's own CPU time and memory from /proc. One JSON line on stdout.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { cpuSeconds, rssBytes } from '../servers/proc.js';
import { carillonRoom } from './carillon-load.js';
import { janusRoom } from './janus-load.js';
import type { RoomLoad, RoomOptions } from './load-types.js';
import { enlargeReceiveBuffers, Histogram, PACKETS_PER_PUBLISHER, type SyntheticSource } from './synthetic.js';
import type { GeneratorConfig, MediaResult } from './result.js';

const cfg = JSON.parse(process.argv[2] ?? '{}') as GeneratorConfig;
const t0 = performance.now();
const log = (s: string): void => { process.stderr.write(`[gen ${((performance.now() - t0) / 1000).toFixed(1)}s] ${s}\n`); };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const CLK_TCK = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
function ownCpu(): number {
  const f = readFileSync('/proc/self/stat', 'utf8');
  const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(v[11]) + Number(v[12])) / CLK_TCK;
}
function machineTimes(): { total: number; idle: number } {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { total: v.reduce((a, b) => a + b, 0), idle: v[3] + (v[4] ?? 0) };
}
/** Datagrams the kernel dropped at full receive buffers, machine-wide (/proc/net/snmp). */
function rcvbufErrors(): number {
  const l = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((x) => x.startsWith('Udp:'));
  const k = l[0].split(/\s+/);
  return Number(l[1].split(/\s+/)[k.indexOf('RcvbufErrors')]);
}

async function main(): Promise<MediaResult> {
  enlargeReceiveBuffers();
  const n = cfg.participants;
  const result: MediaResult = { sut: cfg.sut, participants: n, ok: false };
  const rssIdle = rssBytes(cfg.serverPid);
  const sources: SyntheticSource[] = [];
  const tick = setInterval(() => { const now = performance.now(); for (const s of sources) s.tick(now); }, 5);
  const latency = { recording: false, hist: new Histogram() };
  const o: RoomOptions = { participants: n, peerPorts: cfg.peerPorts, latency, sources, log };
  let room: RoomLoad | undefined;
  try {
    room = cfg.sut === 'janus' ? await janusRoom(cfg.janusUrl!, o)
      : await carillonRoom({ ...cfg.carillon!, user: (i) => `${cfg.carillon!.userPrefix}${i}` }, o);
    result.setupS = room.setup;
    await sleep(cfg.warmupS * 1000);
    const snap = () => room!.counters.reduce((a, c) => { const s = c.snap(); a.received += s.received; a.late += s.late; a.expected += s.expected; return a; }, { received: 0, late: 0, expected: 0 });
    const sent = () => sources.reduce((a, s) => a + s.sent, 0);
    const r0 = snap(), s0 = sent(), c0 = cpuSeconds(cfg.serverPid), g0 = ownCpu(), m0 = machineTimes(), u0 = rcvbufErrors();
    const w0 = performance.now();
    latency.recording = true;
    await sleep(cfg.seconds * 1000);
    latency.recording = false;
    const r1 = snap(), s1 = sent(), c1 = cpuSeconds(cfg.serverPid), g1 = ownCpu(), m1 = machineTimes(), u1 = rcvbufErrors();
    const wall = (performance.now() - w0) / 1000;
    const rss = rssBytes(cfg.serverPid);
    // Forwarded = distinct packets in sequence; copies (an SFU sending one packet twice) are counted apart.
    const received = (r1.received - r0.received) - (r1.late - r0.late), expected = r1.expected - r0.expected;
    const cpu = c1 - c0;
    const gen = ((g1 - g0) / wall) * 100;
    result.windowS = Number(wall.toFixed(2));
    result.sentPerS = Math.round((s1 - s0) / wall);
    result.forwardedPerS = Math.round(received / wall);
    result.idealPerS = Math.round(((s1 - s0) * (n - 1)) / wall);
    result.nominalPerS = n * (n - 1) * PACKETS_PER_PUBLISHER;
    if (process.env.MEDIABENCH_DEBUG) for (const c of room.counters) log(`stream ${c.kind} ssrcs ${[...c.ssrcs].join(',')} ${JSON.stringify(c.snap())}`);
    result.copiesPerS = Math.round((r1.late - r0.late) / wall);
    result.streams = room.counters.length;
    result.lossPct = expected > 0 ? Number(((100 * Math.max(0, expected - received)) / expected).toFixed(3)) : null;
    result.latencyMs = { p50: latency.hist.quantile(0.5), p95: latency.hist.quantile(0.95), p99: latency.hist.quantile(0.99), samples: latency.hist.count };
    result.server = {
      pid: cfg.serverPid, cpuS: Number(cpu.toFixed(2)), cpuPctOfCore: Number(((100 * cpu) / wall).toFixed(1)),
      cpuSPer1000: received > 0 ? Number(((cpu * 1000) / received).toFixed(4)) : null,
      rssMB: Number((rss / 2 ** 20).toFixed(1)), rssIdleMB: Number((rssIdle / 2 ** 20).toFixed(1)),
      rssPerParticipantMB: Number(((rss - rssIdle) / 2 ** 20 / n).toFixed(2)),
    };
    // One JS thread does all the generator's SRTP: above ~90 % of a core it, not the server, is the limit.
    result.generator = { cpuPctOfCore: Number(gen.toFixed(1)), saturated: gen > 90 };
    result.machineBusyPct = Number(((100 * ((m1.total - m0.total) - (m1.idle - m0.idle))) / (m1.total - m0.total)).toFixed(1));
    result.udpRcvbufErrors = u1 - u0;
    result.ok = received > 0;
  } catch (e) {
    result.error = (e as Error).message.slice(0, 400); // a refused stanza can be long
    log(`failed: ${(e as Error).stack ?? result.error}`);
  } finally {
    clearInterval(tick);
    await room?.close().catch(() => {});
  }
  result.loadAverage1m = Number(os.loadavg()[0].toFixed(2));
  return result;
}

main().then((r) => {
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(r.ok ? 0 : 1);
}, (e) => {
  process.stdout.write(`${JSON.stringify({ sut: cfg.sut, participants: cfg.participants, ok: false, error: String(e) })}\n`);
  process.exit(1);
});
