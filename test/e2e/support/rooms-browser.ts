// What the rooms test reads from a page: the group call's remote videos and inbound RTP.
import type { Page } from 'playwright-core';

export interface RemoteTiles {
  /** Per tile label ("Video of bob"): decoded width and playback time. */
  videos: Array<{ label: string; width: number; time: number }>;
  /** inbound-rtp bytes per kind over the whole session. */
  bytes: { audio: number; video: number };
}

export async function remoteTiles(page: Page): Promise<RemoteTiles> {
  return page.evaluate(async () => {
    const videos = [...document.querySelectorAll<HTMLVideoElement>('video[aria-label^="Video of "]')].map((v) => ({
      label: v.getAttribute('aria-label') ?? '', width: v.videoWidth, time: v.currentTime,
    }));
    const app = (globalThis as unknown as { carillon: { rooms: { stats(): Promise<RTCStatsReport | undefined> } } }).carillon;
    const bytes = { audio: 0, video: 0 };
    (await app.rooms.stats())?.forEach((r: { type: string; kind?: string; bytesReceived?: number }) => {
      if (r.type === 'inbound-rtp' && (r.kind === 'audio' || r.kind === 'video')) bytes[r.kind] += r.bytesReceived ?? 0;
    });
    return { videos: videos.sort((a, b) => a.label.localeCompare(b.label)), bytes };
  });
}

