// One media load generator process, a process of its own so that the server under test is measured
// alone; a room may be split over several of them (pool.ts), each driving some of its participants:
//   node --import tsx bench/media/generator.ts '<GeneratorConfig as JSON>'
// The runner paces it with one command a line on stdin — publish, subscribe, start, stop, close —
// and it answers each with one JSON line on stdout (GeneratorReply). Logs go to stderr.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { carillonRoom } from './carillon-load.js';
import { janusRoom } from './janus-load.js';
import type { RoomLoad, RoomOptions } from './load-types.js';
import { enlargeReceiveBuffers, Histogram, LOUD_LEVEL, QUIET_LEVEL, type StreamCounter, type SyntheticSource } from './synthetic.js';
import { videosPerReceiver, type GeneratorConfig, type GeneratorReply, type WindowCounts } from './result.js';

const cfg = JSON.parse(process.argv[2] ?? '{}') as GeneratorConfig;
const t0 = performance.now();
const tag = cfg.processes > 1 ? `gen ${cfg.index + 1}/${cfg.processes}` : 'gen';
const log = (s: string): void => { process.stderr.write(`[${tag} ${((performance.now() - t0) / 1000).toFixed(1)}s] ${s}\n`); };

const CLK_TCK = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
function ownCpu(): number {
  const f = readFileSync('/proc/self/stat', 'utf8');
  const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(v[11]) + Number(v[12])) / CLK_TCK;
}

enlargeReceiveBuffers();
// How late this process's event loop runs: its werift peers answer ICE consent checks (RFC 7675)
// on it, and werift gives up on a check not answered within ~0.5 s. Logged after each phase.
const loopDelay = monitorEventLoopDelay({ resolution: 20 });
loopDelay.enable();
const delayLine = (what: string): void => {
  log(`${what}: event-loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms`);
  loopDelay.reset();
};
const sources: SyntheticSource[] = [];
const tick = setInterval(() => { const now = performance.now(); for (const s of sources) s.tick(now); }, 5);
const latency = { recording: false, hist: new Histogram() };
const o: RoomOptions = {
  participants: cfg.participants, members: cfg.members, room: cfg.room, createRoom: cfg.index === 0,
  peerPorts: cfg.peerPorts, latency, sources, log,
  videosPerReceiver: videosPerReceiver(cfg.participants, cfg.lastN),
  // Last-N picks by audio level: the first n participants loud, the rest quiet, so which videos are
  // forwarded does not depend on timing (each receiver: the loud ones but itself, then the first quiet to join).
  level: cfg.lastN ? (i) => (i < cfg.lastN!.n ? LOUD_LEVEL : QUIET_LEVEL) : undefined,
};
const room: RoomLoad = cfg.sut === 'janus' ? janusRoom(cfg.janusUrl!, o)
  : carillonRoom({ ...cfg.carillon!, user: (i) => `${cfg.carillon!.userPrefix}${i}` }, o);

function counts(): WindowCounts {
  const c = room.counters.reduce((a, k) => { const s = k.snap(); a.received += s.received; a.late += s.late; a.expected += s.expected; return a; }, { received: 0, late: 0, expected: 0 });
  return { ...c, sent: sources.reduce((a, s) => a + s.sent, 0), sentAudio: sources.reduce((a, s) => a + s.sentAudio, 0), sentVideo: sources.reduce((a, s) => a + s.sentVideo, 0),
    cpuS: ownCpu(), at: performance.timeOrigin + performance.now(), streams: room.counters.length };
}

/** Packets each stream had at the window's start: a stream that moved since was forwarded in the window. */
let atStart = new Map<StreamCounter, number>();
function flowing(): { audio: number; video: number } {
  const f = { audio: 0, video: 0 };
  for (const c of room.counters) if (c.received > (atStart.get(c) ?? 0)) f[c.kind === 'audio' ? 'audio' : 'video']++;
  return f;
}

let closing: Promise<void> | undefined;
const closeOnce = (): Promise<void> => {
  clearInterval(tick);
  return (closing ??= room.close().catch(() => {}));
};

let start: WindowCounts | undefined;
async function run(command: string): Promise<GeneratorReply> {
  switch (command) {
    case 'publish': { const seconds = await room.publish(); delayLine('publish'); return { ok: true, seconds }; }
    case 'subscribe': { const seconds = await room.subscribe().finally(() => delayLine('subscribe')); return { ok: true, seconds }; }
    case 'start':
      latency.hist = new Histogram();
      latency.recording = true;
      start = counts();
      atStart = new Map(room.counters.map((c) => [c, c.received]));
      return { ok: true };
    case 'stop': {
      latency.recording = false;
      delayLine('window');
      const end = { ...counts(), flowing: flowing() };
      if (process.env.MEDIABENCH_DEBUG) for (const c of room.counters) log(`stream ${c.kind} ssrcs ${[...c.ssrcs].join(',')} ${JSON.stringify(c.snap())}`);
      // the histogram travels as its non-empty bins only
      const bins: Array<[number, number]> = [];
      latency.hist.bins.forEach((n, i) => { if (n) bins.push([i, n]); });
      return { ok: true, window: { start: start!, end, bins } };
    }
    case 'close':
      await closeOnce();
      return { ok: true };
    default: return { ok: false, error: `unknown command ${command}` };
  }
}

const reply = (r: GeneratorReply): void => { process.stdout.write(`${JSON.stringify(r)}\n`); };
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  const command = line.trim();
  queue = queue.then(() => run(command)).then(reply, (e: Error) => {
    log(`${command} failed: ${e.stack ?? e.message}`);
    reply({ ok: false, error: e.message.slice(0, 400) }); // a refused stanza can be long
  }).then(() => { if (command === 'close') process.exit(0); });
});
// the runner gone: hang up and leave
process.stdin.on('end', () => { void closeOnce().then(() => process.exit(0)); });
