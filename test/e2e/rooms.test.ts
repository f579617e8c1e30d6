// Rooms and group calls in the web client, end to end: three people in three Chromium contexts
// (desktop, a 360 px phone in dark mode, a tablet-sized window) sign in to Carillon, which runs
// the call component in-process, join one room, chat, and hold a group call through the room's
// forwarding unit. Each browser must decode and play the two others' video; then one leaves the
// call and the others drop to one remote tile. A fourth user, on an independent XMPP stack,
// receives the invitation the call screen sends (XEP-0249 + XEP-0482).
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { client as xmppClient, xml } from '@xmpp/client';
import type { Element } from 'ltx';
import { WebSocket } from 'ws';
import { startCarillon, type Carillon } from '../../server/index.js';
import { launchChromium } from './support/chromium.js';
import { tinyPng } from './support/png.js';
import { remoteTiles } from './support/rooms-browser.js';
import { freePortRange } from '../support/ports.js';
import { untilValue } from '../support/until.js';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const SHOTS = fileURLToPath(new URL('../../.tmp/e2e-screenshots/rooms', import.meta.url));
const ROOM = 'standup@call.localhost';
const PEOPLE = ['alice', 'bob', 'carol'] as const;
type Who = typeof PEOPLE[number];

describe('web client: rooms and a group call (Carillon + call component)', function () {
  this.timeout(90_000);
  let srv: Carillon;
  let dataDir: string;
  let browser: Browser;
  const ctx = {} as Record<Who, BrowserContext>;
  const page = {} as Record<Who, Page>;
  const errors: string[] = [];
  let dave: ReturnType<typeof xmppClient>;
  const daveInvites: Element[] = [];
  const shot = (who: Who, name: string) => page[who].screenshot({ path: join(SHOTS, `${name}.png`) });

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'carillon-e2e-rooms-'));
    const media = await freePortRange(200);
    srv = await startCarillon({
      domain: 'localhost', dataDir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: 0 },
      s2s: { port: null }, components: { port: 0 }, call: { media: { ...media, publicAddress: null } }, upload: { maxBytes: 200_000 },
      log: { level: 'silent' },
    });
    for (const who of [...PEOPLE, 'dave']) await srv.users.add(`${who}@localhost`, `${who}-pass`);
    // dave, on an independent XMPP stack, is the contact invited from the call screen
    dave = xmppClient({ service: `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, domain: 'localhost', username: 'dave', password: 'dave-pass', resource: 'x' });
    dave.on('error', () => undefined);
    dave.on('stanza', (el: Element) => { if (el.is('message')) daveInvites.push(el); });
    const daveOnline = dave.start().then(() => dave.send(xml('presence')));
    browser = await launchChromium();
    await daveOnline;
    ctx.alice = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctx.bob = await browser.newContext({ viewport: { width: 360, height: 720 }, isMobile: true, hasTouch: true, colorScheme: 'dark' });
    ctx.carol = await browser.newContext({ viewport: { width: 900, height: 700 } });
    for (const who of PEOPLE) {
      ctx[who].setDefaultTimeout(20_000);
      page[who] = await ctx[who].newPage();
      page[who].on('pageerror', (e) => errors.push(`${who}: ${e.message}`));
    }
  });

  after(async () => {
    await dave?.stop().catch(() => undefined);
    await browser?.close();
    await srv?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    console.log(`      screenshots: ${SHOTS}`);
  });

  afterEach(() => {
    assert.deepEqual(errors.splice(0), [], 'no uncaught errors in the pages');
  });

  it('three people sign in and join one room by its address, with chat history and occupants', async () => {
    for (const who of PEOPLE) {
      const p = page[who];
      await p.goto(`http://127.0.0.1:${srv.ports.http}/`);
      await p.getByLabel('Address').fill(`${who}@localhost`);
      await p.getByLabel('Password').fill(`${who}-pass`);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('region', { name: 'Contacts' }).waitFor();
    }
    // alice creates the room with a name alone (her server's room service), by keyboard
    const a = page.alice;
    await a.getByRole('button', { name: 'Rooms', exact: true }).click();
    await a.getByLabel('Room', { exact: true }).fill('standup');
    await a.getByLabel('Room', { exact: true }).press('Enter');
    const aliceRoom = a.getByRole('region', { name: 'Room standup' });
    await aliceRoom.getByRole('complementary', { name: 'Occupants' }).getByText('alice (you)').waitFor();
    await a.getByRole('textbox', { name: 'Message to the room' }).fill('Stand-up in five');
    await a.getByRole('button', { name: 'Send to room' }).click();
    await aliceRoom.getByRole('log').getByText('Stand-up in five').waitFor();

    // a nickname already in use is refused (XEP-0045 §7.2.9), in words
    await page.bob.getByRole('button', { name: 'Rooms', exact: true }).click();
    await page.bob.getByLabel('Room', { exact: true }).fill(ROOM);
    await page.bob.getByLabel('Nickname').fill('alice');
    await page.bob.getByRole('button', { name: 'Join', exact: true }).click();
    await page.bob.getByRole('alert').filter({ hasText: 'That nickname is taken in this room.' }).waitFor();
    await shot('bob', 'rooms-nick-conflict-mobile');
    const retry = page.bob.getByRole('form', { name: 'Join again' });
    await retry.getByLabel('Nickname').fill('bob');
    await retry.getByRole('button', { name: 'Join again' }).click();
    await page.carol.getByRole('button', { name: 'Rooms', exact: true }).click();
    await page.carol.getByLabel('Room', { exact: true }).fill(ROOM);
    await page.carol.getByRole('button', { name: 'Join', exact: true }).click();
    for (const who of ['bob', 'carol'] as const) {
      const p = page[who];
      const room = p.getByRole('region', { name: 'Room standup' });
      // the history (XEP-0045 §7.2.15), with the sender's nickname
      await room.getByRole('log').getByText('Stand-up in five').waitFor();
      await room.getByRole('complementary', { name: 'Occupants' }).getByText(`${who} (you)`).waitFor();
    }
    const occupants = aliceRoom.getByRole('complementary', { name: 'Occupants' });
    for (const who of ['bob', 'carol']) await occupants.getByText(who, { exact: true }).waitFor();
    await page.bob.getByRole('textbox', { name: 'Message to the room' }).fill('On my way');
    await page.bob.getByRole('textbox', { name: 'Message to the room' }).press('Enter');
    await aliceRoom.getByRole('log').getByText('On my way').waitFor();
    await page.carol.getByRole('region', { name: 'Room standup' }).getByRole('log').getByText('On my way').waitFor();
    await shot('alice', 'rooms-desktop');
    await shot('bob', 'rooms-mobile');
    await shot('carol', 'rooms-tablet');
  });

  it('files in the room: attached, pasted and dropped (XEP-0363 + XEP-0066), shown inline at the others; one over the limit refused', async () => {
    const log = (who: Who) => page[who].getByRole('region', { name: 'Room standup' }).getByRole('log');
    const loaded = (img: ReturnType<Page['getByRole']>) =>
      untilValue(() => img.evaluate((el: HTMLImageElement) => ({ w: el.naturalWidth, h: el.naturalHeight })), (v) => v.w > 0, 'the image to load');
    // alice attaches an image with the button's file picker
    await page.alice.getByRole('region', { name: 'Room standup' }).locator('input[type=file]')
      .setInputFiles({ name: 'whiteboard.png', mimeType: 'image/png', buffer: tinyPng(48, 32) });
    for (const who of ['bob', 'carol'] as const) {
      const img = log(who).getByRole('img', { name: 'whiteboard.png' });
      await img.waitFor();
      assert.deepEqual(await loaded(img), { w: 48, h: 32 }, `${who} sees alice's picture`);
    }
    // alice's own log shows it once: the room's echo takes the place of the upload
    await untilValue(() => log('alice').getByRole('img', { name: 'whiteboard.png' }).count(), (n) => n === 1, 'one picture in alice\'s log');
    // bob pastes a screenshot into the room's message field on his phone
    await page.bob.getByRole('textbox', { name: 'Message to the room' }).evaluate((el, b64) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'screenshot.png', { type: 'image/png' }));
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, tinyPng(20, 10).toString('base64'));
    assert.deepEqual(await loaded(log('alice').getByRole('img', { name: 'screenshot.png' })), { w: 20, h: 10 });
    // carol drops a document on the room's log: a download card, the same bytes
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(3000, 0x42)]);
    const dt = await page.carol.evaluateHandle((b64) => {
      const d = new DataTransfer();
      d.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'agenda.pdf', { type: 'application/pdf' }));
      return d;
    }, pdf.toString('base64'));
    for (const ev of ['dragenter', 'dragover', 'drop']) await log('carol').dispatchEvent(ev, { dataTransfer: dt });
    const card = log('alice').getByRole('link', { name: /agenda\.pdf/ });
    await card.waitFor();
    assert.match(await card.textContent() ?? '', /Download/);
    const res = await fetch((await card.getAttribute('href'))!);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(pdf), 'the card links to the dropped bytes');
    // over the server's limit (upload.maxBytes): said before anything is uploaded or sent
    await page.bob.getByRole('region', { name: 'Room standup' }).locator('input[type=file]')
      .setInputFiles({ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(300_000, 7) });
    await page.bob.getByRole('alert').filter({ hasText: 'This file is 293 kB; your server accepts files up to 195 kB.' }).waitFor();
    assert.equal(await log('alice').getByText('huge.bin').count(), 0, 'nothing of it reached the room');
    await shot('bob', 'rooms-files-mobile');
    await shot('alice', 'rooms-files-desktop');
  });

  it('all three join the call and each plays the two others\' video', async () => {
    await Promise.all(PEOPLE.map(async (who) => {
      await page[who].getByRole('button', { name: 'Join call' }).click();
      await page[who].getByRole('dialog', { name: 'Call in standup' }).waitFor();
    }));
    const others = (who: Who) => PEOPLE.filter((x) => x !== who).map((x) => `Video of ${x}`);
    const first = {} as Record<Who, Awaited<ReturnType<typeof remoteTiles>>>;
    for (const who of PEOPLE) {
      first[who] = await untilValue(() => remoteTiles(page[who]),
        (t) => t.videos.length === 2 && t.videos.every((v) => v.width > 0 && v.time > 0), `${who}'s two remote videos`, 30_000);
      assert.deepEqual(first[who].videos.map((v) => v.label), others(who), `${who}: tiles named after the owners`);
    }
    // Then both keep playing: currentTime advances, and inbound video and audio bytes grow.
    for (const who of PEOPLE) {
      const was = first[who];
      await untilValue(() => remoteTiles(page[who]), (t) => t.videos.length === 2
        && t.videos.every((v, i) => v.width > 0 && v.label === was.videos[i]!.label && v.time > was.videos[i]!.time)
        && t.bytes.video > was.bytes.video && t.bytes.audio > was.bytes.audio, `${who}'s two videos to keep playing after ${JSON.stringify(was)}`);
    }
  });

  it('mute shows on the others\' tiles; an invitation carries XEP-0249 and XEP-0482', async () => {
    await page.bob.getByRole('button', { name: 'Mute' }).click();
    for (const who of ['alice', 'carol'] as const) {
      await page[who].getByRole('figure', { name: 'bob, muted' }).waitFor();
    }
    const a = page.alice;
    await a.getByRole('button', { name: 'Invite', exact: true }).click();
    await a.getByRole('dialog', { name: 'Invite to the call' }).getByLabel('Address').fill('dave@localhost');
    await a.getByRole('button', { name: 'Send invite' }).click();
    await a.getByText('Invitation sent to dave@localhost').waitFor();
    await shot('alice', 'group-call-invite');
    const msg = await untilValue(() => daveInvites.find((m) => m.getChild('invite', 'urn:xmpp:call-invites:0')), (m) => !!m, 'dave\'s invitation');
    assert.equal(msg!.getChild('x', 'jabber:x:conference')?.attrs.jid, ROOM, 'XEP-0249 direct invitation to the room');
    const ci = msg!.getChild('invite', 'urn:xmpp:call-invites:0')!;
    assert.equal(ci.getChild('jingle')?.attrs.jid, ROOM, 'XEP-0482 invite names the room as the Jingle endpoint');
    assert.equal(ci.attrs.video, 'true');
    await a.getByRole('button', { name: 'Done' }).click();
    await page.bob.getByRole('button', { name: 'Unmute' }).click();
    await page.alice.getByRole('figure', { name: 'bob' , exact: true }).waitFor();
    await shot('alice', 'group-call-desktop');
    await shot('bob', 'group-call-mobile');
    await shot('carol', 'group-call-tablet');
  });

  it('one leaves the call and the others drop to one remote tile', async () => {
    await page.carol.getByRole('button', { name: 'Leave call' }).click();
    await page.carol.getByRole('dialog', { name: 'Call in standup' }).waitFor({ state: 'detached' });
    for (const who of ['alice', 'bob'] as const) {
      const t = await untilValue(() => remoteTiles(page[who]), (x) => x.videos.length === 1, `${who} down to one tile`);
      assert.deepEqual(t.videos.map((v) => v.label), [`Video of ${who === 'alice' ? 'bob' : 'alice'}`]);
    }
    // the call goes on between the two
    const before = await remoteTiles(page.alice);
    await untilValue(() => remoteTiles(page.alice), (t) => t.videos.length === 1 && t.videos[0]!.time > before.videos[0]!.time, 'alice still playing bob');
    await shot('alice', 'group-call-two');
    // leaving the room ends the room for carol and updates the occupants of the others
    await page.carol.getByRole('button', { name: 'Leave room' }).click();
    await page.alice.getByRole('complementary', { name: 'Occupants' }).getByText('carol', { exact: true }).waitFor({ state: 'detached' });
  });

  it('an invitation from the call screen brings someone back into the call', async () => {
    const a = page.alice;
    await a.getByRole('button', { name: 'Invite', exact: true }).click();
    await a.getByRole('dialog', { name: 'Invite to the call' }).getByLabel('Address').fill('carol@localhost');
    await a.getByRole('button', { name: 'Send invite' }).click();
    await a.getByRole('button', { name: 'Done' }).click();
    const c = page.carol;
    await c.getByRole('region', { name: 'Invitations' }).getByText('invites you to a call in').waitFor();
    await shot('carol', 'rooms-invitation');
    await c.getByRole('button', { name: 'Join call in standup' }).click();
    await c.getByRole('dialog', { name: 'Call in standup' }).waitFor();
    for (const who of PEOPLE) {
      await untilValue(() => remoteTiles(page[who]), (t) => t.videos.length === 2 && t.videos.every((v) => v.width > 0), `${who} back to two remote videos`);
    }
    await a.getByRole('button', { name: 'Leave call' }).click();
    await c.getByRole('button', { name: 'Leave call' }).click();
    await page.bob.getByText('Waiting for others to join.', { exact: false }).waitFor();
    await shot('bob', 'group-call-alone-mobile');
  });
});
