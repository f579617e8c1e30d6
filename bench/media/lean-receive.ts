// A receiver's RTP counted where it arrives, below werift. werift's receive path (SRTP decryption,
// header parse, statistics, NACK bookkeeping, a packet clone per track) costs a generator more CPU
// per packet than the SFU spends forwarding it (0.12 against 0.074 CPU-s per 1,000 packets at
// N = 8, 2026-12-02), so on a 2-core machine the generator, not the SFU, was what filled the cores
// above N = 8. The RTP header travels in the clear under SRTP (RFC 3711 §3.1: only the payload is
// encrypted), so loss, copies and whether a stream flows are read off the header of every
// datagram; werift gets every `every`-th packet of a stream (and its first ones), to decrypt for
// the one-way latency in the payload and to tell the stream's kind. STUN, DTLS and RTCP all go to
// werift as before (RFC 7983 demultiplexing; RFC 5761 §4 for RTCP beside RTP).
import type { RTCPeerConnection, RtpPacket } from 'werift';
import { StreamCounter, wallMs, type Histogram } from './synthetic.js';

/** werift decrypts one packet in this many of each stream (and the first few): enough latency samples. */
export const SAMPLE_EVERY = 10;
const FIRST = 3;

type OnData = (data: Buffer, addr: unknown) => void;
interface UdpProtocol { transport?: { onData: OnData } }

export class LeanReceive {
  private readonly bySsrc = new Map<number, StreamCounter>();
  private readonly registered = new WeakSet<StreamCounter>();
  private readonly hooked = new WeakSet<object>();

  /** `register` is told of each stream once its kind is known. */
  constructor(private readonly latency: { recording: boolean; hist: Histogram }, private readonly register: (c: StreamCounter) => void,
    private readonly every = SAMPLE_EVERY) {}

  /**
   * Counts this connection's incoming datagrams from now on. Call it once the peer has gathered
   * (after setLocalDescription); again after a renegotiation is harmless.
   */
  attach(pc: RTCPeerConnection): void {
    for (const t of pc.iceTransports) {
      const protocols = (t.connection as unknown as { protocols: UdpProtocol[] }).protocols;
      for (const p of protocols) {
        const transport = p.transport;
        if (!transport || this.hooked.has(transport)) continue;
        this.hooked.add(transport);
        const inner = transport.onData;
        transport.onData = (data, addr) => { if (!this.take(data)) inner(data, addr); };
      }
    }
  }

  /**
   * werift's receiver gets only samples, so its NACK generator would ask for every packet in between:
   * a retransmission storm no real receiver causes. Turned off for this connection's receivers.
   */
  quietNacks(pc: RTCPeerConnection): void {
    for (const t of pc.getTransceivers()) {
      const nack = (t.receiver as unknown as { nack?: { addPacket: (p: RtpPacket) => void } }).nack;
      if (nack) nack.addPacket = () => undefined;
    }
  }

  /** A packet werift decrypted and handed to a track (a sample): its latency, and the stream's kind. */
  sampled(kind: string, rtp: RtpPacket): void {
    const c = this.bySsrc.get(rtp.header.ssrc);
    if (!c) return;
    if (!this.registered.has(c)) {
      c.kind = kind;
      this.registered.add(c);
      this.register(c);
    }
    c.sample(rtp.payload);
  }

  /** true: counted here and kept from werift. */
  private take(data: Buffer): boolean {
    // RFC 7983 §7: 128-191 is RTP or RTCP; RTCP's packet types 192-223 fill the second byte (RFC 5761 §4).
    if (data.length < 12 || data[0] < 128 || data[0] > 191 || (data[1] >= 192 && data[1] <= 223)) return false;
    const ssrc = data.readUInt32BE(8);
    const seq = data.readUInt16BE(2);
    let c = this.bySsrc.get(ssrc);
    if (!c) {
      c = new StreamCounter('', this.latency);
      this.bySsrc.set(ssrc, c);
    }
    const fresh = c.count(seq, wallMs());
    // Copies and old packets stay here; werift gets the first ones and then one in `every`.
    return !fresh || (c.received > FIRST && seq % this.every !== 0);
  }
}
