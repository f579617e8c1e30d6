// Connection quality of a call from WebRTC statistics (W3C webrtc-stats): round-trip time of the
// selected candidate pair, packet loss and bitrate of what we receive, between two samples.
// Thresholds follow ITU-T G.114 (one-way delay under 150 ms is good for speech, over 400 ms
// unusable; the round trip is twice that) and the usual loss budgets for Opus/VP8 (a few percent
// are concealed, beyond 10 % speech breaks up).

export type Quality = 'good' | 'poor' | 'bad';

export interface StatsSample {
  at: number;
  /** Seconds (candidate-pair currentRoundTripTime), when known. */
  rtt?: number;
  packetsReceived: number;
  packetsLost: number;
  bytesReceived: number;
}

export interface QualityReading {
  quality: Quality;
  rttMs?: number;
  lossPercent: number;
  kbps: number;
}

/** Reads the figures out of a getStats() report. */
export function sampleOf(report: RTCStatsReport | Map<string, Record<string, unknown>>, at: number): StatsSample {
  const out: StatsSample = { at, packetsReceived: 0, packetsLost: 0, bytesReceived: 0 };
  report.forEach((r: Record<string, unknown>) => {
    if (r.type === 'inbound-rtp') {
      out.packetsReceived += Number(r.packetsReceived ?? 0);
      out.packetsLost += Math.max(0, Number(r.packetsLost ?? 0));
      out.bytesReceived += Number(r.bytesReceived ?? 0);
    }
    if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded' && typeof r.currentRoundTripTime === 'number') {
      out.rtt = r.currentRoundTripTime;
    }
  });
  return out;
}

/** Quality between two samples; undefined until a second sample exists. */
export function judgeQuality(prev: StatsSample | undefined, next: StatsSample): QualityReading | undefined {
  if (!prev || next.at <= prev.at) return undefined;
  const received = next.packetsReceived - prev.packetsReceived;
  const lost = next.packetsLost - prev.packetsLost;
  const lossPercent = received + lost > 0 ? (100 * Math.max(0, lost)) / (received + lost) : 0;
  const kbps = (8 * Math.max(0, next.bytesReceived - prev.bytesReceived)) / (next.at - prev.at);
  const rttMs = next.rtt !== undefined ? Math.round(next.rtt * 1000) : undefined;
  let quality: Quality = 'good';
  if ((rttMs ?? 0) > 300 || lossPercent > 3) quality = 'poor';
  // nothing arrives at all, or speech breaks up
  if ((rttMs ?? 0) > 800 || lossPercent > 10 || received <= 0) quality = 'bad';
  return { quality, ...(rttMs !== undefined ? { rttMs } : {}), lossPercent: Math.round(lossPercent * 10) / 10, kbps: Math.round(kbps) };
}
