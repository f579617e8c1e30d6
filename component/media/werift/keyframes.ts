// Keyframe requests on the forwarding path. A receiver that cannot decode (a packet lost for good, a
// stream just started) asks with RTCP PLI (RFC 4585 §6.3.1) or FIR (RFC 5104 §4.3.1) for the media
// SSRC it receives; the SFU asks the source whose packets go out with that SSRC.
//
// The requests are read here, off the participant's whole RTCP, and not from werift's RTCRtpSender:
// werift 0.24.4 hands a PLI to whatever its SSRC table holds for the PLI's *sender* SSRC first, and
// Chromium (156, seen at this SFU) sends its PLI for a forwarded stream with its own camera's SSRC
// as sender SSRC — which werift knows as the SSRC of an incoming source. So every PLI from a
// browser that sends video itself landed on the receiver of that browser's own camera and was
// dropped, and a packet lost for good froze the picture until the next keyframe someone else asked
// for. werift's senders also took REMB (the same RTCP type, 206), which Chromium sends several
// times a second, for keyframe requests.

/** The RTCP shapes read here (werift's parsed RtcpPacket, kept structural for tests). */
export interface RtcpLike {
  type: number;
  feedback?: { count?: number; mediaSsrc?: number; fir?: Array<{ ssrc: number }> };
}

const PSFB = 206; // RFC 4585 §6.1: payload-specific feedback
const PLI = 1; // RFC 4585 §6.3.1, FMT 1
const FIR = 4; // RFC 5104 §4.3.1.1, FMT 4 (its media SSRC is 0; the FCI entries name the streams)

/** The media SSRCs one RTCP packet asks a keyframe of; none for REMB (FMT 15) and anything else. */
export function keyframeRequests(rtcp: RtcpLike): number[] {
  if (rtcp.type !== PSFB || !rtcp.feedback) return [];
  const fb = rtcp.feedback;
  if (fb.count === PLI) return fb.mediaSsrc !== undefined ? [fb.mediaSsrc >>> 0] : [];
  if (fb.count === FIR) return (fb.fir ?? []).map((e) => e.ssrc >>> 0);
  return [];
}

/**
 * Keyframe requests to one source, at most one per `minIntervalMs`: those that come in between are
 * folded into one sent when the interval is over, so none is lost and the sender is not asked for a
 * keyframe per receiver (a room of N would ask N − 1 times for one loss upstream). libwebrtc itself
 * answers at most one request per 300 ms (its RTCP receiver's minimum keyframe interval).
 */
export class KeyframeRequester {
  private last = -Infinity;
  private timer?: NodeJS.Timeout;
  /** Requests asked for, and sent to the source. */
  asked = 0;
  sent = 0;

  constructor(private readonly send: () => void, private readonly minIntervalMs = 300, private readonly now = () => performance.now()) {}

  request(): void {
    this.asked++;
    if (this.timer) return; // one is due already
    const wait = this.last + this.minIntervalMs - this.now();
    if (wait <= 0) return this.fire();
    this.timer = setTimeout(() => this.fire(), wait);
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.last = this.now();
    this.sent++;
    this.send();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
