// The generator processes of one room, driven from the runner: the room's participants are split
// over P processes (one JS thread each does all the SRTP of its peers, so one process alone caps
// the rate it can receive). Every phase is paced here: the processes publish one after another
// (joins in order, as one process would), then subscribe together; after the warm-up one
// measurement window opens and closes in all of them at once, while the server's CPU is read here.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, rssBytes } from '../servers/proc.js';
import type { LastNSettings } from '../../component/calls/last-n.js';
import { AUDIO_PACKETS_PER_S, Histogram, VIDEO_PACKETS_PER_S } from './synthetic.js';
import { videosPerReceiver, type GeneratorConfig, type GeneratorReply, type MediaResult, type MediaSut } from './result.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PoolOptions {
  sut: MediaSut;
  participants: number;
  /** Generator processes (at most one per participant). */
  processes: number;
  seconds: number;
  warmupS: number;
  peerPorts: [number, number];
  serverPid: number;
  target: Pick<GeneratorConfig, 'janusUrl' | 'carillon'>;
  /** Carillon with last-N on: its settings (what is due depends on them). */
  lastN?: LastNSettings;
  log: (s: string) => void;
}

/** Processes for a room when none are asked for: one per 8 participants (a room of 8 is one, as before). */
export const defaultProcesses = (n: number): number => Math.ceil(n / 8);

function machineTimes(): { total: number; idle: number } {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { total: v.reduce((a, b) => a + b, 0), idle: v[3] + (v[4] ?? 0) };
}
const busyPct = (a: { total: number; idle: number }, b: { total: number; idle: number }): number =>
  Number(((100 * ((b.total - a.total) - (b.idle - a.idle))) / Math.max(1, b.total - a.total)).toFixed(1));

/** Datagrams the kernel dropped at full receive buffers, machine-wide (/proc/net/snmp). */
function rcvbufErrors(): number {
  const l = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((x) => x.startsWith('Udp:'));
  const k = l[0].split(/\s+/);
  return Number(l[1].split(/\s+/)[k.indexOf('RcvbufErrors')]);
}

class GeneratorProcess {
  private readonly child: ChildProcess;
  private readonly waiting: Array<(r: GeneratorReply) => void> = [];
  private exited = false;

  constructor(cfg: GeneratorConfig, log: (s: string) => void) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'generator.ts'), JSON.stringify(cfg)], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let r: GeneratorReply;
      try { r = JSON.parse(line) as GeneratorReply; } catch { return; }
      this.waiting.shift()?.(r);
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => { if (line.trim()) log(`  ${line}`); });
    this.child.on('exit', (code) => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w({ ok: false, error: `generator exited (code ${code})` });
    });
  }

  /** One command, its reply; bounded so that a stuck generator cannot hold the run. */
  send(command: string, ms: number): Promise<GeneratorReply> {
    if (this.exited) return Promise.resolve({ ok: false, error: 'generator exited' });
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ ok: false, error: `no answer to ${command} in ${ms / 1000} s` }), ms);
      this.waiting.push((r) => { clearTimeout(timer); resolve(r); });
      this.child.stdin!.write(`${command}\n`);
    });
  }

  async end(): Promise<void> {
    if (!this.exited) await this.send('close', 30_000);
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/** Split [lo, hi] into `n` parts, one per process, so that their peers never race for a port. */
function portParts(range: [number, number], n: number): Array<[number, number]> {
  const size = Math.floor((range[1] - range[0] + 1) / n);
  return [...Array(n).keys()].map((k) => [range[0] + k * size, k === n - 1 ? range[1] : range[0] + (k + 1) * size - 1]);
}

export async function runRoom(o: PoolOptions): Promise<MediaResult> {
  const n = o.participants;
  const p = Math.max(1, Math.min(n, o.processes));
  const result: MediaResult = { sut: o.sut, participants: n, ok: false, ...(o.lastN ? { lastN: o.lastN } : {}) };
  const videos = videosPerReceiver(n, o.lastN);
  result.due = { audioPerReceiver: n - 1, videoPerReceiver: videos, audio: n * (n - 1), video: n * videos };
  const room = o.sut === 'janus' ? String(1_000_000 + Math.floor(Math.random() * 1e6))
    : `bench-${n}-${Math.random().toString(36).slice(2, 8)}@${o.target.carillon!.callDomain}`;
  const ports = portParts(o.peerPorts, p);
  const members = [...Array(p).keys()].map((k) => [...Array(n).keys()].filter((i) => i % p === k));
  const rssIdle = rssBytes(o.serverPid);
  // The machine's busy share over the whole attempt, so that a failed set-up says it too.
  const mStart = machineTimes();
  const gens = members.map((m, k) => new GeneratorProcess({ sut: o.sut, participants: n, members: m, index: k, processes: p, room, peerPorts: ports[k], ...o.target, ...(o.lastN ? { lastN: o.lastN } : {}) }, o.log));
  const check = (r: GeneratorReply, what: string): GeneratorReply => { if (!r.ok) throw new Error(`${what}: ${r.error}`); return r; };
  try {
    // Publishing in turn: the first process creates the room, and a process's own joins are serial.
    let publishersS = 0;
    for (const [k, g] of gens.entries()) publishersS += check(await g.send('publish', 240_000), `publish (generator ${k + 1})`).seconds ?? 0;
    const subs = await Promise.all(gens.map((g) => g.send('subscribe', 300_000)));
    subs.forEach((r, k) => check(r, `subscribe (generator ${k + 1})`));
    result.setupS = { publishersS: Number(publishersS.toFixed(2)), subscribersS: Number(Math.max(...subs.map((r) => r.seconds ?? 0)).toFixed(2)) };
    await sleep(o.warmupS * 1000);
    const c0 = cpuSeconds(o.serverPid), m0 = machineTimes(), u0 = rcvbufErrors();
    const w0 = performance.now();
    (await Promise.all(gens.map((g) => g.send('start', 30_000)))).forEach((r) => check(r, 'start'));
    await sleep(o.seconds * 1000);
    const stops = await Promise.all(gens.map((g) => g.send('stop', 30_000)));
    const c1 = cpuSeconds(o.serverPid), m1 = machineTimes(), u1 = rcvbufErrors();
    const wall = (performance.now() - w0) / 1000;
    const rss = rssBytes(o.serverPid);
    const windows = stops.map((r) => check(r, 'stop').window!);
    const sum = (f: (w: (typeof windows)[number]) => number): number => windows.reduce((a, w) => a + f(w), 0);
    // Forwarded = distinct packets in sequence; copies (an SFU sending one packet twice) are counted apart.
    const late = sum((w) => w.end.late - w.start.late);
    const received = sum((w) => w.end.received - w.start.received) - late;
    const expected = sum((w) => w.end.expected - w.start.expected);
    const sent = sum((w) => w.end.sent - w.start.sent);
    const sentAudio = sum((w) => w.end.sentAudio - w.start.sentAudio);
    const sentVideo = sum((w) => w.end.sentVideo - w.start.sentVideo);
    const hist = new Histogram();
    for (const w of windows) for (const [i, c] of w.bins) { hist.bins[i] += c; hist.count += c; }
    const cpu = c1 - c0;
    const genPct = windows.map((w) => Number(((100 * (w.end.cpuS - w.start.cpuS)) / ((w.end.at - w.start.at) / 1000)).toFixed(1)));
    result.windowS = Number(wall.toFixed(2));
    result.sentPerS = Math.round(sent / wall);
    result.sentAudioPerS = Math.round(sentAudio / wall);
    result.sentVideoPerS = Math.round(sentVideo / wall);
    result.forwardedPerS = Math.round(received / wall);
    // Each publisher's audio is due at the n − 1 others; its video, on average, at `videos` of them
    // (every receiver gets `videos` videos, and the publishers send at one rate). A paused video is
    // not due, so not lost: its counter does not move (the SFU numbers a resumed one on, no gap).
    result.idealPerS = Math.round((sentAudio * (n - 1) + sentVideo * videos) / wall);
    result.nominalPerS = n * (n - 1) * AUDIO_PACKETS_PER_S + n * videos * VIDEO_PACKETS_PER_S;
    result.flowing = { audio: sum((w) => w.end.flowing?.audio ?? 0), video: sum((w) => w.end.flowing?.video ?? 0) };
    result.copiesPerS = Math.round(late / wall);
    result.streams = windows.reduce((a, w) => a + w.end.streams, 0);
    result.lossPct = expected > 0 ? Number(((100 * Math.max(0, expected - received)) / expected).toFixed(3)) : null;
    result.latencyMs = { p50: hist.quantile(0.5), p95: hist.quantile(0.95), p99: hist.quantile(0.99), samples: hist.count };
    result.server = {
      pid: o.serverPid, cpuS: Number(cpu.toFixed(2)), cpuPctOfCore: Number(((100 * cpu) / wall).toFixed(1)),
      cpuSPer1000: received > 0 ? Number(((cpu * 1000) / received).toFixed(4)) : null,
      rssMB: Number((rss / 2 ** 20).toFixed(1)), rssIdleMB: Number((rssIdle / 2 ** 20).toFixed(1)),
      rssPerParticipantMB: Number(((rss - rssIdle) / 2 ** 20 / n).toFixed(2)),
    };
    // One JS thread per process does its peers' SRTP: above ~90 % of a core it, not the server, is the limit.
    const busiest = Math.max(...genPct);
    result.generator = { cpuPctOfCore: busiest, saturated: busiest > 90, processes: p, perProcessPct: genPct };
    result.machineBusyPct = busyPct(m0, m1);
    result.udpRcvbufErrors = u1 - u0;
    result.ok = received > 0;
  } catch (e) {
    result.error = (e as Error).message.slice(0, 600);
    result.machineBusyPct = busyPct(mStart, machineTimes());
  } finally {
    await Promise.all(gens.map((g) => g.end()));
  }
  result.loadAverage1m = Number(os.loadavg()[0].toFixed(2));
  return result;
}
