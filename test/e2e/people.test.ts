// People in the web client, against Carillon's own server: pictures (XEP-0084 PEP avatars, with
// the vCard the server mirrors them to, XEP-0398) and roster groups (RFC 6121 §2.1.2.2). alice
// signs in with chromium; bob, and a second client of alice's account, are independent XMPP
// clients (@xmpp/client over WebSocket) that publish and read exactly what goes over the wire.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { client as xmppClient, xml } from '@xmpp/client';
import { WebSocket } from 'ws';
import { startCarillon, type Carillon } from '../../server/index.js';
import { launchChromium } from './support/chromium.js';
import { untilValue } from '../support/until.js';
import { signIn as signInAt } from './support/sign-in.js';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

type Client = ReturnType<typeof xmppClient>;
type Element = ReturnType<typeof xml>;

const SHOTS = fileURLToPath(new URL('../../.tmp/e2e-screenshots/people', import.meta.url));
// a 1×1 PNG: the picture bob publishes
const BOB_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

/** Width and height from a PNG's IHDR, or a JPEG's first frame header. */
function imageSize(b: Buffer): { width: number; height: number } {
  if (b.readUInt32BE(0) === 0x89504e47) return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  let i = 2;
  while (i + 9 <= b.length) {
    const m = b[i + 1]!;
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    i += 2 + b.readUInt16BE(i + 2);
  }
  return { width: 0, height: 0 };
}

describe('web client: pictures and contact groups', function () {
  this.timeout(90_000);
  let srv: Carillon;
  let dataDir: string;
  let browser: Browser;
  let ctx: BrowserContext;
  let alice: Page;
  let bob: Client;
  let phone: Client;
  const errors: string[] = [];
  const pushes: Element[] = [];
  const ws = () => `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`;

  const online = async (username: string, resource: string): Promise<Client> => {
    const c = xmppClient({ service: ws(), domain: 'localhost', resource, username, password: `${username}-pass` });
    c.on('error', () => undefined);
    c.reconnect.stop();
    await c.start();
    return c;
  };
  const nextPush = () => new Promise<Element>((resolve) => {
    const on = (st: Element) => {
      const q = st.is('iq') && st.attrs.type === 'set' ? st.getChild('query', 'jabber:iq:roster') : undefined;
      if (q) { phone.off('stanza', on); resolve(q.getChild('item')!); }
    };
    phone.on('stanza', on);
  });
  const groupsOf = (item: Element) => item.getChildren('group').map((g) => g.text()).sort();
  const shot = (name: string) => alice.screenshot({ path: join(SHOTS, `${name}.png`) });
  const noSideScroll = async (where: string) => {
    const { scroll, inner } = await alice.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: innerWidth }));
    assert.ok(scroll <= inner, `${where}: the page is ${scroll} px wide in a ${inner} px window`);
  };
  /** Screenshots of the current view at 360 and 1280 px, light and dark; no horizontal scroll in any. */
  const shots = async (name: string) => {
    for (const [w, h] of [[360, 720], [1280, 800]] as const) {
      await alice.setViewportSize({ width: w, height: h });
      for (const scheme of ['light', 'dark'] as const) {
        await alice.emulateMedia({ colorScheme: scheme });
        await noSideScroll(`${name} at ${w} px, ${scheme}`);
        await shot(`${name}-${w}-${scheme}`);
      }
    }
    await alice.emulateMedia({ colorScheme: 'light' });
  };

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'carillon-people-'));
    srv = await startCarillon({ domain: 'localhost', dataDir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: null }, s2s: { port: null }, components: { port: 0 }, call: { enabled: true }, log: { level: 'warn' } });
    for (const u of ['alice', 'bob']) await srv.users.add(u, `${u}-pass`);
    browser = await launchChromium();
    ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctx.setDefaultTimeout(20_000);
    alice = await ctx.newPage();
    alice.on('pageerror', (e) => errors.push(e.message));
    await signInAt(alice, srv.ports.http, 'alice');

    bob = await online('bob', 'desk');
    await bob.send(xml('presence'));
    // bob and alice become contacts (RFC 6121 §3.1): bob asks, alice accepts and asks back
    const asked = new Promise<void>((resolve) => {
      const on = (st: Element) => {
        if (st.is('presence') && st.attrs.type === 'subscribe' && st.attrs.from?.startsWith('alice@localhost')) {
          bob.off('stanza', on);
          void bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribed' })).then(() => resolve());
        }
      };
      bob.on('stanza', on);
    });
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
    await alice.getByRole('list', { name: 'Contact requests' }).getByRole('button', { name: 'Accept bob@localhost' }).click();
    await asked;
    await alice.getByRole('button', { name: /^bob, Available/ }).waitFor();
    phone = await online('alice', 'phone');
    phone.on('stanza', (st: Element) => {
      if (st.is('iq') && st.attrs.type === 'set' && st.getChild('query', 'jabber:iq:roster')) pushes.push(st);
    });
    // RFC 6121 §2.1.6: roster pushes go to sessions that asked for the roster
    await phone.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
  });

  after(async () => {
    await bob?.stop().catch(() => undefined);
    await phone?.stop().catch(() => undefined);
    await browser?.close();
    await srv?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    console.log(`      screenshots: ${SHOTS}`);
  });

  afterEach(() => assert.deepEqual(errors.splice(0), [], 'no uncaught errors in the page'));

  it("shows the picture a contact publishes with PEP (XEP-0084 §4.1, §4.2, Examples 1 and 2)", async () => {
    const contact = alice.getByRole('button', { name: /^bob, / });
    assert.equal(await contact.locator('img').count(), 0, 'initials before any picture');
    const id = sha1(BOB_PNG);
    // Example 1: the data, under the SHA-1 of the bytes; Example 2: the metadata that announces it
    await bob.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' },
      xml('publish', { node: 'urn:xmpp:avatar:data' }, xml('item', { id }, xml('data', { xmlns: 'urn:xmpp:avatar:data' }, BOB_PNG.toString('base64')))))));
    await bob.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' },
      xml('publish', { node: 'urn:xmpp:avatar:metadata' }, xml('item', { id }, xml('metadata', { xmlns: 'urn:xmpp:avatar:metadata' },
        xml('info', { bytes: String(BOB_PNG.length), id, height: '1', width: '1', type: 'image/png' })))))));
    const img = contact.locator('img');
    await img.waitFor();
    assert.equal(await img.getAttribute('src'), `data:image/png;base64,${BOB_PNG.toString('base64')}`);
    assert.ok(await img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth === 1), 'the picture decodes');
    // the chat header shows it too
    await contact.click();
    await alice.getByRole('region', { name: 'Conversation with bob' }).locator('.chat-head img').waitFor();
  });

  it('keeps the picture by its hash in the page\'s storage, for the next page load', async () => {
    const stored = await alice.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('carillon.avatar.')));
    assert.deepEqual(stored, [`carillon.avatar.${sha1(BOB_PNG)}`]);
  });

  it('sets our own picture from Settings: scaled to 192 px and seen by another client in PEP and the vCard', async () => {
    // a 640×400 picture, drawn by the browser
    const big = Buffer.from(await alice.evaluate(() => {
      const c = document.createElement('canvas');
      c.width = 640;
      c.height = 400;
      const g = c.getContext('2d')!;
      const grad = g.createLinearGradient(0, 0, 640, 400);
      grad.addColorStop(0, '#3b5bdb');
      grad.addColorStop(1, '#f08c00');
      g.fillStyle = grad;
      g.fillRect(0, 0, 640, 400);
      g.fillStyle = '#fff';
      g.beginPath();
      g.arc(320, 200, 120, 0, Math.PI * 2);
      g.fill();
      return c.toDataURL('image/png').split(',')[1]!;
    }), 'base64');
    await alice.getByRole('button', { name: 'Settings' }).click();
    const settings = alice.getByRole('region', { name: 'Settings' });
    await settings.getByLabel('Choose a picture').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: big });
    await settings.getByRole('status').filter({ hasText: 'Picture saved.' }).waitFor();
    // bob reads alice's metadata node (§4.2)
    const meta = await bob.iqCaller.request(xml('iq', { type: 'get', to: 'alice@localhost' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' },
      xml('items', { node: 'urn:xmpp:avatar:metadata' }))));
    const info = meta.getChild('pubsub')!.getChild('items')!.getChild('item')!.getChild('metadata', 'urn:xmpp:avatar:metadata')!.getChild('info')!;
    assert.equal(info.attrs.width, '192');
    assert.equal(info.attrs.height, '120');

    // bob reads alice's vCard (XEP-0054), where the server put the picture (XEP-0398 §3.1)
    const vcard = await untilValue(async () => {
      const r = await bob.iqCaller.request(xml('iq', { type: 'get', to: 'alice@localhost' }, xml('vCard', { xmlns: 'vcard-temp' })));
      return r.getChild('vCard', 'vcard-temp')?.getChild('PHOTO');
    }, (p) => !!p?.getChildText('BINVAL'), 'the PHOTO in alice\'s vCard');
    const photo = Buffer.from(vcard!.getChildText('BINVAL')!.replace(/\s+/g, ''), 'base64');
    assert.equal(sha1(photo), info.attrs.id, 'the vCard holds the published picture');
    assert.equal(vcard!.getChildText('TYPE'), info.attrs.type);
    assert.deepEqual(imageSize(photo), { width: 192, height: 120 }, 'scaled to 192 px on the longer side, proportions kept');
    // and the data node holds the same bytes under their SHA-1 (§4.1)
    const data = await bob.iqCaller.request(xml('iq', { type: 'get', to: 'alice@localhost' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' },
      xml('items', { node: 'urn:xmpp:avatar:data' }, xml('item', { id: info.attrs.id })))));
    const item = data.getChild('pubsub')!.getChild('items')!.getChild('item')!;
    assert.equal(sha1(Buffer.from(item.getChildText('data')!, 'base64')), info.attrs.id);
    // our own picture, in the header and in Settings
    await alice.getByRole('button', { name: 'Settings' }).locator('img').waitFor();
    await settings.getByRole('region', { name: 'Picture' }).locator('img').waitFor();
    await shots('settings-picture');
  });

  it('puts a contact in groups; the other client of the account gets the roster push', async () => {
    await alice.getByRole('button', { name: 'Close settings' }).click();
    await alice.getByRole('button', { name: /^bob, / }).click();
    const conv = alice.getByRole('region', { name: 'Conversation with bob' });
    await conv.getByRole('button', { name: 'Edit groups' }).click();
    const editor = conv.getByRole('form', { name: 'Edit groups' });
    await editor.getByLabel('New group').fill('Family');
    let push = nextPush();
    await editor.getByRole('button', { name: 'Save groups' }).click();
    let item = await push;
    assert.equal(item.attrs.jid, 'bob@localhost');
    assert.deepEqual(groupsOf(item), ['Family']);
    const family = alice.getByRole('region', { name: 'Group Family' });
    await family.getByRole('button', { name: /^bob, / }).waitFor();

    // add a second, new group while keeping the first
    await conv.getByRole('button', { name: 'Edit groups' }).click();
    assert.ok(await editor.getByRole('checkbox', { name: 'Family' }).isChecked());
    await editor.getByLabel('New group').fill('Work');
    push = nextPush();
    await editor.getByRole('button', { name: 'Save groups' }).click();
    item = await push;
    assert.deepEqual(groupsOf(item), ['Family', 'Work']);
    await alice.getByRole('region', { name: 'Group Work' }).getByRole('button', { name: /^bob, / }).waitFor();
    await family.getByRole('button', { name: /^bob, / }).waitFor();
    await alice.evaluate(() => (globalThis as unknown as { carillon: { messages: { open(p?: string): void } } }).carillon.messages.open(undefined));
    await shots('contacts-groups');

    // collapsing a group hides its contacts
    await family.getByRole('button', { name: /Family/ }).click();
    assert.equal(await family.getByRole('button', { name: /^bob, / }).count(), 0);
    await family.getByRole('button', { name: /Family/, expanded: false }).click();
    await family.getByRole('button', { name: /^bob, / }).waitFor();

    // remove one: uncheck it
    await alice.getByRole('button', { name: /^bob, / }).first().click();
    await conv.getByRole('button', { name: 'Edit groups' }).click();
    await editor.getByRole('checkbox', { name: 'Family' }).uncheck();
    push = nextPush();
    await editor.getByRole('button', { name: 'Save groups' }).click();
    assert.deepEqual(groupsOf(await push), ['Work']);
    await family.waitFor({ state: 'detached' });
    // the name stays what it was: a roster set replaces the whole item (RFC 6121 §2.1.2.2)
    assert.equal(item.attrs.name, undefined);
  });

  it('a roster push from the other client (a group changed there) updates the list', async () => {
    await phone.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:roster' },
      xml('item', { jid: 'bob@localhost', name: 'Bobby' }, xml('group', {}, 'Friends')))));
    await alice.getByRole('region', { name: 'Group Friends' }).getByRole('button', { name: /^Bobby, / }).waitFor();
    await alice.getByRole('region', { name: 'Group Work' }).waitFor({ state: 'detached' });
    // renaming keeps the groups
    const conv = alice.getByRole('region', { name: 'Conversation with Bobby' });
    await conv.getByRole('button', { name: 'Rename contact' }).click();
    await conv.getByRole('form', { name: 'Rename contact' }).getByRole('textbox').fill('Bob B.');
    const push = nextPush();
    await conv.getByRole('form', { name: 'Rename contact' }).getByRole('button', { name: 'Save' }).click();
    const item = await push;
    assert.equal(item.attrs.name, 'Bob B.');
    assert.deepEqual(groupsOf(item), ['Friends']);
  });
});
