// The web client's message corrections (XEP-0308), replies (XEP-0461 with the XEP-0428
// fallback) and rooms kept as bookmarks (XEP-0402), against Carillon's own server: alice signs in
// with chromium; bob, and a second client of alice's account, are independent XMPP clients
// (@xmpp/client) over WebSocket and see exactly what goes over the wire or is stored.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { client as xmppClient, xml } from '@xmpp/client';
import { WebSocket } from 'ws';
import { startCarillon, type Carillon } from '../../server/index.js';
import { launchChromium } from './support/chromium.js';
import { untilValue } from '../support/until.js';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

type Client = ReturnType<typeof xmppClient>;
type Element = ReturnType<typeof xml>;

describe('web client: corrections and replies', function () {
  this.timeout(60_000);
  let srv: Carillon;
  let dataDir: string;
  let browser: Browser;
  let alice: Page;
  let bob: Client;
  const errors: string[] = [];

  /** The next message with a body that bob receives from alice. */
  const nextFromAlice = () => new Promise<Element>((resolve) => {
    const on = (st: Element) => {
      if (st.is('message') && st.getChildText('body') && st.attrs.from?.startsWith('alice@localhost')) {
        bob.off('stanza', on);
        resolve(st);
      }
    };
    bob.on('stanza', on);
  });
  const log = () => alice.getByRole('log', { name: 'Messages' });
  const signIn = async () => {
    await alice.goto(`http://127.0.0.1:${srv.ports.http}/`);
    await alice.getByLabel('Address').fill('alice@localhost');
    await alice.getByLabel('Password').fill('alice-pass');
    await alice.getByRole('button', { name: 'Sign in' }).click();
    await alice.getByRole('region', { name: 'Contacts' }).waitFor();
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'carillon-extras-'));
    srv = await startCarillon({ domain: 'localhost', dataDir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: null }, s2s: { port: null }, components: { port: 0 }, call: { enabled: true }, log: { level: 'warn' } });
    for (const u of ['alice', 'bob']) await srv.users.add(u, `${u}-pass`);
    browser = await launchChromium();
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctx.setDefaultTimeout(15_000);
    alice = await ctx.newPage();
    alice.on('pageerror', (e) => errors.push(e.message));
    await signIn();
    bob = xmppClient({ service: `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, domain: 'localhost', resource: 'desk', username: 'bob', password: 'bob-pass' });
    bob.on('error', () => undefined);
    bob.reconnect.stop();
    await bob.start();
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
    await alice.getByRole('button', { name: /^bob, Available/ }).click();
  });

  after(async () => {
    await bob?.stop().catch(() => undefined);
    await browser?.close();
    await srv?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  afterEach(() => assert.deepEqual(errors.splice(0), [], 'no uncaught errors in the page'));

  it('replaces the text of a message bob corrects and shows "edited" (XEP-0308 Examples 3, 4)', async () => {
    await bob.send(xml('message', { to: 'alice@localhost', type: 'chat', id: 'good1' }, xml('body', {}, 'But soft, what light through yonder airlock breaks?')));
    await log().getByText('yonder airlock').waitFor();
    await bob.send(xml('message', { to: 'alice@localhost', type: 'chat', id: 'good2' },
      xml('body', {}, 'But soft, what light through yonder window breaks?'),
      xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: 'good1' })));
    await log().getByText('yonder window').waitFor();
    assert.equal(await log().getByText('yonder airlock').count(), 0, 'the old text is gone');
    assert.equal(await log().locator('.bubble.in').count(), 1, 'the correction is not a second message');
    await log().locator('.bubble.in').getByText('edited').waitFor();
  });

  it('corrects the last own message with the Up arrow in an empty composer', async () => {
    const input = alice.getByRole('textbox', { name: 'Message' });
    const first = nextFromAlice();
    await input.fill('helo bob');
    await input.press('Enter');
    const original = await first;
    await input.press('ArrowUp');
    assert.equal(await input.inputValue(), 'helo bob', 'the composer holds the message to correct');
    const second = nextFromAlice();
    await input.fill('hello bob');
    await input.press('Enter');
    const correction = await second;
    assert.equal(correction.getChildText('body'), 'hello bob');
    assert.equal(correction.getChild('replace', 'urn:xmpp:message-correct:0')?.attrs.id, original.attrs.id, 'replace names the original id');
    assert.notEqual(correction.attrs.id, original.attrs.id, 'a correction has an id of its own');
    await log().locator('.bubble.out').getByText('hello bob').waitFor();
    assert.equal(await log().getByText('helo bob').count(), 0);
    assert.equal(await log().locator('.bubble.out').count(), 1);
  });

  it('replies to a message with <reply/> and a fallback quote, and shows bob\'s reply with a quote', async () => {
    const bubble = log().locator('.bubble.in').filter({ hasText: 'yonder window' });
    await bubble.getByRole('button', { name: 'Reply' }).click();
    const sent = nextFromAlice();
    const input = alice.getByRole('textbox', { name: 'Message' });
    await input.fill('It is the east');
    await input.press('Enter');
    const reply = await sent;
    const r = reply.getChild('reply', 'urn:xmpp:reply:0');
    assert.equal(r?.attrs.id, 'good1');
    assert.equal(r?.attrs.to, 'bob@localhost/desk', 'the author of the message answered, full JID (XEP-0461 §3)');
    const body = reply.getChildText('body')!;
    assert.equal(body, '> But soft, what light through yonder window breaks?\nIt is the east');
    const fb = reply.getChild('fallback', 'urn:xmpp:fallback:0');
    assert.equal(fb?.attrs.for, 'urn:xmpp:reply:0');
    const range = fb?.getChild('body');
    assert.equal(Array.from(body).slice(Number(range?.attrs.start), Number(range?.attrs.end)).join(''), '> But soft, what light through yonder window breaks?\n');

    // bob answers alice's reply the same way; alice sees the quote and the body without the fallback
    const quote = '> It is the east\n';
    await bob.send(xml('message', { to: 'alice@localhost', type: 'chat', id: 'bob-reply' },
      xml('body', {}, `${quote}and Juliet is the sun`),
      xml('reply', { xmlns: 'urn:xmpp:reply:0', to: 'alice@localhost', id: reply.attrs.id }),
      xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: 'urn:xmpp:reply:0' }, xml('body', { start: '0', end: String(Array.from(quote).length) }))));
    const answer = log().locator('.bubble.in').filter({ hasText: 'and Juliet is the sun' });
    await answer.waitFor();
    assert.equal(await answer.locator('.body').textContent(), 'and Juliet is the sun', 'the fallback is not in the body');
    assert.equal(await answer.locator('.reply-quote').textContent(), 'It is the east', 'the quote is the message answered');
  });

  describe('rooms as bookmarks (XEP-0402)', () => {
    let probe: Client;
    const ROOM = 'bookclub@call.localhost';
    /** The items of alice's bookmarks node, as another client of her account retrieves them (§3.2). */
    const bookmarks = async (): Promise<Element[]> => {
      const res = await probe.iqCaller.request(xml('iq', { type: 'get', to: 'alice@localhost' },
        xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('items', { node: 'urn:xmpp:bookmarks:1' })))).catch(() => undefined);
      return (res?.getChild('pubsub')?.getChild('items')?.getChildren('item') ?? []) as Element[];
    };
    const roomView = () => alice.getByRole('region', { name: 'Room bookclub' });
    const OPTIONS = { FORM_TYPE: 'http://jabber.org/protocol/pubsub#publish-options', 'pubsub#persist_items': 'true', 'pubsub#max_items': 'max', 'pubsub#send_last_published_item': 'never', 'pubsub#access_model': 'whitelist' };
    /** Another client of the account publishes a bookmark with the XEP-0402 publish-options (§3.3). */
    const publish = (room: string, attrs: Record<string, string>, nick?: string) => probe.iqCaller.request(xml('iq', { type: 'set' },
      xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' },
        xml('publish', { node: 'urn:xmpp:bookmarks:1' }, xml('item', { id: room }, xml('conference', { xmlns: 'urn:xmpp:bookmarks:1', ...attrs }, ...(nick ? [xml('nick', {}, nick)] : [])))),
        xml('publish-options', {}, xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
          ...Object.entries(OPTIONS).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))))))));
    /** … and retracts one, notifying the account's clients (§3.4). */
    const retract = (room: string) => probe.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' },
      xml('retract', { node: 'urn:xmpp:bookmarks:1', notify: 'true' }, xml('item', { id: room })))));
    before(async () => {
      probe = xmppClient({ service: `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, domain: 'localhost', resource: 'probe', username: 'alice', password: 'alice-pass' });
      probe.on('error', () => undefined);
      probe.reconnect.stop();
      await probe.start();
    });
    after(async () => {
      await probe?.stop().catch(() => undefined);
    });

    it('joining a room publishes its bookmark, which another client of the account retrieves', async () => {
      await alice.getByRole('button', { name: 'Rooms', exact: true }).click();
      await alice.getByLabel('Room', { exact: true }).fill('bookclub');
      await alice.getByLabel('Room', { exact: true }).press('Enter');
      await roomView().getByRole('complementary', { name: 'Occupants' }).getByText('alice (you)').waitFor();
      // the publish follows the join and tells this client nothing: read the node until it is there
      const items = await untilValue(bookmarks, (it) => it.length > 0, 'the bookmarks node');
      assert.equal(items.length, 1);
      assert.equal(items[0]!.attrs.id, ROOM, 'item id = room JID (§3)');
      const conf = items[0]!.getChild('conference', 'urn:xmpp:bookmarks:1');
      assert.ok(conf, 'a <conference/> in urn:xmpp:bookmarks:1');
      assert.equal(conf.attrs.autojoin, 'true');
      assert.equal(conf.getChildText('nick'), 'alice');
      // the publish-options made the node private and keeping every item (§3.3)
      const cfg = await probe.iqCaller.request(xml('iq', { type: 'get', to: 'alice@localhost' },
        xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub#owner' }, xml('configure', { node: 'urn:xmpp:bookmarks:1' }))));
      const fields = new Map(((cfg.getChild('pubsub')?.getChild('configure')?.getChild('x', 'jabber:x:data')?.getChildren('field') ?? []) as Element[])
        .map((f) => [f.attrs.var as string, f.getChildText('value')]));
      assert.equal(fields.get('pubsub#access_model'), 'whitelist');
      assert.equal(fields.get('pubsub#send_last_published_item'), 'never');
      assert.equal(fields.get('pubsub#max_items'), 'max');
    });

    it('after signing out and in again the room is joined again', async () => {
      await alice.getByRole('button', { name: 'Sign out' }).click();
      await alice.getByLabel('Address').waitFor();
      await signIn();
      await alice.getByRole('button', { name: 'Rooms', exact: true }).click();
      // listed among the joined rooms (not the saved ones to join by hand): the sign-in joined it
      await alice.getByRole('region', { name: 'Joined rooms' }).getByRole('button', { name: /bookclub/ }).click();
      await roomView().getByRole('complementary', { name: 'Occupants' }).getByText('alice (you)').waitFor();
      assert.equal((await bookmarks()).length, 1, 'joining from the bookmark does not add another');
    });

    it('leaving the room retracts its bookmark', async () => {
      await roomView().getByRole('button', { name: 'Leave room' }).click();
      await untilValue(bookmarks, (it) => it.length === 0, 'the bookmarks node after leaving');
    });

    it('lists a bookmark without autojoin under Saved rooms at sign-in, and joins it on a click', async () => {
      // another client of the account saves a room not to join by itself (§3.3, autojoin false)
      await probe.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' },
        xml('publish', { node: 'urn:xmpp:bookmarks:1' }, xml('item', { id: 'library@call.localhost' },
          xml('conference', { xmlns: 'urn:xmpp:bookmarks:1', name: 'The Library', autojoin: 'false' }, xml('nick', {}, 'ali')))),
        xml('publish-options', {}, xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
          ...Object.entries({ FORM_TYPE: 'http://jabber.org/protocol/pubsub#publish-options', 'pubsub#persist_items': 'true', 'pubsub#max_items': 'max', 'pubsub#send_last_published_item': 'never', 'pubsub#access_model': 'whitelist' })
            .map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))))))));
      await alice.getByRole('button', { name: 'Sign out' }).click();
      await alice.getByLabel('Address').waitFor();
      await signIn();
      await alice.getByRole('button', { name: 'Rooms', exact: true }).click();
      const saved = alice.getByRole('region', { name: 'Saved rooms' });
      await saved.getByRole('button', { name: /The Library/ }).click();
      await alice.getByRole('region', { name: 'Room library' }).getByRole('complementary', { name: 'Occupants' }).getByText('ali (you)').waitFor();
      // joined now, the bookmark says so (autojoin true), with the nickname it named
      const items = await untilValue(bookmarks, (it) => it.some((i) => i.getChild('conference')?.attrs.autojoin === 'true'), 'the updated bookmark');
      const conf = items.find((i) => i.attrs.id === 'library@call.localhost')?.getChild('conference');
      assert.equal(conf?.getChildText('nick'), 'ali');
      assert.equal(conf?.attrs.name, 'The Library', 'the name another client gave it is kept');
    });

    it('a bookmark published or retracted by another client appears and goes without a reload (XEP-0402 §4, +notify)', async () => {
      // our caps say +notify (XEP-0115): the server sends us the node's notifications
      const browserPresence = new Promise<Element>((resolve) => {
        const on = (st: Element) => {
          if (st.is('presence') && st.attrs.from?.startsWith('alice@localhost/') && st.attrs.from !== 'alice@localhost/probe' && st.getChild('c', 'http://jabber.org/protocol/caps')) {
            probe.off('stanza', on);
            resolve(st);
          }
        };
        probe.on('stanza', on);
      });
      await probe.send(xml('presence'));
      const full = (await browserPresence).attrs.from as string;
      const info = await probe.iqCaller.request(xml('iq', { type: 'get', to: full }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var as string);
      assert.ok(features.includes('urn:xmpp:bookmarks:1+notify'), features.join(' '));

      const saved = alice.getByRole('region', { name: 'Saved rooms' });
      await publish('poetry@call.localhost', { name: 'Poetry Corner', autojoin: 'false' });
      await saved.getByRole('button', { name: /Poetry Corner/ }).waitFor();
      await retract('poetry@call.localhost');
      await saved.getByRole('button', { name: /Poetry Corner/ }).waitFor({ state: 'detached' });
      // autojoin: the room is joined here too; retracted, it is left here too
      await publish('chess@call.localhost', { name: 'Chess', autojoin: 'true' }, 'alice-c');
      const joined = alice.getByRole('region', { name: 'Joined rooms' });
      await joined.getByRole('button', { name: /chess/i }).click();
      await alice.getByRole('region', { name: 'Room chess' }).getByRole('complementary', { name: 'Occupants' }).getByText('alice-c (you)').waitFor();
      await retract('chess@call.localhost');
      await joined.getByRole('button', { name: /chess/i }).waitFor({ state: 'detached' });
    });
  });
  describe('corrections and replies in a room (XEP-0308, XEP-0461)', () => {
    const ROOM = 'readers@call.localhost';
    const MUC_USER = 'http://jabber.org/protocol/muc#user';
    let mallory: Client;
    const room = () => alice.getByRole('region', { name: 'Room readers' });
    const roomLog = () => room().getByRole('log', { name: 'Room messages' });
    const bubble = (text: string) => roomLog().locator('.bubble').filter({ hasText: text });
    /** The next stanza `c` receives that `match` takes. */
    const next = (c: Client, match: (st: Element) => boolean) => new Promise<Element>((resolve) => {
      const on = (st: Element) => { if (match(st)) { c.off('stanza', on); resolve(st); } };
      c.on('stanza', on);
    });
    const groupchatFrom = (nick: string, body?: string) => (st: Element) => st.is('message') && st.attrs.type === 'groupchat'
      && st.attrs.from === `${ROOM}/${nick}` && !!st.getChildText('body') && (body === undefined || st.getChildText('body') === body);
    const stanzaId = (st: Element) => st.getChildren('stanza-id').find((x) => x.attrs.by === ROOM)?.attrs.id as string;
    /** `c` enters the room as `nick` (XEP-0045 §7.2) and is seen in alice's list. */
    const enter = async (c: Client, nick: string) => {
      const self = next(c, (st) => st.is('presence') && st.attrs.from === `${ROOM}/${nick}`
        && !!st.getChild('x', MUC_USER)?.getChildren('status').some((x) => x.attrs.code === '110'));
      await c.send(xml('presence', { to: `${ROOM}/${nick}` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' }, xml('history', { maxstanzas: '0' }))));
      await self;
      await room().getByRole('complementary', { name: 'Occupants' }).locator('li', { hasText: nick }).first().waitFor();
    };
    const say = (c: Client, id: string, body: string, ...extra: Element[]) =>
      c.send(xml('message', { to: ROOM, type: 'groupchat', id }, xml('body', {}, body), ...extra));
    const replace = (id: string) => xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id });
    let bobsFox: Element;
    let alicesHello: Element;

    before(async () => {
      await srv.users.add('mallory', 'mallory-pass');
      mallory = xmppClient({ service: `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, domain: 'localhost', resource: 'm', username: 'mallory', password: 'mallory-pass' });
      mallory.on('error', () => undefined);
      mallory.reconnect.stop();
      await mallory.start();
      if (!(await alice.getByRole('region', { name: 'Rooms view' }).isVisible())) await alice.getByRole('button', { name: 'Rooms', exact: true }).click();
      await alice.getByLabel('Room', { exact: true }).fill('readers');
      await alice.getByLabel('Room', { exact: true }).press('Enter');
      await room().getByRole('complementary', { name: 'Occupants' }).getByText('alice (you)').waitFor();
      await enter(bob, 'bob');
      await enter(mallory, 'mallory');
    });
    after(async () => {
      await mallory?.stop().catch(() => undefined);
    });

    it('a correction from the same occupant replaces its message; one from someone else does not (§5)', async () => {
      const echo = next(bob, groupchatFrom('bob', 'The quick brown fox'));
      await say(bob, 'rb1', 'The quick brown fox');
      bobsFox = await echo;
      await bubble('The quick brown fox').waitFor();
      await say(mallory, 'rm1', 'The quick red fox', replace('rb1'));
      await bubble('The quick red fox').waitFor();
      assert.equal(await bubble('The quick brown fox').count(), 1, 'mallory\'s correction of bob\'s message is not applied');
      await say(bob, 'rb2', 'The quick grey fox', replace('rb1'));
      await bubble('The quick grey fox').getByText('edited').waitFor();
      assert.equal(await bubble('The quick brown fox').count(), 0, 'the old text is gone');
      assert.equal(await roomLog().locator('.bubble').filter({ hasText: 'fox' }).count(), 2, 'bob\'s message (corrected) and mallory\'s');
      assert.equal(await bubble('The quick red fox').getByText('edited').count(), 0);
    });

    it('alice corrects her last room message with the Up arrow', async () => {
      const input = room().getByRole('textbox', { name: 'Message to the room' });
      const first = next(bob, groupchatFrom('alice', 'helo readers'));
      await input.fill('helo readers');
      await input.press('Enter');
      alicesHello = await first;
      await bubble('helo readers').waitFor();
      await input.press('ArrowUp');
      assert.equal(await input.inputValue(), 'helo readers', 'the composer holds the message to correct');
      const second = next(bob, groupchatFrom('alice', 'hello readers'));
      await input.fill('hello readers');
      await input.press('Enter');
      const correction = await second;
      assert.equal(correction.getChild('replace', 'urn:xmpp:message-correct:0')?.attrs.id, alicesHello.attrs.id, 'replace names the original id (§4)');
      assert.notEqual(correction.attrs.id, alicesHello.attrs.id);
      await bubble('hello readers').getByText('edited').waitFor();
      assert.equal(await bubble('helo readers').count(), 0);
      assert.equal(await roomLog().locator('.bubble.out').count(), 1);
    });

    it('replies name the room\'s stanza-id and the author\'s occupant JID, and show as a quote', async () => {
      await bubble('The quick grey fox').getByRole('button', { name: 'Reply' }).click();
      const sent = next(bob, groupchatFrom('alice'));
      const input = room().getByRole('textbox', { name: 'Message to the room' });
      await input.fill('Jumps over');
      await input.press('Enter');
      const reply = await sent;
      const r = reply.getChild('reply', 'urn:xmpp:reply:0');
      assert.equal(r?.attrs.id, stanzaId(bobsFox), 'XEP-0461 §3: in a room, the stanza-id the room gave it');
      assert.equal(r?.attrs.to, `${ROOM}/bob`);
      const body = reply.getChildText('body')!;
      assert.equal(body, '> The quick grey fox\nJumps over');
      const range = reply.getChild('fallback', 'urn:xmpp:fallback:0')?.getChild('body');
      assert.equal(Array.from(body).slice(Number(range?.attrs.start), Number(range?.attrs.end)).join(''), '> The quick grey fox\n');
      // bob answers alice's corrected message
      const quote = '> hello readers\n';
      await say(bob, 'rb3', `${quote}welcome`, xml('reply', { xmlns: 'urn:xmpp:reply:0', to: `${ROOM}/alice`, id: stanzaId(alicesHello) }),
        xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: 'urn:xmpp:reply:0' }, xml('body', { start: '0', end: String(Array.from(quote).length) })));
      const answer = bubble('welcome');
      await answer.waitFor();
      assert.equal(await answer.locator('.body').textContent(), 'welcome', 'the fallback is not in the body');
      assert.equal(await answer.locator('.reply-quote').textContent(), 'hello readers', 'the quote is the message answered');
    });

    it('someone else under bob\'s nickname cannot correct bob\'s message (real JIDs compared, §5)', async () => {
      const gone = next(mallory, (st) => st.is('presence') && st.attrs.from === `${ROOM}/bob` && st.attrs.type === 'unavailable');
      await bob.send(xml('presence', { to: `${ROOM}/bob`, type: 'unavailable' }));
      await gone;
      // mallory takes the nickname (§7.6) and sends a correction of bob's message
      const renamed = next(mallory, (st) => st.is('presence') && st.attrs.from === `${ROOM}/bob` && st.attrs.type !== 'unavailable');
      await mallory.send(xml('presence', { to: `${ROOM}/bob` }));
      await renamed;
      await say(mallory, 'rm2', 'The quick pink fox', replace('rb1'));
      await bubble('The quick pink fox').waitFor();
      assert.equal(await roomLog().locator('.bubble .body').filter({ hasText: 'The quick grey fox' }).count(), 1, 'bob\'s text stays');
      assert.equal(await roomLog().locator('.bubble .body').filter({ hasText: 'The quick brown fox' }).count(), 0);
    });

    it('after leaving and joining again, the history from the room\'s archive (XEP-0313) has the corrections applied', async () => {
      await room().getByRole('button', { name: 'Leave room' }).click();
      await room().waitFor({ state: 'detached' });
      await alice.getByLabel('Room', { exact: true }).fill('readers');
      await alice.getByLabel('Room', { exact: true }).press('Enter');
      await bubble('welcome').waitFor();
      await bubble('The quick grey fox').getByText('edited').waitFor();
      await bubble('hello readers').getByText('edited').waitFor();
      for (const gone of ['The quick brown fox', 'helo readers']) assert.equal(await bubble(gone).count(), 0, gone);
      assert.equal(await roomLog().locator('.bubble .body').filter({ hasText: 'The quick grey fox' }).count(), 1, 'the corrected message, once');
      for (const own of ['The quick red fox', 'The quick pink fox']) assert.equal(await bubble(own).count(), 1, `${own}: a message of its own`);
      assert.equal(await bubble('welcome').locator('.reply-quote').textContent(), 'hello readers');
    });

    it('shows the latest page of a long room history and pages back through the archive to its first message (XEP-0313, RSM before)', async () => {
      const N = 120; // more than two pages of 50
      const label = (i: number) => `page ${String(i).padStart(3, '0')}`;
      // mallory (in the room since the start, whatever her nickname now) writes them
      const last = next(mallory, (st) => st.is('message') && st.attrs.type === 'groupchat' && st.getChildText('body') === label(N));
      for (let i = 1; i <= N; i++) await say(mallory, `p${i}`, label(i));
      await last;
      await room().getByRole('button', { name: 'Leave room' }).click();
      await room().waitFor({ state: 'detached' });
      await alice.getByLabel('Room', { exact: true }).fill('readers');
      await alice.getByLabel('Room', { exact: true }).press('Enter');
      await bubble(label(N)).waitFor();
      assert.equal(await bubble(label(1)).count(), 0, 'the first message is not on the latest page');
      const older = roomLog().getByRole('button', { name: 'Load earlier messages' });
      for (let i = 0; i < 5 && (await bubble(label(1)).count()) === 0; i++) {
        await older.click();
        // the page is in once the button is enabled again (or gone: the archive's start)
        await alice.waitForFunction(() => !document.querySelector('.messages .older button[disabled]'));
      }
      await bubble(label(1)).waitFor();
      const shown = (await roomLog().locator('.bubble .body').allTextContents()).map((t) => t.trim()).filter((t) => /^page \d{3}$/.test(t));
      assert.deepEqual(shown, Array.from({ length: N }, (_, i) => label(i + 1)), 'every message once, oldest first');
      await older.waitFor({ state: 'detached' }); // nothing older than the room's first message
    });
  });
});
