// The data plane in this thread: a MediaRouter over werift peer connections. A worker thread runs
// one of these behind its port (../worker.ts); tests and `media.workers: 0` use it directly.
import type { MessagePort } from 'node:worker_threads';
import {
  SPEAKERS_INTERVAL_MS,
  type DataPlane, type ForwardOptions, type MediaEvent, type MediaListener, type MediaSettings, type PeerStats, type SenderSpec,
  type SinkRef, type SourceRef,
} from '../router.js';
import { WorkerLink, type LinkedStream } from './links.js';
import type { PacketSink } from './outlet.js';
import { WeriftPeer } from './peer.js';
import { SpeakerDetector } from './speakers.js';

/** Keyframe requests after a forward starts: the receiver decodes nothing before one (RFC 4585 PLI). */
const KEYFRAME_DELAYS_MS = [200, 800, 2000];

export class WeriftRouter implements DataPlane {
  private readonly peers = new Map<string, WeriftPeer>();
  /** The other data-plane workers, by their index (worker.ts), for rooms spread over several. */
  private readonly links = new Map<number, WorkerLink>();
  private readonly listeners = new Set<MediaListener>();
  private statsTimer?: NodeJS.Timeout;
  private readonly speakers = new SpeakerDetector();
  private readonly speakersTimer: NodeJS.Timeout;

  constructor(private readonly media: MediaSettings, opts: { statsIntervalMs?: number } = {}) {
    if (opts.statsIntervalMs) {
      this.statsTimer = setInterval(() => { if (this.peers.size > 0) void this.stats().then((peers) => this.emit({ type: 'stats', peers })); }, opts.statsIntervalMs);
      this.statsTimer.unref();
    }
    this.speakersTimer = setInterval(() => {
      for (const [roomId, sources] of this.speakers.interval()) this.emit({ type: 'speakers', roomId, sources });
    }, SPEAKERS_INTERVAL_MS);
    this.speakersTimer.unref();
  }

  on(listener: MediaListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: MediaEvent): void {
    for (const l of this.listeners) l(e);
  }

  private peer(peerId: string): WeriftPeer {
    const p = this.peers.get(peerId);
    if (!p) throw new Error(`no media peer ${peerId}`);
    return p;
  }

  async createPeer(roomId: string, peerId: string): Promise<void> {
    if (this.peers.has(peerId)) throw new Error(`media peer ${peerId} exists`);
    const p = new WeriftPeer(roomId, this.media);
    this.peers.set(peerId, p);
    p.onAudioLevel = (mid, level) => this.speakers.add(roomId, peerId, mid, level);
    p.onSource = (s, msid) => this.emit({ type: 'source', peerId, kind: s.kind, mid: s.mid, ...(msid ? { msid } : {}) });
    p.onState = (st) => this.emit({ type: 'state', peerId, ...st });
    p.onGone = (why) => {
      void this.closePeer(peerId).then(() => this.emit({ type: 'peer-failed', peerId, reason: 'connectivity', text: why }));
    };
  }

  answer(peerId: string, offerSdp: string): Promise<string> {
    return this.peer(peerId).answer(offerSdp);
  }

  answerAgain(peerId: string, offerSdp: string, added: string[]): Promise<string> {
    return this.peer(peerId).answerAgain(offerSdp, added);
  }

  restartIce(peerId: string, remote: { ufrag: string; pwd: string }): Promise<string> {
    return this.peer(peerId).restartIce(remote);
  }

  addCandidate(peerId: string, candidate: string, mid: string): Promise<void> {
    return this.peer(peerId).addCandidate(candidate, mid);
  }

  offerSenders(peerId: string, senders: SenderSpec[]): Promise<{ sdp: string; mids: string[] }> {
    return this.peer(peerId).offerSenders(senders);
  }

  applyAnswer(peerId: string, answerSdp: string): Promise<void> {
    return this.peer(peerId).applyAnswer(answerSdp);
  }

  async forward(from: SourceRef, to: SinkRef, options: ForwardOptions = {}): Promise<void> {
    const owner = this.peer(from.peerId);
    const receiver = this.peer(to.peerId);
    if (owner.roomId !== receiver.roomId) throw new Error('forwarding is within one room');
    const source = owner.sources.get(from.mid);
    if (!source) throw new Error(`peer ${from.peerId} has no source ${from.mid}`);
    const key = `${to.peerId} ${to.mid}`;
    this.sink(to, from.peerId, options, (sink) => {
      source.sinks.set(key, sink);
      return { detach: () => { source.sinks.delete(key); }, keyframe: () => source.requestKeyframe() };
    });
  }

  /** A worker link to the worker numbered `index` (worker.ts hands it over; worker-router.ts makes them). */
  addLink(index: number, port: MessagePort): void {
    this.links.get(index)?.close();
    this.links.set(index, new WorkerLink(port, index, (ref) => this.peers.get(ref.peerId)?.sources.get(ref.mid)));
  }

  async forwardFrom(link: number, from: SourceRef, to: SinkRef, options: ForwardOptions = {}): Promise<void> {
    const l = this.links.get(link);
    if (!l) throw new Error(`no link to media worker ${link}`);
    this.sink(to, from.peerId, options, (sink) => l.attach(from, sink));
  }

  async dropForwardsFrom(peerId: string): Promise<void> {
    for (const other of this.peers.values()) {
      for (const [mid, f] of [...other.forwards]) {
        if (f.from === peerId) { f.stop(); other.forwards.delete(mid); }
      }
    }
  }

  /** The receiving half of a forward: the m-line's outlet, fed by whatever `attach` connects it to. */
  private sink(to: SinkRef, from: string, options: ForwardOptions, attach: (sink: PacketSink) => LinkedStream): void {
    const receiver = this.peer(to.peerId);
    const tr = receiver.sender(to.mid);
    const outlet = receiver.outlet(to.mid);
    if (!tr || !outlet) throw new Error(`peer ${to.peerId} has no sendonly m-line ${to.mid}`);
    receiver.forwards.get(to.mid)?.stop();
    outlet.rebind();
    const counters = receiver.counters;
    const state = { paused: options.paused === true };
    const stream = attach((rtp, now) => {
      if (state.paused) return;
      counters.packetsForwarded++;
      counters.bytesForwarded += rtp.payload.length + 12; // with the 12-byte header it goes out with
      outlet.send(rtp, now);
    });
    const timers = KEYFRAME_DELAYS_MS.map((ms) => { const t = setTimeout(() => stream.keyframe(), ms); t.unref(); return t; });
    receiver.forwards.set(to.mid, {
      from,
      setPaused: (paused) => {
        if (state.paused && !paused) {
          outlet.resume();
          stream.keyframe();
        }
        state.paused = paused;
      },
      // the receiver's PLI or FIR for this m-line (peer.ts watchFeedback), unless nothing goes out on it
      keyframe: () => { if (!state.paused) stream.keyframe(); },
      stop: () => {
        stream.detach();
        for (const t of timers) clearTimeout(t);
      },
    });
  }

  async unforward(to: SinkRef): Promise<void> {
    const receiver = this.peers.get(to.peerId);
    const f = receiver?.forwards.get(to.mid);
    if (!receiver || !f) return;
    f.stop();
    receiver.forwards.delete(to.mid);
  }

  async setForwarding(to: SinkRef, on: boolean): Promise<void> {
    this.peers.get(to.peerId)?.forwards.get(to.mid)?.setPaused(!on);
  }

  async requestKeyframe(from: SourceRef): Promise<void> {
    this.peers.get(from.peerId)?.sources.get(from.mid)?.requestKeyframe();
  }

  async stats(): Promise<PeerStats[]> {
    return [...this.peers].map(([peerId, p]) => ({
      peerId, roomId: p.roomId, ...p.counters, packetsLost: [...p.lost.values()].reduce((a, b) => a + b, 0),
    }));
  }

  async closePeer(peerId: string): Promise<void> {
    const p = this.peers.get(peerId);
    if (!p) return;
    this.peers.delete(peerId);
    this.speakers.remove(peerId);
    // Whoever received this peer's sources stops at once, here and on other workers; its own forwards stop in close().
    await this.dropForwardsFrom(peerId);
    for (const l of this.links.values()) l.dropPeer(peerId);
    await p.close();
  }

  async close(): Promise<void> {
    if (this.statsTimer) clearInterval(this.statsTimer);
    clearInterval(this.speakersTimer);
    await Promise.all([...this.peers.keys()].map((id) => this.closePeer(id)));
    for (const l of this.links.values()) l.close();
    this.links.clear();
    this.listeners.clear();
  }
}
