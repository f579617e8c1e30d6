// The web client's look, view by view: sign-in, contacts with a request pending, a chat with a long
// URL and a long word, message requests, rooms, a room, a 1:1 call screen, a group call screen and
// settings, each at 360 px and 1,280 px wide in light and dark. No view may scroll sideways and its
// main controls must be on screen. Screenshots go to .tmp/e2e-screenshots/layout/<view>-<width>-<theme>.png.
// Also: an upload cancelled while its progress bar shows sends nothing and leaves no file on the server.
// bob and mallory are independent XMPP clients (@xmpp/client) over WebSocket.
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Locator, Page, Route } from 'playwright-core';
import { client as xmppClient, xml } from '@xmpp/client';
import type { Element } from 'ltx';
import { WebSocket } from 'ws';
import { startCarillon, type Carillon } from '../../server/index.js';
import { launchChromium } from './support/chromium.js';
import { assertNoSideScroll, assertOnScreen } from './support/layout.js';
import { freePortRange } from '../support/ports.js';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const SHOTS = fileURLToPath(new URL('../../.tmp/e2e-screenshots/layout', import.meta.url));
const LONG_URL = `https://example.org/${'a-very-long-path-segment-'.repeat(14)}end?q=${'x'.repeat(60)}`;
const LONG_WORD = `Supercalifragilistic${'expialidocious'.repeat(8)}`;
const WIDTHS = [360, 1280] as const;
const THEMES = ['light', 'dark'] as const;

type Client = ReturnType<typeof xmppClient>;

describe('web client layout at 360 px and 1,280 px, light and dark', function () {
  this.timeout(120_000);
  let srv: Carillon;
  let dataDir: string;
  let browser: Browser;
  let alice: Page;
  let bob: Client;
  let mallory: Client | undefined;
  const toBob: Element[] = [];
  const errors: string[] = [];
  const base = () => `http://127.0.0.1:${srv.ports.http}/`;

  /** Shows a view at every width and theme: no side scroll, its controls on screen, a screenshot. */
  const checkView = async (view: string, controls: (width: number) => Array<[string, Locator]>) => {
    for (const width of WIDTHS) {
      await alice.setViewportSize({ width, height: width === 360 ? 720 : 800 });
      for (const colorScheme of THEMES) {
        await alice.emulateMedia({ colorScheme });
        for (const [what, control] of controls(width)) await assertOnScreen(alice, control, `${view} at ${width} px (${colorScheme}): ${what}`);
        await assertNoSideScroll(alice, `${view} at ${width} px (${colorScheme})`);
        await alice.screenshot({ path: join(SHOTS, `${view}-${width}-${colorScheme}.png`) });
      }
    }
  };
  const byRole = (role: Parameters<Page['getByRole']>[0], name: string | RegExp, exact = true) => alice.getByRole(role, { name, exact });

  const xmpp = async (user: string): Promise<Client> => {
    const c = xmppClient({ service: `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, domain: 'localhost', username: user, password: `${user}-pass`, resource: 'x' });
    c.on('error', () => undefined);
    c.reconnect.stop();
    await c.start();
    await c.send(xml('presence'));
    return c;
  };

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'carillon-layout-'));
    const media = await freePortRange(200);
    srv = await startCarillon({
      domain: 'localhost', dataDir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: null },
      s2s: { port: null }, components: { port: 0 }, call: { media: { ...media, publicAddress: null } },
      upload: { maxBytes: 5_000_000 }, log: { level: 'warn' },
    });
    for (const u of ['alice', 'bob', 'mallory']) await srv.users.add(u, `${u}-pass`);
    browser = await launchChromium();
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctx.setDefaultTimeout(20_000);
    alice = await ctx.newPage();
    alice.on('pageerror', (e) => errors.push(e.message));
    bob = await xmpp('bob');
    // bob says he can take Jingle audio and video calls (XEP-0030, XEP-0167 §11), so alice's client rings him
    bob.iqCallee.get('http://jabber.org/protocol/disco#info', 'query', () => xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' },
      ...['urn:xmpp:jingle:1', 'urn:xmpp:jingle:apps:rtp:1', 'urn:xmpp:jingle:apps:rtp:audio', 'urn:xmpp:jingle:apps:rtp:video', 'urn:xmpp:jingle-message:0'].map((v) => xml('feature', { var: v }))));
    bob.on('stanza', (st: Element) => {
      if (st.is('message') && st.getChild('body')) toBob.push(st);
      // bob approves alice's subscription back when asked (RFC 6121 §3.1)
      if (st.is('presence') && st.attrs.type === 'subscribe') void bob.send(xml('presence', { to: st.attrs.from, type: 'subscribed' }));
    });
  });

  after(async () => {
    await Promise.all([bob, mallory].map((c) => c?.stop().catch(() => undefined)));
    await browser?.close();
    await srv?.close();
    rmSync(dataDir, { recursive: true, force: true });
    console.log(`      screenshots: ${SHOTS}`);
  });

  afterEach(async function () {
    // what the page showed when a view failed, to see why
    if (this.currentTest?.state === 'failed') await alice.screenshot({ path: join(SHOTS, `failed-${this.currentTest.title.replace(/[^a-z0-9]+/gi, '-')}.png`) }).catch(() => undefined);
    assert.deepEqual(errors.splice(0), [], 'no uncaught errors in the page');
  });

  it('sign-in', async () => {
    await alice.goto(base());
    await checkView('sign-in', () => [['Address', alice.getByLabel('Address')], ['Password', alice.getByLabel('Password')], ['Sign in', byRole('button', 'Sign in')]]);
    await alice.getByLabel('Address').fill('alice@localhost');
    await alice.getByLabel('Password').fill('alice-pass');
    await byRole('button', 'Sign in').click();
    await byRole('region', 'Contacts').waitFor();
  });

  it('contacts with a contact request pending', async () => {
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
    const requests = byRole('list', 'Contact requests');
    await checkView('contacts-request', () => [
      ['Accept', requests.getByRole('button', { name: 'Accept bob@localhost' })],
      ['Deny', requests.getByRole('button', { name: /^(Deny|Decline|Refuse) bob@localhost/ })],
      ['Add contact', byRole('button', 'Add contact')],
      ['Settings', byRole('button', 'Settings', false)],
    ]);
    await requests.getByRole('button', { name: 'Accept bob@localhost' }).click();
    await byRole('button', /^bob, Available/).waitFor();
  });

  it('a chat with a long URL and a long word', async () => {
    await bob.send(xml('message', { to: 'alice@localhost', type: 'chat', id: 'long-1' }, xml('body', {}, `Look at ${LONG_URL} please`)));
    await bob.send(xml('message', { to: 'alice@localhost', type: 'chat', id: 'long-2' }, xml('body', {}, LONG_WORD)));
    await byRole('button', /^bob, /).click();
    const log = byRole('log', 'Messages');
    await log.getByText(LONG_WORD).waitFor();
    await checkView('chat', () => [
      ['the link', log.getByRole('link', { name: LONG_URL })],
      ['Message', byRole('textbox', 'Message')],
      ['Send', byRole('button', 'Send')],
      ['Audio call', byRole('button', 'Audio call')],
      ['Video call', byRole('button', 'Video call')],
    ]);
  });

  it('the 1:1 call screen', async () => {
    await byRole('button', 'Audio call').click();
    const call = byRole('dialog', 'Call with bob');
    await call.getByText(/^(Calling|Ringing)…$/).waitFor();
    await checkView('call', () => [['Hang up', call.getByRole('button', { name: 'Hang up' })], ['Mute', call.getByRole('button', { name: 'Mute' })]]);
    await call.getByRole('button', { name: 'Hang up' }).click();
    await alice.getByRole('status').filter({ hasText: 'Call cancelled' }).waitFor();
    await byRole('button', 'Close').click();
  });

  it("message requests (a stranger's message)", async () => {
    // back to the list (on a phone the open chat covers it)
    await alice.evaluate(() => (globalThis as unknown as { carillon: { messages: { open(p?: string): void } } }).carillon.messages.open(undefined));
    mallory = await xmpp('mallory');
    await mallory.send(xml('message', { to: 'alice@localhost', type: 'chat', id: 'stranger-1' }, xml('body', {}, 'Hi, we met at the conference')));
    const requests = byRole('region', 'Message requests');
    await requests.getByText('Hi, we met at the conference').waitFor();
    await checkView('requests', () => ['Accept', 'Block', 'Ignore'].map((b) => [b, requests.getByRole('button', { name: `${b} mallory@localhost` })]));
  });

  it('settings', async () => {
    await byRole('button', 'Settings').click();
    const settings = byRole('region', 'Settings');
    await settings.waitFor();
    await checkView('settings', () => [['Close settings', byRole('button', 'Close settings')], ['Nickname', settings.getByRole('textbox', { name: 'Nickname' })], ['Save nickname', settings.getByRole('button', { name: 'Save nickname' })]]);
    await byRole('button', 'Close settings').click();
  });

  it('rooms, a room and its group call screen', async () => {
    await alice.setViewportSize({ width: 1280, height: 800 });
    await byRole('button', 'Rooms').click();
    await byRole('region', 'Rooms view').waitFor();
    await checkView('rooms', () => [['Room', alice.getByLabel('Room', { exact: true })], ['Join', byRole('button', 'Join')]]);
    await alice.getByLabel('Room', { exact: true }).fill('layout');
    await alice.getByLabel('Room', { exact: true }).press('Enter');
    const room = byRole('region', 'Room layout');
    await room.getByRole('complementary', { name: 'Occupants' }).getByText('alice (you)').waitFor();
    await byRole('textbox', 'Message to the room').fill(`alice says ${LONG_URL} and ${LONG_WORD}`);
    await byRole('button', 'Send to room').click();
    await room.getByRole('log').getByRole('link', { name: LONG_URL }).first().waitFor();
    await checkView('room', () => [['Message to the room', byRole('textbox', 'Message to the room')], ['Send to room', byRole('button', 'Send to room')], ['Join call', byRole('button', 'Join call')]]);
    await byRole('button', 'Join call').click();
    const call = byRole('dialog', 'Call in layout');
    await call.waitFor();
    // every control by its accessible name inside the window, at 360 px as icons in one row
    const names = ['Mute', 'Camera off', 'Share screen', 'Chat', 'Devices', 'Invite', 'Leave call'];
    const toolbar = call.getByRole('toolbar', { name: 'Call controls' });
    await checkView('group-call', () => names.map((name) => [name, toolbar.getByRole('button', { name, exact: true })]));
    await alice.setViewportSize({ width: 360, height: 720 });
    const rows = await toolbar.evaluate((bar) => {
      const b = bar.getBoundingClientRect();
      const buttons = Array.from(bar.querySelectorAll('button')).map((x) => x.getBoundingClientRect());
      return { tops: new Set(buttons.map((r) => Math.round(r.top))).size, inside: buttons.every((r) => r.left >= b.left - 0.5 && r.right <= b.right + 0.5), scroll: bar.scrollWidth - bar.clientWidth };
    });
    assert.deepEqual(rows, { tops: 1, inside: true, scroll: 0 }, 'the call controls at 360 px: one row, inside the bar, no sideways scroll');
    await alice.setViewportSize({ width: 1280, height: 800 });
    await call.getByRole('button', { name: 'Leave call' }).click();
    await call.waitFor({ state: 'detached' });
  });

  it('an upload cancelled while its progress bar shows sends nothing and leaves no file on the server', async () => {
    await alice.setViewportSize({ width: 1280, height: 800 });
    await alice.emulateMedia({ colorScheme: 'light' });
    if (await byRole('button', 'Back to contacts').isVisible()) await byRole('button', 'Back to contacts').click();
    await byRole('button', /^bob, /).click();
    // the PUT (XEP-0363 §5) is held in the browser until Cancel is pressed, so Cancel always comes mid-way
    let held!: (r: Route) => void;
    const put = new Promise<Route>((resolve) => (held = resolve));
    await alice.route((url) => url.pathname.startsWith('/upload/'), (route) => {
      if (route.request().method() === 'PUT') held(route);
      else void route.continue();
    });
    toBob.length = 0;
    await alice.locator('input[type=file]').setInputFiles({ name: 'holiday.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(3_000_000, 9) });
    const route = await put;
    const log = byRole('log', 'Messages');
    await log.getByRole('progressbar', { name: 'Uploading holiday.bin' }).waitFor();
    await alice.screenshot({ path: join(SHOTS, 'upload-progress-1280-light.png') });
    await log.getByRole('button', { name: 'Cancel holiday.bin' }).click();
    await log.getByText('Upload cancelled').waitFor();
    await route.abort().catch(() => undefined); // the browser already dropped the request
    await alice.unroute((url) => url.pathname.startsWith('/upload/'));
    // a later message reaches bob, so the file's message would have reached him before it
    await byRole('textbox', 'Message').fill('Marker after the cancel');
    await byRole('button', 'Send').click();
    const marker = await new Promise<Element>((resolve) => {
      const seen = () => toBob.find((m) => m.getChildText('body') === 'Marker after the cancel');
      const on = () => { const m = seen(); if (m) { bob.off('stanza', on); resolve(m); } };
      bob.on('stanza', on);
      on();
    });
    assert.ok(marker);
    assert.deepEqual(toBob.map((m) => m.getChildText('body')), ['Marker after the cancel'], 'only the marker reached bob');
    // the server holds no file: nothing, not even a partial .part, under <dataDir>/upload
    const dir = join(dataDir, 'upload');
    assert.deepEqual(existsSync(dir) ? readdirSync(dir) : [], [], 'no stored or partial upload');
  });
});
