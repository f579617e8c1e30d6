// Calls that explain themselves, end to end: alice's web client in Chromium calls bob, and says in
// words why the call cannot happen — bob is offline; bob's only client (an independent XMPP stack
// that answers disco#info without Jingle, as a text-only client does) cannot take calls, so nothing
// rings; and, with alice forced to relay-only ICE on a server that announces no TURN (XEP-0215),
// "no relay is configured on your server" — on the call screen and on the call's line in the chat.
import { strict as assert } from 'node:assert';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './support/chromium.js';
import { befriend, collect, connect, startTestServer, stopAll, xml, type TestServer, type XmlElement, type XmppClient } from '../server/helpers.js';
import { signIn as signInAt } from './support/sign-in.js';

const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const JMI = 'urn:xmpp:jingle-message:0';

describe('web client: calls that explain themselves', function () {
  this.timeout(90_000);
  let srv: TestServer;
  let browser: Browser;
  let ctxA: BrowserContext;
  let alice: Page;
  let bobText: XmppClient | undefined;
  const errors: string[] = [];

  const signIn = async (page: Page, user: string) => {
    await signInAt(page, srv.ports.http, user);
  };
  const log = (p: Page) => p.getByRole('log', { name: 'Messages' });

  before(async () => {
    srv = await startTestServer(); // no `turn` key: XEP-0215 lists no relay
    for (const u of ['alice', 'bob']) await srv.users.add(`${u}@localhost`, `${u}-pass`);
    const a = await connect(srv, 'alice', 'alice-pass', { resource: 'setup' });
    const b = await connect(srv, 'bob', 'bob-pass', { resource: 'setup' });
    await befriend(a, 'alice@localhost', b, 'bob@localhost');
    await stopAll(a, b);
    browser = await launchChromium();
    ctxA = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctxA.setDefaultTimeout(15_000);
    // the documented test-only switch: alice's calls use TURN candidates only
    await ctxA.addInitScript(() => localStorage.setItem('carillon.test.iceTransportPolicy', 'relay'));
    alice = await ctxA.newPage();
    alice.on('pageerror', (e) => errors.push(`alice: ${e.message}`));
    await signIn(alice, 'alice');
  });

  after(async () => {
    await browser?.close();
    await stopAll(bobText);
    await srv?.stop();
  });

  afterEach(() => assert.deepEqual(errors.splice(0), [], 'no uncaught errors in the pages'));

  it('bob is offline: says so at once, and nothing is sent to him', async () => {
    await alice.getByRole('button', { name: /^bob, Offline/ }).click();
    await alice.getByRole('button', { name: 'Audio call' }).click();
    await alice.getByRole('status').filter({ hasText: 'bob is offline' }).waitFor();
    await alice.getByRole('button', { name: 'Close' }).click();
    await log(alice).getByText('Audio call: bob is offline').waitFor();
    // nothing went to offline storage for him either: his next session gets no propose
    const b = await connect(srv, 'bob', 'bob-pass', { resource: 'check', sendPresence: false });
    const proposes = collect(b, (el) => el.is('message') && el.getChild('propose', JMI) !== undefined);
    await b.send(xml('presence'));
    assert.deepEqual((await proposes.done()).map(String), [], 'no propose stored for bob');
    await stopAll(b);
    await alice.getByRole('button', { name: /^bob, Offline/ }).waitFor();
  });

  it("none of bob's clients can take calls: a text-only client is asked (disco#info) and never rung", async () => {
    bobText = await connect(srv, 'bob', 'bob-pass', { resource: 'text', sendPresence: false });
    const asked: XmlElement[] = [];
    bobText.iqCallee.get(DISCO_INFO, 'query', (ctx: { stanza: XmlElement }) => {
      asked.push(ctx.stanza);
      return xml('query', { xmlns: DISCO_INFO }, xml('identity', { category: 'client', type: 'pc', name: 'text' }),
        xml('feature', { var: DISCO_INFO }), xml('feature', { var: 'urn:xmpp:receipts' }));
    });
    await bobText.send(xml('presence'));
    await alice.getByRole('button', { name: /^bob, Available/ }).waitFor();
    const proposes = collect(bobText, (el) => el.is('message') && el.getChild('propose', JMI) !== undefined);
    await alice.getByRole('button', { name: 'Video call' }).click();
    await alice.getByRole('status').filter({ hasText: "None of bob's clients can take calls" }).waitFor();
    assert.equal(asked.length, 1, 'alice asked bob\'s client what it supports');
    assert.equal(asked[0]!.attrs.from?.startsWith('alice@localhost/'), true);
    assert.deepEqual((await proposes.done()).map(String), [], 'nothing rang');
    await alice.getByRole('button', { name: 'Close' }).click();
    await log(alice).getByText("Video call: none of bob's clients can take calls").waitFor();
    await stopAll(bobText);
    bobText = undefined;
  });

  it('relay-only ICE without a relay from the server: "no relay is configured on your server", on both sides', async () => {
    const ctxB = await browser.newContext({ viewport: { width: 360, height: 720 }, isMobile: true, hasTouch: true });
    ctxB.setDefaultTimeout(15_000);
    const bob = await ctxB.newPage();
    bob.on('pageerror', (e) => errors.push(`bob: ${e.message}`));
    await signIn(bob, 'bob');
    await alice.getByRole('button', { name: /^bob, Available/ }).waitFor();
    await alice.getByRole('button', { name: 'Audio call' }).click();
    await bob.getByRole('dialog', { name: 'Incoming call' }).getByRole('button', { name: 'Accept' }).click();
    const words = 'Could not connect to bob — no relay is configured on your server';
    await alice.getByRole('status').filter({ hasText: words }).waitFor({ timeout: 45_000 });
    const policy = await alice.evaluate(() => localStorage.getItem('carillon.test.iceTransportPolicy'));
    assert.equal(policy, 'relay');
    await alice.getByRole('button', { name: 'Close' }).click();
    await log(alice).getByText(`Audio call: ${words.charAt(0).toLowerCase()}${words.slice(1)}`).waitFor();
    await bob.getByRole('status').filter({ hasText: 'Could not connect to alice — no relay is configured on your server' }).waitFor({ timeout: 45_000 });
    await ctxB.close();
  });
});
