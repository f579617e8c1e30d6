// Dino 0.4 (Debian dino-im), a real native XMPP client, against Carillon and its web client:
// Dino signs in over STARTTLS with a certificate from a CA the test makes, chat goes both ways,
// and audio calls go each way with sound flowing both ways (getStats in the page; Dino's call
// window on its side), hung up from each side. Dino runs headless (support/dino.ts) and is
// driven through AT-SPI. A missing prerequisite fails the test with what to install.
// Dino's microphone opens only once Dino's call pipeline runs (its first RTCP report reaches the
// page): Dino 0.4.2 stops a microphone that delivers a sample while it builds that pipeline, and
// the call then carries no sound from Dino (support/dino.ts, docs/client.md). After each test
// both sides are brought back to no call, so a failed call does not fail the next one.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client as xmppClient } from '@xmpp/client';
import type { Browser, Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { startCarillon, type Carillon } from '../../server/index.js';
import { startDns, type TestDns } from '../federation/dns-server.js';
import { befriend, xml } from '../server/helpers.js';
import { untilValue } from '../support/until.js';
import { audioStat } from './support/call-stats.js';
import { launchChromium } from './support/chromium.js';
import { checkPrerequisites, DinoDesktop, testCertificates } from './support/dino.js';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const inboundAudio = (page: Page) => audioStat(page, 'inbound-rtp', 'bytesReceived');
const outboundAudio = (page: Page) => audioStat(page, 'outbound-rtp', 'bytesSent');
/** How many RTCP receiver reports on the page's audio came back (Dino's RTCP, getStats remote-inbound-rtp). */
const reportsFromPeer = (page: Page) => audioStat(page, 'remote-inbound-rtp', 'reportsReceived', 1);

/** Sound both ways in the page's current call with Dino. */
async function soundBothWays(page: Page, dino: DinoDesktop): Promise<void> {
  // Dino's microphone opens once its media pipeline runs, which its first RTCP report shows (its
  // RTCP leaves through that pipeline): a sample reaching Dino 0.4.2 while it still builds the
  // pipeline stops its microphone for the whole call (see support/dino.ts)
  await untilValue(() => reportsFromPeer(page), (n) => n > 0, 'Dino\'s RTCP reports on the audio from the web', 30_000);
  dino.microphone(true);
  const inFirst = await untilValue(() => inboundAudio(page), (b) => b > 0, 'audio from Dino', 30_000);
  await untilValue(() => inboundAudio(page), (b) => b > inFirst + 4000, 'audio from Dino to keep flowing');
  const outFirst = await untilValue(() => outboundAudio(page), (b) => b > 0, 'audio to Dino');
  await untilValue(() => outboundAudio(page), (b) => b > outFirst + 4000, 'audio to Dino to keep flowing');
}

/** The call's WebRTC state as the page sees it (getStats), for a failure message. */
async function callReport(page: Page): Promise<string> {
  // (no function declared inside: the page has no helper that names them)
  const stats = await page.evaluate(async () => {
    const app = (globalThis as unknown as { carillon: { calls?: { stats(): Promise<RTCStatsReport | undefined> } } }).carillon;
    const out: Array<Record<string, unknown>> = [];
    (await app.calls?.stats())?.forEach((r: Record<string, unknown>) => { out.push({ ...r }); });
    return out;
  });
  if (!stats.length) return 'no call in the page';
  const byId = new Map(stats.map((r) => [r.id as string, r]));
  const cand = (id: unknown) => {
    const c = byId.get(id as string);
    return c ? `${c.candidateType} ${c.protocol} ${c.address}:${c.port}` : String(id);
  };
  return stats.flatMap((r) => {
    if (r.type === 'transport') return [`transport ice=${r.iceState} dtls=${r.dtlsState} role=${r.dtlsRole} srtp=${r.srtpCipher} pair=${r.selectedCandidatePairId} bytes=${r.bytesSent}/${r.bytesReceived} packets=${r.packetsSent}/${r.packetsReceived}`];
    if (r.type === 'candidate-pair') return [`pair ${r.id} ${r.state}${r.nominated ? ' nominated' : ''} ${cand(r.localCandidateId)} -> ${cand(r.remoteCandidateId)} requests=${r.requestsSent}/${r.requestsReceived} responses=${r.responsesSent}/${r.responsesReceived} bytes=${r.bytesSent}/${r.bytesReceived}`];
    if (r.type === 'remote-inbound-rtp') return [`remote-inbound-rtp ${r.kind} ssrc=${r.ssrc} reports=${r.reportsReceived} lost=${r.packetsLost}`];
    if (r.type === 'inbound-rtp' || r.type === 'outbound-rtp') return [`${r.type} ${r.kind} ssrc=${r.ssrc} packets=${r.packetsReceived ?? r.packetsSent} bytes=${r.bytesReceived ?? r.bytesSent}`];
    return [];
  }).join('\n');
}

describe('Dino 0.4 (a native client) with Carillon and the web client', function () {
  this.timeout(60_000);
  let dir: string;
  let srv: Carillon;
  let dns: TestDns;
  let dino: DinoDesktop;
  let browser: Browser;
  let page: Page;

  before(async function () {
    this.timeout(120_000);
    checkPrerequisites();
    dir = mkdtempSync(join(tmpdir(), 'carillon-dino-'));
    const tls = testCertificates(join(dir, 'tls'), 'localhost');
    srv = await startCarillon({
      domain: 'localhost', dataDir: join(dir, 'data'), tls: { cert: tls.cert, key: tls.key },
      http: { port: 0 }, https: { port: null }, c2s: { port: 0 }, s2s: { port: null }, components: { port: null },
    });
    dns = await startDns({ localhost: { ip: '127.0.0.1', s2sPort: 0, c2sPort: srv.ports.c2s! } });
    await srv.users.add('alice@localhost', 'alice-pass');
    await srv.users.add('bob@localhost', 'bob-pass');
    // alice (Dino) and bob (web) are mutual contacts before either client starts
    const service = `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`;
    const [a, b] = ['alice', 'bob'].map((u) => xmppClient({ service, domain: 'localhost', username: u, password: `${u}-pass`, resource: 'setup' }));
    for (const c of [a!, b!]) { c.on('error', () => undefined); c.reconnect.stop(); await c.start(); await c.send(xml('presence')); }
    await befriend(a!, 'alice@localhost', b!, 'bob@localhost');
    await Promise.all([a!.stop(), b!.stop()]);

    // bob's web client first, so that Dino sees a resource that can take calls when it starts
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1000, height: 720 } })).newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`http://127.0.0.1:${srv.ports.http}/`);
    await page.getByLabel('Address').fill('bob@localhost');
    await page.getByLabel('Password').fill('bob-pass');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('region', { name: 'Contacts' }).waitFor();

    dino = await DinoDesktop.start({ dir: join(dir, 'dino'), caBundle: tls.caBundle, dnsPort: dns.port, jid: 'alice@localhost', password: 'alice-pass', resource: 'dino' });
  });

  afterEach(async function () {
    // what Dino showed and the end of its stanza log, to tell where a failure came from
    if (this.currentTest?.state === 'failed' && dino) {
      console.log(`--- the page's call (getStats) ---\n${await callReport(page).catch((e: Error) => e.message)}`);
      console.log(`--- Dino's windows ---\n${await dino.tree()}\n--- Dino's log (end) ---\n${dino.log().split('\n').slice(-60).join('\n')}`);
    }
    if (!dino || !page) return;
    // whatever a test left, the next starts with no call on either side and the microphone suspended
    dino.microphone(false);
    const hangUp = page.getByRole('button', { name: 'Hang up' });
    if (await hangUp.isVisible()) await hangUp.click();
    const incoming = page.getByRole('dialog', { name: 'Incoming call' });
    if (await incoming.isVisible()) await incoming.getByRole('button', { name: 'Decline' }).click();
    const ended = page.getByRole('dialog', { name: 'Call ended' });
    if (await ended.isVisible()) await ended.getByRole('button', { name: 'Close' }).click();
    if (!(await dino.drive('no-frame', 'CallWindow', 15))) {
      // a call Dino did not let go of (it keeps one whose peer went silent): a fresh Dino
      await dino.drive('hang-up', '', 1);
      if (!(await dino.drive('no-frame', 'CallWindow', 5))) await dino.restart();
    }
  });

  after(async () => {
    await dino?.stop();
    await browser?.close();
    await dns?.close();
    await srv?.close();
    if (dir && !process.env.KEEP_DINO) rmSync(dir, { recursive: true, force: true });
  });

  it('signs in over STARTTLS with the test CA\'s certificate, found by SRV', async () => {
    await page.getByRole('button', { name: /^alice, Available/ }).waitFor({ timeout: 30_000 });
  });

  it('chats both ways', async () => {
    await page.getByRole('button', { name: /^alice, / }).click();
    await page.getByRole('textbox', { name: 'Message' }).fill('Hello Dino, from the web');
    await page.getByRole('button', { name: 'Send' }).click();
    assert.ok(await dino.drive('wait-label', 'Hello Dino, from the web', 20), 'the message shows in Dino');
    // the conversation is open and its message box has the focus
    dino.type('Hello web, from Dino');
    await page.getByRole('log', { name: 'Messages' }).getByText('Hello web, from Dino').waitFor();
  });

  it('web → Dino audio call: Dino accepts, sound flows both ways, the web side hangs up', async () => {
    await page.getByRole('button', { name: 'Audio call' }).click();
    assert.ok(await dino.drive('click-button', 'Accept', 25), 'Dino rings and its Accept is clicked');
    await page.getByRole('timer', { name: 'Call duration' }).waitFor();
    await soundBothWays(page, dino);
    assert.ok(await dino.drive('has-frame', 'CallWindow', 5), 'Dino shows its call window');
    await page.getByRole('button', { name: 'Hang up' }).click();
    await page.getByRole('status').filter({ hasText: 'Call ended' }).waitFor();
    assert.ok(await dino.drive('no-frame', 'CallWindow', 15), 'Dino\'s call window closes');
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('Dino → web audio call: the web accepts, sound flows both ways, Dino hangs up', async () => {
    assert.ok(await dino.drive('action', 'call.audio', 25), 'Dino offers an audio call to bob');
    await page.getByRole('dialog', { name: 'Incoming call' }).getByRole('button', { name: 'Accept' }).click();
    await page.getByRole('timer', { name: 'Call duration' }).waitFor();
    await soundBothWays(page, dino);
    assert.ok(await dino.drive('has-frame', 'CallWindow', 5), 'Dino shows its call window');
    assert.ok(await dino.drive('hang-up', '', 10), 'Dino\'s hang-up button is clicked');
    assert.ok(await dino.drive('no-frame', 'CallWindow', 15), 'Dino\'s call window closes');
    await page.getByRole('status').filter({ hasText: 'Call ended' }).waitFor();
  });
});
