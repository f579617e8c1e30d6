// The web client for everyday use, against Carillon's own server: links, several-line messages,
// the unread count and notifications while the page is hidden, a stranger's message in Requests
// (Block stops the next one), and layouts that never scroll sideways at 360 px or 1,280 px.
// alice uses a desktop browser (1,280 px, light), carol a phone (360 px, dark); bob and mallory
// are independent XMPP clients (@xmpp/client) over WebSocket.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { client as xmppClient, xml } from '@xmpp/client';
import { WebSocket } from 'ws';
import { startCarillon, type Carillon } from '../../server/index.js';
import { tinyPng } from './support/png.js';
import { launchChromium } from './support/chromium.js';
import { assertNoSideScroll } from './support/layout.js';
import { untilValue } from '../support/until.js';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const SHOTS = fileURLToPath(new URL('../../.tmp/e2e-screenshots/daily-driver', import.meta.url));
const LONG_URL = `https://example.org/${'a-very-long-path-segment-'.repeat(14)}end?q=${'x'.repeat(60)}`;

type Client = ReturnType<typeof xmppClient>;

// Recorded notifications and a page visibility the test controls (the page cannot be hidden in headless chromium).
// (A string: functions compiled for Node carry helpers the page does not have.)
const INIT = `
  globalThis.__shown = [];
  globalThis.__hidden = false;
  class FakeNotification {
    static permission = 'granted';
    static requestPermission() { return Promise.resolve('granted'); }
    constructor(title, opts) { this.onclick = null; globalThis.__shown.push({ title, body: opts && opts.body }); }
    close() {}
  }
  Object.defineProperty(globalThis, 'Notification', { value: FakeNotification, configurable: true });
  Object.defineProperty(document, 'visibilityState', { get: () => (globalThis.__hidden ? 'hidden' : 'visible'), configurable: true });
  Object.defineProperty(document, 'hidden', { get: () => globalThis.__hidden, configurable: true });
`;

describe('web client for everyday use', function () {
  this.timeout(60_000);
  let srv: Carillon;
  let dataDir: string;
  let browser: Browser;
  let alice: Page;
  let carol: Page;
  let bob: Client;
  let mallory: Client | undefined;
  const errors: string[] = [];
  const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });

  const xmpp = async (user: string): Promise<Client> => {
    const c = xmppClient({ service: `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, domain: 'localhost', username: user, password: `${user}-pass` });
    c.on('error', () => undefined);
    c.reconnect.stop();
    await c.start();
    await c.send(xml('presence'));
    return c;
  };

  const signIn = async (p: Page, who: string) => {
    await p.goto(`http://127.0.0.1:${srv.ports.http}/`);
    await assertNoSideScroll(p, `${who}: sign-in`);
    await shot(p, `${who}-sign-in`);
    await p.getByLabel('Address').fill(`${who}@localhost`);
    await p.getByLabel('Password').fill(`${who}-pass`);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('region', { name: 'Contacts' }).waitFor();
  };

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'carillon-daily-'));
    srv = await startCarillon({ domain: 'localhost', dataDir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: null }, s2s: { port: null }, components: { port: 0 }, call: { enabled: true }, registration: { open: true }, upload: { maxBytes: 200_000 }, log: { level: 'warn' } });
    for (const u of ['alice', 'carol', 'bob', 'mallory']) await srv.users.add(u, `${u}-pass`);
    browser = await launchChromium();
    const desk = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const phone = await browser.newContext({ viewport: { width: 360, height: 720 }, isMobile: true, hasTouch: true, colorScheme: 'dark' });
    for (const c of [desk, phone]) {
      c.setDefaultTimeout(15_000);
      await c.addInitScript({ content: INIT });
    }
    alice = await desk.newPage();
    carol = await phone.newPage();
    for (const [who, p] of [['alice', alice], ['carol', carol]] as const) p.on('pageerror', (e) => errors.push(`${who}: ${e.message}`));
    await signIn(alice, 'alice');
    await signIn(carol, 'carol');
    bob = await xmpp('bob');
  });

  after(async () => {
    await Promise.all([bob, mallory].map((c) => c?.stop().catch(() => undefined)));
    await browser?.close();
    await srv?.close();
    rmSync(dataDir, { recursive: true, force: true });
    console.log(`      screenshots: ${SHOTS}`);
  });

  afterEach(() => assert.deepEqual(errors.splice(0), [], 'no uncaught errors in the pages'));

  it('shows a contact request without widening the phone page, and becomes contacts', async () => {
    for (const [who, p] of [['alice', alice], ['carol', carol]] as const) {
      await bob.send(xml('presence', { to: `${who}@localhost`, type: 'subscribe' }));
      const request = p.getByRole('list', { name: 'Contact requests' });
      await request.getByRole('button', { name: 'Accept bob@localhost' }).waitFor();
      await assertNoSideScroll(p, `${who}: contacts with a request`);
      await shot(p, `${who}-contact-request`);
      // bob approves the subscription back when asked (RFC 6121 §3.1)
      const asked = new Promise<void>((resolve) => {
        const on = (st: { is(n: string): boolean; attrs: Record<string, string> }) => {
          if (st.is('presence') && st.attrs.type === 'subscribe' && st.attrs.from?.startsWith(`${who}@localhost`)) {
            bob.off('stanza', on);
            void bob.send(xml('presence', { to: `${who}@localhost`, type: 'subscribed' })).then(() => resolve());
          }
        };
        bob.on('stanza', on);
      });
      await request.getByRole('button', { name: 'Accept bob@localhost' }).click();
      await asked;
      await p.getByRole('button', { name: /^bob, Available/ }).waitFor();
    }
  });

  it('makes addresses clickable links that open safely, and long ones wrap at 360 px', async () => {
    for (const who of ['alice', 'carol']) {
      await bob.send(xml('message', { to: `${who}@localhost`, type: 'chat', id: `url-${who}` }, xml('body', {}, `Look at ${LONG_URL} and javascript:alert(1) too.`)));
    }
    for (const [who, p] of [['alice', alice], ['carol', carol]] as const) {
      await p.getByRole('button', { name: /^bob, / }).click();
      const log = p.getByRole('log', { name: 'Messages' });
      const link = log.getByRole('link', { name: LONG_URL });
      await link.waitFor();
      assert.equal(await link.getAttribute('href'), LONG_URL);
      assert.equal(await link.getAttribute('target'), '_blank');
      assert.match((await link.getAttribute('rel')) ?? '', /noopener/);
      assert.equal(await log.getByRole('link').count(), 1, 'javascript: is text, not a link');
      await assertNoSideScroll(p, `${who}: chat with a long URL`);
      await shot(p, `${who}-chat-long-url`);
    }
  });

  it('sends several lines with Shift+Enter and sends on Enter', async () => {
    const got = new Promise<string>((resolve) => {
      const on = (st: { is(n: string): boolean; getChildText(n: string): string | null; attrs: Record<string, string> }) => {
        const body = st.is('message') ? st.getChildText('body') : null;
        if (body && st.attrs.from?.startsWith('carol@localhost')) {
          bob.off('stanza', on);
          resolve(body);
        }
      };
      bob.on('stanza', on);
    });
    const input = carol.getByRole('textbox', { name: 'Message' });
    await input.pressSequentially('first line');
    await input.press('Shift+Enter');
    await input.pressSequentially('second line');
    await input.press('Enter');
    assert.equal(await got, 'first line\nsecond line');
    assert.equal(await input.inputValue(), '');
    await carol.getByRole('log', { name: 'Messages' }).getByText('second line').waitFor();
  });

  it('counts unread messages in the title and notifies while the page is hidden', async () => {
    // alice goes back to her contacts and puts the page in the background
    await alice.evaluate(() => {
      (globalThis as unknown as { carillon: { messages: { open(p?: string): void } } }).carillon.messages.open(undefined);
      (globalThis as unknown as { __hidden: boolean }).__hidden = true;
    });
    await bob.send(xml('message', { to: 'alice@localhost', type: 'chat', id: 'while-hidden-1' }, xml('body', {}, 'Are you there?')));
    await untilValue(() => alice.title(), (t) => t === '(1) Carillon', 'the page title');
    const shown = await untilValue(() => alice.evaluate(() => (globalThis as unknown as { __shown: { title: string; body?: string }[] }).__shown), (s) => s.length === 1, 'one notification');
    assert.deepEqual(shown, [{ title: 'bob', body: 'Are you there?' }]);
    await bob.send(xml('message', { to: 'alice@localhost', type: 'chat', id: 'while-hidden-2' }, xml('body', {}, 'Hello?')));
    await untilValue(() => alice.title(), (t) => t === '(2) Carillon', 'the page title');
    // back in front, reading the conversation clears the count
    await alice.evaluate(() => {
      (globalThis as unknown as { __hidden: boolean }).__hidden = false;
    });
    await alice.getByRole('button', { name: /^bob, / }).click();
    await untilValue(() => alice.title(), (t) => t === 'Carillon', 'the page title');
  });

  it('an invitation to a room shows as a notice over the open view, notifies while hidden, and Join enters the room', async () => {
    await alice.evaluate(() => {
      (globalThis as unknown as { __shown: unknown[] }).__shown.length = 0;
      (globalThis as unknown as { __hidden: boolean }).__hidden = true;
    });
    // XEP-0249 Example 1: a direct invitation, from a contact on an independent client
    await bob.send(xml('message', { to: 'alice@localhost', id: 'invite-1' },
      xml('x', { xmlns: 'jabber:x:conference', jid: 'lunch@call.localhost', reason: 'Where shall we eat?' })));
    const shown = await untilValue(() => alice.evaluate(() => (globalThis as unknown as { __shown: { title: string; body?: string }[] }).__shown), (s) => s.length === 1, 'a notification');
    assert.deepEqual(shown, [{ title: 'bob', body: 'invites you to lunch' }]);
    await alice.evaluate(() => { (globalThis as unknown as { __hidden: boolean }).__hidden = false; });
    // the rooms list is closed: the invitation is a notice over the contacts, not only a badge
    const notice = alice.getByRole('region', { name: 'Invitation' });
    await notice.getByText('Where shall we eat?', { exact: false }).waitFor();
    await assertNoSideScroll(alice, 'alice: an invitation notice');
    await shot(alice, 'alice-invitation-notice');
    await notice.getByRole('button', { name: 'Join lunch' }).click();
    await alice.getByRole('region', { name: 'Room lunch' }).waitFor();
    await notice.waitFor({ state: 'detached' });
    await alice.getByRole('button', { name: 'Leave room' }).click();
    await alice.getByRole('button', { name: 'Rooms', exact: true }).click();
    await alice.getByRole('region', { name: 'Contacts' }).waitFor();
  });

  it("shows a stranger's message in Requests, and Block stops the next one", async () => {
    mallory = await xmpp('mallory');
    await mallory.send(xml('message', { to: 'alice@localhost', type: 'chat', id: 'stranger-1' }, xml('body', {}, 'Hi, we met at the conference')));
    const requests = alice.getByRole('region', { name: 'Message requests' });
    await requests.getByText('Hi, we met at the conference').waitFor();
    await assertNoSideScroll(alice, 'alice: message requests');
    await shot(alice, 'alice-message-requests');
    // the same on the phone
    await mallory.send(xml('message', { to: 'carol@localhost', type: 'chat', id: 'stranger-2' }, xml('body', {}, 'Hello carol')));
    await carol.getByRole('button', { name: 'Back to contacts' }).click();
    await carol.getByRole('region', { name: 'Message requests' }).getByRole('button', { name: 'Block mallory@localhost' }).waitFor();
    await assertNoSideScroll(carol, 'carol: message requests');
    await shot(carol, 'carol-message-requests');

    await requests.getByRole('button', { name: 'Block mallory@localhost' }).click();
    await requests.waitFor({ state: 'detached' });
    // mallory's next message is refused by the server (XEP-0191 §3.5), and nothing reaches alice
    const refused = new Promise<string>((resolve) => {
      mallory!.on('stanza', (st: { is(n: string): boolean; attrs: Record<string, string>; getChild(n: string): { children: { name?: string }[] } | undefined }) => {
        if (st.is('message') && st.attrs.type === 'error' && st.attrs.id === 'stranger-3') resolve(st.getChild('error')?.children[0]?.name ?? '');
      });
    });
    await mallory.send(xml('message', { to: 'alice@localhost', type: 'chat', id: 'stranger-3' }, xml('body', {}, 'Why did you block me')));
    assert.equal(await refused, 'service-unavailable');
    // a later message from bob arrives, so anything from mallory before it would have too
    await bob.send(xml('message', { to: 'alice@localhost', type: 'chat', id: 'after-block' }, xml('body', {}, 'Marker after the block')));
    await alice.getByRole('log', { name: 'Messages' }).getByText('Marker after the block').waitFor();
    assert.equal(await alice.getByText('Why did you block me').count(), 0);
    assert.equal(await alice.getByRole('region', { name: 'Message requests' }).count(), 0);
  });

  it('sets status, nickname and password in Settings, and renames a contact', async () => {
    for (const [who, p] of [['alice', alice], ['carol', carol]] as const) {
      if (who === 'carol') await carol.getByRole('button', { name: 'Close rooms' }).click().catch(() => undefined);
      await p.getByRole('button', { name: 'Settings' }).click();
      await p.getByRole('region', { name: 'Settings' }).waitFor();
      await assertNoSideScroll(p, `${who}: settings`);
      await shot(p, `${who}-settings`);
    }
    // away with a status message: bob, a contact, sees it (RFC 6121 §4.7)
    const seen = new Promise<{ show?: string; status?: string }>((resolve) => {
      const on = (st: { is(n: string): boolean; attrs: Record<string, string>; getChildText(n: string): string | null }) => {
        if (st.is('presence') && st.attrs.from?.startsWith('alice@localhost/') && st.getChildText('show') === 'away' && st.getChildText('status')) {
          bob.off('stanza', on);
          resolve({ show: st.getChildText('show') ?? undefined, status: st.getChildText('status') ?? undefined });
        }
      };
      bob.on('stanza', on);
    });
    const settings = alice.getByRole('region', { name: 'Settings' });
    await settings.getByLabel('Status message').fill('In a meeting until 3');
    await settings.getByRole('radio', { name: 'Away' }).check();
    assert.deepEqual(await seen, { show: 'away', status: 'In a meeting until 3' });
    await settings.getByRole('textbox', { name: 'Nickname' }).fill('Alice Liddell');
    await settings.getByRole('button', { name: 'Save nickname' }).click();
    await settings.getByRole('status').filter({ hasText: 'Nickname saved.' }).waitFor();
    await alice.getByRole('button', { name: 'Settings' }).getByText('Alice Liddell').waitFor();
    // a new password: an independent client signs in with it, and not with the old one
    await settings.getByRole('textbox', { name: 'New password', exact: true }).fill('alice-new-pass');
    await settings.getByRole('textbox', { name: 'New password again' }).fill('alice-new-pass');
    await settings.getByRole('button', { name: 'Change password' }).click();
    await settings.getByRole('status').filter({ hasText: 'Password changed.' }).waitFor();
    const phone = xmppClient({ service: `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, domain: 'localhost', username: 'alice', password: 'alice-new-pass', resource: 'phone' });
    phone.on('error', () => undefined);
    phone.reconnect.stop();
    await phone.start();
    await phone.stop();
    // rename bob
    await alice.getByRole('button', { name: 'Close settings' }).click();
    await alice.getByRole('button', { name: /^bob, / }).click();
    await alice.getByRole('button', { name: 'Rename contact' }).click();
    await alice.getByRole('form', { name: 'Rename contact' }).getByRole('textbox').fill('Bobby Tables');
    await alice.getByRole('form', { name: 'Rename contact' }).getByRole('button', { name: 'Save' }).click();
    await alice.getByRole('button', { name: /^Bobby Tables, / }).waitFor();
    await carol.getByRole('button', { name: 'Close settings' }).click();
  });

  it('creates an account from the sign-in page, and says so when the name is taken', async () => {
    const p = await browser.newPage({ viewport: { width: 360, height: 720 } });
    p.on('pageerror', (e) => errors.push(`dave: ${e.message}`));
    await p.goto(`http://127.0.0.1:${srv.ports.http}/`);
    await p.getByRole('button', { name: 'Create account' }).click();
    await assertNoSideScroll(p, 'create account');
    await shot(p, 'create-account');
    await p.getByLabel('Address').fill('alice@localhost');
    await p.getByLabel('Password').fill('whatever-pass');
    await p.getByRole('button', { name: 'Create account' }).click();
    await p.getByRole('alert').filter({ hasText: 'That name is taken on this server. Choose another.' }).waitFor();
    await p.getByLabel('Address').fill('dave@localhost');
    await p.getByLabel('Password').fill('dave-new-pass');
    await p.getByRole('button', { name: 'Create account' }).click();
    await p.getByRole('region', { name: 'Contacts' }).waitFor();
    assert.ok(srv.server.storage.users.exists('dave'));
    await p.close();
  });

  it('sends an image that shows inline in the other browser, and refuses a file over the limit before uploading', async () => {
    // alice and carol become contacts through the UI
    await alice.getByRole('button', { name: 'Add contact' }).click();
    await alice.getByLabel('Contact address').fill('carol@localhost');
    await alice.getByRole('button', { name: 'Send request' }).click();
    await carol.getByRole('button', { name: 'Accept alice@localhost' }).click();
    await alice.getByRole('button', { name: /^carol, Available/ }).click();
    const png = tinyPng(48, 32);
    await alice.locator('input[type=file]').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: png });
    // carol sees it inline
    await carol.getByRole('button', { name: /^alice, / }).click();
    const img = carol.getByRole('log', { name: 'Messages' }).getByRole('img', { name: 'sunset.png' });
    await img.waitFor();
    const size = await untilValue(() => img.evaluate((el: HTMLImageElement) => ({ w: el.naturalWidth, h: el.naturalHeight })), (v) => v.w > 0, 'the image to load');
    assert.deepEqual(size, { w: 48, h: 32 });
    await alice.getByRole('log', { name: 'Messages' }).getByRole('img', { name: 'sunset.png' }).waitFor();
    await assertNoSideScroll(carol, 'carol: chat with an image');
    await shot(carol, 'carol-chat-image');
    // the server's limit (upload.maxBytes, 200000 here) is named before anything is uploaded
    await alice.locator('input[type=file]').setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(300_000, 7) });
    await alice.getByRole('alert').filter({ hasText: 'This file is 293 kB; your server accepts files up to 195 kB.' }).waitFor();
    assert.equal(await alice.getByRole('log', { name: 'Messages' }).getByText('big.bin').count(), 0, 'no upload line for a refused file');
  });

  it('a pasted image and a dropped file are uploaded and shown at the other side (inline, and as a card)', async () => {
    // alice and carol are in their conversation (the test before); a screenshot pasted into the
    // message field: a ClipboardEvent whose DataTransfer holds a PNG file, as a browser builds it
    const png = tinyPng(20, 10);
    await alice.getByRole('textbox', { name: 'Message', exact: true }).evaluate((el, b64) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'pasted.png', { type: 'image/png' }));
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, png.toString('base64'));
    const img = carol.getByRole('log', { name: 'Messages' }).getByRole('img', { name: 'pasted.png' });
    await img.waitFor();
    const size = await untilValue(() => img.evaluate((el: HTMLImageElement) => ({ w: el.naturalWidth, h: el.naturalHeight })), (v) => v.w > 0, 'the pasted image to load');
    assert.deepEqual(size, { w: 20, h: 10 });
    assert.equal(await alice.getByRole('textbox', { name: 'Message', exact: true }).inputValue(), '', 'the paste put no text in the field');

    // a file dragged from the desktop and dropped on the conversation
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(2000, 0x41)]);
    const dt = await alice.evaluateHandle((b64) => {
      const d = new DataTransfer();
      d.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'notes.pdf', { type: 'application/pdf' }));
      return d;
    }, pdf.toString('base64'));
    const log = alice.getByRole('log', { name: 'Messages' });
    await log.dispatchEvent('dragenter', { dataTransfer: dt });
    await log.dispatchEvent('dragover', { dataTransfer: dt });
    await log.dispatchEvent('drop', { dataTransfer: dt });
    const card = carol.getByRole('log', { name: 'Messages' }).getByRole('link', { name: /notes\.pdf/ });
    await card.waitFor();
    assert.match(await card.textContent() ?? '', /Download/, 'a download card');
    assert.equal(await card.locator('img').count(), 0, 'not shown as an image');
    // what carol's card links to is the file alice dropped, byte for byte
    const res = await fetch((await card.getAttribute('href'))!);
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(pdf), 'the uploaded bytes are the dropped file');
    await shot(carol, 'carol-chat-pasted-dropped');
  });

  it('keeps the rooms view and a room within the window at both widths', async () => {
    await carol.getByRole('button', { name: 'Back to contacts' }).click();
    for (const [who, p] of [['alice', alice], ['carol', carol]] as const) {
      await p.getByRole('button', { name: 'Rooms', exact: true }).click();
      await p.getByRole('region', { name: 'Rooms view' }).waitFor();
      await assertNoSideScroll(p, `${who}: rooms`);
      await shot(p, `${who}-rooms`);
      await p.getByLabel('Room', { exact: true }).fill('everyday');
      await p.getByLabel('Room', { exact: true }).press('Enter');
      const room = p.getByRole('region', { name: 'Room everyday' });
      await room.getByRole('complementary', { name: 'Occupants' }).getByText(`${who} (you)`).waitFor();
      await p.getByRole('textbox', { name: 'Message to the room' }).fill(`${who} says ${LONG_URL}`);
      await p.getByRole('button', { name: 'Send to room' }).click();
      await room.getByRole('log').getByRole('link', { name: LONG_URL }).first().waitFor();
      await assertNoSideScroll(p, `${who}: room with a long URL`);
      await shot(p, `${who}-room`);
    }
  });
});
