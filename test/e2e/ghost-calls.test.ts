// No ghost calls, end to end: Carillon's server and bob's web client in Chromium. alice, on an
// independent XMPP stack, proposes calls the way Conversations does (XEP-0353). A propose the
// server re-delivers with a XEP-0203 <delay/> — from an expired XEP-0198 session of bob's phone,
// or from offline storage — must not ring: it shows as a missed call in the conversation, and bob
// never answers it with <ringing/>. A fresh propose rings.
import { strict as assert } from 'node:assert';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/chromium.js';
import { RawConnection } from '../server/raw.js';
import { befriend, collect, connect, next, startTestServer, stopAll, xml, type TestServer, type XmlElement, type XmppClient } from '../server/helpers.js';
import { signIn as signInAt } from './support/sign-in.js';

const JMI = 'urn:xmpp:jingle-message:0';
const SM = 'urn:xmpp:sm:3';

function propose(to: string, id: string): XmlElement {
  return xml('message', { to, type: 'chat', id: `m-${id}` },
    xml('propose', { xmlns: JMI, id }, xml('description', { xmlns: 'urn:xmpp:jingle:apps:rtp:1', media: 'audio' })),
    xml('store', { xmlns: 'urn:xmpp:hints' }));
}

const jmiOf = (action: string, id: string) => (el: XmlElement) => el.is('message') && el.getChild(action, JMI)?.attrs.id === id;

describe('web client: no ghost calls (XEP-0353 propose re-delivered with a XEP-0203 delay)', function () {
  this.timeout(60_000);
  let srv: TestServer;
  let browser: Browser;
  let bob: Page;
  let alice: XmppClient;
  const errors: string[] = [];

  const signIn = async () => {
    await signInAt(bob, srv.ports.http, 'bob');
  };
  const log = () => bob.getByRole('log', { name: 'Messages' });
  const openAlice = () => bob.getByRole('button', { name: /^alice, / }).click();

  before(async () => {
    // a hibernating session expires after a second (XEP-0198 §5), so its stanzas come back quickly
    srv = await startTestServer({ limits: { resumeSeconds: 1 } });
    await srv.users.add('alice@localhost', 'alice-pass');
    await srv.users.add('bob@localhost', 'bob-pass');
    alice = await connect(srv, 'alice', 'alice-pass', { resource: 'phone' });
    const bobSetup = await connect(srv, 'bob', 'bob-pass', { resource: 'setup' });
    await befriend(alice, 'alice@localhost', bobSetup, 'bob@localhost');
    await stopAll(bobSetup);
    browser = await launchChromium();
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctx.setDefaultTimeout(15_000);
    bob = await ctx.newPage();
    bob.on('pageerror', (e) => errors.push(e.message));
    await signIn();
    await bob.getByRole('button', { name: /^alice, Available/ }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await stopAll(alice);
    await srv?.stop();
  });

  afterEach(() => assert.deepEqual(errors.splice(0), [], 'no uncaught errors in the page'));

  it('a propose re-delivered after the phone\'s XEP-0198 session expired does not ring: a missed call', async () => {
    // bob's phone: Stream Management with resumption, and it never acknowledges anything
    const phone = await RawConnection.open(srv.ports.c2s!);
    await phone.login('bob', 'bob-pass', 'phone');
    phone.send(`<enable xmlns='${SM}' resume='true'/>`);
    await phone.waitFor(/<enabled xmlns="urn:xmpp:sm:3"/);
    phone.send('<presence/>');
    await phone.waitFor(/<presence/);
    const ringing = collect(alice, jmiOf('ringing', 'ghost-sm'));
    await alice.send(propose('bob@localhost/phone', 'ghost-sm'));
    await phone.waitFor(/id="ghost-sm"/);
    const redelivered = srv.server.metrics.unacked.messages;
    phone.end(); // the connection drops: the session hibernates, expires, and its propose goes to the browser

    await openAlice();
    await log().getByText('Missed audio call').waitFor();
    assert.equal(srv.server.metrics.unacked.messages, redelivered + 1, 'the server re-delivered the unacknowledged propose');
    assert.equal(await bob.getByRole('dialog', { name: 'Incoming call' }).count(), 0, 'it did not ring');
    assert.deepEqual((await ringing.done()).map(String), [], 'bob answered no <ringing/> for it');
  });

  it('a fresh propose rings, and retracted it is a missed call', async () => {
    const ringing = next(alice, jmiOf('ringing', 'fresh-1'));
    await alice.send(propose('bob@localhost', 'fresh-1'));
    const incoming = bob.getByRole('dialog', { name: 'Incoming call' });
    await incoming.getByText('Incoming audio call').waitFor();
    const r = await ringing;
    assert.match(r.attrs.from!, /^bob@localhost\/carillon-/, "XEP-0353 §3.1: the browser's ringing, from its full JID");
    await alice.send(xml('message', { to: 'bob@localhost', type: 'chat' }, xml('retract', { xmlns: JMI, id: 'fresh-1' }, xml('reason', { xmlns: 'urn:xmpp:jingle:1' }, xml('cancel'))), xml('store', { xmlns: 'urn:xmpp:hints' })));
    await bob.getByRole('status').filter({ hasText: 'Missed call from alice' }).waitFor();
    await bob.getByRole('button', { name: 'Close' }).click();
    assert.equal(await log().getByText('Missed audio call').count(), 2, 'the expired one and this one');
  });

  it('proposes from offline storage do not ring: one missed line each, even with their retract', async () => {
    const gone = next(alice, (el) => el.is('presence') && el.attrs.type === 'unavailable' && el.attrs.from?.startsWith('bob@localhost/') === true);
    await bob.getByRole('button', { name: 'Sign out' }).click();
    await bob.getByLabel('Address').waitFor();
    await gone; // bob has no resource left: what follows goes to offline storage
    await alice.send(propose('bob@localhost', 'offline-1'));
    await alice.send(propose('bob@localhost', 'offline-2'));
    await alice.send(xml('message', { to: 'bob@localhost', type: 'chat' }, xml('retract', { xmlns: JMI, id: 'offline-2' }), xml('store', { xmlns: 'urn:xmpp:hints' })));
    const ringing = collect(alice, (el) => el.is('message') && el.getChild('ringing', JMI) !== undefined);

    await signIn();
    await bob.getByRole('button', { name: /^alice, .*2 unread$/ }).waitFor();
    await openAlice();
    // the conversation starts empty after signing in again: both stored proposes are in it, once each
    await log().getByText('Missed audio call').nth(1).waitFor();
    assert.equal(await log().getByText('Missed audio call').count(), 2);
    assert.equal(await bob.getByRole('dialog', { name: 'Incoming call' }).count(), 0, 'nothing rang');
    assert.deepEqual((await ringing.done()).map(String), [], 'no <ringing/> for stored proposes');
  });

});
