// What the media data plane costs the XMPP thread, with media in that thread (media.workers 0)
// and in worker threads: forwarded RTP packets per second and this thread's event-loop delay
// (perf_hooks.monitorEventLoopDelay), quiet and then during a burst of synchronous SQLite writes
// like a busy server's. The synthetic participants (werift peers sending Opus-sized and VP8-sized
// RTP) run in their own worker so that they load neither side of the comparison.
//   node --import tsx bench/media-loop.ts [participants=4] [seconds=4]
import Database from 'better-sqlite3';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { RTCPeerConnection, RtpHeader, RtpPacket, MediaStreamTrack, RTCRtpCodecParameters } from 'werift';
import type { MediaRouter } from '../component/media/router.js';
import { WeriftRouter } from '../component/media/werift/router.js';
import { WorkerRouter } from '../component/media/worker-router.js';

type ToClients = { id: number; op: 'offer' } | { id: number; op: 'answer'; sdp: string } | { id: number; op: 'reoffer'; sdp: string } | { op: 'stop' };
type FromClients = { id: number; sdp: string };

/** The participants' side: one werift peer each, sending 50 audio and 100 video packets a second. */
async function clients(): Promise<void> {
  const port = parentPort!;
  const pcs = new Map<number, RTCPeerConnection>();
  const timers: NodeJS.Timeout[] = [];
  const codecs = {
    audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111 })],
    video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96 })],
  };
  const gathered = (pc: RTCPeerConnection) => new Promise<void>((r) => {
    if (pc.iceGatheringState === 'complete') return r();
    pc.iceGatheringStateChange.subscribe((s) => { if (s === 'complete') r(); });
  });
  port.on('message', async (m: ToClients) => {
    if (m.op === 'stop') { for (const t of timers) clearInterval(t); for (const pc of pcs.values()) await pc.close(); port.postMessage({ id: -1, sdp: '' }); return; }
    if (m.op === 'offer') {
      const pc = new RTCPeerConnection({ codecs, bundlePolicy: 'max-bundle', iceUseIpv6: false, iceInterfaceAddresses: { udp4: '127.0.0.1' } });
      pcs.set(m.id, pc);
      for (const [kind, pt, size, perSecond] of [['audio', 111, 120, 50], ['video', 96, 1100, 100]] as const) {
        const track = new MediaStreamTrack({ kind });
        pc.addTransceiver(track, { direction: 'sendrecv' });
        let seq = 0;
        const payload = Buffer.alloc(size, m.id);
        const ssrc = (m.id << 8) + pt;
        timers.push(setInterval(() => {
          for (let i = 0; i < perSecond / 50; i++) {
            track.writeRtp(new RtpPacket(new RtpHeader({ payloadType: pt, sequenceNumber: seq++ & 0xffff, timestamp: seq * 960, ssrc, marker: true }), payload));
          }
        }, 20));
      }
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      // The participant takes the DTLS client role from the start: werift, unlike libwebrtc, answers
      // every later offer as the client, and a role that changed would fail the session.
      port.postMessage({ id: m.id, sdp: pc.localDescription!.sdp.replace(/a=setup:actpass/g, 'a=setup:active') } satisfies FromClients);
    } else if (m.op === 'answer') {
      await pcs.get(m.id)!.setRemoteDescription({ type: 'answer', sdp: m.sdp });
      port.postMessage({ id: m.id, sdp: '' } satisfies FromClients);
    } else {
      const pc = pcs.get(m.id)!;
      await pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      port.postMessage({ id: m.id, sdp: pc.localDescription!.sdp } satisfies FromClients);
    }
  });
}

async function run(label: string, router: MediaRouter, n: number, seconds: number): Promise<void> {
  const peersWorker = new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`, { eval: true, workerData: { clients: true } });
  const waiting = new Map<number, (sdp: string) => void>();
  peersWorker.on('message', (m: FromClients) => waiting.get(m.id)?.(m.sdp));
  const ask = (m: ToClients & { id: number }) => new Promise<string>((r) => { waiting.set(m.id, r); peersWorker.postMessage(m); });
  const sources = new Map<string, string[]>();
  router.on((e) => { if (process.env.BENCH_DEBUG && e.type !== 'stats') console.log(e); if (e.type === 'source') sources.set(e.peerId, [...(sources.get(e.peerId) ?? []), e.mid]); });
  const ids = [...Array(n).keys()];
  for (const i of ids) {
    await router.createPeer('room', `p${i}`);
    const answer = await router.answer(`p${i}`, await ask({ id: i, op: 'offer' }));
    await ask({ id: i, op: 'answer', sdp: answer });
  }
  // Everyone receives everyone: one sendonly m-line per other participant's source.
  for (let tries = 0; [...sources.values()].flat().length < 2 * n; tries++) {
    if (tries > 200) throw new Error('sources did not arrive');
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const i of ids) {
    const others = ids.filter((k) => k !== i).flatMap((k) => sources.get(`p${k}`)!.map((mid, j) => ({ from: `p${k}`, mid, kind: j === 0 ? 'audio' as const : 'video' as const })));
    const offer = await router.offerSenders(`p${i}`, others.map((o) => ({ kind: o.kind, streamId: `s${o.from}` })));
    await router.applyAnswer(`p${i}`, await ask({ id: i, op: 'reoffer', sdp: offer.sdp }));
    for (const [j, o] of others.entries()) await router.forward({ peerId: o.from, mid: o.mid }, { peerId: `p${i}`, mid: offer.mids[j] });
  }
  const forwarded = async () => (await router.stats()).reduce((a, s) => a + s.packetsForwarded, 0);
  const measure = async (what: string, work: () => Promise<void>) => {
    const h = monitorEventLoopDelay({ resolution: 5 });
    const p0 = await forwarded();
    const t0 = performance.now();
    h.enable();
    await work();
    h.disable();
    const secs = (performance.now() - t0) / 1000;
    const pps = ((await forwarded()) - p0) / secs;
    const ms = (v: number) => (v / 1e6).toFixed(1);
    console.log(`${label.padEnd(22)} ${what.padEnd(14)} ${pps.toFixed(0).padStart(7)} forwarded/s   loop delay p50 ${ms(h.percentile(50))} ms  p99 ${ms(h.percentile(99))} ms  max ${ms(h.max)} ms`);
  };
  await new Promise((r) => setTimeout(r, 1000));
  await measure('quiet', () => new Promise((r) => setTimeout(r, seconds * 1000)));
  // A burst of synchronous SQLite writes, in slices as a server handles stanzas: 200 rows per slice.
  const db = new Database(':memory:');
  db.exec('create table m (id integer primary key, body text)');
  const insert = db.prepare('insert into m (body) values (?)');
  const body = 'x'.repeat(500);
  await measure('sqlite burst', async () => {
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      db.transaction(() => { for (let i = 0; i < 200; i++) insert.run(body); })();
      await new Promise((r) => setImmediate(r));
    }
  });
  db.close();
  await ask({ id: -1, op: 'stop' } as unknown as ToClients & { id: number });
  await peersWorker.terminate();
  await router.close();
}

if (!isMainThread && (workerData as { clients?: boolean } | undefined)?.clients) {
  await clients();
} else if (isMainThread) {
  const n = Number(process.argv[2] ?? 4);
  const seconds = Number(process.argv[3] ?? 4);
  const media = { bindAddress: '127.0.0.1' };
  console.log(`${n} participants, everyone receives everyone (${n * (n - 1) * 150} packets/s offered to forward: 50 audio + 100 video per sender), ${seconds} s per phase`);
  await run('in-process (before)', new WeriftRouter(media), n, seconds);
  await run('worker thread (after)', new WorkerRouter({ media, workers: 2 }), n, seconds);
}
