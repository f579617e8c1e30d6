// The synthetic media both SFUs get: werift peers on loopback sending pre-built RTP (no encoder) —
// VP8-shaped video at 30 fps (~500 kbit/s, two packets a frame) and Opus-sized audio at 50 packets/s —
// and receive-side counters (loss from sequence gaps, one-way latency from a send time carried in
// the payload). An SFU never decodes, so the bytes need not be a picture; both SFUs see exactly the
// same packet rate and sizes.
import dgram from 'node:dgram';
import { syncBuiltinESMExports } from 'node:module';
import {
  MediaStreamTrack, RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters, RTP_EXTENSION_URI, RtpHeader, RtpPacket,
  serializeAudioLevelIndication, type RTCRtpTransceiver,
} from 'werift';

export const FPS = 30;
export const VIDEO_KBPS = 500;
const MAX_PAYLOAD = 1100; // bytes of VP8 data per RTP packet
const AUDIO_BYTES = 100; // an Opus frame of 20 ms at ~40 kbit/s
const FRAME_BYTES = Math.round((VIDEO_KBPS * 1000) / 8 / FPS);
/** RTP packets one publisher sends per second: 2 video packets a frame at 30 fps, plus 50 audio. */
export const VIDEO_PACKETS_PER_S = FPS * Math.ceil(FRAME_BYTES / MAX_PAYLOAD);
export const AUDIO_PACKETS_PER_S = 50;
export const PACKETS_PER_PUBLISHER = VIDEO_PACKETS_PER_S + AUDIO_PACKETS_PER_S;
/**
 * RFC 6464 levels (−dBov) the publishers of a last-N room send: speech (the SFU's speaker detection
 * counts −50 dBov or louder as voice, component/media/werift/speakers.ts) and a quiet room.
 */
export const LOUD_LEVEL = 20;
export const QUIET_LEVEL = 110;

/** werift's `headerExtensions` option offering RFC 6464's audio level, as browsers' offers do. */
export const audioLevelExtensions = () => ({ audio: [new RTCRtpHeaderExtensionParameters({ id: 1, uri: RTP_EXTENSION_URI.audioLevelIndication })] });

/** The id the offer gave the audio level extension on this audio transceiver, if it has it. */
export function audioLevelId(audio: RTCRtpTransceiver): number | undefined {
  return audio.headerExtensions.find((e) => e.uri === RTP_EXTENSION_URI.audioLevelIndication)?.id;
}
export const MEDIA_DESCRIPTION = `VP8-shaped RTP ${FPS} fps, ${FRAME_BYTES} B/frame (~${VIDEO_KBPS} kbit/s) + Opus-sized RTP 50 pkt/s × ${AUDIO_BYTES} B; pre-built, no encoder`;

/** The wall clock in ms with sub-ms resolution, comparable between processes on one machine. */
export const wallMs = (): number => performance.timeOrigin + performance.now();

/**
 * werift keeps the OS default socket receive buffer (208 kB); one ~100 ms stall of the generator's
 * thread then overflows a busy subscriber socket and the loss is the generator's, not the SFU's.
 * werift's ESM build imports `createSocket` by name, hence syncBuiltinESMExports after patching.
 */
export function enlargeReceiveBuffers(bytes = 2 * 2 ** 20): void {
  const createSocket = dgram.createSocket;
  (dgram as { createSocket: typeof dgram.createSocket }).createSocket = ((...args: Parameters<typeof dgram.createSocket>) => {
    const sock = createSocket(...args);
    sock.once('listening', () => {
      try {
        sock.setRecvBufferSize(bytes);
      } catch {
        /* capped by net.core.rmem_max */
      }
    });
    return sock;
  }) as typeof dgram.createSocket;
  syncBuiltinESMExports();
}

export const codecs = () => ({
  audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111 })],
  video: [new RTCRtpCodecParameters({
    mimeType: 'video/VP8', clockRate: 90000, payloadType: 96,
    rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }, { type: 'goog-remb' }],
  })],
});

/** Loopback only: werift skips 127.0.0.1 unless it is listed; ports from a range given to the bench. */
export const peerConfig = (ports: [number, number]) => ({
  bundlePolicy: 'max-bundle' as const,
  iceInterfaceAddresses: { udp4: '127.0.0.1' },
  iceAdditionalHostAddresses: ['127.0.0.1'],
  iceUseIpv6: false,
  icePortRange: ports,
  codecs: codecs(),
});

// The send time goes in the last 8 bytes of every payload (float64 ms): SFUs forward payloads as they are.
const stamp = (payload: Buffer): Buffer => {
  payload.writeDoubleBE(wallMs(), payload.length - 8);
  return payload;
};

/** VP8 payload descriptor (RFC 7741 §4.2: X, S, 15-bit PictureID) + frame tag; a keyframe header on keyframes. */
function vp8Packets(pictureId: number, key: boolean): Array<{ payload: Buffer; marker: boolean }> {
  const frame = Buffer.alloc(FRAME_BYTES, 0x5a);
  const size = FRAME_BYTES - 10; // "first partition size" (RFC 6386 §9.1)
  const tag = (key ? 0 : 1) | (1 << 4) | (size << 5);
  frame[0] = tag & 0xff; frame[1] = (tag >> 8) & 0xff; frame[2] = (tag >> 16) & 0xff;
  if (key) { frame[3] = 0x9d; frame[4] = 0x01; frame[5] = 0x2a; frame.writeUInt16LE(640, 6); frame.writeUInt16LE(480, 8); }
  const out: Array<{ payload: Buffer; marker: boolean }> = [];
  for (let off = 0; off < frame.length; off += MAX_PAYLOAD) {
    const desc = Buffer.from([0x80 | (off === 0 ? 0x10 : 0), 0x80, 0x80 | ((pictureId >> 8) & 0x7f), pictureId & 0xff]);
    out.push({ payload: stamp(Buffer.concat([desc, frame.subarray(off, off + MAX_PAYLOAD)])), marker: off + MAX_PAYLOAD >= frame.length });
  }
  return out;
}

/** One publisher's outgoing audio and video tracks, written on a timer shared by all publishers. */
export class SyntheticSource {
  readonly audio = new MediaStreamTrack({ kind: 'audio' });
  readonly video = new MediaStreamTrack({ kind: 'video' });
  sent = 0;
  sentAudio = 0;
  sentVideo = 0;
  forceKey = true;
  private start = 0;
  private frames = 0;
  private audioFrames = 0;
  private seqA = 0;
  private seqV = 0;
  private readonly ssrcA = (Math.random() * 2 ** 32) >>> 0;
  private readonly ssrcV = (Math.random() * 2 ** 32) >>> 0;
  private readonly phase = Math.random() * 20; // spread publishers over the 20 ms audio tick
  /**
   * When set, every audio packet carries this RFC 6464 audio level (0 loudest … 127 silence) in the
   * header extension negotiated with `levelId` (urn:ietf:params:rtp-hdrext:ssrc-audio-level).
   */
  level?: number;
  levelId = 1;

  /** Video frames and audio packets per second: the benchmark's 30 and 50 unless a test wants less load. */
  constructor(readonly fps = FPS, readonly audioMs = 20) {}

  begin(now: number): void {
    this.start = now;
  }

  /** Send everything due since begin(); called every few ms. */
  tick(now: number): void {
    if (!this.start) return;
    const t = now - this.start - this.phase;
    if (t < 0) return;
    while (this.audioFrames * this.audioMs <= t) {
      const payload = stamp(Buffer.alloc(AUDIO_BYTES, 0xab));
      payload[0] = 0xfc; // Opus TOC: CELT FB 20 ms (RFC 6716 §3.1)
      this.seqA = (this.seqA + 1) & 0xffff;
      const extensions = this.level === undefined ? [] : [{ id: this.levelId, payload: serializeAudioLevelIndication(this.level) }];
      this.audio.writeRtp(new RtpPacket(new RtpHeader({ payloadType: 111, sequenceNumber: this.seqA, timestamp: (this.audioFrames * this.audioMs * 48) >>> 0, ssrc: this.ssrcA, marker: false, extensions }), payload));
      this.audioFrames++;
      this.sent++;
      this.sentAudio++;
    }
    while ((this.frames * 1000) / this.fps <= t) {
      const key = this.forceKey || this.frames % (this.fps * 4) === 0;
      this.forceKey = false;
      const ts = Math.round((this.frames * 90000) / this.fps) >>> 0;
      for (const p of vp8Packets(this.frames & 0x7fff, key)) {
        this.seqV = (this.seqV + 1) & 0xffff;
        this.video.writeRtp(new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: this.seqV, timestamp: ts, ssrc: this.ssrcV, marker: p.marker }), p.payload));
        this.sent++;
        this.sentVideo++;
      }
      this.frames++;
    }
  }
}

/** Latency histogram: 0.1 ms bins up to 2 s, the rest in the last bin. */
export class Histogram {
  readonly bins = new Uint32Array(20_001);
  count = 0;
  add(ms: number): void {
    const i = Math.min(this.bins.length - 1, Math.max(0, Math.round(ms * 10)));
    this.bins[i]++;
    this.count++;
  }
  merge(o: Histogram | { bins: ArrayLike<number>; count: number }): void {
    for (let i = 0; i < this.bins.length; i++) this.bins[i] += o.bins[i] ?? 0;
    this.count += o.count;
  }
  quantile(q: number): number | null {
    if (!this.count) return null;
    const want = q * this.count;
    let seen = 0;
    for (let i = 0; i < this.bins.length; i++) {
      seen += this.bins[i];
      if (seen >= want) return i / 10;
    }
    return (this.bins.length - 1) / 10;
  }
}

/** One forwarded stream at a receiver: packets, expected packets (RFC 3550 §A.3 extended sequence) and latency. */
export class StreamCounter {
  received = 0;
  /** Wall-clock time (ms) of the last packet: whether the stream is flowing now (a paused one is not). */
  lastAt = 0;
  /** Packets at or behind the highest sequence seen: retransmissions, duplicates, reordering. */
  late = 0;
  private base: number | null = null;
  private maxExt = 0;
  private cycles = 0;
  private last = 0;
  /** `kind` is '' until known (a stream counted below werift learns it from its first sample). */
  constructor(public kind: string, private readonly latency: { recording: boolean; hist: Histogram }) {}

  readonly ssrcs = new Set<number>();
  onRtp(rtp: RtpPacket): void {
    if (process.env.MEDIABENCH_DEBUG) this.ssrcs.add(rtp.header.ssrc);
    if (this.count(rtp.header.sequenceNumber)) this.sample(rtp.payload);
  }

  /** One packet by its sequence number; false for a copy or an older one. */
  count(seq: number, now = wallMs()): boolean {
    this.received++;
    this.lastAt = now;
    if (this.base === null) {
      this.base = seq; this.maxExt = seq; this.last = seq;
      return true;
    }
    const d = (seq - this.last) & 0xffff;
    if (d === 0 || d >= 0x8000) { this.late++; return false; } // a copy of, or older than, what came already
    if (seq < this.last) this.cycles += 0x10000;
    this.last = seq;
    this.maxExt = this.cycles + seq;
    return true;
  }

  /** One-way latency from the send time in the payload's last 8 bytes. */
  sample(payload: Buffer, now = wallMs()): void {
    if (this.latency.recording && payload.length >= 12) this.latency.hist.add(now - payload.readDoubleBE(payload.length - 8));
  }

  snap(): { received: number; late: number; expected: number } {
    return { received: this.received, late: this.late, expected: this.base === null ? 0 : this.maxExt - this.base + 1 };
  }
}
