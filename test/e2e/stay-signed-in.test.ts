// "Keep me signed in" and history, against Carillon's own server: a reload resumes the same XMPP
// session (XEP-0198 §5) — no second, ghost session, nothing shown twice, nothing missed — with no
// password in the browser's storage; after the server gave up on the session, the kept keys sign
// in afresh and what arrived meanwhile shows once; a new sign-in finds its conversations in the
// archive (XEP-0313) and pages back through all of them; Sign out forgets everything.
// bob is an independent XMPP client (@xmpp/client).
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { client as xmppClient, xml } from '@xmpp/client';
import { WebSocket } from 'ws';
import { startCarillon, type Carillon } from '../../server/index.js';
import { launchChromium } from './support/chromium.js';
import { until } from '../support/until.js';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const PASSWORD = 'alice-secret-pass';

describe('web client: staying signed in, and history from the archive', function () {
  this.timeout(90_000);
  let srv: Carillon;
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  let bob: ReturnType<typeof xmppClient>;
  const errors: string[] = [];
  let url = '';

  const aliceSessions = () => [...(srv.server.sessions.resources('alice@localhost')?.values() ?? [])];
  const say = (id: string, body: string) => bob.send(xml('message', { to: 'alice@localhost', type: 'chat', id }, xml('body', {}, body)));
  const log = () => page.getByRole('log', { name: 'Messages' });
  const countOf = (text: string) => log().getByText(text, { exact: true }).count();

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'carillon-keep-'));
    srv = await startCarillon({
      domain: 'localhost', dataDir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: null }, s2s: { port: null },
      components: { port: null }, log: { level: 'warn' }, limits: { resumeSeconds: 6 },
    });
    url = `http://127.0.0.1:${srv.ports.http}/`;
    await srv.users.add('alice', PASSWORD);
    await srv.users.add('bob', 'bob-pass');
    bob = xmppClient({ service: `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, domain: 'localhost', username: 'bob', password: 'bob-pass' });
    bob.on('error', () => undefined);
    bob.reconnect.stop();
    await bob.start();
    await bob.send(xml('presence'));
    browser = await launchChromium();
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    ctx.setDefaultTimeout(15_000);
    page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
  });

  after(async () => {
    await bob?.stop().catch(() => undefined);
    await browser?.close();
    await srv?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  afterEach(() => assert.deepEqual(errors.splice(0), [], 'no uncaught errors in the page'));

  it('signs in with "Keep me signed in" and keeps no password in the browser', async () => {
    await page.goto(url);
    await page.getByLabel('Address').fill('alice@localhost');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Keep me signed in').check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('region', { name: 'Contacts' }).waitFor();
    // bob and alice become contacts; bob writes
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
    // accepting asks bob back (RFC 6121 §3.1), and bob approves
    const asked = new Promise<void>((resolve) => {
      const on = (st: { is(n: string): boolean; attrs: Record<string, string> }) => {
        if (!st.is('presence') || st.attrs.type !== 'subscribe' || !st.attrs.from?.startsWith('alice@localhost')) return;
        bob.off('stanza', on);
        void bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribed' })).then(() => resolve());
      };
      bob.on('stanza', on);
    });
    await page.getByRole('button', { name: 'Accept bob@localhost' }).click();
    await asked;
    await page.getByRole('button', { name: /^bob, Available/ }).waitFor();
    for (let i = 1; i <= 3; i++) await say(`before-${i}`, `Before the reload ${i}`);
    await page.getByRole('button', { name: /^bob, / }).click();
    await log().getByText('Before the reload 3', { exact: true }).waitFor();
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    assert.ok(stored.includes('alice@localhost'), 'the account is kept');
    assert.ok(!stored.includes(PASSWORD), 'the password is not');
  });

  it('resumes the same session on reload: no ghost session, nothing twice, nothing missed', async () => {
    const [before] = aliceSessions();
    assert.ok(before?.jid, 'one session before the reload');
    const resource = before.jid.resource;
    // the page goes away; the server keeps the session for resumption, and bob writes meanwhile
    await page.goto('about:blank');
    await until(() => aliceSessions()[0]?.hibernating === true, 'the session to hibernate');
    await say('during-reload', 'Sent during the reload');
    await page.goto(url);
    await page.getByRole('region', { name: 'Contacts' }).waitFor();
    await page.getByRole('button', { name: /^bob, / }).click();
    await log().getByText('Sent during the reload', { exact: true }).waitFor();
    const after = aliceSessions();
    assert.equal(after.length, 1, 'one session, not a ghost beside a new one');
    assert.equal(after[0]!.jid!.resource, resource, 'the same session, resumed');
    assert.equal(after[0]!.hibernating, false);
    await say('after-reload', 'After the reload');
    await log().getByText('After the reload', { exact: true }).waitFor();
    for (const t of ['Before the reload 1', 'Before the reload 3', 'Sent during the reload', 'After the reload']) assert.equal(await countOf(t), 1, t);
  });

  it('signs in afresh with the kept keys once the server gave up the session, and shows what came meanwhile once', async () => {
    await page.goto('about:blank');
    await until(() => aliceSessions().length === 0, 'the server to end the hibernated session (limits.resumeSeconds)', 30_000);
    await say('while-gone', 'Sent while you were gone');
    await page.goto(url);
    await page.getByRole('region', { name: 'Contacts' }).waitFor();
    await page.getByRole('button', { name: /^bob, / }).click();
    await log().getByText('Sent while you were gone', { exact: true }).waitFor();
    await log().getByText('After the reload', { exact: true }).waitFor();
    // offline delivery, the archive and the page's own snapshot all have some of these: each shows once
    for (const t of ['Before the reload 1', 'Sent during the reload', 'After the reload', 'Sent while you were gone']) assert.equal(await countOf(t), 1, t);
    assert.equal(aliceSessions().length, 1);
  });

  it('Sign out forgets everything; signing in again finds the conversation in the archive and pages back through it', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal(await page.evaluate(() => Object.keys({ ...localStorage, ...sessionStorage }).filter((k) => k.startsWith('carillon.') && k !== 'carillon.lastAddress').length), 0);
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor(); // nothing kept: the form again
    for (let i = 1; i <= 100; i++) await say(`bulk-${i}`, `Archived ${i}`);
    await page.getByLabel('Address').fill('alice@localhost');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: /^bob, / }).click();
    await log().getByText('Archived 100', { exact: true }).waitFor();
    // older pages until the archive has no more (XEP-0313 <fin complete='true'/>)
    for (let i = 0; i < 10 && (await page.getByRole('button', { name: 'Load earlier messages' }).count()) > 0; i++) {
      await page.getByRole('button', { name: 'Load earlier messages' }).click();
      await page.getByRole('button', { name: 'Load earlier messages' }).or(log().getByText('Before the reload 1', { exact: true })).first().waitFor();
    }
    await log().getByText('Before the reload 1', { exact: true }).waitFor();
    const bodies = await log().locator('.bubble .body').allTextContents();
    const archived = bodies.filter((b) => b.startsWith('Archived '));
    assert.equal(archived.length, 100, 'every archived message');
    assert.equal(new Set(bodies).size, bodies.length, 'none twice');
    assert.deepEqual(archived, Array.from({ length: 100 }, (_, i) => `Archived ${i + 1}`), 'in order');
  });
});
