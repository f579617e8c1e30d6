// ICE restart (XEP-0176 §2.4) in a running call, end to end in Chromium: a network change (the
// page's `online` event, what a laptop moving from Wi-Fi to a phone's hotspot fires) makes that
// side offer a restart — a transport-info with a new ufrag/pwd and no candidates — and the other
// side (a browser, or the call component) answers with its own new ufrag/pwd and candidates.
// What goes over the wire is read from each page's XMPP WebSocket frames (RFC 7395: one stanza a
// frame); that the restart took effect on both sides, from getStats(): each transport's local
// ufrag (RTCTransportStats.iceLocalUsernameFragment) is the new one it sent. The sid stays, and
// decoded video frames keep growing on both sides afterwards.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import * as ltx from 'ltx';
import type { Element } from 'ltx';
import { startCarillon, type Carillon } from '../../server/index.js';
import { launchChromium } from './support/chromium.js';
import { befriend, connect, stopAll } from '../server/helpers.js';
import { freePortRange } from '../support/ports.js';
import { until, untilValue } from '../support/until.js';
import { signIn as signInAt } from './support/sign-in.js';

const NS_JINGLE = 'urn:xmpp:jingle:1';
const NS_ICE = 'urn:xmpp:jingle:transports:ice-udp:1';
const ROOM = 'restart@call.localhost';

/** Every IQ a page sent or received over its XMPP WebSocket, in order (Jingle sets and their results). */
interface Wire { sent: Element[]; received: Element[] }
function tap(page: Page): Wire {
  const wire: Wire = { sent: [], received: [] };
  const keep = (into: Element[]) => (f: { payload: string | Buffer }) => {
    try {
      const el = ltx.parse(String(f.payload)) as Element;
      if (el.is('iq')) into.push(el);
    } catch { /* framing (<open/>, <close/>) and partial data are not stanzas */ }
  };
  page.on('websocket', (ws) => {
    ws.on('framesent', keep(wire.sent));
    ws.on('framereceived', keep(wire.received));
  });
  return wire;
}

interface Transport { sid: string; action: string; ufrag?: string; pwd?: string; candidates: number }
const jingles = (els: Element[]): Element[] => els.filter((iq) => iq.getChild('jingle', NS_JINGLE));
const transports = (els: Element[]): Transport[] => jingles(els).flatMap((iq) => {
  const j = iq.getChild('jingle', NS_JINGLE)!;
  return j.getChildren('content').map((c) => {
    const t = c.getChild('transport', NS_ICE);
    return { sid: j.attrs.sid as string, action: j.attrs.action as string, ufrag: t?.attrs.ufrag, pwd: t?.attrs.pwd, candidates: t?.getChildren('candidate').length ?? 0 };
  });
});
/** The restart offers (no candidates) and answers (with candidates) among a page's transport-infos, by new ufrag. */
const restarts = (els: Element[], sid: string, before: Set<string>, withCandidates: boolean): Transport[] =>
  transports(els).filter((t) => t.sid === sid && t.action === 'transport-info' && t.ufrag && t.pwd && !before.has(t.ufrag) && (t.candidates > 0) === withCandidates);

/**
 * The page's call statistics: decoded video frames; the ufrag of the selected pair's local
 * candidate (which ICE generation carries the media); the transport's local ufrag (which
 * generation the transport is in, RTCTransportStats.iceLocalUsernameFragment).
 */
async function media(page: Page, what: 'calls' | 'rooms'): Promise<{ frames: number; pairUfrag?: string; transportUfrag?: string }> {
  return page.evaluate(async (w) => {
    const app = (globalThis as unknown as { carillon: Record<string, { stats(): Promise<RTCStatsReport | undefined> } | undefined> }).carillon;
    const report = await app[w]?.stats();
    let frames = 0;
    let transport: { selectedCandidatePairId?: string; iceLocalUsernameFragment?: string } | undefined;
    report?.forEach((r: { type: string; kind?: string; framesDecoded?: number; selectedCandidatePairId?: string }) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') frames += r.framesDecoded ?? 0;
      if (r.type === 'transport' && r.selectedCandidatePairId) transport = r;
    });
    const pair = transport?.selectedCandidatePairId ? report?.get(transport.selectedCandidatePairId) as { localCandidateId: string } | undefined : undefined;
    const local = pair ? report?.get(pair.localCandidateId) as { usernameFragment?: string } | undefined : undefined;
    return { frames, pairUfrag: local?.usernameFragment, transportUfrag: transport?.iceLocalUsernameFragment };
  }, what);
}

describe('ICE restart in a running call (XEP-0176 §2.4): 1:1 and through the call component', function () {
  this.timeout(240_000);
  let srv: Carillon;
  let dataDir: string;
  let browser: Browser;
  let alice: Page;
  let bob: Page;
  let wireA: Wire;
  let wireB: Wire;
  const errors: string[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'carillon-e2e-icerestart-'));
    srv = await startCarillon({
      domain: 'localhost', dataDir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: 0 },
      s2s: { port: null }, components: { port: 0 }, call: { media: { ...(await freePortRange(100)), publicAddress: null } },
      log: { level: 'silent' },
    });
    for (const u of ['alice', 'bob']) await srv.users.add(`${u}@localhost`, `${u}-pass`);
    const a = await connect(srv, 'alice', 'alice-pass', { resource: 'setup' });
    const b = await connect(srv, 'bob', 'bob-pass', { resource: 'setup' });
    await befriend(a, 'alice@localhost', b, 'bob@localhost');
    await stopAll(a, b);
    browser = await launchChromium();
    const pages: Page[] = [];
    for (const who of ['alice', 'bob']) {
      const ctx = await browser.newContext({ viewport: { width: 1000, height: 760 } });
      ctx.setDefaultTimeout(60_000);
      const p = await ctx.newPage();
      p.on('pageerror', (e) => errors.push(`${who}: ${e.message}`));
      pages.push(p);
    }
    [alice, bob] = pages as [Page, Page];
    wireA = tap(alice);
    wireB = tap(bob);
    for (const [who, p] of [['alice', alice], ['bob', bob]] as const) {
      await signInAt(p, srv.ports.http, who);
    }
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  afterEach(() => assert.deepEqual(errors.splice(0), [], 'no uncaught errors in the pages'));

  /** Every ufrag a page sent so far in this session (its own ICE generations). */
  const ufragsSent = (wire: Wire, sid: string) => new Set(transports(wire.sent).filter((t) => t.sid === sid && t.ufrag).map((t) => t.ufrag!));

  /**
   * `from` has a network change: it offers a restart, `to` answers; the selected pair on `from`
   * moves to the new ufrag and video keeps decoding on both sides.
   */
  async function networkChange(from: Page, wireFrom: Wire, to: { page?: Page; wire: Wire }, sid: string, what: 'calls' | 'rooms') {
    const oursBefore = ufragsSent(wireFrom, sid);
    const theirsBefore = new Set(transports(wireFrom.received).filter((t) => t.sid === sid && t.ufrag).map((t) => t.ufrag!));
    await from.evaluate(() => globalThis.dispatchEvent(new Event('online')));
    const offer = (await untilValue(() => restarts(wireFrom.sent, sid, oursBefore, false), (o) => o.length > 0, 'the restart offer: a transport-info with a new ufrag/pwd and no candidates'))[0]!;
    const answer = (await untilValue(() => restarts(wireFrom.received, sid, theirsBefore, true), (a) => a.length > 0, 'the answer: a transport-info with the other side\'s new ufrag/pwd and candidates'))[0]!;
    assert.ok(offer.pwd!.length >= 22 && answer.pwd!.length >= 22, 'RFC 8839 §5.4: a pwd of at least 22 characters');
    // Conversations reads the answer's candidates only once its offer is acknowledged: the empty
    // result to the offer arrives before the answer
    const at = (els: Element[], pred: (iq: Element) => boolean) => els.findIndex(pred);
    const hasUfrag = (iq: Element, ufrag: string) => iq.getChild('jingle', NS_JINGLE)?.getChildren('content').some((c) => c.getChild('transport', NS_ICE)?.attrs.ufrag === ufrag) ?? false;
    const offerIq = wireFrom.sent.find((iq) => hasUfrag(iq, offer.ufrag!))!;
    const resultAt = at(wireFrom.received, (iq) => iq.attrs.type === 'result' && iq.attrs.id === offerIq.attrs.id);
    assert.ok(resultAt >= 0 && resultAt < at(wireFrom.received, (iq) => hasUfrag(iq, answer.ufrag!)), 'the IQ result to the offer before the answer');
    // (each page's frames reach the test as that page's events: the sent frame may be seen after the other's received one)
    if (to.page) await until(() => restarts(to.wire.sent, sid, theirsBefore, true).some((t) => t.ufrag === answer.ufrag), 'the answer among what the other side sent');
    // Both transports are now in the new ICE generation (their local ufrag is the one each sent),
    // and video keeps being decoded on both sides. The old path is not broken here, so which pair
    // carries the media is the controlling agent's choice (RFC 8445 §8.1.1): not asserted.
    await untilValue(() => media(from, what), (m) => m.transportUfrag === offer.ufrag, 'the transport to use the new local ufrag', 30_000);
    if (to.page) await untilValue(() => media(to.page!, what), (m) => m.transportUfrag === answer.ufrag, 'the other side\'s transport to use its new ufrag', 30_000);
    for (const p of to.page ? [from, to.page] : [from]) {
      const was = (await media(p, what)).frames;
      await untilValue(() => media(p, what), (m) => m.frames > was, `video frames to keep being decoded after the restart (were ${was})`, 30_000);
    }
    return { offer, answer };
  }

  it('1:1 video call: a restart from the caller and one from the callee, each answered; same session, video goes on', async () => {
    try {
      await oneToOne();
    } finally {
      // leave no call screen behind for the room test, whatever happened
      for (const p of [alice, bob]) {
        await p.evaluate(() => { const c = (globalThis as unknown as { carillon: { calls?: { hangup(): void; dismiss(): void } } }).carillon.calls; c?.hangup(); c?.dismiss(); });
      }
    }
  });

  async function oneToOne(): Promise<void> {
    await alice.getByRole('button', { name: /^bob, Available/ }).click();
    await alice.getByRole('button', { name: 'Video call' }).click();
    await bob.getByRole('dialog', { name: 'Incoming call' }).getByRole('button', { name: 'Accept' }).click();
    for (const p of [alice, bob]) await p.getByRole('timer', { name: 'Call duration' }).waitFor();
    const initiate = await untilValue(() => jingles(wireA.sent).find((iq) => iq.getChild('jingle', NS_JINGLE)?.attrs.action === 'session-initiate'), (x) => !!x, 'the session-initiate');
    const sid = initiate!.getChild('jingle', NS_JINGLE)!.attrs.sid as string;
    for (const p of [alice, bob]) await untilValue(() => media(p, 'calls'), (m) => m.frames > 0, 'video decoded before any restart', 30_000);

    // the caller (Jingle initiator) changes networks, then the callee (responder)
    await networkChange(alice, wireA, { page: bob, wire: wireB }, sid, 'calls');
    await networkChange(bob, wireB, { page: alice, wire: wireA }, sid, 'calls');

    const actions = new Set(jingles([...wireA.sent, ...wireB.sent]).map((iq) => iq.getChild('jingle', NS_JINGLE)!).filter((j) => j.attrs.sid !== sid).map((j) => j.attrs.action));
    assert.deepEqual([...actions], [], 'no other Jingle session was started');
    assert.equal(jingles([...wireA.sent, ...wireB.sent]).filter((iq) => iq.getChild('jingle', NS_JINGLE)!.attrs.action === 'session-initiate').length, 1);
    for (const p of [alice, bob]) await p.getByRole('timer', { name: 'Call duration' }).waitFor();
    // none of the Jingle requests of either side was refused
    for (const w of [wireA, wireB]) {
      const ids = new Set(jingles(w.sent).map((iq) => iq.attrs.id as string));
      assert.deepEqual(w.received.filter((iq) => iq.attrs.type === 'error' && ids.has(iq.attrs.id as string)).map((e) => e.toString()), []);
    }
    await alice.getByRole('button', { name: 'Hang up' }).click();
    await alice.getByRole('button', { name: 'Close' }).click();
    await bob.getByRole('status').filter({ hasText: /Call ended/ }).waitFor();
    await bob.getByRole('button', { name: 'Close' }).click();
  }

  it('room call: the call component answers a participant\'s restart, and forwarded video flows both ways after', async () => {
    for (const p of [alice, bob]) {
      await p.getByRole('button', { name: 'Rooms', exact: true }).click();
      await p.getByLabel('Room', { exact: true }).fill(ROOM);
      await p.getByRole('button', { name: 'Join', exact: true }).click();
      await p.getByRole('region', { name: 'Room restart' }).waitFor();
    }
    for (const p of [alice, bob]) {
      await p.getByRole('button', { name: 'Join call' }).click();
      await p.getByRole('dialog', { name: 'Call in restart' }).waitFor();
    }
    const initiate = await untilValue(() => wireA.sent.find((iq) => iq.attrs.to === ROOM && iq.getChild('jingle', NS_JINGLE)?.attrs.action === 'session-initiate'), (x) => !!x, 'alice\'s session-initiate to the room');
    const sid = initiate!.getChild('jingle', NS_JINGLE)!.attrs.sid as string;
    // each decodes the other's forwarded video before the restart
    for (const p of [alice, bob]) await untilValue(() => media(p, 'rooms'), (m) => m.frames > 0, 'forwarded video decoded', 90_000);
    const bobBefore = (await media(bob, 'rooms')).frames;

    const { answer } = await networkChange(alice, wireA, { wire: wireA }, sid, 'rooms');
    const fromRoom = wireA.received.filter((iq) => iq.attrs.from === ROOM && iq.getChild('jingle', NS_JINGLE)?.attrs.sid === sid);
    assert.ok(transports(fromRoom).some((t) => t.action === 'transport-info' && t.ufrag === answer.ufrag), 'the answer came from the room');
    // bob still receives alice's video through the room after her restart
    await untilValue(() => media(bob, 'rooms'), (m) => m.frames > bobBefore, 'bob to keep decoding alice\'s video');
    const later = (await media(bob, 'rooms')).frames;
    await untilValue(() => media(bob, 'rooms'), (m) => m.frames > later, 'and to go on decoding it');
    assert.equal(jingles(wireA.sent).filter((iq) => iq.getChild('jingle', NS_JINGLE)!.attrs.action === 'session-initiate' && iq.attrs.to === ROOM).length, 1, 'the same session');
    await until(async () => (await alice.getByRole('dialog', { name: 'Call in restart' }).count()) === 1, 'alice still in the call');
  });
});
