// A call participant's media from werift sending the media benchmark's pre-built RTP
// (bench/media/synthetic.ts: VP8-shaped video at 30 fps, Opus-sized audio at 50 packets/s), with
// the RFC 6464 audio level in every audio packet: cheap enough to put five in one test, and loud
// or quiet at will. Receives like any participant and counts RTP per SSRC.
import { RTCPeerConnection } from 'werift';
import { audioLevelExtensions, audioLevelId, peerConfig, SyntheticSource } from '../../../bench/media/synthetic.js';
import type { PeerAdapter } from './call-participant.js';

/** RFC 6464 levels (−dBov): speech, and a silent room (the benchmark's own). */
export { LOUD_LEVEL as LOUD, QUIET_LEVEL as QUIET } from '../../../bench/media/synthetic.js';

/** One timer drives every synthetic source, as in the benchmark's generator. */
const sources = new Set<SyntheticSource>();
let timer: NodeJS.Timeout | undefined;
function drive(s: SyntheticSource): void {
  sources.add(s);
  s.begin(performance.now());
  timer ??= setInterval(() => { const now = performance.now(); for (const x of sources) x.tick(now); }, 5);
}
function stop(s: SyntheticSource): void {
  sources.delete(s);
  if (sources.size === 0 && timer) { clearInterval(timer); timer = undefined; }
}

export class SyntheticPeer implements PeerAdapter {
  /**
   * 10 video frames (20 packets) and ~17 audio packets (60 ms Opus frames) a second: five peers in
   * one test process on a shared machine, and still several packets per speakers interval (250 ms).
   */
  readonly source = new SyntheticSource(10, 60);
  readonly pc: RTCPeerConnection;
  /** RTP packets received, by SSRC. */
  private readonly counts = new Map<number, number>();
  private readonly lastSeq = new Map<number, number>();
  /** The largest step between consecutive sequence numbers received, by SSRC (1: no gap). */
  readonly maxJump = new Map<number, number>();
  /** Keyframe requests (RTCP PLI) that reached our video sender. */
  plis = 0;

  constructor(ports: [number, number], level: number) {
    this.source.level = level;
    this.pc = new RTCPeerConnection({
      ...peerConfig(ports),
      headerExtensions: audioLevelExtensions(),
    });
    const seen = new WeakSet<object>();
    this.pc.onTrack.subscribe((track) => {
      if (seen.has(track)) return; // werift announces a track again on every renegotiation
      seen.add(track);
      track.onReceiveRtp.subscribe((rtp) => {
        const { ssrc, sequenceNumber } = rtp.header;
        this.counts.set(ssrc, (this.counts.get(ssrc) ?? 0) + 1);
        const last = this.lastSeq.get(ssrc);
        const jump = last === undefined ? 1 : (sequenceNumber - last) & 0xffff;
        if (jump < 0x8000) { // forwards (a resent packet goes back)
          this.lastSeq.set(ssrc, sequenceNumber);
          this.maxJump.set(ssrc, Math.max(this.maxJump.get(ssrc) ?? 1, jump));
        }
      });
    });
  }

  /** Loud or quiet from the next audio packet on. */
  set level(level: number) {
    this.source.level = level;
  }

  async offer(): Promise<string> {
    const at = this.pc.addTransceiver(this.source.audio, { direction: 'sendrecv' });
    const vt = this.pc.addTransceiver(this.source.video, { direction: 'sendrecv' });
    await this.pc.setLocalDescription(await this.pc.createOffer());
    this.videoSsrc = vt.sender.ssrc;
    this.watchRtcp();
    const id = audioLevelId(at);
    if (id !== undefined) this.source.levelId = id;
    await new Promise<void>((resolve) => {
      if (this.pc.iceGatheringState === 'complete') return resolve();
      const sub = this.pc.iceGatheringStateChange.subscribe((s) => { if (s === 'complete') { sub.unSubscribe(); resolve(); } });
    });
    drive(this.source);
    return this.pc.localDescription!.sdp;
  }

  async setAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  private videoSsrc = 0;
  private readonly watched = new WeakSet<object>();
  /**
   * Keyframe requests (RTCP PLI, RFC 4585 §6.3.1) for our video, picked by media SSRC wherever
   * werift delivers them: werift 0.24.4 routes a PLI by its sender SSRC first, and the room's
   * receiver reports with the SSRC of that m-line's own sender, which this peer may know as a
   * remote source, so the PLI lands on one of our receivers rather than on our video sender.
   */
  private watchRtcp(): void {
    for (const t of this.pc.getTransceivers()) {
      for (const end of [t.sender, t.receiver]) {
        if (this.watched.has(end)) continue;
        this.watched.add(end);
        end.onRtcp.subscribe((rtcp) => {
          const fb = rtcp as { type: number; feedback?: { count?: number; mediaSsrc?: number } };
          if (fb.type === 206 && fb.feedback?.count === 1 && fb.feedback.mediaSsrc === this.videoSsrc) {
            this.plis++;
            this.source.forceKey = true;
          }
        });
      }
    }
  }

  async answerOffer(sdp: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    this.watchRtcp();
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.pc.localDescription!.sdp;
  }

  async inbound(): Promise<Array<{ ssrc: number; packetsReceived: number }>> {
    return [...this.counts].map(([ssrc, packetsReceived]) => ({ ssrc, packetsReceived }));
  }

  audioMid(): string | undefined {
    return this.pc.getTransceivers().find((t) => t.kind === 'audio')?.mid ?? undefined;
  }

  close(): void {
    stop(this.source);
    void this.pc.close().catch(() => undefined);
  }
}
