// The web client end to end, as two people use it: alice on a desktop browser, bob on a 360 px
// phone-sized one. Both sign in, add each other, chat, and hold a video call; then a declined
// call and a call retracted before it is answered. Run against any server that serves the page.
import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { client as xmppClient, xml } from '@xmpp/client';
import { WebSocket } from 'ws';
import { audioStat } from './call-stats.js';
import { launchChromium } from './chromium.js';
import { untilValue } from '../../support/until.js';

// @xmpp/client (a second, independent client of alice's account) expects a global WebSocket.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

export interface ServerUnderTest {
  /** Page URL of the web client. */
  pageUrl: string;
  /** The server's XMPP-over-WebSocket endpoint, for a second client of the same account. */
  websocketUrl: string;
  domain: string;
  addUser(local: string, password: string): Promise<void>;
  /** ICE server URLs the server announces by XEP-0215, when the test knows them. */
  iceServers?: string[];
  /** Stops and starts the server again on the same address, keeping its data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const SHOTS_ROOT = fileURLToPath(new URL('../../../.tmp/e2e-screenshots', import.meta.url));

interface RemoteVideo { width: number; height: number; time: number; bytes: number; frames: number }
const aspect = (v: RemoteVideo) => (v.height ? Math.round((v.width / v.height) * 100) / 100 : 0);

async function remoteVideo(page: Page): Promise<RemoteVideo> {
  return page.evaluate(async () => {
    const v = document.querySelector<HTMLVideoElement>('video[aria-label="Remote video"]');
    const app = (globalThis as unknown as { carillon: { calls?: { stats(): Promise<RTCStatsReport | undefined> } } }).carillon;
    const stats = await app.calls?.stats();
    let bytes = 0;
    let frames = 0;
    stats?.forEach((r: { type: string; kind?: string; bytesReceived?: number; framesDecoded?: number }) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') {
        bytes += r.bytesReceived ?? 0;
        frames += r.framesDecoded ?? 0;
      }
    });
    return { width: v?.videoWidth ?? 0, height: v?.videoHeight ?? 0, time: v?.currentTime ?? 0, bytes, frames };
  });
}


const inboundAudioBytes = (page: Page) => audioStat(page, 'inbound-rtp', 'bytesReceived');

/** Frames decoding and flowing: the check the call test makes on both sides. */
async function assertRemoteVideoPlays(page: Page, who: string): Promise<void> {
  const first = await untilValue(() => remoteVideo(page), (v) => v.width > 0 && v.frames > 0 && v.time > 0, `${who}'s remote video`);
  // Then it keeps going: currentTime advances, and inbound-rtp bytes and decoded frames grow.
  await untilValue(() => remoteVideo(page), (v) => v.width > 0 && v.time > first.time && v.bytes > first.bytes && v.frames > first.frames,
    `${who}'s remote video to keep playing after ${JSON.stringify(first)}`);
}

export function webClientScenario(label: string, start: () => Promise<ServerUnderTest>): void {
  describe(`web client end to end (${label})`, function () {
    this.timeout(60_000);
    let server: ServerUnderTest;
    let browser: Browser;
    let ctxA: BrowserContext;
    let ctxB: BrowserContext;
    let alice: Page;
    let bob: Page;
    let aliceJid: string;
    let bobJid: string;
    const shots = join(SHOTS_ROOT, label.replace(/[^a-z0-9]+/gi, '-').toLowerCase());
    const shot = async (page: Page, name: string) => {
      await page.screenshot({ path: join(shots, `${name}.png`) });
    };
    const errors: string[] = [];

    before(async () => {
      mkdirSync(shots, { recursive: true });
      server = await start();
      aliceJid = `alice@${server.domain}`;
      bobJid = `bob@${server.domain}`;
      await server.addUser('alice', 'alice-pass-1');
      await server.addUser('bob', 'bob-pass-2');
      browser = await launchChromium();
      ctxA = await browser.newContext({ viewport: { width: 1200, height: 760 } });
      // bob: a 360 px phone in dark mode, so the screenshots cover both layouts and both themes
      ctxB = await browser.newContext({ viewport: { width: 360, height: 720 }, isMobile: true, hasTouch: true, colorScheme: 'dark' });
      // fail within the mocha timeout, with playwright's message rather than mocha's
      for (const c of [ctxA, ctxB]) c.setDefaultTimeout(15_000);
      alice = await ctxA.newPage();
      bob = await ctxB.newPage();
      for (const [who, p] of [['alice', alice], ['bob', bob]] as const) {
        p.on('pageerror', (e) => errors.push(`${who}: ${e.message}`));
      }
    });

    after(async () => {
      await browser?.close();
      await server?.stop();
      console.log(`      screenshots: ${shots}`);
    });

    afterEach(() => {
      assert.deepEqual(errors.splice(0), [], 'no uncaught errors in the pages');
    });

    it('signs in, with clear messages for an unreachable server and a wrong password', async () => {
      await alice.goto(server.pageUrl);
      await alice.getByLabel('Address').fill(aliceJid);
      await alice.getByLabel('Password').fill('alice-pass-1');
      await alice.getByText('Connection settings').click();
      await alice.getByLabel('WebSocket URL').fill('ws://127.0.0.1:9/xmpp-websocket');
      await alice.getByRole('button', { name: 'Sign in' }).click();
      await alice.getByRole('alert').filter({ hasText: 'Cannot reach the server at ws://127.0.0.1:9/xmpp-websocket.' }).waitFor();
      await alice.getByLabel('WebSocket URL').fill(''); // back to discovery
      await alice.getByLabel('Password').fill('wrong password');
      await alice.getByRole('button', { name: 'Sign in' }).click();
      await alice.getByRole('alert').filter({ hasText: 'Wrong address or password.' }).waitFor();
      await alice.getByLabel('Password').fill('alice-pass-1');
      await shot(alice, 'sign-in');
      await alice.getByRole('button', { name: 'Sign in' }).click();
      await alice.getByRole('region', { name: 'Contacts' }).waitFor();

      await bob.goto(server.pageUrl);
      await shot(bob, 'sign-in-mobile');
      await bob.getByLabel('Address').fill(bobJid);
      await bob.getByLabel('Password').fill('bob-pass-2');
      await bob.getByRole('button', { name: 'Sign in' }).click();
      await bob.getByRole('region', { name: 'Contacts' }).waitFor();
    });

    it('adds each other as contacts and shows presence', async () => {
      await alice.getByRole('button', { name: 'Add contact' }).click();
      await alice.getByLabel('Contact address').fill(bobJid);
      await alice.getByRole('button', { name: 'Send request' }).click();
      await alice.getByRole('button', { name: /^bob, Offline/ }).waitFor();

      await bob.getByRole('button', { name: `Accept ${aliceJid}` }).click();
      await bob.getByRole('button', { name: /^alice, Available/ }).waitFor();
      await alice.getByRole('button', { name: /^bob, Available/ }).waitFor();
      await shot(alice, 'contacts');
    });

    it('chats with typing notifications, unread counts and delivery receipts', async () => {
      await alice.getByRole('button', { name: /^bob, / }).click();
      const input = alice.getByRole('textbox', { name: 'Message' });
      await input.pressSequentially('Hello Bob', { delay: 20 });
      await bob.getByRole('button', { name: /^alice, / }).filter({ hasText: 'typing…' }).waitFor();
      await input.press('Enter');
      await bob.getByRole('button', { name: /^alice, Available, 1 unread$/ }).waitFor();
      await shot(bob, 'contacts-mobile');

      await bob.getByRole('button', { name: /^alice, / }).click();
      await bob.getByRole('log', { name: 'Messages' }).getByText('Hello Bob').waitFor();
      await bob.getByRole('textbox', { name: 'Message' }).fill('Hi Alice! Call me?');
      await bob.getByRole('button', { name: 'Send' }).click();
      await alice.getByRole('log', { name: 'Messages' }).getByText('Hi Alice! Call me?').waitFor();
      // XEP-0184: bob's client acknowledged alice's message
      await alice.getByRole('log', { name: 'Messages' }).getByLabel('Delivered').first().waitFor();
      await shot(alice, 'chat');
      await shot(bob, 'chat-mobile');
    });

    it("shows what the account's other clients send and receive (XEP-0280 carbons)", async () => {
      const phone = xmppClient({ service: server.websocketUrl, domain: server.domain, username: 'alice', password: 'alice-pass-1', resource: 'phone' });
      phone.on('error', () => undefined);
      phone.reconnect.stop();
      await phone.start();
      try {
        await phone.iqCaller.request(xml('iq', { type: 'set' }, xml('enable', { xmlns: 'urn:xmpp:carbons:2' })));
        await phone.send(xml('presence', {}, xml('priority', {}, '-1')));
        const log = alice.getByRole('log', { name: 'Messages' });
        // sent from the phone: a "sent" carbon shows it in the browser as ours
        await phone.send(xml('message', { to: bobJid, type: 'chat', id: 'from-phone-1' }, xml('body', {}, 'Sent from my phone')));
        await log.locator('.bubble.out').getByText('Sent from my phone').waitFor();
        await bob.getByRole('log', { name: 'Messages' }).getByText('Sent from my phone').waitFor();
        // sent by bob to the phone only: a "received" carbon shows it in the browser too
        await bob.evaluate((to) => {
          const app = (globalThis as unknown as { carillon: { messages: { send(to: string, body: string): void } } }).carillon;
          app.messages.send(to, 'Only to your phone');
        }, `${aliceJid}/phone`);
        await log.locator('.bubble.in').getByText('Only to your phone').waitFor();
      } finally {
        await phone.stop().catch(() => undefined);
      }
    });

    it('holds a video call: both sides play the other\'s video, mute and screen sharing work, hang-up ends both', async () => {
      await alice.getByRole('button', { name: 'Video call' }).click();
      const incoming = bob.getByRole('dialog', { name: 'Incoming call' });
      await incoming.waitFor();
      await incoming.getByText('Incoming video call').waitFor();
      await shot(bob, 'incoming-call');
      await incoming.getByRole('button', { name: 'Accept' }).click();

      await assertRemoteVideoPlays(alice, 'alice');
      await assertRemoteVideoPlays(bob, 'bob');
      await alice.getByRole('timer', { name: 'Call duration' }).waitFor();
      await bob.getByRole('timer', { name: 'Call duration' }).waitFor();
      if (server.iceServers) {
        // XEP-0215: the peer connections use what the server announced
        for (const p of [alice, bob]) {
          const urls = await p.evaluate(() => {
            const app = (globalThis as unknown as { carillon: { calls: { configuration(): RTCConfiguration | undefined } } }).carillon;
            return (app.calls.configuration()?.iceServers ?? []).flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]));
          });
          assert.deepEqual(urls, server.iceServers);
        }
      }
      await shot(alice, 'in-call');
      await shot(bob, 'in-call-mobile');

      // mute and camera off are local track switches and must not end anything
      await bob.getByRole('button', { name: 'Mute' }).click();
      await bob.getByRole('button', { name: 'Unmute', pressed: true }).waitFor();
      await bob.getByRole('button', { name: 'Unmute' }).click();

      // screen sharing replaces the camera on the same sender: bob's picture changes shape
      // (the fake camera is 4:3, the fake screen 16:9; bandwidth may scale either, not reshape it)
      const camera = aspect(await remoteVideo(bob));
      await alice.getByRole('button', { name: 'Share screen' }).click();
      await alice.getByRole('button', { name: 'Stop sharing', pressed: true }).waitFor();
      await untilValue(() => remoteVideo(bob), (v) => v.width > 0 && aspect(v) !== camera, 'the shared screen at bob');
      await alice.getByRole('button', { name: 'Stop sharing' }).click();
      await untilValue(() => remoteVideo(bob), (v) => aspect(v) === camera, 'the camera back at bob');

      await alice.getByRole('button', { name: 'Hang up' }).click();
      await alice.getByRole('status').filter({ hasText: 'Call ended' }).waitFor();
      await bob.getByRole('status').filter({ hasText: 'Call ended' }).waitFor();
      await shot(bob, 'call-ended-mobile');
      for (const p of [alice, bob]) await p.getByRole('button', { name: 'Close' }).click();
      assert.equal(await alice.locator('video').count(), 0, 'no video element left after the call');
      await alice.getByRole('log', { name: 'Messages' }).getByText(/Video call · \d+:\d\d/).waitFor();
    });

    it('holds an audio call: sound flows both ways, the callee hangs up', async () => {
      await alice.getByRole('button', { name: 'Audio call' }).click();
      await bob.getByRole('dialog', { name: 'Incoming call' }).getByRole('button', { name: 'Accept' }).click();
      for (const [who, p] of [['alice', alice], ['bob', bob]] as const) {
        await p.getByRole('timer', { name: 'Call duration' }).waitFor();
        const first = await untilValue(() => inboundAudioBytes(p), (b) => b > 0, `${who}'s incoming audio`);
        await untilValue(() => inboundAudioBytes(p), (b) => b > first, `${who}'s audio to keep flowing`);
      }
      assert.equal(await alice.getByRole('button', { name: 'Camera off' }).count(), 0, 'no camera control in an audio call');
      await shot(alice, 'in-call-audio');
      await bob.getByRole('button', { name: 'Hang up' }).click();
      for (const p of [alice, bob]) await p.getByRole('status').filter({ hasText: 'Call ended' }).waitFor();
      for (const p of [alice, bob]) await p.getByRole('button', { name: 'Close' }).click();
      await alice.getByRole('log', { name: 'Messages' }).getByText(/Audio call · \d+:\d\d/).waitFor();
    });

    it('declining a call tells the caller', async () => {
      await alice.getByRole('button', { name: 'Audio call' }).click();
      const incoming = bob.getByRole('dialog', { name: 'Incoming call' });
      await incoming.getByText('Incoming audio call').waitFor();
      await alice.getByText('Ringing…').waitFor();
      await shot(alice, 'outgoing-audio-ringing');
      await incoming.getByRole('button', { name: 'Decline' }).click();
      await alice.getByRole('status').filter({ hasText: 'Call declined' }).waitFor();
      await bob.getByRole('status').filter({ hasText: 'Call declined' }).waitFor();
      await shot(alice, 'call-declined');
      for (const p of [alice, bob]) await p.getByRole('button', { name: 'Close' }).click();
    });

    it('a call retracted before it is answered shows as missed', async () => {
      await alice.getByRole('button', { name: 'Video call' }).click();
      await bob.getByRole('dialog', { name: 'Incoming call' }).waitFor();
      await alice.getByRole('button', { name: 'Hang up' }).click();
      await alice.getByRole('status').filter({ hasText: 'Call cancelled' }).waitFor();
      await bob.getByRole('status').filter({ hasText: `Missed call from alice` }).waitFor();
      await shot(bob, 'missed-call-mobile');
      for (const p of [alice, bob]) await p.getByRole('button', { name: 'Close' }).click();
      await bob.getByRole('log', { name: 'Messages' }).getByText('Missed video call').waitFor();
      await shot(bob, 'chat-call-log-mobile');
    });

    it('says when the connection drops, reconnects by itself, and carries on', async () => {
      await server.restart();
      for (const p of [alice, bob]) await p.getByRole('status').filter({ hasText: 'Connection lost. Reconnecting' }).waitFor();
      await shot(bob, 'reconnecting-mobile');
      for (const p of [alice, bob]) await p.getByRole('status').filter({ hasText: 'Connection lost' }).waitFor({ state: 'detached', timeout: 20_000 });
      await alice.getByRole('button', { name: /^bob, Available/ }).waitFor();
      await bob.getByRole('textbox', { name: 'Message' }).fill('Back again');
      await bob.getByRole('button', { name: 'Send' }).click();
      await alice.getByRole('log', { name: 'Messages' }).getByText('Back again').waitFor();
    });

    it('removes a contact', async () => {
      await bob.getByRole('button', { name: 'Remove contact' }).click();
      await bob.getByRole('group', { name: 'Remove contact' }).getByRole('button', { name: 'Remove' }).click();
      await bob.getByRole('region', { name: 'Contacts' }).getByText('No contacts yet.').waitFor();
      // RFC 6121 §2.5.2: removal cancels both subscriptions, so alice sees bob go offline
      await alice.getByRole('button', { name: /^bob, Offline/ }).waitFor();
    });
  });
}
