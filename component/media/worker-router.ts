// The data plane in worker threads: a MediaRouter that places each room on one of N workers
// (the least loaded when the room's first peer is created) and relays requests to it by id.
// A room's peers beyond `spreadAbove` go to the least loaded worker instead, so that one large
// room can use more than one core: forwarding between its workers runs over a MessagePort
// between those two threads (werift/links.ts). RTP never reaches this thread.
// A worker that ends (a crash, an uncaught error, out of memory) takes only its rooms' peers with
// it: each gets a peer-failed event (reason "media") and a fresh worker takes the slot.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import type {
  DataPlane, ForwardOptions, MediaEvent, MediaListener, MediaRouter, MediaSettings, PeerStats, RouterMethod, RouterRequest, SenderSpec, SinkRef,
  SourceRef, SpeakerLevel, WorkerMessage,
} from './router.js';
import type { LinkOffer, WorkerOptions } from './worker.js';

interface Slot {
  index: number;
  worker: Worker;
  pending: Map<number, { resolve(v: unknown): void; reject(e: Error): void }>;
  rooms: Map<string, number>; // room id -> its open peers
  peers: Set<string>;
  ended: boolean;
  /** What the thread threw, when it ended by an uncaught error ('error' comes before 'exit'). */
  error?: string;
}

export interface WorkerInfo { index: number; threadId: number; rooms: string[]; peers: number }

/**
 * The worker's entry beside this file: worker.js when built (dist/); under tsx (tests, the bench)
 * worker.ts, loaded by a bootstrap that registers tsx in the worker first — Node 20 does not apply
 * an inherited --import hook to a worker's entry module.
 */
function startWorker(options: { workerData: WorkerOptions }): Worker {
  if (!fileURLToPath(import.meta.url).endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, { ...options, eval: true });
}

export class WorkerRouter implements MediaRouter {
  private readonly slots: Slot[] = [];
  private readonly roomSlot = new Map<string, Slot>();
  private readonly peerSlot = new Map<string, Slot>();
  private readonly peerRoom = new Map<string, string>();
  /** Each worker's last `speakers` list of a room spread over several: the room's is their union. */
  private readonly speakersOf = new Map<string, Map<number, SpeakerLevel[]>>();
  private readonly listeners = new Set<MediaListener>();
  private nextId = 1;
  private closing = false;
  private readonly count: number;

  constructor(private readonly opts: {
    media: MediaSettings; workers?: number; statsIntervalMs?: number;
    /** A room's peers on its first worker before the next go to the least loaded one (absent: never). */
    spreadAbove?: number;
    onWorkerExit?: (info: { index: number; code: number; rooms: string[]; error?: string }) => void;
  }) {
    // With tcpPort one worker holds the port's listener and so every peer (werift/ice-tcp.ts): a
    // connection accepted in one thread cannot be handed to another.
    const n = opts.workers ?? (opts.media.tcpPort !== undefined ? 1 : availableParallelism());
    if (!Number.isInteger(n) || n < 1) throw new Error('a worker router needs at least one worker');
    if (opts.media.tcpPort !== undefined && n > 1) throw new Error('media.tcpPort needs media.workers 1: one worker thread holds the TCP listener and all the media');
    this.count = n;
    for (let i = 0; i < n; i++) this.slots.push(this.spawn(i));
  }

  private spawn(index: number): Slot {
    const data: WorkerOptions = { media: this.portsOf(index), statsIntervalMs: this.opts.statsIntervalMs };
    const worker = startWorker({ workerData: data });
    // Open sockets keep the process alive, not an idle data plane.
    worker.unref();
    const slot: Slot = { index, worker, pending: new Map(), rooms: new Map(), peers: new Set(), ended: false };
    worker.on('message', (m: WorkerMessage) => this.receive(slot, m));
    // 'error' is followed by 'exit'; the process itself stays up, and says why the thread ended.
    worker.on('error', (e) => { slot.error = e instanceof Error ? (e.stack ?? e.message) : String(e); });
    worker.on('exit', (code) => this.ended(slot, code));
    // A port to every other live worker, for rooms spread over both (a fresh worker gets new ones).
    for (const other of this.slots) {
      if (other.ended || other.index === index) continue;
      const { port1, port2 } = new MessageChannel();
      worker.postMessage({ link: { index: other.index, port: port1 } } satisfies LinkOffer, [port1]);
      other.worker.postMessage({ link: { index, port: port2 } } satisfies LinkOffer, [port2]);
    }
    return slot;
  }

  /**
   * Each worker gets its own part of the media port range: werift probes for a free port and binds
   * it later, so two threads sharing ports could race for one. A range too small to share out is
   * used whole by every worker.
   */
  private portsOf(index: number): MediaSettings {
    const { portMin, portMax } = this.opts.media;
    const n = this.count;
    if (portMin === undefined || portMax === undefined) return this.opts.media;
    const size = Math.floor((portMax - portMin + 1) / n);
    if (size < 2) return this.opts.media;
    return { ...this.opts.media, portMin: portMin + index * size, portMax: index === n - 1 ? portMax : portMin + (index + 1) * size - 1 };
  }

  private receive(slot: Slot, m: WorkerMessage): void {
    if ('event' in m) {
      const e = m.event;
      if (e.type === 'peer-failed') {
        this.dropElsewhere(e.peerId, slot);
        this.forget(e.peerId);
      }
      if (e.type === 'speakers') { this.speakers(slot, e.roomId, e.sources); return; }
      this.emit(e);
      return;
    }
    const p = slot.pending.get(m.id);
    if (!p) return;
    slot.pending.delete(m.id);
    if (slot.pending.size === 0) slot.worker.unref();
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(m.error));
  }

  private ended(slot: Slot, code: number): void {
    slot.ended = true;
    for (const p of slot.pending.values()) p.reject(new Error('the media worker stopped'));
    slot.pending.clear();
    const rooms = [...slot.rooms.keys()];
    const peers = [...slot.peers];
    for (const id of peers) {
      this.dropElsewhere(id, slot);
      this.forget(id);
    }
    if (this.closing) return;
    this.opts.onWorkerExit?.({ index: slot.index, code, rooms, ...(slot.error ? { error: slot.error } : {}) });
    for (const peerId of peers) this.emit({ type: 'peer-failed', peerId, reason: 'media', text: `the media worker stopped (exit code ${code})` });
    // A fresh worker takes the slot for the rooms to come.
    if (this.slots[slot.index] === slot) this.slots[slot.index] = this.spawn(slot.index);
  }

  private forget(peerId: string): void {
    const slot = this.peerSlot.get(peerId);
    const roomId = this.peerRoom.get(peerId);
    this.peerSlot.delete(peerId);
    this.peerRoom.delete(peerId);
    if (!slot || roomId === undefined) return;
    slot.peers.delete(peerId);
    const left = (slot.rooms.get(roomId) ?? 1) - 1;
    if (left > 0) slot.rooms.set(roomId, left);
    else {
      slot.rooms.delete(roomId);
      this.speakersOf.get(roomId)?.delete(slot.index);
      if (this.roomSlot.get(roomId) === slot) {
        // a spread room lives on where its other peers are
        const next = this.slots.find((s) => !s.ended && s.rooms.has(roomId));
        if (next) this.roomSlot.set(roomId, next);
        else { this.roomSlot.delete(roomId); this.speakersOf.delete(roomId); }
      }
    }
  }

  /** The other workers holding peers of this peer's room stop forwarding from it. */
  private dropElsewhere(peerId: string, from: Slot): void {
    const roomId = this.peerRoom.get(peerId);
    if (roomId === undefined) return;
    for (const s of this.slots) {
      if (s !== from && !s.ended && s.rooms.has(roomId)) void this.call(s, 'dropForwardsFrom', peerId).catch(() => undefined);
    }
  }

  /** One worker's speakers of a room; the room's event lists every worker's. */
  private speakers(slot: Slot, roomId: string, sources: SpeakerLevel[]): void {
    let by = this.speakersOf.get(roomId);
    if (!by) this.speakersOf.set(roomId, (by = new Map()));
    by.set(slot.index, sources);
    this.emit({ type: 'speakers', roomId, sources: [...by.values()].flat() });
  }

  private emit(e: MediaEvent): void {
    for (const l of this.listeners) l(e);
  }

  private call<M extends RouterMethod>(slot: Slot, method: M, ...args: Parameters<DataPlane[M]>): Promise<Awaited<ReturnType<DataPlane[M]>>> {
    if (slot.ended) return Promise.reject(new Error('the media worker stopped'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // An answer awaited keeps the process alive; an idle worker does not.
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      slot.worker.postMessage({ id, method, args } as RouterRequest);
    });
  }

  private slotOf(peerId: string): Slot {
    const s = this.peerSlot.get(peerId);
    if (!s) throw new Error(`no media peer ${peerId}`);
    return s;
  }

  /** Least loaded by open peers, then by rooms; ties go to the lowest index. */
  private place(): Slot {
    return this.slots.filter((s) => !s.ended).reduce((best, s) => (s.peers.size < best.peers.size || (s.peers.size === best.peers.size && s.rooms.size < best.rooms.size) ? s : best));
  }

  on(listener: MediaListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async createPeer(roomId: string, peerId: string): Promise<void> {
    if (this.peerSlot.has(peerId)) throw new Error(`media peer ${peerId} exists`);
    const home = this.roomSlot.get(roomId);
    const spread = this.opts.spreadAbove;
    // A room stays on one worker (forwarding within one thread) until its worker holds spreadAbove of its peers.
    const full = !home || (spread !== undefined && (home.rooms.get(roomId) ?? 0) >= spread);
    const slot = full ? this.place() : home;
    if (!home) this.roomSlot.set(roomId, slot);
    slot.rooms.set(roomId, (slot.rooms.get(roomId) ?? 0) + 1);
    slot.peers.add(peerId);
    this.peerSlot.set(peerId, slot);
    this.peerRoom.set(peerId, roomId);
    try {
      await this.call(slot, 'createPeer', roomId, peerId);
    } catch (e) {
      this.forget(peerId);
      throw e;
    }
  }

  async answer(peerId: string, offerSdp: string): Promise<string> { return this.call(this.slotOf(peerId), 'answer', peerId, offerSdp); }
  async addCandidate(peerId: string, candidate: string, mid: string): Promise<void> { return this.call(this.slotOf(peerId), 'addCandidate', peerId, candidate, mid); }
  async restartIce(peerId: string, remote: { ufrag: string; pwd: string }): Promise<string> { return this.call(this.slotOf(peerId), 'restartIce', peerId, remote); }
  async answerAgain(peerId: string, offerSdp: string, added: string[]): Promise<string> { return this.call(this.slotOf(peerId), 'answerAgain', peerId, offerSdp, added); }
  async offerSenders(peerId: string, senders: SenderSpec[]): Promise<{ sdp: string; mids: string[] }> { return this.call(this.slotOf(peerId), 'offerSenders', peerId, senders); }
  async applyAnswer(peerId: string, answerSdp: string): Promise<void> { return this.call(this.slotOf(peerId), 'applyAnswer', peerId, answerSdp); }
  async forward(source: SourceRef, sink: SinkRef, options?: ForwardOptions): Promise<void> {
    const from = this.slotOf(source.peerId);
    const to = this.slotOf(sink.peerId);
    if (from === to) return options ? this.call(from, 'forward', source, sink, options) : this.call(from, 'forward', source, sink);
    if (this.peerRoom.get(source.peerId) !== this.peerRoom.get(sink.peerId)) throw new Error('forwarding is within one room');
    // Across workers: the receiver's worker asks the source's worker for it over their link.
    return options ? this.call(to, 'forwardFrom', from.index, source, sink, options) : this.call(to, 'forwardFrom', from.index, source, sink);
  }
  async unforward(sink: SinkRef): Promise<void> {
    const s = this.peerSlot.get(sink.peerId);
    if (s) await this.call(s, 'unforward', sink);
  }
  async setForwarding(sink: SinkRef, on: boolean): Promise<void> {
    const s = this.peerSlot.get(sink.peerId);
    if (s) await this.call(s, 'setForwarding', sink, on);
  }
  async requestKeyframe(source: SourceRef): Promise<void> {
    const s = this.peerSlot.get(source.peerId);
    if (s) await this.call(s, 'requestKeyframe', source);
  }

  async stats(): Promise<PeerStats[]> {
    const all = await Promise.all(this.slots.map((s) => this.call(s, 'stats').catch(() => [] as PeerStats[])));
    return all.flat();
  }

  async closePeer(peerId: string): Promise<void> {
    const s = this.peerSlot.get(peerId);
    if (!s) return;
    this.dropElsewhere(peerId, s);
    this.forget(peerId);
    await this.call(s, 'closePeer', peerId).catch(() => undefined);
  }

  /** The workers, their rooms and open peers (for the operator, and for tests of placement). */
  workers(): WorkerInfo[] {
    return this.slots.map((s) => ({ index: s.index, threadId: s.worker.threadId, rooms: [...s.rooms.keys()], peers: s.peers.size }));
  }

  /** The worker a room lives on, if it has peers. */
  workerOf(roomId: string): number | undefined {
    return this.roomSlot.get(roomId)?.index;
  }

  /** End one worker as a crash would (operators: to shed a stuck worker; tests: to prove isolation). */
  async terminateWorker(index: number): Promise<void> {
    const slot = this.slots[index];
    if (!slot) throw new Error(`no media worker ${index}`);
    const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
    await slot.worker.terminate();
    await exited;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map(async (s) => {
      await this.call(s, 'close').catch(() => undefined);
      await s.worker.terminate();
    }));
    this.listeners.clear();
  }
}
