// Switching a 1:1 audio call to video, end to end: alice and bob in an audio call through
// Carillon. "Turn on camera" sends a XEP-0166 §6.7 content-add with a XEP-0167 video description;
// bob is asked ("alice wants to turn on video"), and Accept answers content-accept: each side then
// decodes the other's video, in the same session (same sid). Decline answers content-reject: the
// call goes on as an audio call, its audio still flowing.
import { strict as assert } from 'node:assert';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/chromium.js';
import { befriend, connect, startTestServer, stopAll, type TestServer } from '../server/helpers.js';
import { untilValue } from '../support/until.js';
import { signIn as signInAt } from './support/sign-in.js';

interface Inbound { videoFrames: number; audioBytes: number; sid?: string }

/** The Jingle requests each page received over its WebSocket, in order, by action. */
const jingleSeen = new Map<Page, Array<{ action: string; xml: string }>>();
function watchJingle(page: Page): void {
  const seen: Array<{ action: string; xml: string }> = [];
  jingleSeen.set(page, seen);
  page.on('websocket', (ws) => ws.on('framereceived', (f) => {
    const text = typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8');
    const action = /<jingle[^>]*\saction=["']([a-z-]+)["']/.exec(text)?.[1];
    if (action) seen.push({ action, xml: text });
  }));
}
const received = (page: Page) => (jingleSeen.get(page) ?? []).map((j) => j.action);
/** The last request of `action` the page received. */
const lastOf = (page: Page, action: string) => [...(jingleSeen.get(page) ?? [])].reverse().find((j) => j.action === action)?.xml ?? '';

/** What the page's call receives (getStats inbound-rtp) and its session id. */
async function inbound(page: Page): Promise<Inbound> {
  return page.evaluate(async () => {
    const app = (globalThis as unknown as {
      carillon: { calls?: { stats(): Promise<RTCStatsReport | undefined> }; call: { value: { sid?: string } } };
    });
    let videoFrames = 0;
    let audioBytes = 0;
    (await app.carillon.calls?.stats())?.forEach((r: { type: string; kind?: string; framesDecoded?: number; bytesReceived?: number }) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') videoFrames += r.framesDecoded ?? 0;
      if (r.type === 'inbound-rtp' && r.kind === 'audio') audioBytes += r.bytesReceived ?? 0;
    });
    return { videoFrames, audioBytes, sid: app.carillon.call.value.sid };
  });
}

/** Decoded video frames that keep growing, not a single burst. */
async function decodesVideo(page: Page, who: string): Promise<void> {
  const first = await untilValue(() => inbound(page), (v) => v.videoFrames > 0, `${who} to decode video`);
  await untilValue(() => inbound(page), (v) => v.videoFrames > first.videoFrames, `${who}'s decoded frames to grow past ${first.videoFrames}`);
}

async function audioFlows(page: Page, who: string): Promise<void> {
  const first = await untilValue(() => inbound(page), (v) => v.audioBytes > 0, `${who} to receive audio`);
  await untilValue(() => inbound(page), (v) => v.audioBytes > first.audioBytes, `${who}'s audio to keep flowing past ${first.audioBytes} bytes`);
}

describe('web client: switching a 1:1 audio call to video (XEP-0166 §6.7 content-add)', function () {
  this.timeout(120_000);
  let srv: TestServer;
  let browser: Browser;
  let alice: Page;
  let bob: Page;
  const errors: string[] = [];

  const signIn = async (page: Page, user: string) => {
    await signInAt(page, srv.ports.http, user);
  };

  /** An audio call from `caller` (alice unless said otherwise), answered; its sid. */
  const audioCall = async (caller: 'alice' | 'bob' = 'alice') => {
    const [from, to, peer] = caller === 'alice' ? [alice, bob, 'bob'] : [bob, alice, 'alice'];
    await from.getByRole('button', { name: new RegExp(`^${peer}, Available`) }).click();
    await from.getByRole('button', { name: 'Audio call' }).click();
    await to.getByRole('dialog', { name: 'Incoming call' }).getByRole('button', { name: 'Accept' }).click();
    for (const p of [alice, bob]) await p.getByRole('timer', { name: 'Call duration' }).waitFor();
    await audioFlows(bob, 'bob');
    return (await inbound(bob)).sid;
  };

  const hangUp = async () => {
    await alice.getByRole('button', { name: 'Hang up' }).click();
    for (const p of [alice, bob]) {
      await p.getByRole('status').filter({ hasText: 'Call ended' }).waitFor();
      await p.getByRole('button', { name: 'Close' }).click();
    }
  };

  before(async () => {
    srv = await startTestServer();
    for (const u of ['alice', 'bob']) await srv.users.add(`${u}@localhost`, `${u}-pass`);
    const a = await connect(srv, 'alice', 'alice-pass', { resource: 'setup' });
    const b = await connect(srv, 'bob', 'bob-pass', { resource: 'setup' });
    await befriend(a, 'alice@localhost', b, 'bob@localhost');
    await stopAll(a, b);
    browser = await launchChromium();
    const ctxA = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const ctxB = await browser.newContext({ viewport: { width: 360, height: 720 }, isMobile: true, hasTouch: true });
    for (const c of [ctxA, ctxB]) c.setDefaultTimeout(30_000);
    alice = await ctxA.newPage();
    bob = await ctxB.newPage();
    for (const [who, p] of [['alice', alice], ['bob', bob]] as const) {
      p.on('pageerror', (e) => errors.push(`${who}: ${e.message}`));
      watchJingle(p);
    }
    await signIn(alice, 'alice');
    await signIn(bob, 'bob');
  });

  after(async () => {
    await browser?.close();
    await srv?.stop();
  });

  afterEach(() => assert.deepEqual(errors.splice(0), [], 'no uncaught errors in the pages'));

  it('alice turns on her camera, bob accepts: both decode video in the same session', async () => {
    const sid = await audioCall();
    assert.ok(sid, 'the call has a session id');
    assert.equal(await bob.locator('video.remote:not(.hidden-media)').count(), 0, 'an audio call shows no remote video');

    await alice.getByRole('button', { name: 'Turn on camera' }).click();
    const request = bob.getByRole('alertdialog', { name: 'Video request' });
    await request.getByText('alice wants to turn on video').waitFor();
    // XEP-0166 §6.7 / XEP-0167: one new content, created by the initiator, describing video
    const add = lastOf(bob, 'content-add');
    assert.match(add, /<content[^>]*creator=["']initiator["']/, 'the content is created by alice, the initiator');
    assert.match(add, /<description[^>]*xmlns=["']urn:xmpp:jingle:apps:rtp:1["'][^>]*media=["']video["']|<description[^>]*media=["']video["'][^>]*xmlns=["']urn:xmpp:jingle:apps:rtp:1["']/, 'an RTP video description');
    // (the XEP-0338 BUNDLE group names every content with <content name=…/> of its own)
    assert.equal(add.match(/<content[^>]*creator=/g)?.length, 1, 'only the added content');
    assert.match(add, /<group[^>]*semantics=["']BUNDLE["']/, 'the BUNDLE group after the addition');
    assert.match(add, new RegExp(`sid=["']${sid}["']`), 'in the running session');
    await bob.screenshot({ path: '/tmp/carillon-add-video-request-360.png' });
    await request.getByRole('button', { name: 'Accept' }).click();
    await request.waitFor({ state: 'detached' });

    await decodesVideo(bob, 'bob');
    await decodesVideo(alice, 'alice'); // bob's camera came back in the content-accept
    assert.ok(received(alice).includes('content-accept'), 'alice received a content-accept');
    for (const p of [alice, bob]) await p.locator('video.remote:not(.hidden-media)').waitFor();
    assert.equal((await inbound(bob)).sid, sid, 'the same Jingle session');
    assert.equal((await inbound(alice)).sid, sid, 'the same Jingle session on the adding side');
    await audioFlows(bob, 'bob');
    // the video call's own controls now work on it
    await alice.getByRole('button', { name: 'Camera off' }).click();
    await bob.getByRole('status').filter({ hasText: "alice's camera is off" }).waitFor();
    await alice.screenshot({ path: '/tmp/carillon-add-video-1280.png' });
    await hangUp();
  });

  it('bob, who answered the call, turns on his camera: alice accepts and decodes it', async () => {
    // the side that answered offers now: its earlier description was an answer, so the DTLS
    // roles chosen then must hold in this offer and its answer
    const sid = await audioCall();
    await bob.getByRole('button', { name: 'Turn on camera' }).click();
    const request = alice.getByRole('alertdialog', { name: 'Video request' });
    await request.getByText('bob wants to turn on video').waitFor();
    assert.match(lastOf(alice, 'content-add'), /<content[^>]*creator=["']responder["']/, 'the content is created by bob, the responder');
    await request.getByRole('button', { name: 'Accept' }).click();
    await decodesVideo(alice, 'alice');
    await decodesVideo(bob, 'bob');
    assert.match(lastOf(bob, 'content-accept'), /<content[^>]*creator=["']responder["']/, 'the accept names the content as bob created it');
    assert.equal((await inbound(alice)).sid, sid, 'the same Jingle session');
    await audioFlows(alice, 'alice');
    await hangUp();
  });

  it('bob declines: the call stays an audio call, its audio still flowing', async () => {
    const sid = await audioCall();
    await alice.getByRole('button', { name: 'Turn on camera' }).click();
    const request = bob.getByRole('alertdialog', { name: 'Video request' });
    await request.getByRole('button', { name: 'Decline' }).click();
    await request.waitFor({ state: 'detached' });
    await alice.getByRole('status').filter({ hasText: 'bob declined video' }).waitFor();
    assert.ok(received(alice).includes('content-reject'), 'alice received a content-reject');
    // alice may ask again; nothing of the declined content is left
    await alice.getByRole('button', { name: 'Turn on camera' }).waitFor();
    assert.equal(await alice.getByRole('button', { name: 'Turn on camera' }).isEnabled(), true);
    assert.equal(await alice.locator('video[aria-label="Your camera"]').count(), 0, 'no camera preview after the decline');
    await audioFlows(bob, 'bob');
    await audioFlows(alice, 'alice');
    const after = await inbound(bob);
    assert.equal(after.sid, sid, 'the same session');
    assert.equal(after.videoFrames, 0, 'bob decodes no video');
    await hangUp();
  });
});
