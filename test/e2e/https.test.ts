// Opened from another machine: the page over HTTPS (self-signed certificate) at a name that is
// not localhost is a secure origin, so camera and microphone are allowed, and the client signs
// in over wss:// on the same port without any setting.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startCarillon, type Carillon } from '../../server/index.js';
import { CHROMIUM_ARGS } from './support/chromium.js';

describe('web client over HTTPS from another machine', function () {
  this.timeout(60_000);
  let srv: Carillon;
  let dataDir: string;
  let browser: Browser;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'carillon-https-'));
    srv = await startCarillon({ domain: 'carillon.test', dataDir, http: { port: null }, https: { port: 0 }, c2s: { port: null }, s2s: { port: null }, components: { port: null } });
    await srv.users.add('alice@carillon.test', 'alice-pass');
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
});
