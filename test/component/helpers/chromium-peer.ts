// A participant's WebRTC in headless Chromium (Debian's /usr/bin/chromium through playwright-core),
// with its fake camera and microphone; the XMPP side stays in Node.
import { createServer, type Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { PeerAdapter } from './call-participant.js';

export interface ChromiumHost { browser: Browser; url: string; server: Server; close(): Promise<void> }

export async function launchChromium(): Promise<ChromiumHost> {
  // getUserMedia needs a secure context: http://127.0.0.1 is one.
  const server = createServer((_, res) => { res.setHeader('content-type', 'text/html'); res.end('<!doctype html><title>call</title>'); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      '--disable-features=WebRtcHideLocalIpsWithMdns', '--allow-loopback-in-peer-connection'],
  });
  return {
    browser, server, url: `http://127.0.0.1:${port}/`,
    async close() {
      await browser.close().catch(() => undefined);
      await new Promise((r) => server.close(r));
    },
  };
}

export class ChromiumPeer implements PeerAdapter {
  private mid?: string;
  private constructor(readonly page: Page) {}

  static async open(host: ChromiumHost): Promise<ChromiumPeer> {
    const page = await host.browser.newPage();
    await page.goto(host.url);
    return new ChromiumPeer(page);
  }

  async offer(): Promise<string> {
    const r = await this.page.evaluate(async () => {
      const w = window as unknown as { pc: RTCPeerConnection };
      const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      w.pc = pc;
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
      for (const t of stream.getTracks()) pc.addTrack(t, stream);
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((resolve) => {
        if (pc.iceGatheringState === 'complete') return resolve();
        pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') resolve(); };
      });
      const audio = pc.getTransceivers().find((t) => t.sender.track?.kind === 'audio');
      return { sdp: pc.localDescription!.sdp, mid: audio?.mid ?? undefined };
    });
    this.mid = r.mid;
    return r.sdp;
  }

  async setAnswer(sdp: string): Promise<void> {
    await this.page.evaluate(async (s) => {
      await (window as unknown as { pc: RTCPeerConnection }).pc.setRemoteDescription({ type: 'answer', sdp: s });
    }, sdp);
  }

  async answerOffer(sdp: string): Promise<string> {
    return this.page.evaluate(async (s) => {
      const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
      await pc.setRemoteDescription({ type: 'offer', sdp: s });
      await pc.setLocalDescription(await pc.createAnswer());
      return pc.localDescription!.sdp;
    }, sdp);
  }

  async inbound(): Promise<Array<{ ssrc: number; packetsReceived: number }>> {
    return this.page.evaluate(async () => {
      const out: Array<{ ssrc: number; packetsReceived: number }> = [];
      const stats = await (window as unknown as { pc: RTCPeerConnection }).pc.getStats();
      stats.forEach((s: { type: string; ssrc?: number; packetsReceived?: number }) => {
        if (s.type === 'inbound-rtp' && s.ssrc !== undefined) out.push({ ssrc: s.ssrc, packetsReceived: s.packetsReceived ?? 0 });
      });
      return out;
    });
  }

  /** Decoded video frames per inbound SSRC, the proof that forwarded video is really playable. */
  async framesDecoded(): Promise<Record<number, number>> {
    return this.page.evaluate(async () => {
      const out: Record<number, number> = {};
      const stats = await (window as unknown as { pc: RTCPeerConnection }).pc.getStats();
      stats.forEach((s: { type: string; kind?: string; ssrc?: number; framesDecoded?: number }) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video' && s.ssrc !== undefined) out[s.ssrc] = s.framesDecoded ?? 0;
      });
      return out;
    });
  }

  audioMid(): string | undefined {
    return this.mid;
  }

  close(): void {
    void this.page.close().catch(() => undefined);
  }
}
