// A MediaRouter without media: it keeps what the control plane asked of it (peers, m-lines,
// forwards) and answers with well-formed SDP, so the control plane (component/calls/) is tested
// on its own. Tests emit the data plane's events themselves.
import type {
  ForwardOptions, Kind, MediaEvent, MediaListener, MediaRouter, PeerStats, SenderSpec, SinkRef, SourceRef,
} from '../../../component/media/router.js';

export interface MLine { mid: string; kind: Kind; dir: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive'; ssrc?: number; msid?: string }

let ssrcs = 1000;
/** A fixed 32-byte SHA-256 fingerprint in SDP form. */
const FINGERPRINT = Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).toUpperCase().padStart(2, '0')).join(':');

/** SDP with one bundled m-line per entry, ICE host candidate on loopback and a DTLS fingerprint. */
export function sdpOf(mlines: MLine[], opts: { ufrag: string; pwd: string; setup: 'actpass' | 'active' | 'passive'; port: number }): string {
  const lines = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', `a=group:BUNDLE ${mlines.map((m) => m.mid).join(' ')}`, 'a=msid-semantic: WMS *'];
  for (const m of mlines) {
    const pt = m.kind === 'audio' ? 111 : 96;
    lines.push(`m=${m.kind} 9 UDP/TLS/RTP/SAVPF ${pt}`, 'c=IN IP4 0.0.0.0',
      `a=candidate:1 1 udp 2130706431 127.0.0.1 ${opts.port} typ host`,
      `a=ice-ufrag:${opts.ufrag}`, `a=ice-pwd:${opts.pwd}`, `a=fingerprint:sha-256 ${FINGERPRINT}`, `a=setup:${opts.setup}`,
      `a=mid:${m.mid}`, `a=${m.dir}`, 'a=rtcp-mux',
      m.kind === 'audio' ? 'a=rtpmap:111 opus/48000/2' : 'a=rtpmap:96 VP8/90000');
    if (m.ssrc !== undefined) {
      if (m.msid) lines.push(`a=msid:${m.msid}`);
      lines.push(`a=ssrc:${m.ssrc} cname:fake`);
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Audio and video a participant sends (its offer's m-lines). */
export function participantLines(): MLine[] {
  return [
    { mid: '0', kind: 'audio', dir: 'sendrecv', ssrc: ssrcs++, msid: 's a' },
    { mid: '1', kind: 'video', dir: 'sendrecv', ssrc: ssrcs++, msid: 's v' },
  ];
}

interface FakePeer { roomId: string; lines: MLine[]; answered: boolean; answers: number; forwards: Map<string, SourceRef>; paused: Set<string> }

export class FakeRouter implements MediaRouter {
  readonly peers = new Map<string, FakePeer>();
  /** Every call, in order, as "method peer …". */
  readonly calls: string[] = [];
  private readonly waiters: Array<{ test: () => boolean; resolve: () => void }> = [];
  /** The next call of these methods rejects with this message. */
  readonly failNext = new Map<keyof MediaRouter, string>();
  private readonly listeners = new Set<MediaListener>();
  private port = 40000;

  private peer(peerId: string): FakePeer {
    const p = this.peers.get(peerId);
    if (!p) throw new Error(`no media peer ${peerId}`);
    return p;
  }

  /** Resolves once `test` holds, checked now and after every call the control plane makes. */
  when(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  private record(call: string): void {
    this.calls.push(call);
    // Settle after the call's own work (the method body runs on): a microtask later.
    queueMicrotask(() => {
      for (const w of [...this.waiters]) if (w.test()) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(); }
    });
  }

  private check(method: keyof MediaRouter): void {
    const why = this.failNext.get(method);
    if (why === undefined) return;
    this.failNext.delete(method);
    throw new Error(why);
  }

  emit(e: MediaEvent): void {
    for (const l of this.listeners) l(e);
  }

  on(listener: MediaListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async createPeer(roomId: string, peerId: string): Promise<void> {
    this.record(`createPeer ${peerId} ${roomId}`);
    this.check('createPeer');
    this.peers.set(peerId, { roomId, lines: [], answered: false, answers: 0, forwards: new Map(), paused: new Set() });
  }

  /** A participant's own content-add: modelled as a fresh answer to its whole offer. */
  async answerAgain(peerId: string, offerSdp: string, _added: string[]): Promise<string> {
    this.record(`answerAgain ${peerId}`);
    return this.answer(peerId, offerSdp);
  }

  async answer(peerId: string, offerSdp: string): Promise<string> {
    this.record(`answer ${peerId}`);
    this.check('answer');
    const p = this.peer(peerId);
    const offered = [...offerSdp.matchAll(/^m=(audio|video)[^]*?^a=mid:(\S+)/gm)].map((m) => ({ kind: m[1] as Kind, mid: m[2] }));
    p.lines = offered.map((o) => ({ ...o, dir: 'recvonly' }));
    p.answered = true;
    return sdpOf(p.lines, { ufrag: 'room', pwd: 'roompasswordroompassword', setup: 'passive', port: this.port++ });
  }

  /** An ICE restart: the same m-lines answered with new credentials. */
  async restartIce(peerId: string, remote: { ufrag: string; pwd: string }): Promise<string> {
    this.record(`restartIce ${peerId} ${remote.ufrag}`);
    const p = this.peer(peerId);
    return sdpOf(p.lines, { ufrag: `room${this.port}`, pwd: 'restartedpasswordrestarted', setup: 'passive', port: this.port++ });
  }

  async addCandidate(peerId: string, candidate: string, mid: string): Promise<void> {
    this.record(`addCandidate ${peerId} ${mid} ${candidate}`);
    this.peer(peerId);
  }

  async offerSenders(peerId: string, senders: SenderSpec[]): Promise<{ sdp: string; mids: string[] }> {
    this.record(`offerSenders ${peerId} ${senders.map((s) => s.kind).join(',')}`);
    this.check('offerSenders');
    const p = this.peer(peerId);
    const added = senders.map((s, i): MLine => ({ mid: String(p.lines.length + i), kind: s.kind, dir: 'sendonly', ssrc: ssrcs++, msid: `${s.streamId} t${ssrcs}` }));
    p.lines.push(...added);
    return { sdp: sdpOf(p.lines, { ufrag: 'room', pwd: 'roompasswordroompassword', setup: 'actpass', port: this.port }), mids: added.map((m) => m.mid) };
  }

  async applyAnswer(peerId: string, answerSdp: string): Promise<void> {
    this.record(`applyAnswer ${peerId}`);
    this.check('applyAnswer');
    const p = this.peer(peerId);
    p.answers++;
    // The control plane answers every m-line of our offer, in order (RFC 3264 §6).
    const mids = [...answerSdp.matchAll(/^a=mid:(\S+)/gm)].map((m) => m[1]);
    if (mids.join(' ') !== p.lines.map((l) => l.mid).join(' ')) throw new Error(`answer m-lines ${mids.join(' ')} for offer ${p.lines.map((l) => l.mid).join(' ')}`);
  }

  async forward(source: SourceRef, sink: SinkRef, options?: ForwardOptions): Promise<void> {
    this.record(`forward ${source.peerId}/${source.mid} ${sink.peerId}/${sink.mid}${options?.paused ? ' paused' : ''}`);
    this.check('forward');
    const from = this.peer(source.peerId);
    const to = this.peer(sink.peerId);
    if (from.roomId !== to.roomId) throw new Error('forwarding is within one room');
    to.forwards.set(sink.mid, source);
    if (options?.paused) to.paused.add(sink.mid);
    else to.paused.delete(sink.mid);
  }

  async unforward(sink: SinkRef): Promise<void> {
    this.record(`unforward ${sink.peerId}/${sink.mid}`);
    this.peers.get(sink.peerId)?.forwards.delete(sink.mid);
    this.peers.get(sink.peerId)?.paused.delete(sink.mid);
  }

  async setForwarding(sink: SinkRef, on: boolean): Promise<void> {
    this.record(`setForwarding ${sink.peerId}/${sink.mid} ${on ? 'on' : 'off'}`);
    const p = this.peers.get(sink.peerId);
    if (!p?.forwards.has(sink.mid)) return;
    if (on) p.paused.delete(sink.mid);
    else p.paused.add(sink.mid);
  }

  async requestKeyframe(source: SourceRef): Promise<void> {
    this.record(`requestKeyframe ${source.peerId}/${source.mid}`);
  }

  async stats(): Promise<PeerStats[]> {
    return [...this.peers].map(([peerId, p]) => ({ peerId, roomId: p.roomId, packetsIn: 0, bytesIn: 0, packetsForwarded: 0, bytesForwarded: 0, packetsLost: 0 }));
  }

  async closePeer(peerId: string): Promise<void> {
    this.record(`closePeer ${peerId}`);
    this.peers.delete(peerId);
    // As a real data plane: what was forwarded from the closed peer stops too.
    for (const p of this.peers.values()) for (const [mid, s] of [...p.forwards]) if (s.peerId === peerId) p.forwards.delete(mid);
  }

  async close(): Promise<void> {
    this.record('close');
    this.peers.clear();
  }

  /** Sources whose media reaches one peer now (forwarded and not paused): "sourcePeer/mid". */
  flowingTo(peerId: string): Set<string> {
    const p = this.peers.get(peerId);
    return new Set([...(p?.forwards ?? [])].filter(([mid]) => !p!.paused.has(mid)).map(([, s]) => `${s.peerId}/${s.mid}`));
  }

  /** Forwards into one peer: "sourcePeer/mid" by the receiving m-line. */
  forwardsTo(peerId: string): Map<string, string> {
    return new Map([...(this.peers.get(peerId)?.forwards ?? [])].map(([mid, s]) => [mid, `${s.peerId}/${s.mid}`]));
  }
}
