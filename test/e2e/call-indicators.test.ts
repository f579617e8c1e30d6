// What the other side switched off, end to end: alice (desktop) and bob (a 360 px phone) in a
// video call through Carillon. Mute and camera off send XEP-0167 §7 <mute/> session-info; the other
// side shows "bob is muted" and a camera-off placeholder instead of a black picture, and takes
// them away again on <unmute/>. Both show the connection quality (getStats) with its figures. Screenshots of both call screens go to /tmp/carillon-call-*.png.
import { strict as assert } from 'node:assert';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/chromium.js';
import { befriend, connect, startTestServer, stopAll, type TestServer } from '../server/helpers.js';
import { signIn as signInAt } from './support/sign-in.js';

describe('web client: the other side\'s mute and camera (XEP-0167 §7) and the connection quality in a 1:1 call', function () {
  this.timeout(90_000);
  let srv: TestServer;
  let browser: Browser;
  let alice: Page;
  let bob: Page;
  const errors: string[] = [];

  const signIn = async (page: Page, user: string) => {
    await signInAt(page, srv.ports.http, user);
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
    const ctxB = await browser.newContext({ viewport: { width: 360, height: 720 }, isMobile: true, hasTouch: true, colorScheme: 'dark' });
    for (const c of [ctxA, ctxB]) c.setDefaultTimeout(15_000);
    alice = await ctxA.newPage();
    bob = await ctxB.newPage();
    for (const [who, p] of [['alice', alice], ['bob', bob]] as const) p.on('pageerror', (e) => errors.push(`${who}: ${e.message}`));
    await signIn(alice, 'alice');
    await signIn(bob, 'bob');
  });

  after(async () => {
    await browser?.close();
    await srv?.stop();
  });

  afterEach(() => assert.deepEqual(errors.splice(0), [], 'no uncaught errors in the pages'));

  it('shows "bob is muted" and "bob\'s camera is off" while bob has them off, and the video again after', async () => {
    await alice.getByRole('button', { name: /^bob, Available/ }).click();
    await alice.getByRole('button', { name: 'Video call' }).click();
    await bob.getByRole('dialog', { name: 'Incoming call' }).getByRole('button', { name: 'Accept' }).click();
    for (const p of [alice, bob]) await p.getByRole('timer', { name: 'Call duration' }).waitFor();
    await alice.locator('video.remote:not(.hidden-media)').waitFor();
    // the connection quality from getStats(), named for screen readers, its figures on focus
    for (const p of [alice, bob]) {
      const q = p.getByRole('img', { name: /^Connection quality: (good|poor|bad)$/ });
      await q.waitFor();
      await q.focus();
      await p.locator('.quality-figures').filter({ hasText: /round trip (\d+ ms|unknown), packet loss [\d.]+ %, \d+ kbit\/s received/ }).waitFor();
    }

    await bob.getByRole('button', { name: 'Mute' }).click();
    await alice.getByRole('status').filter({ hasText: 'bob is muted' }).waitFor();
    await bob.getByRole('button', { name: 'Camera off' }).click();
    await alice.getByRole('status').filter({ hasText: "bob's camera is off" }).waitFor();
    assert.equal(await alice.locator('video.remote:not(.hidden-media)').count(), 0, 'no black picture: the placeholder instead');
    await alice.getByRole('button', { name: 'Mute' }).click();
    await bob.getByRole('status').filter({ hasText: 'alice is muted' }).waitFor();
    await alice.screenshot({ path: '/tmp/carillon-call-1280.png' });
    await bob.screenshot({ path: '/tmp/carillon-call-360.png' });

    await bob.getByRole('button', { name: 'Unmute' }).click();
    await alice.getByRole('status').filter({ hasText: 'bob is muted' }).waitFor({ state: 'detached' });
    await bob.getByRole('button', { name: 'Camera on' }).click();
    await alice.getByRole('status').filter({ hasText: "bob's camera is off" }).waitFor({ state: 'detached' });
    await alice.locator('video.remote:not(.hidden-media)').waitFor();

    await alice.getByRole('button', { name: 'Hang up' }).click();
    for (const p of [alice, bob]) await p.getByRole('status').filter({ hasText: 'Call ended' }).waitFor();
  });
});
