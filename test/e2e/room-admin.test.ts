// Running rooms from the web client, against Carillon and its call component (XEP-0045): browse
// the public rooms (disco#items, §6.3) and join one; the owner changes the room's settings (§10.2)
// and subject (§8.1) and moderates an occupant — voice, moderator, kick (§8.2, 307) and ban
// (§9.1, 301) — while the occupant, an independent XMPP client, receives what the room sends. A
// second browser, not an owner or moderator, sees none of these controls.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { client as xmppClient, xml } from '@xmpp/client';
import { WebSocket } from 'ws';
import { startCarillon, type Carillon } from '../../server/index.js';
import { launchChromium } from './support/chromium.js';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

type Client = ReturnType<typeof xmppClient>;
type Element = ReturnType<typeof xml>;

const SHOTS = fileURLToPath(new URL('../../.tmp/e2e-screenshots/room-admin', import.meta.url));
const ROOM = 'council@call.localhost';
const LOBBY = 'lobby@call.localhost';
const MUC_USER = 'http://jabber.org/protocol/muc#user';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

describe('web client: public rooms, room settings and moderation', function () {
  this.timeout(90_000);
  let srv: Carillon;
  let dataDir: string;
  let browser: Browser;
  let alice: Page;
  let carol: Page;
  let bob: Client;
  let dave: Client;
  const errors: string[] = [];
  const ws = () => `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`;

  const online = async (username: string): Promise<Client> => {
    const c = xmppClient({ service: ws(), domain: 'localhost', resource: 'x', username, password: `${username}-pass` });
    c.on('error', () => undefined);
    c.reconnect.stop();
    await c.start();
    return c;
  };
  /** The next stanza `c` receives that `match` takes. */
  const next = (c: Client, match: (st: Element) => boolean) => new Promise<Element>((resolve) => {
    const on = (st: Element) => { if (match(st)) { c.off('stanza', on); resolve(st); } };
    c.on('stanza', on);
  });
  const selfPresence = (st: Element) => st.is('presence') && st.attrs.from === `${ROOM}/bob`
    && !!st.getChild('x', MUC_USER)?.getChildren('status').some((s) => s.attrs.code === '110');
  const codes = (st: Element) => st.getChild('x', MUC_USER)!.getChildren('status').map((s) => s.attrs.code as string).sort();
  const bobJoins = async () => {
    const joined = next(bob, (st) => selfPresence(st) && st.attrs.type !== 'unavailable');
    await bob.send(xml('presence', { to: `${ROOM}/bob` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    return joined;
  };
  const signIn = async (page: Page, who: string) => {
    await page.goto(`http://127.0.0.1:${srv.ports.http}/`);
    await page.getByLabel('Address').fill(`${who}@localhost`);
    await page.getByLabel('Password').fill(`${who}-pass`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('region', { name: 'Contacts' }).waitFor();
  };
  const shots = async (page: Page, name: string) => {
    for (const [w, h] of [[360, 720], [1280, 800]] as const) {
      await page.setViewportSize({ width: w, height: h });
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: innerWidth }));
        assert.ok(scroll <= inner, `${name} at ${w} px, ${scheme}: the page is ${scroll} px wide`);
        await page.screenshot({ path: join(SHOTS, `${name}-${w}-${scheme}.png`) });
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 800 });
  };
  const aliceRoom = () => alice.getByRole('region', { name: /^Room (council|The Council)$/ });

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'carillon-room-admin-'));
    srv = await startCarillon({ domain: 'localhost', dataDir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: null }, s2s: { port: null }, components: { port: 0 }, call: { enabled: true }, log: { level: 'warn' } });
    for (const u of ['alice', 'bob', 'carol', 'dave']) await srv.users.add(u, `${u}-pass`);
    browser = await launchChromium();
    const ctxA = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const ctxC = await browser.newContext({ viewport: { width: 360, height: 720 }, isMobile: true, hasTouch: true, colorScheme: 'dark' });
    for (const c of [ctxA, ctxC]) c.setDefaultTimeout(20_000);
    alice = await ctxA.newPage();
    carol = await ctxC.newPage();
    alice.on('pageerror', (e) => errors.push(`alice: ${e.message}`));
    carol.on('pageerror', (e) => errors.push(`carol: ${e.message}`));
    [bob, dave] = await Promise.all([online('bob'), online('dave')]);
    // bob has a picture (XEP-0084); the server puts its hash in bob's presence, room joins included (XEP-0398 §4)
    const id = createHash('sha1').update(PNG).digest('hex');
    await bob.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' },
      xml('publish', { node: 'urn:xmpp:avatar:data' }, xml('item', { id }, xml('data', { xmlns: 'urn:xmpp:avatar:data' }, PNG.toString('base64')))))));
    await bob.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' },
      xml('publish', { node: 'urn:xmpp:avatar:metadata' }, xml('item', { id }, xml('metadata', { xmlns: 'urn:xmpp:avatar:metadata' },
        xml('info', { bytes: String(PNG.length), id, height: '1', width: '1', type: 'image/png' })))))));
    await bob.send(xml('presence'));
    // dave opens a public room of his own: the one alice finds by browsing
    const daveIn = next(dave, (st) => st.is('presence') && st.attrs.from === `${LOBBY}/dave`);
    await dave.send(xml('presence', { to: `${LOBBY}/dave` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    await daveIn;
    await signIn(alice, 'alice');
  });

  after(async () => {
    await bob?.stop().catch(() => undefined);
    await dave?.stop().catch(() => undefined);
    await browser?.close();
    await srv?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    console.log(`      screenshots: ${SHOTS}`);
  });

  afterEach(() => assert.deepEqual(errors.splice(0), [], 'no uncaught errors in the pages'));

  it('browses the public rooms of the server\'s room service, with occupant counts, and joins one', async () => {
    await alice.getByRole('button', { name: 'Rooms', exact: true }).click();
    const directory = alice.getByRole('region', { name: 'Public rooms' });
    await directory.getByRole('button', { name: 'Browse public rooms' }).click();
    const entry = directory.getByRole('button', { name: 'Join lobby, 1 person' });
    await entry.waitFor();
    await shots(alice, 'rooms-browse');
    const daveSees = next(dave, (st) => st.is('presence') && st.attrs.from === `${LOBBY}/alice`);
    await entry.click();
    const lobby = alice.getByRole('region', { name: 'Room lobby' });
    await lobby.getByRole('complementary', { name: 'Occupants' }).getByText('dave').waitFor();
    await daveSees;
    // not an owner or moderator there: no settings, no subject, no occupant actions
    assert.equal(await lobby.getByRole('button', { name: 'Room settings' }).count(), 0);
    assert.equal(await lobby.getByRole('button', { name: 'Change subject' }).count(), 0);
    assert.equal(await lobby.getByRole('button', { name: /^Actions for / }).count(), 0);
    await lobby.getByRole('button', { name: 'Leave room' }).click();
  });

  it('the owner changes a text, a boolean and a list field of the room configuration (§10.2)', async () => {
    await alice.getByLabel('Room', { exact: true }).fill('council');
    await alice.getByRole('button', { name: 'Join', exact: true }).click();
    await aliceRoom().getByRole('complementary', { name: 'Occupants' }).getByText('alice (you)').waitFor();
    await bobJoins();
    // bob's picture, fetched from his real JID, which the room shows its moderators (§7.2.3)
    const bobChip = aliceRoom().getByRole('complementary', { name: 'Occupants' }).locator('li', { hasText: 'bob' });
    await bobChip.locator('img').waitFor();
    assert.equal(await bobChip.locator('img').getAttribute('src'), `data:image/png;base64,${PNG.toString('base64')}`);

    await aliceRoom().getByRole('button', { name: 'Room settings' }).click();
    const form = alice.getByRole('form', { name: 'Room settings' });
    await form.getByLabel('Name', { exact: true }).fill('The Council');
    await form.getByLabel('Moderated (newcomers without affiliation ask for voice)').check();
    await form.getByLabel('Who may see real addresses').selectOption('anyone');
    await shots(alice, 'room-settings');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await form.waitFor({ state: 'detached' });
    // status 104 (§10.2.1): every occupant reads the room's disco#info again; the header shows its name
    await aliceRoom().getByRole('heading', { name: 'The Council', exact: true }).waitFor();
    // what the room now says of itself (§6.4)
    const info = await bob.iqCaller.request(xml('iq', { type: 'get', to: ROOM }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const q = info.getChild('query')!;
    assert.equal(q.getChild('identity')!.attrs.name, 'The Council');
    const features = q.getChildren('feature').map((f) => f.attrs.var as string);
    assert.ok(features.includes('muc_moderated'), features.join(' '));
    assert.ok(features.includes('muc_nonanonymous'), features.join(' '));
    // the form opens again with the saved values
    await aliceRoom().getByRole('button', { name: 'Room settings' }).click();
    await form.getByLabel('Name', { exact: true }).waitFor();
    assert.equal(await form.getByLabel('Name', { exact: true }).inputValue(), 'The Council');
    assert.ok(await form.getByLabel('Moderated (newcomers without affiliation ask for voice)').isChecked());
    assert.equal(await form.getByLabel('Who may see real addresses').inputValue(), 'anyone');
    await form.getByRole('button', { name: 'Cancel' }).click();
  });

  it('the owner changes the subject (§8.1): the occupants receive it', async () => {
    const subject = next(bob, (st) => st.is('message') && st.attrs.from?.startsWith(ROOM) && st.getChildText('subject') === 'Budget 2027');
    await aliceRoom().getByRole('button', { name: 'Change subject' }).click();
    await alice.getByRole('form', { name: 'Change subject' }).getByRole('textbox').fill('Budget 2027');
    await alice.getByRole('form', { name: 'Change subject' }).getByRole('button', { name: 'Save subject' }).click();
    const st = await subject;
    assert.equal(st.attrs.type, 'groupchat');
    assert.equal(st.getChildText('body'), null, 'a subject change has no body');
    await aliceRoom().locator('.subject', { hasText: 'Budget 2027' }).waitFor();
    await alice.getByRole('form', { name: 'Change subject' }).waitFor({ state: 'detached' });
  });

  it('takes and gives voice, makes and unmakes a moderator (§8.3, §8.4, §9.6, §9.7)', async () => {
    const occupants = aliceRoom().getByRole('complementary', { name: 'Occupants' });
    const step = async (button: string, role: string) => {
      const seen = next(bob, (st) => selfPresence(st) && st.getChild('x', MUC_USER)!.getChild('item')!.attrs.role === role);
      await occupants.getByRole('button', { name: 'Actions for bob' }).click();
      await occupants.getByRole('group', { name: 'Moderate bob' }).getByRole('button', { name: button }).click();
      await seen;
    };
    await step('Take voice', 'visitor');
    await occupants.locator('li', { hasText: 'bob' }).getByText('no voice').waitFor();
    await step('Give voice', 'participant');
    await step('Make moderator', 'moderator');
    await occupants.locator('li', { hasText: 'bob' }).getByText('mod').waitFor();
    await step('Remove moderator', 'participant');
  });

  it('a second browser that is neither owner nor moderator sees none of the controls', async () => {
    await signIn(carol, 'carol');
    await carol.getByRole('button', { name: 'Rooms', exact: true }).click();
    await carol.getByLabel('Room', { exact: true }).fill(ROOM);
    await carol.getByRole('button', { name: 'Join', exact: true }).click();
    const room = carol.getByRole('region', { name: 'Room council' });
    await room.getByRole('complementary', { name: 'Occupants' }).getByText('carol (you)').waitFor();
    await room.getByRole('complementary', { name: 'Occupants' }).getByText('bob').waitFor();
    // the name the owner gave it, from its disco#info identity (§6.4), not the address
    await room.getByRole('heading', { name: 'The Council', exact: true }).waitFor();
    for (const name of ['Room settings', 'Change subject']) assert.equal(await room.getByRole('button', { name }).count(), 0, name);
    assert.equal(await room.getByRole('button', { name: /^Actions for / }).count(), 0);
    // the moderated room made carol a visitor (§7.1.3); what the room refuses is said in words
    const refused = await carol.evaluate(async (r) => {
      const app = (globalThis as unknown as { carillon: { rooms: { admin: { kick(room: string, nick: string): Promise<void> } } } }).carillon;
      return app.rooms.admin.kick(r, 'bob').then(() => 'done', (e: Error) => e.message);
    }, ROOM);
    assert.match(refused, /^You are not allowed to remove bob\./);
    await room.getByRole('button', { name: 'Leave room' }).click();
  });

  it('a participant changes the subject where the room allows it (muc#roominfo_changesubject); a refusal is said in words', async () => {
    await carol.getByLabel('Room', { exact: true }).fill(ROOM);
    await carol.getByRole('button', { name: 'Join', exact: true }).click();
    const room = carol.getByRole('region', { name: 'Room council' });
    const me = room.getByRole('complementary', { name: 'Occupants' }).locator('li', { hasText: 'carol (you)' });
    await me.getByText('no voice').waitFor();
    // alice gives carol a voice (§8.3): a participant, who may not change the subject yet (§8.1)
    const occupants = aliceRoom().getByRole('complementary', { name: 'Occupants' });
    await occupants.getByRole('button', { name: 'Actions for carol' }).click();
    await occupants.getByRole('group', { name: 'Moderate carol' }).getByRole('button', { name: 'Give voice' }).click();
    await me.getByText('no voice').waitFor({ state: 'detached' });
    assert.equal(await room.getByRole('button', { name: 'Change subject' }).count(), 0);
    const participantsMay = async (yes: boolean) => {
      await aliceRoom().getByRole('button', { name: 'Room settings' }).click();
      const form = alice.getByRole('form', { name: 'Room settings' });
      await form.getByLabel('Participants may change the subject').setChecked(yes);
      await form.getByRole('button', { name: 'Save settings' }).click();
      await form.waitFor({ state: 'detached' });
    };
    await participantsMay(true);
    // the 104 makes carol's client read muc#roominfo_changesubject again: the editor is hers now
    await room.getByRole('button', { name: 'Change subject' }).click();
    const editor = carol.getByRole('form', { name: 'Change subject' });
    await editor.getByRole('textbox').fill('Poetry night');
    await editor.getByRole('button', { name: 'Save subject' }).click();
    await aliceRoom().locator('.subject', { hasText: 'Poetry night' }).waitFor();
    await editor.waitFor({ state: 'detached' });
    // with the editor open, the owner takes the right back: the room refuses, and carol reads why
    await room.getByRole('button', { name: 'Change subject' }).click();
    await editor.getByRole('textbox').fill('Chess night');
    await participantsMay(false);
    await room.getByRole('button', { name: 'Change subject' }).waitFor({ state: 'detached' });
    await editor.getByRole('button', { name: 'Save subject' }).click();
    const alert = editor.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent() ?? '', /^You are not allowed to change the subject\./);
    assert.equal(await aliceRoom().locator('.subject', { hasText: 'Chess night' }).count(), 0);
    await room.getByRole('button', { name: 'Leave room' }).click();
  });

  it('kicks an occupant: he receives 307 (§8.2), and can come back', async () => {
    const gone = next(bob, (st) => selfPresence(st) && st.attrs.type === 'unavailable');
    const occupants = aliceRoom().getByRole('complementary', { name: 'Occupants' });
    await occupants.getByRole('button', { name: 'Actions for bob' }).click();
    await occupants.getByRole('group', { name: 'Moderate bob' }).getByRole('button', { name: 'Kick bob' }).click();
    const st = await gone;
    assert.deepEqual(codes(st), ['110', '307']);
    assert.equal(st.getChild('x', MUC_USER)!.getChild('item')!.attrs.role, 'none');
    await occupants.locator('li', { hasText: 'bob' }).waitFor({ state: 'detached' });
    await bobJoins();
    await occupants.locator('li', { hasText: 'bob' }).waitFor();
  });

  it('bans an occupant: he receives 301 (§9.1) and cannot enter again', async () => {
    const gone = next(bob, (st) => selfPresence(st) && st.attrs.type === 'unavailable');
    const occupants = aliceRoom().getByRole('complementary', { name: 'Occupants' });
    await occupants.getByRole('button', { name: 'Actions for bob' }).click();
    await occupants.getByRole('group', { name: 'Moderate bob' }).getByRole('button', { name: 'Ban bob' }).click();
    const st = await gone;
    assert.deepEqual(codes(st), ['110', '301']);
    assert.equal(st.getChild('x', MUC_USER)!.getChild('item')!.attrs.affiliation, 'outcast');
    await occupants.locator('li', { hasText: 'bob' }).waitFor({ state: 'detached' });
    const refused = next(bob, (s) => s.is('presence') && s.attrs.type === 'error' && s.attrs.from === `${ROOM}/bob`);
    await bob.send(xml('presence', { to: `${ROOM}/bob` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    assert.ok((await refused).getChild('error')!.getChild('forbidden', 'urn:ietf:params:xml:ns:xmpp-stanzas'), '§7.2.7: banned users get forbidden');
  });
});
