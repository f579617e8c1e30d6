// The call screens, end to end in Chromium with three fake cameras and microphones
// (--use-fake-device-for-media-stream=device-count=3: fake_device_0 gives I420 pictures,
// fake_device_1 is Chromium's fake depth camera (Y16 samples, which no sender encodes),
// fake_device_2 gives MJPEG) against Carillon with its call component: alice (desktop) and bob
// (a 360 px phone, dark) in a room call with the room's chat beside it; alice shares her screen
// and bob decodes it as a tile of its own ("alice's screen"), which goes away on "Stop sharing"
// and on the browser's own stop (the track ending); alice switches camera with the device picker
// (the depth camera is refused, the other one's picture reaches bob); the active speaker is
// highlighted; then the camera switch again in a 1:1 call. Screenshots go to
// .tmp/e2e-screenshots/call-ui. CALL_UI_LOG=debug shows the server's and the call component's log.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startCarillon, type Carillon } from '../../server/index.js';
import { CHROMIUM_ARGS } from './support/chromium.js';
import { freePortRange } from '../support/ports.js';
import { untilValue } from '../support/until.js';
import { befriend, connect, stopAll } from '../server/helpers.js';
import { signIn as signInAt } from './support/sign-in.js';

const SHOTS = fileURLToPath(new URL('../../.tmp/e2e-screenshots/call-ui', import.meta.url));
const ROOM = 'studio@call.localhost';

/** Decoded size and playback time of the video with this accessible name (undefined: none). */
async function video(page: Page, label: string): Promise<{ width: number; time: number; frames: number } | undefined> {
  return page.evaluate((name) => {
    const v = [...document.querySelectorAll<HTMLVideoElement>('video')].find((x) => x.getAttribute('aria-label') === name);
    if (!v) return undefined;
    return { width: v.videoWidth, time: v.currentTime, frames: v.getVideoPlaybackQuality().totalVideoFrames };
  }, label);
}

/**
 * The room call at 360 px and 1,280 px, light and dark, with the chat and the devices panel open:
 * nothing wider than the window (a phone page that scrolls sideways puts its controls off-screen).
 */
async function layouts(page: Page, name: string): Promise<void> {
  const size = page.viewportSize()!;
  for (const width of [360, 1280]) {
    await page.setViewportSize({ width, height: width === 360 ? 720 : 800 });
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: innerWidth }));
      assert.ok(scroll <= inner && inner <= width, `${name} at ${width} px (${colorScheme}): the page is ${scroll} px wide in ${inner} px`);
      await page.screenshot({ path: join(SHOTS, `${name}-${width}-${colorScheme}.png`) });
    }
  }
  await page.setViewportSize(size);
}

/** A call of the page: the room call (app.rooms) or the 1:1 call (app.calls); both give `live` and `stats()`. */
type Via = 'rooms' | 'calls';
interface PageCall { live: { senders(): RTCRtpSender[]; stream(): MediaStream | undefined }; stats(): Promise<RTCStatsReport | undefined> }

/** The camera as the page's sender sees it: frames it took from its track, frames encoded, the track. */
async function cameraSent(page: Page, via: Via): Promise<{ taken: number; encoded: number; label?: string; state?: string; deviceId?: string }> {
  return page.evaluate(async (via) => {
    const call = (globalThis as unknown as { carillon: Record<Via, PageCall> }).carillon[via];
    const s = call.live.senders().find((x) => x.track?.kind === 'video');
    let taken = 0;
    let encoded = 0;
    (await s?.getStats())?.forEach((x: { type: string; frames?: number; framesEncoded?: number }) => {
      if (x.type === 'media-source') taken += x.frames ?? 0;
      if (x.type === 'outbound-rtp') encoded += x.framesEncoded ?? 0;
    });
    return { taken, encoded, label: s?.track?.label, state: s?.track?.readyState, deviceId: s?.track?.getSettings().deviceId };
  }, via);
}

/** Frames received and decoded of the track shown in the video with this accessible name (getStats inbound-rtp). */
async function cameraSeen(page: Page, label: string, via: Via): Promise<{ received: number; decoded: number }> {
  return page.evaluate(async ([label, via]) => {
    const call = (globalThis as unknown as { carillon: Record<Via, PageCall> }).carillon[via as Via];
    const v = [...document.querySelectorAll<HTMLVideoElement>('video')].find((x) => x.getAttribute('aria-label') === label);
    const id = (v?.srcObject as MediaStream | null)?.getVideoTracks()[0]?.id;
    let received = 0;
    let decoded = 0;
    (await call.stats())?.forEach((x: { type: string; kind?: string; trackIdentifier?: string; framesReceived?: number; framesDecoded?: number }) => {
      if (x.type === 'inbound-rtp' && x.kind === 'video' && x.trackIdentifier === id) { received = x.framesReceived ?? 0; decoded = x.framesDecoded ?? 0; }
    });
    return { received, decoded };
  }, [label, via]);
}

/**
 * More frames than a camera's pipeline holds: a second of the fake cameras' 20 fps. Growth beyond
 * it can only come from a track that delivers pictures the encoder takes (the depth camera gives 0).
 */
const FLOWING = 20;

/**
 * With the devices panel open on `sender`'s call: fake_device_1 (the depth camera: its track is
 * live, but its Y16 frames are never encoded) is refused and the call stays on `from`, still
 * flowing; then `to` replaces it without renegotiation and its picture reaches `receiver`.
 */
async function switchCamera(sender: Page, receiver: Page, via: Via, tile: string, from: string, to: string): Promise<void> {
  const panel = sender.getByRole('group', { name: 'Devices' });
  const camera = panel.getByRole('combobox', { name: 'Camera' });
  const before = await cameraSent(sender, via);
  assert.equal(before.label, from);
  const stored = () => sender.evaluate(() => localStorage.getItem('carillon.device.videoinput'));
  const remembered = await stored();
  const outboundStreams = () => sender.evaluate(async (via) => {
    let n = 0;
    (await (globalThis as unknown as { carillon: Record<Via, PageCall> }).carillon[via].stats())?.forEach((x: { type: string }) => { if (x.type === 'outbound-rtp') n++; });
    return n;
  }, via);
  const signalling = await outboundStreams();

  await camera.selectOption({ label: 'fake_device_1' });
  await panel.getByRole('alert').getByText(/fake_device_1 gives no picture a call can send/).waitFor();
  const refused = await cameraSent(sender, via);
  assert.deepEqual([refused.label, refused.state, refused.deviceId], [from, 'live', before.deviceId], 'the sender keeps its camera');
  assert.equal(await camera.inputValue(), before.deviceId, 'the picker shows the camera in use');
  assert.equal(await stored(), remembered, 'the refused camera is not remembered');
  await untilValue(() => cameraSent(sender, via), (c) => c.encoded > refused.encoded + FLOWING, `${from} still encoded`, 60_000);

  await camera.selectOption({ label: to });
  const after = await untilValue(() => cameraSent(sender, via), (c) => c.label === to && c.state === 'live', `the sender on ${to}`);
  assert.notEqual(after.deviceId, before.deviceId, 'the sender\'s track comes from another device');
  assert.equal(await stored(), after.deviceId, 'the choice is remembered');
  assert.equal(await outboundStreams(), signalling, 'as many outbound RTP streams as before: no renegotiation');
  assert.deepEqual(await sender.evaluate((via) => (globalThis as unknown as { carillon: Record<Via, PageCall> }).carillon[via].live.stream()
    ?.getVideoTracks().map((t) => [t.label, t.readyState]), via), [[to, 'live']], 'the old camera is stopped, the local stream has the new one');
  // the old camera's track is stopped: from here every frame the sender takes and encodes, and
  // every frame the receiver decodes beyond what was in flight, is the new camera's
  const sent = await cameraSent(sender, via);
  const seen = await cameraSeen(receiver, tile, via);
  await untilValue(() => cameraSent(sender, via), (c) => c.taken > sent.taken + FLOWING && c.encoded > sent.encoded + FLOWING, `${to} taken and encoded`, 60_000);
  await untilValue(() => cameraSeen(receiver, tile, via), (r) => r.received > seen.received + FLOWING && r.decoded > seen.decoded + FLOWING, `${to} decoded on the other side`, 60_000);
  await playing(receiver, tile, `the other side playing ${to}`);
  assert.equal(await camera.inputValue(), after.deviceId, 'the picker shows the camera in use');
}

/** Playing: decoded with a size, and advancing past what was seen before. */
async function playing(page: Page, label: string, what: string): Promise<void> {
  const first = await untilValue(() => video(page, label), (v) => !!v && v.width > 0 && v.frames > 0, `${what} decoded`, 30_000);
  await untilValue(() => video(page, label), (v) => !!v && v.width > 0 && v.frames > first!.frames && v.time > first!.time, `${what} still playing`, 30_000);
}

describe('web client: call screens (device picker, screen sharing in a room call, active speaker, chat beside the call)', function () {
  this.timeout(300_000); // a loaded machine: every wait is for an event or a state, none for a time
  let srv: Carillon;
  let dataDir: string;
  let browser: Browser;
  let alice: Page;
  let bob: Page;
  const errors: string[] = [];
  const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`) });

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'carillon-e2e-call-ui-'));
    const media = await freePortRange(100);
    srv = await startCarillon({
      domain: 'localhost', dataDir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: 0 },
      s2s: { port: null }, components: { port: 0 }, call: { media: { ...media, publicAddress: null } },
      log: { level: (process.env.CALL_UI_LOG ?? 'silent') as 'silent' },
    });
    for (const who of ['alice', 'bob']) await srv.users.add(`${who}@localhost`, `${who}-pass`);
    // contacts, for the 1:1 call at the end
    const a = await connect(srv, 'alice', 'alice-pass', { resource: 'setup' });
    const b = await connect(srv, 'bob', 'bob-pass', { resource: 'setup' });
    await befriend(a, 'alice@localhost', b, 'bob@localhost');
    await stopAll(a, b);
    const args = CHROMIUM_ARGS.map((a) => (a === '--use-fake-device-for-media-stream' ? `${a}=device-count=3` : a));
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args });
    const ctxA = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const ctxB = await browser.newContext({ viewport: { width: 360, height: 720 }, colorScheme: 'dark' });
    for (const c of [ctxA, ctxB]) c.setDefaultTimeout(30_000);
    alice = await ctxA.newPage();
    bob = await ctxB.newPage();
    for (const [who, p] of [['alice', alice], ['bob', bob]] as const) {
      p.on('pageerror', (e) => errors.push(`${who}: ${e.message}`));
      await signInAt(p, srv.ports.http, who);
      await p.getByRole('button', { name: 'Rooms', exact: true }).click();
      await p.getByLabel('Room', { exact: true }).fill(ROOM);
      await p.getByRole('button', { name: 'Join', exact: true }).click();
      await p.getByRole('region', { name: 'Room studio' }).getByRole('complementary', { name: 'Occupants' }).getByText(`${who} (you)`).waitFor();
    }
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    console.log(`      screenshots: ${SHOTS}`);
  });

  afterEach(() => assert.deepEqual(errors.splice(0), [], 'no uncaught errors in the pages'));

  it('the room\'s chat is beside the call: open at 1,280 px, behind "Chat" at 360 px, both ways', async () => {
    for (const p of [alice, bob]) {
      await p.getByRole('button', { name: 'Join call' }).click();
      await p.getByRole('dialog', { name: 'Call in studio' }).waitFor();
    }
    await playing(alice, 'Video of bob', 'alice: bob\'s camera');
    await playing(bob, 'Video of alice', 'bob: alice\'s camera');
    const chatA = alice.getByRole('complementary', { name: 'Chat in the call' });
    await chatA.waitFor();
    assert.equal(await bob.getByRole('complementary', { name: 'Chat in the call' }).count(), 0, 'collapsed on a phone');
    assert.equal(await bob.getByRole('button', { name: 'Chat' }).getAttribute('aria-expanded'), 'false');
    await bob.getByRole('button', { name: 'Chat' }).click();
    const chatB = bob.getByRole('complementary', { name: 'Chat in the call' });
    await chatB.getByRole('textbox', { name: 'Message to the call' }).fill('Can you see my slides?');
    await chatB.getByRole('textbox', { name: 'Message to the call' }).press('Enter');
    await chatA.getByRole('log', { name: 'Messages in the call' }).getByText('Can you see my slides?').waitFor();
    await chatA.getByRole('textbox', { name: 'Message to the call' }).fill('Sharing mine now');
    await chatA.getByRole('button', { name: 'Send to the call' }).click();
    await chatB.getByRole('log').getByText('Sharing mine now').waitFor();
    // the same messages are the room's: its own view has them too
    await alice.getByRole('region', { name: 'Room studio' }).getByRole('log').getByText('Can you see my slides?', { exact: true }).waitFor({ state: 'attached' });
    const width = await bob.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: innerWidth }));
    assert.ok(width.scroll <= width.inner, `the phone page is ${width.scroll} px wide on ${width.inner} px`);
    await shot(alice, 'room-call-chat-1280');
    await shot(bob, 'room-call-chat-360');
    await bob.getByRole('button', { name: 'Chat' }).click();
    await chatB.waitFor({ state: 'detached' });
  });

  it('alice shares her screen: bob decodes it as a tile of its own; Stop sharing and the browser\'s stop end it', async () => {
    await alice.getByRole('button', { name: 'Share screen' }).click();
    await alice.getByRole('figure', { name: 'Your screen' }).waitFor();
    await bob.getByRole('figure', { name: 'alice\'s screen' }).waitFor();
    await playing(bob, 'alice\'s screen', 'bob: alice\'s screen');
    // the screen is an extra source: alice's camera goes on beside it, at the screen's own size
    await playing(bob, 'Video of alice', 'bob: alice\'s camera beside her screen');
    // and alice, whose session took the new source, still receives bob
    await playing(alice, 'Video of bob', 'alice: bob\'s camera while she shares');
    const sizes = await bob.evaluate(() => [...document.querySelectorAll<HTMLVideoElement>('video')]
      .map((v) => [v.getAttribute('aria-label'), v.videoWidth, v.videoHeight]));
    const screen = sizes.find((s) => s[0] === 'alice\'s screen')!;
    const camera = sizes.find((s) => s[0] === 'Video of alice')!;
    assert.notDeepEqual(screen.slice(1), camera.slice(1), `screen and camera are different pictures: ${JSON.stringify(sizes)}`);
    await layouts(bob, 'room-screen-share-seen');
    await shot(alice, 'room-screen-share-1280');

    await alice.getByRole('button', { name: 'Stop sharing' }).click();
    await bob.getByRole('figure', { name: 'alice\'s screen' }).waitFor({ state: 'detached' });
    await alice.getByRole('figure', { name: 'Your screen' }).waitFor({ state: 'detached' });
    await playing(bob, 'Video of alice', 'bob: alice\'s camera after the share');
    await playing(alice, 'Video of bob', 'alice: bob\'s camera after the share');

    // again, ended from the browser's own "Stop sharing" bar: the track ends
    await alice.getByRole('button', { name: 'Share screen' }).click();
    await playing(bob, 'alice\'s screen', 'bob: alice\'s second share');
    await alice.evaluate(() => {
      const v = [...document.querySelectorAll<HTMLVideoElement>('video')].find((x) => x.getAttribute('aria-label') === 'Your screen');
      const track = (v?.srcObject as MediaStream | null)?.getVideoTracks()[0];
      if (!track) throw new Error('no screen track');
      // stop() fires no 'ended' on the track itself; the browser's own stop does both
      track.stop();
      track.dispatchEvent(new Event('ended'));
    });
    await bob.getByRole('figure', { name: 'alice\'s screen' }).waitFor({ state: 'detached' });
    await alice.getByRole('button', { name: 'Share screen' }).waitFor();
  });

  it('the device picker lists the fake cameras; the depth camera is refused, the other one\'s picture reaches bob without renegotiating', async () => {
    await alice.getByRole('button', { name: 'Devices' }).click();
    const panel = alice.getByRole('group', { name: 'Devices' });
    const options = await panel.getByRole('combobox', { name: 'Camera' }).locator('option').allTextContents();
    assert.deepEqual(options.filter((o) => o.startsWith('fake_device_')).sort(), ['fake_device_0', 'fake_device_1', 'fake_device_2'], `enumerateDevices labels: ${options.join(', ')}`);
    await panel.getByRole('combobox', { name: 'Microphone' }).waitFor();
    await switchCamera(alice, bob, 'rooms', 'Video of alice', 'fake_device_0', 'fake_device_2');
    await layouts(alice, 'room-call-devices');
    await panel.getByRole('button', { name: 'Done' }).click();
  });

  it('the active speaker is highlighted from the inbound audio levels', async () => {
    // the fake microphones beep: someone is speaking on each side at some point
    await bob.getByRole('figure', { name: /^alice, speaking/ }).waitFor();
    await alice.getByRole('figure', { name: /^bob, speaking/ }).waitFor();
    // muted, bob sends no sound: alice's highlight of bob goes away
    await bob.getByRole('button', { name: 'Mute' }).click();
    await alice.getByRole('figure', { name: 'bob, muted', exact: true }).waitFor();
    await bob.getByRole('button', { name: 'Unmute' }).click();
    for (const p of [alice, bob]) await p.getByRole('button', { name: 'Leave call' }).click();
  });

  it('in a 1:1 call the same: the depth camera is refused, the first camera\'s picture reaches bob again', async () => {
    const rooms = alice.getByRole('button', { name: 'Rooms', exact: true });
    await rooms.click(); // back from the rooms view to the contacts
    assert.equal(await rooms.getAttribute('aria-pressed'), 'false');
    await alice.getByRole('button', { name: /^bob, Available/ }).click();
    await alice.getByRole('button', { name: 'Video call' }).click();
    await bob.getByRole('dialog', { name: 'Incoming call' }).getByRole('button', { name: 'Accept' }).click();
    for (const p of [alice, bob]) await p.getByRole('timer', { name: 'Call duration' }).waitFor();
    await playing(bob, 'Remote video', 'bob: alice in the 1:1 call');
    await alice.getByRole('button', { name: 'Devices' }).click();
    // the camera chosen in the room call is remembered and opened for this one
    await switchCamera(alice, bob, 'calls', 'Remote video', 'fake_device_2', 'fake_device_0');
    await alice.getByRole('group', { name: 'Devices' }).getByRole('button', { name: 'Done' }).click();
    await alice.getByRole('button', { name: 'Hang up' }).click();
    for (const p of [alice, bob]) await p.getByRole('status').filter({ hasText: 'Call ended' }).waitFor();
  });
});
