// Janus VideoRoom driven over its WebSocket API (Janus 1.x): one WebSocket + session per
// participant, a publisher handle (werift, sendonly VP8 + Opus) and one multistream subscriber
// handle receiving every other publisher. Half-trickle: SDP without candidates, then `trickle`.
import WebSocket from 'ws';
import { RTCPeerConnection } from 'werift';
import { LeanReceive } from './lean-receive.js';
import { peerConfig, SyntheticSource, type StreamCounter } from './synthetic.js';
import type { RoomLoad, RoomOptions } from './load-types.js';

interface JanusMsg {
  janus: string;
  transaction?: string;
  sender?: number;
  data?: { id: number };
  error?: { code: number; reason: string };
  plugindata?: { data: Record<string, unknown> };
  jsep?: { type: 'offer' | 'answer'; sdp: string };
}

const timeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`timeout: ${what}`)), ms).unref())]);

class JanusConn {
  private ws!: WebSocket;
  private session = 0;
  private n = 0;
  private keepalive?: NodeJS.Timeout;
  private readonly tx = new Map<string, { res: (m: JanusMsg) => void; rej: (e: Error) => void; async: boolean }>();
  private readonly handlers = new Map<number, (m: JanusMsg) => void>();
  constructor(private readonly url: string) {}

  async open(): Promise<this> {
    this.ws = new WebSocket(this.url, 'janus-protocol');
    await new Promise((res, rej) => { this.ws.once('open', res); this.ws.once('error', rej); });
    this.ws.on('message', (d) => this.onMessage(JSON.parse(d.toString()) as JanusMsg));
    this.session = (await this.send({ janus: 'create' })).data!.id;
    this.keepalive = setInterval(() => { this.send({ janus: 'keepalive', session_id: this.session }).catch(() => {}); }, 20_000);
    return this;
  }

  private onMessage(m: JanusMsg): void {
    const t = m.transaction ? this.tx.get(m.transaction) : undefined;
    if (t) {
      if (m.janus === 'ack' && t.async) return; // asynchronous request: the answer is an event
      this.tx.delete(m.transaction!);
      if (m.janus === 'error') return t.rej(new Error(`janus error ${m.error?.code}: ${m.error?.reason}`));
      const perr = m.plugindata?.data.error;
      if (perr) return t.rej(new Error(`videoroom error ${String(m.plugindata?.data.error_code)}: ${String(perr)}`));
      return t.res(m);
    }
    if (m.sender) this.handlers.get(m.sender)?.(m); // webrtcup, media, hangup
  }

  send(msg: Record<string, unknown>, async = false): Promise<JanusMsg> {
    const transaction = `t${++this.n}`;
    return new Promise((res, rej) => {
      this.tx.set(transaction, { res, rej, async });
      this.ws.send(JSON.stringify({ ...msg, transaction }));
    });
  }

  async attach(onEvent: (m: JanusMsg) => void = () => {}): Promise<number> {
    const handle = (await this.send({ janus: 'attach', plugin: 'janus.plugin.videoroom', session_id: this.session })).data!.id;
    this.handlers.set(handle, onEvent);
    return handle;
  }

  /** Synchronous plugin request (create, destroy): `success` with plugindata. */
  async request(handle: number, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    return (await this.send({ janus: 'message', session_id: this.session, handle_id: handle, body })).plugindata!.data;
  }

  /** Asynchronous plugin request (join, configure, start): `ack`, then an event with plugindata (+ jsep). */
  message(handle: number, body: Record<string, unknown>, jsep?: { type: string; sdp: string }): Promise<JanusMsg> {
    return this.send({ janus: 'message', session_id: this.session, handle_id: handle, body, ...(jsep ? { jsep } : {}) }, true);
  }

  async trickle(handle: number, candidates: Array<{ candidate: string; sdpMid: string; sdpMLineIndex: number }>): Promise<void> {
    for (const candidate of candidates) await this.send({ janus: 'trickle', session_id: this.session, handle_id: handle, candidate });
    await this.send({ janus: 'trickle', session_id: this.session, handle_id: handle, candidate: { completed: true } });
  }

  async close(): Promise<void> {
    clearInterval(this.keepalive);
    await timeout(this.send({ janus: 'destroy', session_id: this.session }), 2000, 'destroy').catch(() => {});
    this.ws.close();
  }
}

/** The SDP without its candidates, and the loopback candidates of the first (bundled) m-line. */
function splitCandidates(sdp: string): { sdp: string; candidates: Array<{ candidate: string; sdpMid: string; sdpMLineIndex: number }> } {
  const candidates: Array<{ candidate: string; sdpMid: string; sdpMLineIndex: number }> = [];
  let mline = -1;
  let mid = '0';
  const lines = sdp.split('\r\n').filter((l) => {
    if (l.startsWith('m=')) mline++;
    if (l.startsWith('a=mid:')) mid = l.slice(6);
    if (l.startsWith('a=candidate:')) {
      if (mline === 0 && / 127\.0\.0\.1 /.test(l)) candidates.push({ candidate: l.slice(2), sdpMid: mid, sdpMLineIndex: 0 });
      return false;
    }
    return !l.startsWith('a=end-of-candidates');
  });
  return { sdp: lines.join('\r\n'), candidates };
}

function connected(pc: RTCPeerConnection, what: string): Promise<void> {
  return timeout(new Promise<void>((res, rej) => {
    if (pc.connectionState === 'connected') return res();
    pc.connectionStateChange.subscribe((s) => { if (s === 'connected') res(); if (s === 'failed') rej(new Error(`${what} failed`)); });
  }), 60_000, `${what} connected`);
}

const webrtcUp = () => {
  let up!: () => void;
  const p = new Promise<void>((r) => { up = r; });
  return { p, on: (m: JanusMsg) => { if (m.janus === 'webrtcup') up(); } };
};

/** Feed ids are chosen, not assigned by Janus, so that each process can subscribe to the others' feeds. */
const feedOf = (i: number): number => i + 1;

export function janusRoom(url: string, o: RoomOptions): RoomLoad {
  const conns = new Map<number, { conn: JanusConn; privateId: number }>();
  const pcs: RTCPeerConnection[] = [];
  const sources = o.sources;
  const counters: StreamCounter[] = [];
  let admin: { conn: JanusConn; handle: number } | undefined;
  const room = Number(o.room);
  return {
    counters,
    async publish() {
      if (o.createRoom) {
        const conn = await new JanusConn(url).open();
        admin = { conn, handle: await conn.attach() };
        // Like a deployment's room: VP8 + Opus, the bitrate capped above what the publishers send.
        await conn.request(admin.handle, { request: 'create', room, permanent: false, publishers: o.participants, audiocodec: 'opus', videocodec: 'vp8',
          bitrate: 768_000, bitrate_cap: true, fir_freq: 10, notify_joining: false });
      }
      const t0 = performance.now();
      // One peer at a time: werift finds a port in its range by bind/close/bind, and parallel peers race for it.
      for (const i of o.members) {
        const conn = await new JanusConn(url).open();
        const up = webrtcUp();
        const handle = await conn.attach(up.on);
        const joined = (await conn.message(handle, { request: 'join', ptype: 'publisher', room, id: feedOf(i), display: `p${i}` })).plugindata!.data;
        conns.set(i, { conn, privateId: Number(joined.private_id) });
        const pc = new RTCPeerConnection(peerConfig(o.peerPorts));
        pcs.push(pc);
        const src = new SyntheticSource();
        pc.addTransceiver(src.audio, { direction: 'sendonly' });
        const vt = pc.addTransceiver(src.video, { direction: 'sendonly' });
        vt.sender.onPictureLossIndication.subscribe(() => { src.forceKey = true; });
        await pc.setLocalDescription(await pc.createOffer());
        const { sdp, candidates } = splitCandidates(pc.localDescription!.sdp);
        const configured = conn.message(handle, { request: 'configure', audio: true, video: true }, { type: 'offer', sdp });
        await conn.trickle(handle, candidates);
        const ev = await configured;
        if (!ev.jsep) throw new Error(`configure without an answer: ${JSON.stringify(ev.plugindata)}`);
        await pc.setRemoteDescription(ev.jsep);
        await connected(pc, `publisher ${i}`);
        await timeout(up.p, 10_000, `publisher ${i} webrtcup`);
        // Media flows before the subscriptions, as in a room people join one after another.
        src.begin(performance.now());
        sources.push(src);
      }
      const s = (performance.now() - t0) / 1000;
      o.log(`janus: publishers ${o.members[0]}-${o.members[o.members.length - 1]} up in ${s.toFixed(1)} s`);
      return s;
    },
    async subscribe() {
      const t1 = performance.now();
      for (const i of o.members) {
        const { conn, privateId } = conns.get(i)!;
        const up = webrtcUp();
        const handle = await conn.attach(up.on);
        const others = [...Array(o.participants).keys()].filter((k) => k !== i);
        const ev = await conn.message(handle, { request: 'join', ptype: 'subscriber', room, private_id: privateId, streams: others.map((k) => ({ feed: feedOf(k) })) });
        if (!ev.jsep) throw new Error(`subscribe without an offer: ${JSON.stringify(ev.plugindata)}`);
        const pc = new RTCPeerConnection(peerConfig(o.peerPorts));
        pcs.push(pc);
        // Packets are counted as they arrive (bench/media/lean-receive.ts); werift decrypts samples.
        const lean = new LeanReceive(o.latency, (c) => counters.push(c));
        const seen = new WeakSet<object>();
        pc.onTrack.subscribe((track) => {
          lean.quietNacks(pc);
          if (seen.has(track)) return;
          seen.add(track);
          track.onReceiveRtp.subscribe((rtp) => lean.sampled(track.kind, rtp));
        });
        await pc.setRemoteDescription(ev.jsep);
        await pc.setLocalDescription(await pc.createAnswer());
        lean.attach(pc);
        const { sdp, candidates } = splitCandidates(pc.localDescription!.sdp);
        const started = conn.message(handle, { request: 'start' }, { type: 'answer', sdp });
        await conn.trickle(handle, candidates);
        await started;
        await connected(pc, `subscriber ${i}`);
        await timeout(up.p, 10_000, `subscriber ${i} webrtcup`);
      }
      const s = (performance.now() - t1) / 1000;
      o.log(`janus: subscriptions of ${o.members[0]}-${o.members[o.members.length - 1]} up in ${s.toFixed(1)} s`);
      return s;
    },
    async close() {
      for (const pc of pcs) await pc.close().catch(() => {});
      for (const { conn } of conns.values()) await conn.close();
      if (admin) {
        await admin.conn.request(admin.handle, { request: 'destroy', room }).catch(() => {});
        await admin.conn.close();
      }
    },
  };
}
