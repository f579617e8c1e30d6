import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { judgeQuality, sampleOf, type QualityReading, type StatsSample } from '../protocol/call-quality.js';

const EVERY_MS = 2000;

/** Three bars for good / poor / bad, from getStats() every 2 s; the figures on hover and focus. */
export function QualityBadge({ stats }: { stats: () => Promise<RTCStatsReport | undefined> }): JSX.Element | null {
  const [reading, setReading] = useState<QualityReading | undefined>(undefined);
  useEffect(() => {
    let prev: StatsSample | undefined;
    let stopped = false;
    const tick = async () => {
      const report = await stats().catch(() => undefined);
      if (stopped || !report) return;
      const next = sampleOf(report, Date.now());
      const r = judgeQuality(prev, next);
      prev = next;
      if (r) setReading(r);
    };
    void tick();
    const t = setInterval(() => void tick(), EVERY_MS);
    return () => { stopped = true; clearInterval(t); };
  }, [stats]);
  if (!reading) return null;
  const figures = `round trip ${reading.rttMs !== undefined ? `${reading.rttMs} ms` : 'unknown'}, packet loss ${reading.lossPercent} %, ${reading.kbps} kbit/s received`;
  const bars = reading.quality === 'good' ? 3 : reading.quality === 'poor' ? 2 : 1;
  return (
    <span class={`quality q-${reading.quality}`} role="img" tabIndex={0}
      aria-label={`Connection quality: ${reading.quality}`} aria-description={figures} title={`Connection quality: ${reading.quality} — ${figures}`}>
      {[1, 2, 3].map((i) => <i class={i <= bars ? 'on' : ''} style={{ height: `${4 + i * 4}px` }} />)}
      <span class="quality-figures" aria-hidden="true">{figures}</span>
    </span>
  );
}
