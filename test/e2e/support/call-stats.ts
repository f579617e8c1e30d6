// One figure of the page's current call, summed over its audio streams of one getStats type:
// bytes received (inbound-rtp), bytes sent (outbound-rtp), RTCP reports back (remote-inbound-rtp).
import type { Page } from 'playwright-core';

export async function audioStat(page: Page, type: 'inbound-rtp' | 'outbound-rtp' | 'remote-inbound-rtp', field: string, missing = 0): Promise<number> {
  return page.evaluate(async ({ type, field, missing }) => {
    const app = (globalThis as unknown as { carillon: { calls?: { stats(): Promise<RTCStatsReport | undefined> } } }).carillon;
    let sum = 0;
    (await app.calls?.stats())?.forEach((r: Record<string, unknown>) => {
      if (r.type === type && r.kind === 'audio') sum += typeof r[field] === 'number' ? (r[field] as number) : missing;
    });
    return sum;
  }, { type, field, missing });
}
