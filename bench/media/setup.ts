// Call set-up time in the web client, two headless Chromium pages on loopback against Carillon as
// `npm start` runs it: from the XEP-0353 <propose/> (1:1) and from the room session-initiate (a
// second person joining a room call) to the first remote video frame (`loadeddata` or
// requestVideoFrameCallback on the <video>, whichever comes first: decoded). The times are taken inside the pages: an init script
// notes when the WebSocket carries the request, and the callee's page accepts as soon as the
// incoming-call dialog appears, so no automation round trip is in the figures.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CarillonSfu, type MediaPorts } from './servers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  // host candidates as IP addresses: nothing here resolves mDNS names
  '--disable-features=WebRtcHideLocalIpsWithMdns', '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required',
];

/**
 * Runs in every page before its scripts. Plain JavaScript text, not a function: the TypeScript
 * loader would add its own helpers (`__name`) to a function's body, and the page has none.
 */
const instrument = (autoAccept: boolean): string => `(() => {
  const now = () => performance.timeOrigin + performance.now();
  const bench = window.__bench = { sent: {}, frames: [] };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (typeof data === 'string') {
      if (data.includes('<propose') && data.includes('urn:xmpp:jingle-message:0')) bench.sent.propose ??= now();
      if (data.includes('session-initiate')) bench.sent.initiate ??= now();
    }
    return send.call(this, data);
  };
  const watched = new WeakSet();
  new MutationObserver(() => {
    for (const v of document.querySelectorAll('video')) {
      const label = v.getAttribute('aria-label') || '';
      if (watched.has(v) || !(label === 'Remote video' || label.startsWith('Video of '))) continue;
      watched.add(v);
      let seen = false;
      const first = () => { if (!seen) { seen = true; window.__bench.frames.push({ label, t: now() }); } };
      v.addEventListener('loadeddata', first, { once: true });
      v.requestVideoFrameCallback(first);
    }
    if (!${autoAccept}) return;
    const dialog = document.querySelector('[role="dialog"][aria-label="Incoming call"]');
    const accept = [...(dialog ? dialog.querySelectorAll('button') : [])].find((b) => (b.textContent || '').trim() === 'Accept');
    if (accept && !watched.has(accept)) { watched.add(accept); accept.click(); }
  }).observe(document, { subtree: true, childList: true, attributes: true });
})();`;

interface BenchState { sent: Record<string, number>; frames: Array<{ label: string; t: number }> }
const state = (p: Page): Promise<BenchState> => p.evaluate(() => (window as unknown as { __bench: BenchState }).__bench);
const reset = (p: Page): Promise<void> => p.evaluate(() => { const b = (window as unknown as { __bench: BenchState }).__bench; b.sent = {}; b.frames = []; });
/**
 * Resolves once the page has a remote video frame: the first the in-page watcher noted, or else a
 * remote <video> with a decoded size, checked from inside the page every 10 ms and timed there.
 */
const firstFrame = (p: Page): Promise<unknown> => p.waitForFunction(() => {
  const b = (window as unknown as { __bench: BenchState }).__bench;
  if (b.frames.length > 0) return true;
  const v = [...document.querySelectorAll('video')].find((e) => {
    const label = e.getAttribute('aria-label') ?? '';
    return (label === 'Remote video' || label.startsWith('Video of ')) && e.videoWidth > 0;
  });
  if (v) b.frames.push({ label: v.getAttribute('aria-label') ?? '', t: performance.timeOrigin + performance.now() });
  return !!v;
}, null, { timeout: 60_000, polling: 10 });

export interface SetupFigures { samplesMs: number[]; p50: number | null; p95: number | null; failures: string[] }
export interface SetupResult { calls: number; oneToOne: SetupFigures; oneToOneCallee: SetupFigures; room: SetupFigures; version: string }

const quantile = (xs: number[], q: number): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};
const figures = (samplesMs: number[], failures: string[]): SetupFigures => ({
  samplesMs: samplesMs.map((x) => Math.round(x)), p50: quantile(samplesMs, 0.5), p95: quantile(samplesMs, 0.95), failures,
});

/** Builds the web client (esbuild) when client/dist is missing. */
function ensureClient(log: (s: string) => void): void {
  if (existsSync(join(ROOT, 'client/dist/index.html'))) return;
  log('building the web client…');
  const r = spawnSync(process.execPath, [join(ROOT, 'client/build.mjs')], { cwd: ROOT, stdio: 'ignore' });
  if (r.status !== 0) throw new Error('client/build.mjs failed');
}

async function signIn(p: Page, url: string, ws: string, jid: string, password: string): Promise<void> {
  await p.goto(url);
  await p.getByLabel('Address').fill(jid);
  await p.getByLabel('Password').fill(password);
  await p.getByText('Connection settings').click();
  await p.getByLabel('WebSocket URL').fill(ws);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('region', { name: 'Contacts' }).waitFor();
}

export async function callSetup(o: { calls: number; dir: string; ports: MediaPorts['carillon']; log: (s: string) => void }): Promise<SetupResult> {
  ensureClient(o.log);
  const sfu = new CarillonSfu(o.dir, o.ports, 2, o.log);
  let browser: Browser | undefined;
  const one: number[] = [], callee: number[] = [], room: number[] = [];
  const oneFail: string[] = [], roomFail: string[] = [];
  try {
    await sfu.start();
    const { wsUrl, domain, password } = sfu.target().carillon!;
    const url = `http://127.0.0.1:${o.ports.http}/`;
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const pages: Page[] = [];
    for (const autoAccept of [false, true]) {
      const ctx = await browser.newContext({ viewport: { width: 1000, height: 700 } });
      ctx.on('page', (pg) => pg.on('pageerror', (err) => o.log(`page error: ${err.message}`)));
      ctx.setDefaultTimeout(60_000);
      await ctx.addInitScript({ content: instrument(autoAccept) });
      pages.push(await ctx.newPage());
    }
    const [a, b] = pages;
    const [ja, jb] = [`m0@${domain}`, `m1@${domain}`];
    await signIn(a, url, wsUrl, ja, password);
    await signIn(b, url, wsUrl, jb, password);
    await a.getByRole('button', { name: 'Add contact' }).click();
    await a.getByLabel('Contact address').fill(jb);
    await a.getByRole('button', { name: 'Send request' }).click();
    await b.getByRole('button', { name: `Accept ${ja}` }).click();
    await a.getByRole('button', { name: /^m1, Available/ }).click();
    o.log(`call set-up: ${o.calls} 1:1 video calls`);
    for (let i = 0; i < o.calls; i++) {
      try {
        await reset(a);
        await reset(b);
        await a.getByRole('button', { name: 'Video call' }).click();
        await firstFrame(a);
        await firstFrame(b);
        const [sa, sb] = [await state(a), await state(b)];
        if (!sa.sent.propose) throw new Error('no <propose/> seen on the WebSocket');
        one.push(sa.frames[0].t - sa.sent.propose);
        callee.push(sb.frames[0].t - sa.sent.propose);
      } catch (e) {
        oneFail.push((e as Error).message.split('\n')[0]);
        o.log(`call set-up: 1:1 call ${i + 1} failed: ${oneFail[oneFail.length - 1]}`);
        await a.screenshot({ path: join(o.dir, `one-${i}-caller.png`) }).catch(() => {});
        await b.screenshot({ path: join(o.dir, `one-${i}-callee.png`) }).catch(() => {});
      }
      await a.getByRole('button', { name: 'Hang up' }).click().catch(() => {});
      for (const p of [a, b]) {
        await p.getByRole('status').filter({ hasText: 'Call ended' }).waitFor().catch(() => {});
        await p.getByRole('button', { name: 'Close' }).click().catch(() => {});
      }
    }
    o.log(`call set-up: ${o.calls} joins of a room call`);
    for (const p of [a, b]) {
      await p.getByRole('button', { name: 'Rooms', exact: true }).click();
      await p.getByLabel('Room', { exact: true }).fill('setup');
      await p.getByLabel('Room', { exact: true }).press('Enter');
      await p.getByRole('region', { name: 'Room setup' }).waitFor();
    }
    await a.getByRole('button', { name: 'Join call' }).click();
    await a.getByRole('dialog', { name: 'Call in setup' }).waitFor();
    for (let i = 0; i < o.calls; i++) {
      try {
        await reset(b);
        await b.getByRole('button', { name: 'Join call' }).click();
        await firstFrame(b);
        const s = await state(b);
        if (!s.sent.initiate) throw new Error('no session-initiate seen on the WebSocket');
        room.push(s.frames[0].t - s.sent.initiate);
      } catch (e) {
        roomFail.push((e as Error).message.split('\n')[0]);
        o.log(`call set-up: room join ${i + 1} failed: ${roomFail[roomFail.length - 1]}`);
        await b.screenshot({ path: join(o.dir, `room-${i}.png`) }).catch(() => {});
      }
      await b.getByRole('button', { name: 'Leave call' }).click().catch(() => {});
      await b.getByRole('dialog', { name: 'Call in setup' }).waitFor({ state: 'detached' }).catch(() => {});
    }
  } finally {
    await browser?.close().catch(() => {});
    await sfu.stop();
  }
  return { calls: o.calls, oneToOne: figures(one, oneFail), oneToOneCallee: figures(callee, []), room: figures(room, roomFail), version: sfu.version };
}
