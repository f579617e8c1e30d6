// What goes out on one sendonly m-line of a receiving peer: the RTP of the source forwarded to it,
// rewritten to the m-line's SSRC and payload type, encrypted with the peer's SRTP and sent.
//
// This is the SFU's hot path: it runs once per packet and receiver. It hands the header and the
// payload straight to the peer's DTLS-SRTP transport (RTCDtlsTransport.sendRtp) instead of going
// through werift's RTCRtpSender.sendRtp, which, per packet and receiver, parses the header again,
// rebuilds header extensions, formats an NTP time through a string, and feeds a send-side bandwidth
// estimator an SFU that forwards as it receives does not use. What the sender did that receivers
// need is done here: RTCP sender reports with SDES CNAME (RFC 3550 §6.4.1, §6.5.1) and resending
// packets a receiver reports lost (generic NACK, RFC 4585 §6.2.1).
import {
  RtcpSenderInfo, RtcpSourceDescriptionPacket, RtcpSrPacket, RtpHeader, SourceDescriptionChunk, SourceDescriptionItem,
  type RTCRtpSender,
} from 'werift';

/** What forwarding needs of a received RTP packet (werift's RtpPacket, or one from another worker, links.ts). */
export interface ForwardedPacket {
  header: { sequenceNumber: number; timestamp: number; marker: boolean };
  payload: Buffer;
}

/** Writes a forwarded packet out (an outlet), or passes it on to another worker. */
export type PacketSink = (packet: ForwardedPacket, now: number) => void;

/** Packets kept for resending on NACK: ~4 s of the bench's video, more than a receiver's NACK window. */
const HISTORY = 256;
/** Seconds between 1900 (NTP's epoch) and 1970. */
const NTP_EPOCH_OFFSET_S = 2_208_988_800;

/** The 64-bit NTP form of a wall-clock time in ms (RFC 3550 §4). */
export function ntpTime(ms: number): bigint {
  const s = Math.floor(ms / 1000);
  const frac = Math.floor(((ms - s * 1000) / 1000) * 2 ** 32);
  return (BigInt(s + NTP_EPOCH_OFFSET_S) << 32n) | BigInt(frac);
}

export class RtpOutlet {
  /** Packets and payload octets sent, as a sender report counts them (RFC 3550 §6.4.1). */
  packets = 0;
  octets = 0;
  /** Set when a different source is bound (its numbering continues ours) or a paused one resumes (see `send`). */
  private rebase: 'source' | 'sequence' | false = 'source';
  private seqOffset = 0;
  private tsOffset = 0;
  private lastSeq = 0;
  private lastTs = 0;
  /** Wall-clock time (ms) of the last packet sent, for extrapolating the report's RTP time. */
  private lastSentAt = 0;
  private readonly history: Array<{ header: RtpHeader; payload: Buffer } | undefined>;
  private reportTimer?: NodeJS.Timeout;
  private readonly nackSub: { unSubscribe: () => void };
  private closed = false;

  constructor(private readonly sender: RTCRtpSender, private readonly cname: string) {
    // Only video negotiates NACK here (peer.ts codecs); audio keeps no history.
    this.history = sender.kind === 'video' ? new Array(HISTORY) : [];
    this.nackSub = sender.onGenericNack.subscribe((nack) => this.resend(nack.lost));
  }

  /** A new source is bound to this m-line: the receiver keeps seeing one stream, numbered on. */
  rebind(): void {
    this.rebase = 'source';
  }

  /**
   * The same source goes on after a pause (last-N): its sequence numbers continue ours, so the
   * receiver sees no gap to NACK or count as lost; its timestamps keep their own spacing, the
   * pause included, so the receiver's playout timing stays right.
   */
  resume(): void {
    this.rebase = 'sequence';
  }

  send(rtp: ForwardedPacket, now: number): void {
    const dtls = this.sender.dtlsTransport;
    const codec = this.sender.codec;
    if (this.closed || !codec || dtls?.state !== 'connected') return;
    const h = rtp.header;
    if (this.rebase) {
      // RFC 3550 §5.1: sequence numbers go up by one per packet, whatever source feeds them; the
      // timestamp continues one tick on (the new source's own spacing follows).
      if (this.packets > 0) {
        this.seqOffset = (this.lastSeq + 1 - h.sequenceNumber) & 0xffff;
        if (this.rebase === 'source') this.tsOffset = (this.lastTs + 1 - h.timestamp) >>> 0;
      }
      this.rebase = false;
    }
    const sequenceNumber = (h.sequenceNumber + this.seqOffset) & 0xffff;
    const timestamp = (h.timestamp + this.tsOffset) >>> 0;
    // Header extensions stay behind: their ids are negotiated per connection (peer.ts).
    const header = new RtpHeader({ marker: h.marker, payloadType: codec.payloadType, sequenceNumber, timestamp, ssrc: this.sender.ssrc });
    this.lastSeq = sequenceNumber;
    this.lastTs = timestamp;
    this.lastSentAt = now;
    this.packets++;
    this.octets += rtp.payload.length;
    if (this.history.length > 0) this.history[sequenceNumber % HISTORY] = { header, payload: rtp.payload };
    dtls.sendRtp(rtp.payload, header).catch(() => undefined);
    if (!this.reportTimer) this.scheduleReport();
  }

  /** Generic NACK (RFC 4585 §6.2.1): what is still kept goes out again as it was. */
  private resend(lost: number[]): void {
    const dtls = this.sender.dtlsTransport;
    if (this.closed || this.history.length === 0 || dtls?.state !== 'connected') return;
    for (const seq of lost) {
      const p = this.history[seq % HISTORY];
      if (p && p.header.sequenceNumber === seq) dtls.sendRtp(p.payload, p.header).catch(() => undefined);
    }
  }

  /** Every 0.5-1.5 s, randomised as RFC 3550 §6.2 asks, while packets are sent. */
  private scheduleReport(): void {
    this.reportTimer = setTimeout(() => { this.report(); this.scheduleReport(); }, 500 + Math.random() * 1000);
    this.reportTimer.unref();
  }

  /**
   * A sender report with SDES CNAME (RFC 3550 §6.1: every compound RTCP packet carries one). Its
   * RTP timestamp corresponds to its NTP time (§6.4.1): the last packet's, moved on by the time
   * since at the codec's clock rate.
   */
  private report(): void {
    const dtls = this.sender.dtlsTransport;
    const codec = this.sender.codec;
    if (this.closed || !codec || dtls?.state !== 'connected' || this.packets === 0) return;
    const now = Date.now();
    const rtpTimestamp = (this.lastTs + Math.round(((now - this.lastSentAt) * codec.clockRate) / 1000)) >>> 0;
    const ssrc = this.sender.ssrc;
    dtls.sendRtcp([
      new RtcpSrPacket({ ssrc, senderInfo: new RtcpSenderInfo({ ntpTimestamp: ntpTime(now), rtpTimestamp, packetCount: this.packets >>> 0, octetCount: this.octets >>> 0 }) }),
      new RtcpSourceDescriptionPacket({ chunks: [new SourceDescriptionChunk({ source: ssrc, items: [new SourceDescriptionItem({ type: 1, text: this.cname })] })] }),
    ]).catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    if (this.reportTimer) clearTimeout(this.reportTimer);
    this.nackSub.unSubscribe();
    this.history.length = 0;
  }
}
