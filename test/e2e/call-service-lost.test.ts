// The web client when the room's call service dies in the middle of a call (docs/scaling.md): two
// people in Chromium hold a group call through `carillon component` running as its own process;
// the process is killed (no session-terminate ever comes). Each page notices the media stop,
// pings the room, gets no usable answer, ends the call and says so in words.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startCarillon, type Carillon } from '../../server/index.js';
import { ComponentProcess } from '../support/component-process.js';
import { freePortRange } from '../support/ports.js';
import { untilValue } from '../support/until.js';
import { launchChromium } from './support/chromium.js';
import { remoteTiles } from './support/rooms-browser.js';
import { signIn as signInAt } from './support/sign-in.js';

const ROOM = 'standup@call.localhost';
const PEOPLE = ['alice', 'bob'] as const;

describe('web client: the room\'s call service dies during a call', function () {
  this.timeout(90_000);
  let srv: Carillon;
  let dataDir: string;
  let component: ComponentProcess;
  let browser: Browser;
  const page = {} as Record<typeof PEOPLE[number], Page>;
  const errors: string[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'carillon-e2e-lost-'));
    srv = await startCarillon({
      domain: 'localhost', dataDir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: 0 },
      s2s: { port: null }, components: { port: 0, secrets: { 'call.localhost': 'secret' } }, call: { enabled: false },
      log: { level: 'silent' },
    });
    for (const who of PEOPLE) await srv.users.add(`${who}@localhost`, `${who}-pass`);
    component = new ComponentProcess('call', join(dataDir, 'call'), {
      service: `xmpp://127.0.0.1:${srv.ports.components}`, domain: 'call.localhost', secret: 'secret',
      dataDir: join(dataDir, 'call', 'data'), media: { bindAddress: '127.0.0.1', ...(await freePortRange(40)) },
    });
    const [b] = await Promise.all([launchChromium(), component.start()]);
    browser = b;
    for (const who of PEOPLE) {
      const ctx = await browser.newContext({ viewport: { width: 1000, height: 700 } });
      ctx.setDefaultTimeout(30_000);
      page[who] = await ctx.newPage();
      page[who].on('pageerror', (e) => errors.push(`${who}: ${e.message}`));
    }
  });

  after(async () => {
    await browser?.close();
    await component?.kill();
    await srv?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('both are in a call through the component process', async () => {
    for (const who of PEOPLE) {
      const p = page[who];
      await signInAt(p, srv.ports.http, who);
      await p.getByRole('button', { name: 'Rooms', exact: true }).click();
      await p.getByLabel('Room', { exact: true }).fill(ROOM);
      await p.getByRole('button', { name: 'Join', exact: true }).click();
      await p.getByRole('region', { name: 'Room standup' }).getByRole('complementary', { name: 'Occupants' }).getByText(`${who} (you)`).waitFor();
    }
    await Promise.all(PEOPLE.map(async (who) => {
      await page[who].getByRole('button', { name: 'Join call' }).click();
      await page[who].getByRole('dialog', { name: 'Call in standup' }).waitFor();
    }));
    for (const who of PEOPLE) {
      await untilValue(() => remoteTiles(page[who]), (t) => t.videos.length === 1 && t.videos[0]!.width > 0 && t.videos[0]!.time > 0,
        `${who}'s remote video`, 45_000);
    }
  });

  it('killed, the call ends in each page with the reason in words', async () => {
    const t0 = Date.now();
    await component.kill('SIGKILL');
    for (const who of PEOPLE) {
      const p = page[who];
      // No stanza ends this call: the page finds out from its media and the room's silence.
      await p.getByRole('dialog', { name: 'Call in standup' }).waitFor({ state: 'detached', timeout: 60_000 });
      const alert = p.getByRole('region', { name: 'Room standup' }).getByRole('alert');
      await alert.waitFor();
      const text = (await alert.textContent()) ?? '';
      assert.match(text, /^The call ended: the room's call service (stopped answering|is unreachable \(.+\))\.$/, text);
      console.log(`      ${who}: "${text}" ${Date.now() - t0} ms after the kill`);
    }
    assert.deepEqual(errors, [], 'no uncaught errors in the pages');
  });
});
