// Forwarding between two data-plane workers, for a room whose peers are spread over several
// (worker-router.ts places a room's peers beyond `media.spreadAbove` on other workers). Each pair
// of workers shares one MessagePort. The worker of a receiving peer asks the worker of the source
// for it once (`sub`), however many of its peers receive it; the source's worker then sends that
// source's packets — already decrypted, as they come off the participant's connection — batched
// per turn of its event loop into one transferred buffer. The receiving worker fans them out to
// its own peers' outlets (outlet.ts), which encrypt for each receiver. Keyframe requests go the
// other way. Media stays between the two worker threads; the control plane's thread never sees it.
import type { MessagePort } from 'node:worker_threads';
import type { SourceRef } from '../router.js';
import type { ForwardedPacket, PacketSink } from './outlet.js';
import type { IncomingSource } from './peer.js';

type LinkMessage =
  | { t: 'sub'; id: number; peerId: string; mid: string }
  | { t: 'unsub'; id: number }
  | { t: 'kf'; id: number }
  | { t: 'rtp'; buf: ArrayBuffer };

/** Per packet in a batch: stream id (4), sequence number (2), timestamp (4), marker (1), payload length (2). */
const HEAD = 13;

/** What an attached sink can do with its stream. */
export interface LinkedStream {
  detach(): void;
  keyframe(): void;
}

export class WorkerLink {
  /** Streams we receive from the other worker: by source key, and the sinks of each by stream id. */
  private readonly imports = new Map<string, number>();
  private readonly sinksOf = new Map<number, Set<PacketSink>>();
  /** Streams we send: the other worker's id for each, our source, its key in the source's sinks. */
  private readonly exports = new Map<number, { source: IncomingSource; peerId: string; key: string }>();
  private nextId = 1;
  private batch: Array<{ id: number; p: ForwardedPacket }> = [];
  private batchBytes = 0;
  private closed = false;

  constructor(private readonly port: MessagePort, private readonly index: number,
    private readonly findSource: (ref: SourceRef) => IncomingSource | undefined) {
    port.on('message', (m: LinkMessage) => this.receive(m));
    // The other worker ended: what it sent stops, what we sent it has nowhere to go.
    port.on('close', () => this.close());
  }

  /** `sink` gets the packets of a source on the other worker until detached. */
  attach(source: SourceRef, sink: PacketSink): LinkedStream {
    const key = `${source.peerId} ${source.mid}`;
    let id = this.imports.get(key);
    if (id === undefined) {
      id = this.nextId++;
      this.imports.set(key, id);
      this.sinksOf.set(id, new Set());
      this.post({ t: 'sub', id, peerId: source.peerId, mid: source.mid });
    }
    const sid = id;
    this.sinksOf.get(sid)!.add(sink);
    return {
      detach: () => {
        const sinks = this.sinksOf.get(sid);
        if (!sinks?.delete(sink) || sinks.size > 0) return;
        // the last of our receivers of it: the other worker stops sending it
        this.sinksOf.delete(sid);
        this.imports.delete(key);
        this.post({ t: 'unsub', id: sid });
      },
      keyframe: () => this.post({ t: 'kf', id: sid }),
    };
  }

  /** A peer of ours closed: stop sending its sources. */
  dropPeer(peerId: string): void {
    for (const [id, e] of this.exports) {
      if (e.peerId !== peerId) continue;
      e.source.sinks.delete(e.key);
      this.exports.delete(id);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const e of this.exports.values()) e.source.sinks.delete(e.key);
    this.exports.clear();
    this.imports.clear();
    this.sinksOf.clear();
    this.batch = [];
    this.port.close();
  }

  private post(m: LinkMessage, transfer?: ArrayBuffer[]): void {
    if (!this.closed) this.port.postMessage(m, transfer);
  }

  private receive(m: LinkMessage): void {
    switch (m.t) {
      case 'sub': {
        const source = this.findSource({ peerId: m.peerId, mid: m.mid });
        if (!source) return; // gone meanwhile: the control plane unforwards its sinks
        const key = `link ${this.index} ${m.id}`;
        this.exports.set(m.id, { source, peerId: m.peerId, key });
        source.sinks.set(key, (p) => this.push(m.id, p));
        return;
      }
      case 'unsub': {
        const e = this.exports.get(m.id);
        if (e) { e.source.sinks.delete(e.key); this.exports.delete(m.id); }
        return;
      }
      case 'kf':
        this.exports.get(m.id)?.source.requestKeyframe();
        return;
      case 'rtp':
        this.deliver(Buffer.from(m.buf));
    }
  }

  private push(id: number, p: ForwardedPacket): void {
    this.batch.push({ id, p });
    this.batchBytes += HEAD + p.payload.length;
    // After this turn's I/O: everything received meanwhile goes over in one message.
    if (this.batch.length === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    if (this.closed || this.batch.length === 0) return;
    const buf = Buffer.allocUnsafeSlow(this.batchBytes);
    let o = 0;
    for (const { id, p } of this.batch) {
      const h = p.header;
      buf.writeUInt32BE(id, o);
      buf.writeUInt16BE(h.sequenceNumber, o + 4);
      buf.writeUInt32BE(h.timestamp >>> 0, o + 6);
      buf[o + 10] = h.marker ? 1 : 0;
      buf.writeUInt16BE(p.payload.length, o + 11);
      p.payload.copy(buf, o + HEAD);
      o += HEAD + p.payload.length;
    }
    this.batch = [];
    this.batchBytes = 0;
    const ab = buf.buffer as ArrayBuffer;
    this.post({ t: 'rtp', buf: ab }, [ab]);
  }

  private deliver(buf: Buffer): void {
    const now = Date.now();
    let o = 0;
    while (o + HEAD <= buf.length) {
      const id = buf.readUInt32BE(o);
      const len = buf.readUInt16BE(o + 11);
      const packet: ForwardedPacket = {
        header: { sequenceNumber: buf.readUInt16BE(o + 4), timestamp: buf.readUInt32BE(o + 6), marker: buf[o + 10] === 1 },
        payload: buf.subarray(o + HEAD, o + HEAD + len),
      };
      o += HEAD + len;
      const sinks = this.sinksOf.get(id);
      if (sinks) for (const sink of sinks) sink(packet, now);
    }
  }
}
