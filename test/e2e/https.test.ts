// Opened from another machine: the page over HTTPS (self-signed certificate) at a name that is
// not localhost is a secure origin, so camera and microphone are allowed, and the client signs
// in over wss:// on the same port without any setting. With HTTP listening too (the default),
// files go between a user on the http page and one on the https page.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startCarillon, type Carillon } from '../../server/index.js';
import { CHROMIUM_ARGS } from './support/chromium.js';
import { tinyPng } from './support/png.js';
import { untilValue } from '../support/until.js';
import { befriend, connect, stopAll } from '../server/helpers.js';

describe('web client over HTTPS from another machine', function () {
  this.timeout(60_000);
  let srv: Carillon;
  let dataDir: string;
  let browser: Browser;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'carillon-https-'));
    srv = await startCarillon({ domain: 'carillon.test', dataDir, http: { port: 0 }, https: { port: 0 }, c2s: { port: null }, s2s: { port: null }, components: { port: null } });
    await srv.users.add('alice@carillon.test', 'alice-pass');
    await srv.users.add('bob@carillon.test', 'bob-pass');
    // the browser resolves the server's name to loopback, as DNS would on a LAN
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP carillon.test 127.0.0.1'] });
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is a secure context with media devices, and signs in over wss:// (keyboard only)', async () => {
    const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.goto(`https://carillon.test:${srv.ports.https}/`);
    assert.equal(await page.evaluate(() => window.isSecureContext), true);
    assert.equal(await page.evaluate(async () => (await navigator.mediaDevices.getUserMedia({ audio: true })).getAudioTracks().length), 1);
    // keyboard only: the address field, Tab to the password, Enter submits
    await page.getByLabel('Address').focus();
    await page.keyboard.type('alice@carillon.test');
    await page.keyboard.press('Tab');
    await page.keyboard.type('alice-pass');
    await page.keyboard.press('Enter');
    await page.getByRole('region', { name: 'Contacts' }).waitFor({ timeout: 15_000 });
    assert.deepEqual(sockets, [`wss://carillon.test:${srv.ports.https}/xmpp-websocket`]);
  });

  it('an image sent from the http page (self-signed certificate on HTTPS) is shown on the https page', async function () {
    this.timeout(120_000);
    const a = await connect(srv, 'alice', 'alice-pass', { resource: 'setup' });
    const b = await connect(srv, 'bob', 'bob-pass', { resource: 'setup' });
    await befriend(a, 'alice@carillon.test', b, 'bob@carillon.test');
    await stopAll(a, b);
    // alice's browser trusts nothing it was not told to: the certificate is not accepted there
    const alice = await (await browser.newContext()).newPage();
    const bob = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    const sent: string[] = [];
    alice.on('websocket', (ws) => ws.on('framesent', (f) => typeof f.payload === 'string' && f.payload.includes('<message') && sent.push(f.payload)));
    for (const [p, who, origin] of [[alice, 'alice', `http://carillon.test:${srv.ports.http}`], [bob, 'bob', `https://carillon.test:${srv.ports.https}`]] as const) {
      p.context().setDefaultTimeout(30_000);
      await p.goto(`${origin}/`);
      await p.getByLabel('Address').fill(`${who}@carillon.test`);
      await p.getByLabel('Password').fill(`${who}-pass`);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('region', { name: 'Contacts' }).waitFor();
    }
    await alice.getByRole('button', { name: /^bob, / }).click();
    await alice.locator('input[type=file]').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: tinyPng(48, 32) });
    const own = alice.getByRole('log', { name: 'Messages' }).getByRole('img', { name: 'sunset.png' });
    await own.waitFor();
    assert.deepEqual(await untilValue(() => own.evaluate((el: HTMLImageElement) => ({ w: el.naturalWidth, h: el.naturalHeight })), (v) => v.w > 0, 'alice\u2019s image to load'), { w: 48, h: 32 });
    // the link as sent names the HTTP port alice came in on (the self-signed HTTPS one would not load for her)
    const link = /<body>([^<]*)<\/body>/.exec(sent.find((f) => f.includes('sunset.png')) ?? '')?.[1]?.replace(/&amp;/g, '&');
    assert.ok(link?.startsWith(`http://carillon.test:${srv.ports.http}/upload/`), `the link sent: ${link}`);
    // bob's https page loads it through its own origin (an http image there is mixed content)
    await bob.getByRole('button', { name: /^alice, / }).click();
    const img = bob.getByRole('log', { name: 'Messages' }).getByRole('img', { name: 'sunset.png' });
    await img.waitFor();
    assert.deepEqual(await untilValue(() => img.evaluate((el: HTMLImageElement) => ({ w: el.naturalWidth, h: el.naturalHeight })), (v) => v.w > 0, 'bob\u2019s image to load'), { w: 48, h: 32 });
    const src = await img.getAttribute('src');
    assert.equal(src, `https://carillon.test:${srv.ports.https}${new URL(link!).pathname}${new URL(link!).search}`);
    await alice.context().close();
    await bob.context().close();
  });
});
