// A room call of six across two data-plane workers (issue 14): two people in headless Chromium
// with the web client and four synthetic participants (libwebrtc in Node, @roamhq/wrtc, sending
// a generated 160×120 picture and a tone) in one room, and a second room with two more synthetic
// participants at the same time, placed by the worker router on the other worker. Each browser
// decodes the five others' video (decoded frames growing on every tile), each synthetic
// participant receives audio and video from all five others, and nothing arrives twice: one
// m-line per source, and no receiver counts more packets of a source than its sender sent.
import { strict as assert } from 'node:assert';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startCallHost, type CallHost } from '../component/helpers/call-host.js';
import type { CallParticipant } from '../component/helpers/call-participant.js';
import { joinCall, joinRoom, receivesFrom } from '../component/helpers/call-scenario.js';
import { WrtcPeer } from '../component/helpers/call-participant.js';
import { WorkerRouter } from '../../component/media/worker-router.js';
import { untilValue } from '../support/until.js';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from './support/chromium.js';

const SIX = 'six@call.localhost';
const PAIR = 'pair@call.localhost';
const BROWSERS = ['alice', 'bob'] as const;
const SYNTHETIC = ['carol', 'dave', 'erin', 'frank'] as const;
const SECOND = ['gina', 'hank'] as const;
const SIX_PEOPLE = [...BROWSERS, ...SYNTHETIC];
const occupant = (room: string, nick: string) => `${room}/${nick}`;

// Page scripts are strings: the test runner's transform would otherwise add helpers (__name) to
// functions that the page does not have.

/** Per remote tile: its label, decoded width, and the frames decoded on its track (inbound-rtp by trackIdentifier). */
const TILES = `(async () => {
  const frames = new Map();
  (await globalThis.carillon.rooms.stats())?.forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'video') frames.set(r.trackIdentifier, r.framesDecoded ?? 0);
  });
  return [...document.querySelectorAll('video[aria-label^="Video of "]')].map((v) => {
    const track = v.srcObject && v.srcObject.getVideoTracks()[0];
    return { label: v.getAttribute('aria-label'), width: v.videoWidth, frames: track ? (frames.get(track.id) ?? 0) : 0 };
  }).sort((a, b) => a.label.localeCompare(b.label));
})()`;

/** RTP packets the page has sent, per kind (outbound-rtp), and how many inbound streams of each kind receive. */
const RTP = `(async () => {
  const sent = { audio: 0, video: 0 };
  const receiving = { audio: 0, video: 0 };
  (await globalThis.carillon.rooms.stats())?.forEach((r) => {
    if (r.type === 'outbound-rtp' && (r.kind === 'audio' || r.kind === 'video')) sent[r.kind] += r.packetsSent ?? 0;
    if (r.type === 'inbound-rtp' && (r.kind === 'audio' || r.kind === 'video') && (r.packetsReceived ?? 0) > 0) receiving[r.kind] += 1;
  });
  return { sent, receiving };
})()`;

interface Tile { label: string; width: number; frames: number }

/** RTP packets a libwebrtc participant has sent, per kind (outbound-rtp). */
async function packetsSent(peer: WrtcPeer): Promise<{ audio: number; video: number }> {
  const sent = { audio: 0, video: 0 };
  (await peer.pc.getStats()).forEach((r: { type: string; kind?: string; packetsSent?: number }) => {
    if (r.type === 'outbound-rtp' && (r.kind === 'audio' || r.kind === 'video')) sent[r.kind] += r.packetsSent ?? 0;
  });
  return sent;
}
interface Rtp { sent: { audio: number; video: number }; receiving: { audio: number; video: number } }

describe('a room call of six (2 browsers + 4 synthetic peers) and a second room, on two data-plane workers', function () {
  this.timeout(180_000);
  let host: CallHost;
  let router: WorkerRouter;
  let browser: Browser;
  const ctxs: BrowserContext[] = [];
  const page = {} as Record<typeof BROWSERS[number], Page>;
  const parts: Record<string, CallParticipant> = {};
  const peers: Record<string, WrtcPeer> = {};
  const errors: string[] = [];

  before(async () => {
    host = await startCallHost({ users: [...SYNTHETIC, ...SECOND], media: { workers: 2 } });
    assert.ok(host.component.router instanceof WorkerRouter);
    router = host.component.router;
    for (const who of BROWSERS) await host.srv.users.add(`${who}@localhost`, `${who}-pass`);
    // The fake camera at 10 frames a second: six participants' media go through one data-plane
    // worker, and the browsers need only decode the picture, not a smooth one.
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS.map((a) => (a === '--use-fake-device-for-media-stream' ? `${a}=fps=10` : a)),
    });
    for (const who of BROWSERS) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      ctx.setDefaultTimeout(30_000);
      ctxs.push(ctx);
      page[who] = await ctx.newPage();
      page[who].on('pageerror', (e) => errors.push(`${who}: ${e.message}`));
    }
  });

  after(async () => {
    for (const p of Object.values(parts)) p.close();
    await browser?.close();
    await host?.stop();
  });

  afterEach(() => {
    assert.deepEqual(errors.splice(0), [], 'no uncaught errors in the pages');
  });

  it('six in one room on one worker, two in another room on the other', async () => {
    // The pages load and sign in before any media flows: their start-up is the heaviest CPU of the run.
    for (const who of BROWSERS) {
      const p = page[who];
      await p.goto(`http://127.0.0.1:${host.srv.ports.http}/`);
      await p.getByLabel('Address').fill(`${who}@localhost`);
      await p.getByLabel('Password').fill(`${who}-pass`);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('region', { name: 'Contacts' }).waitFor();
      await p.getByRole('button', { name: 'Rooms', exact: true }).click();
      await p.getByLabel('Room', { exact: true }).fill(SIX);
      await p.getByRole('button', { name: 'Join', exact: true }).click();
      await p.getByRole('region', { name: 'Room six' }).getByRole('complementary', { name: 'Occupants' }).getByText(`${who} (you)`).waitFor();
    }
    for (const u of SYNTHETIC) await joinRoom(host.users[u]!, SIX, u);
    for (const u of SECOND) await joinRoom(host.users[u]!, PAIR, u);
    // Each room's first participant joins first, so that placement (least loaded) puts the second
    // room on the other worker.
    let seed = 0;
    const call = async (u: string, room: string) => {
      peers[u] = new WrtcPeer(++seed);
      parts[u] = await joinCall(host.users[u]!, room, peers[u]);
    };
    await call('carol', SIX);
    await call('gina', PAIR);
    for (const u of ['dave', 'erin', 'frank']) await call(u, SIX);
    await call('hank', PAIR);
    // Both browsers join at the same moment, as two people do who were waiting for each other. That
    // once failed on a loaded machine with a tile stuck on its first frame; a browser's keyframe
    // requests never reached the sender then (component/media/werift/keyframes.ts), the likeliest cause.
    await Promise.all(BROWSERS.map((who) => page[who].getByRole('button', { name: 'Join call' }).click()));
    for (const who of BROWSERS) {
      await page[who].getByRole('dialog', { name: 'Call in six' }).waitFor();
      await untilValue(() => page[who].evaluate(TILES) as Promise<Tile[]>, (t) => t.some((v) => v.frames > 0), `${who}'s call up`, 120_000);
    }
    const six = router.workerOf(SIX);
    const pair = router.workerOf(PAIR);
    const ended = Object.entries(parts).filter(([, q]) => q.terminated).map(([u, q]) => `${u}: ${q.terminated}`);
    assert.deepEqual(ended, [], 'no call ended');
    assert.ok(six !== undefined && pair !== undefined && six !== pair, `rooms on workers ${six} and ${pair}`);
    // The browsers' peers exist once their session-initiate is in (the call screen opens before).
    const workers = await untilValue(() => router.workers(), (ws) => ws.find((w) => w.index === six)?.peers === 6,
      'six peers on the first room\'s worker', 60_000);
    assert.deepEqual(workers.find((w) => w.index === six)?.rooms, [SIX]);
    assert.equal(workers.find((w) => w.index === six)?.peers, 6);
    assert.deepEqual(workers.find((w) => w.index === pair)?.rooms, [PAIR]);
    assert.equal(workers.find((w) => w.index === pair)?.peers, 2);
  });

  it('each synthetic peer receives audio and video from the five others, and the second room\'s two each other', async () => {
    // Eight peers, two of them browsers, on two shared cores: a generous deadline (no timing is measured).
    await Promise.all([
      ...SYNTHETIC.map((u) => receivesFrom(parts[u]!, SIX_PEOPLE.filter((o) => o !== u).map((o) => occupant(SIX, o)), 20, 120_000)),
      ...SECOND.map((u) => receivesFrom(parts[u]!, SECOND.filter((o) => o !== u).map((o) => occupant(PAIR, o)), 20, 120_000)),
    ]);
  });

  it('each browser decodes the five others\' video, on a tile each, frames growing', async () => {
    for (const who of BROWSERS) {
      const labels = SIX_PEOPLE.filter((o) => o !== who).map((o) => `Video of ${o}`).sort();
      const first = await untilValue(() => page[who].evaluate(TILES) as Promise<Tile[]>,
        (t) => t.length === 5 && t.every((v) => v.width > 0 && v.frames > 0), `${who}'s five remote videos decoding`, 120_000);
      assert.deepEqual(first.map((t) => t.label), labels, `${who}: one tile per other participant`);
      await untilValue(() => page[who].evaluate(TILES) as Promise<Tile[]>,
        (t) => t.length === 5 && t.every((v, i) => v.label === first[i]!.label && v.frames > first[i]!.frames),
        `${who}'s five videos to keep decoding after ${JSON.stringify(first)}`, 60_000);
    }
  });

  it('nothing is received twice: one m-line per source, and never more packets than the sender wrote', async () => {
    // Receivers first, senders after: without duplicates a count received can only trail the count sent.
    const received = new Map<string, Map<string, number>>();
    for (const u of SYNTHETIC) received.set(u, await parts[u]!.packetsBySource());
    const browserRtp = {} as Record<typeof BROWSERS[number], Rtp>;
    for (const who of BROWSERS) browserRtp[who] = await page[who].evaluate(RTP) as Rtp;
    const wrtcSent = new Map<string, { audio: number; video: number }>();
    for (const u of SYNTHETIC) wrtcSent.set(u, await packetsSent(peers[u]!));
    const sent = (owner: string, kind: 'audio' | 'video'): number =>
      (wrtcSent.get(owner) ?? browserRtp[owner as typeof BROWSERS[number]].sent)[kind];
    for (const u of SYNTHETIC) {
      const live = [...parts[u]!.received.values()].filter((r) => !r.removed).map((r) => `${r.owner} ${r.kind}`).sort();
      const due = SIX_PEOPLE.filter((o) => o !== u).flatMap((o) => [`${occupant(SIX, o)} audio`, `${occupant(SIX, o)} video`]).sort();
      assert.deepEqual(live, due, `${u}: one m-line per source of each other participant`);
      for (const o of SIX_PEOPLE.filter((x) => x !== u)) {
        for (const kind of ['audio', 'video'] as const) {
          const got = received.get(u)!.get(`${occupant(SIX, o)} ${kind}`) ?? 0;
          assert.ok(got > 0 && got <= sent(o, kind), `${u} received ${got} ${kind} packets of ${o}, who sent ${sent(o, kind)}`);
        }
      }
    }
    for (const who of BROWSERS) {
      assert.deepEqual(browserRtp[who].receiving, { audio: 5, video: 5 }, `${who}: five audio and five video streams coming in`);
    }
  });
});
