// One werift peer connection per participant. It answers the participant's offer, receives its
// sources, and carries forwarded sources back on sendonly transceivers. Packets are forwarded as
// they are (no decoding): only SSRC, payload type, sequence and timestamp are rewritten (outlet.ts),
// and header extensions are dropped because their ids are negotiated per connection. The one header
// extension negotiated is RFC 6464's audio level, read on receipt to tell who speaks (speakers.ts).
import {
  RTCPeerConnection, RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters, RTP_EXTENSION_URI,
  type MediaStreamTrack, type RTCRtpTransceiver,
} from 'werift';
import type { ConnectionState, Kind, MediaSettings } from '../router.js';
import { announceTcpPort, iceTcpListener, type IceTcpListener } from './ice-tcp.js';
import { RtpOutlet, type PacketSink } from './outlet.js';
import { KeyframeRequester, keyframeRequests, type RtcpLike } from './keyframes.js';

/** Codecs every WebRTC endpoint has (RFC 7874 / RFC 7742): one per kind keeps forwarding decode-free. */
const codecs = () => ({
  audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111,
    parameters: 'minptime=10;useinbandfec=1' })],
  video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96,
    rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }, { type: 'goog-remb' }] })],
});

/**
 * RFC 6464 client-to-mixer audio level (XEP-0294 carries the extmap in Jingle): werift answers with
 * the extensions the offer has and this list names, so browsers then put a level in every audio packet.
 */
const headerExtensions = () => ({
  audio: [new RTCRtpHeaderExtensionParameters({ id: 1, uri: RTP_EXTENSION_URI.audioLevelIndication })],
});

export interface IncomingSource {
  kind: Kind;
  mid: string;
  /** Subscribers by sink key (receiving peer id and mid, or a link's stream): functions writing a packet out. */
  sinks: Map<string, PacketSink>;
  /** Asks the participant for a keyframe of this source (coalesced, keyframes.ts). */
  requestKeyframe(): void;
}

export interface PeerCounters { packetsIn: number; bytesIn: number; packetsForwarded: number; bytesForwarded: number }

export class WeriftPeer {
  readonly pc: RTCPeerConnection;
  readonly sources = new Map<string, IncomingSource>(); // by mid
  /** What is forwarded to each of our sendonly m-lines (the sending peer's id, and how to stop it), by mid. */
  readonly forwards = new Map<string, { from: string; setPaused: (paused: boolean) => void; keyframe: () => void; stop: () => void }>();
  /** Cumulative loss the participant reported per SSRC we send it (RTCP RR/SR report blocks). */
  readonly lost = new Map<number, number>();
  readonly counters: PeerCounters = { packetsIn: 0, bytesIn: 0, packetsForwarded: 0, bytesForwarded: 0 };
  onSource?: (s: IncomingSource, msid: string | undefined) => void;
  /** The RFC 6464 level (0 loudest … 127 silence) of each audio packet that carries one. */
  onAudioLevel?: (mid: string, level: number) => void;
  onGone?: (why: string) => void;
  onState?: (state: { ice: string; dtls: string; connection: ConnectionState }) => void;
  private goneTimer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  /** Last RTP or RTCP from the participant: it sends RTCP reports even when it sends no media. */
  private lastHeard = Date.now();
  closed = false;
  /** A PLI to the participant for the track each source's mid has now, and each source's coalescing of them. */
  private readonly pli = new Map<string, () => void>();
  private readonly requesters = new Map<string, KeyframeRequester>();
  /** Tracks whose RTP is already forwarded. */
  private readonly attached = new WeakSet<MediaStreamTrack>();
  /** ICE over TCP on the shared `media.tcpPort` (ice-tcp.ts), when configured. */
  private readonly tcp?: { listener: IceTcpListener; port: number };

  constructor(readonly roomId: string, media: MediaSettings) {
    const bind = media.bindAddress;
    this.pc = new RTCPeerConnection({
      codecs: codecs(),
      headerExtensions: headerExtensions(),
      bundlePolicy: 'max-bundle',
      iceUseIpv6: false,
      icePortRange: media.portMin && media.portMax ? [media.portMin, media.portMax] : undefined,
      iceInterfaceAddresses: bind ? { udp4: bind } : undefined,
      iceAdditionalHostAddresses: bind ? [bind] : undefined,
      iceUseTcp: media.tcpPort !== undefined,
    });
    if (media.tcpPort !== undefined) {
      this.tcp = { listener: iceTcpListener(media.tcpPort, bind ?? '0.0.0.0'), port: media.tcpPort };
      this.tcp.listener.add(this.pc);
    }
    this.pc.onTrack.subscribe((track) => this.attach(track));
    this.pc.onTransceiverAdded.subscribe((t) => this.listen(t));
    this.pc.onRemoteTransceiverAdded.subscribe((t) => this.listen(t));
    const idle = media.inactivityTimeoutMs ?? 15000;
    this.watchdog = setInterval(() => {
      if (this.pc.connectionState === 'connected' && Date.now() - this.lastHeard > idle) this.gone('no RTP or RTCP');
    }, Math.min(1000, idle / 2));
    this.watchdog.unref();
    const report = (): void => this.onState?.({
      ice: this.pc.iceConnectionState, dtls: this.pc.dtlsTransports[0]?.state ?? 'new', connection: this.pc.connectionState as ConnectionState,
    });
    this.pc.iceConnectionStateChange.subscribe(report);
    // A vanished participant: ICE consent lost or DTLS closed (RFC 7675); give it a moment to recover.
    this.pc.connectionStateChange.subscribe((state) => {
      report();
      if (state === 'failed' || state === 'closed') this.gone(`connection ${state}`);
      else if (state === 'disconnected') this.goneTimer ??= setTimeout(() => this.gone('connection lost'), 5000);
      else if (state === 'connected') {
        // Silence counts from the moment media can flow: a set-up slower than the inactivity
        // timeout (a busy machine, a large room joining) is not silence.
        this.lastHeard = Date.now();
        if (this.goneTimer) { clearTimeout(this.goneTimer); this.goneTimer = undefined; }
      }
    });
  }

  private listened = new WeakSet<RTCRtpTransceiver>();
  private listen(t: RTCRtpTransceiver): void {
    if (this.listened.has(t)) return;
    this.listened.add(t);
    const heard = (): void => { this.lastHeard = Date.now(); };
    t.receiver.onRtcp.subscribe(heard);
    t.sender.onRtcp.subscribe((rtcp) => {
      heard();
      // Receiver reports (201) and sender reports (200) carry report blocks about what we send.
      if (rtcp.type !== 200 && rtcp.type !== 201) return;
      for (const r of (rtcp as { reports?: Array<{ ssrc: number; packetsLost: number }> }).reports ?? []) this.lost.set(r.ssrc, r.packetsLost);
    });
  }

  private readonly feedbackFrom = new WeakSet<object>();
  /**
   * Keyframe requests of the participant for what we forward to it, from all its RTCP (keyframes.ts
   * says why not from werift's senders): the m-line sending that SSRC asks its source.
   */
  private watchFeedback(): void {
    for (const d of this.pc.dtlsTransports) {
      if (this.feedbackFrom.has(d)) continue;
      this.feedbackFrom.add(d);
      d.onRtcp.subscribe((rtcp) => {
        for (const ssrc of keyframeRequests(rtcp as RtcpLike)) {
          for (const [mid, t] of this.sendonly) if (t.sender.ssrc === ssrc) this.forwards.get(mid)?.keyframe();
        }
      });
    }
  }

  private gone(why: string): void {
    if (this.closed) return;
    this.onGone?.(why);
  }

  private attach(track: MediaStreamTrack): void {
    // werift 0.24.4 fires onTrack again, with the same track object, for every remote description
    // whose m-line sends (each renegotiation): subscribing again would forward every packet once more.
    if (this.attached.has(track)) return;
    this.attached.add(track);
    const tr = this.pc.getTransceivers().find((t) => t.receiver.tracks.includes(track));
    if (!tr?.mid) return;
    const receiver = tr.receiver;
    // A renegotiation may hand us a new track object for the same m-line: keep one source per mid.
    let source = this.sources.get(tr.mid);
    const isNew = !source;
    if (!source) {
      const mid = tr.mid;
      const requester = new KeyframeRequester(() => this.pli.get(mid)?.());
      this.requesters.set(mid, requester);
      source = { kind: track.kind as Kind, mid, sinks: new Map(), requestKeyframe: () => requester.request() };
      this.sources.set(mid, source);
    }
    const s = source;
    this.pli.set(tr.mid, () => { if (track.kind === 'video' && track.ssrc) receiver.sendRtcpPLI(track.ssrc).catch(() => undefined); });
    const counters = this.counters;
    const mid = tr.mid;
    track.onReceiveRtp.subscribe((rtp, extensions) => {
      const now = Date.now();
      this.lastHeard = now;
      counters.packetsIn++;
      counters.bytesIn += rtp.payload.length;
      const level = (extensions?.[RTP_EXTENSION_URI.audioLevelIndication] as { level?: number } | undefined)?.level;
      if (level !== undefined) this.onAudioLevel?.(mid, level);
      for (const sink of s.sinks.values()) sink(rtp, now);
    });
    if (isNew) this.onSource?.(s, this.msidOf(tr.mid));
  }

  /** The remote description's a=msid of one m-line (RFC 8830), if it has one. */
  private msidOf(mid: string): string | undefined {
    const sdp = this.pc.remoteDescription?.sdp ?? '';
    const section = sdp.split(/\r?\nm=/).find((m) => new RegExp(`\\na=mid:${mid.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\r?\\n`).test(`\n${m}\n`));
    return section?.match(/\na=msid:([^\r\n]+)/)?.[1];
  }

  /** Answer the participant's offer; our transceivers only receive until sources are added. */
  async answer(offerSdp: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    this.watchFeedback();
    this.remoteSet = true;
    for (const c of this.earlyCandidates.splice(0)) await this.pc.addIceCandidate(c).catch(() => undefined);
    for (const t of this.pc.getTransceivers()) t.setDirection('recvonly');
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await this.gathered();
    return this.localSdp();
  }

  /** Our description as announced: TCP candidates on the shared port. */
  private localSdp(): string {
    const sdp = this.pc.localDescription!.sdp;
    return this.tcp ? announceTcpPort(sdp, this.tcp.port) : sdp;
  }

  /**
   * Answer a new offer from the participant (its content-add): the m-lines it added only send to
   * the room, so their transceivers receive; the others keep their directions.
   */
  async answerAgain(offerSdp: string, added: string[]): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    this.watchFeedback();
    for (const t of this.pc.getTransceivers()) if (t.mid && added.includes(t.mid)) t.setDirection('recvonly');
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await this.gathered();
    return this.localSdp();
  }

  /**
   * ICE restart offered by the participant (XEP-0176 §2.4): its last description with the new
   * credentials and no candidates, applied as an offer (RFC 8839 §4.4.1.1.1: a new ufrag and pwd
   * restart ICE), and our answer, whose new credentials and candidates it needs back. werift 0.24.4
   * restarts the ICE transport when the remote ufrag changes, but with DTLS up its connect() does
   * not start the new checks: they are started here. DTLS and SRTP stay as they are.
   */
  async restartIce(remote: { ufrag: string; pwd: string }): Promise<string> {
    const restart = (async () => {
      const sdp = this.pc.remoteDescription!.sdp
        .split('\r\n')
        .filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates')
        .map((l) => (l.startsWith('a=ice-ufrag:') ? `a=ice-ufrag:${remote.ufrag}`
          : l.startsWith('a=ice-pwd:') ? `a=ice-pwd:${remote.pwd}`
            // an earlier answer of the participant's, read as an offer: the setup an offer has
            : l.startsWith('a=setup:') ? 'a=setup:actpass' : l))
        .join('\r\n');
      await this.pc.setRemoteDescription({ type: 'offer', sdp });
      await this.pc.setLocalDescription(await this.pc.createAnswer());
      await this.gathered();
      for (const d of this.pc.dtlsTransports) {
        if (d.state === 'connected' && d.iceTransport.state === 'new') d.iceTransport.start().catch(() => undefined);
      }
      return this.localSdp();
    })();
    this.restarting = restart.then(() => undefined, () => undefined);
    return restart;
  }

  /** A restart being applied: candidates that follow its offer wait for it. */
  private restarting: Promise<void> = Promise.resolve();

  /** Add one sendonly transceiver per forwarded source and offer them; the offer and their mids. */
  async offerSenders(senders: Array<{ kind: Kind; streamId: string }>): Promise<{ sdp: string; mids: string[] }> {
    const added = senders.map((s) => {
      const t = this.pc.addTransceiver(s.kind, { direction: 'sendonly' });
      t.sender.streamId = s.streamId;
      // The extension ids the participant chose for its own m-lines, so that one id means one URI
      // across the BUNDLE group (RFC 8843 §9.2); werift would otherwise number its own from 1.
      const same = this.pc.getTransceivers().find((o) => o !== t && o.kind === s.kind && o.headerExtensions.length > 0);
      if (same) t.headerExtensions = [...same.headerExtensions];
      return t;
    });
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await this.gathered();
    for (const t of added) this.sendonly.set(t.mid!, t);
    return { sdp: this.localSdp(), mids: added.map((t) => t.mid!) };
  }

  async applyAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
    this.watchFeedback();
  }

  private remoteSet = false;
  private earlyCandidates: Array<{ candidate: string; sdpMid: string }> = [];

  /** A trickled candidate (XEP-0176 transport-info); kept until the offer is applied if it came first. */
  async addCandidate(candidate: string, mid: string): Promise<void> {
    if (!this.remoteSet) { this.earlyCandidates.push({ candidate, sdpMid: mid }); return; }
    await this.restarting;
    await this.pc.addIceCandidate({ candidate, sdpMid: mid });
  }

  /** Our sendonly transceiver of one mid. */
  sender(mid: string): RTCRtpTransceiver | undefined {
    return this.sendonly.get(mid);
  }

  private readonly sendonly = new Map<string, RTCRtpTransceiver>();
  private readonly outlets = new Map<string, RtpOutlet>();

  /** What goes out on our sendonly m-line of one mid, kept across the sources forwarded to it. */
  outlet(mid: string): RtpOutlet | undefined {
    const tr = this.sendonly.get(mid);
    if (!tr) return undefined;
    let o = this.outlets.get(mid);
    if (!o) { o = new RtpOutlet(tr.sender, this.pc.cname); this.outlets.set(mid, o); }
    return o;
  }

  private gathered(): Promise<void> {
    if (this.pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const sub = this.pc.iceGatheringStateChange.subscribe((s) => { if (s === 'complete') { sub.unSubscribe(); resolve(); } });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.goneTimer) clearTimeout(this.goneTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    for (const f of this.forwards.values()) f.stop();
    this.forwards.clear();
    for (const o of this.outlets.values()) o.close();
    this.outlets.clear();
    for (const s of this.sources.values()) s.sinks.clear();
    for (const r of this.requesters.values()) r.close();
    this.tcp?.listener.remove(this.pc);
    await this.pc.close().catch(() => undefined);
  }
}
