// Calls through a relay, end to end: Debian's coturn on loopback (use-auth-secret), Carillon
// handing out TURN REST credentials by XEP-0215 (`turn` key), and the web client in headless
// Chromium. Browsers forced to relay-only ICE (the client's test-only switch,
// localStorage['carillon.test.iceTransportPolicy'] = 'relay') hold a 1:1 video call and a room
// call through the call component with nothing but those credentials; both decode video and the
// selected candidate pair is a relay pair. The credentials have a 10 s ttl, so during the calls the
// client asks for new ones and hands them to the live peer connections, and the calls stay up past
// the old ones' expiry. A relay with another secret, and credentials that are already expired when
// used (Carillon's clock an hour behind the relay's), make the call fail with "the relay refused
// the credentials", in the page.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect as connectTcp } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './support/chromium.js';
import { startCoturn, type Coturn } from '../support/coturn.js';
import { freePort, freePortRange } from '../support/ports.js';
import { untilValue } from '../support/until.js';
import { befriend, connect, startTestServer, stopAll, type TestServer } from '../server/helpers.js';
import { signIn as signInAt } from './support/sign-in.js';

const REALM = 'carillon.test';
const TTL = 10;

// Page scripts are strings: the test runner's transform would otherwise add helpers (__name) to
// functions that the page does not have.

/** Keeps every RTCPeerConnection the page makes, so the test can read its stats and configuration. */
const RECORD_PEER_CONNECTIONS = `(() => {
  const Native = globalThis.RTCPeerConnection;
  const all = [];
  const iceErrors = [];
  globalThis.__pcs = all;
  globalThis.__iceErrors = iceErrors;
  globalThis.RTCPeerConnection = class extends Native {
    constructor(config) {
      super(config);
      all.push(this);
      this.addEventListener('icecandidateerror', (e) => iceErrors.push({ code: e.errorCode, url: e.url }));
    }
  };
})();`;

/** The newest open peer connection of the page: decoded video, the selected pair, its ICE servers. */
const CALL_FACTS = `(async () => {
  const pc = globalThis.__pcs.filter((p) => p.connectionState !== 'closed').at(-1);
  if (!pc) return { none: globalThis.__pcs.length + ' peer connection(s), all closed; the page says: ' + [...document.querySelectorAll('[role=dialog], [role=status], [role=alert]')].map((e) => (e.textContent ?? '').trim()).filter(Boolean).join(' | ') };
  const byId = new Map();
  (await pc.getStats()).forEach((r) => byId.set(r.id, r));
  let frames = 0;
  let bytes = 0;
  for (const r of byId.values()) {
    if (r.type === 'inbound-rtp' && r.kind === 'video') { frames += r.framesDecoded ?? 0; bytes += r.bytesReceived ?? 0; }
  }
  const transport = [...byId.values()].find((r) => r.type === 'transport' && r.selectedCandidatePairId);
  const pair = transport ? byId.get(transport.selectedCandidatePairId) : undefined;
  const local = pair ? byId.get(pair.localCandidateId) : undefined;
  const remote = pair ? byId.get(pair.remoteCandidateId) : undefined;
  const config = pc.getConfiguration();
  const servers = config.iceServers ?? [];
  return {
    ice: pc.iceConnectionState, frames, bytes,
    local: local ? { type: local.candidateType, protocol: local.protocol, port: local.port } : undefined,
    remote: remote ? { type: remote.candidateType, protocol: remote.protocol, port: remote.port } : undefined,
    usernames: servers.map((s) => s.username ?? '').filter(Boolean),
    urls: servers.flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls])),
    policy: config.iceTransportPolicy ?? 'all',
  };
})()`;

/**
 * A network that lets no UDP through to the call component: the component's UDP candidates never
 * reach ICE (its descriptions and trickled candidates are filtered) and ours are not sent to it,
 * so the only pairs left are TCP ones (RFC 6544).
 */
const BLOCK_UDP = `(() => {
  // the browser's own prototype (RECORD_PEER_CONNECTIONS may have put a subclass in front of it)
  let P = RTCPeerConnection.prototype;
  while (!Object.getOwnPropertyDescriptor(P, 'onicecandidate')) P = Object.getPrototypeOf(P);
  const udp = (line) => /^(a=)?candidate:\\S+ \\d+ udp /i.test(line);
  const srd = P.setRemoteDescription;
  P.setRemoteDescription = function (d, ...rest) {
    if (d && d.sdp) d = { type: d.type, sdp: d.sdp.split('\\r\\n').filter((l) => !udp(l)).join('\\r\\n') };
    return srd.call(this, d, ...rest);
  };
  const aic = P.addIceCandidate;
  P.addIceCandidate = function (c, ...rest) {
    if (c && udp(c.candidate ?? '')) return Promise.resolve();
    return aic.call(this, c, ...rest);
  };
  const d = Object.getOwnPropertyDescriptor(P, 'onicecandidate');
  Object.defineProperty(P, 'onicecandidate', {
    configurable: true,
    get() { return d.get.call(this); },
    set(fn) { d.set.call(this, fn ? (e) => { if (e.candidate && e.candidate.protocol === 'udp') return; fn.call(this, e); } : fn); },
  });
})();`;

interface CallFacts {
  ice: string;
  frames: number;
  bytes: number;
  local?: { type: string; protocol: string; port: number };
  remote?: { type: string; protocol: string; port: number };
  usernames: string[];
  urls: string[];
  policy: string;
}

/** The facts, or, when the page has no open peer connection, why not (in `none`). */
async function callFacts(page: Page): Promise<CallFacts | { none: string }> {
  return page.evaluate(CALL_FACTS) as Promise<CallFacts | { none: string }>;
}
const open = (f: CallFacts | { none: string }): f is CallFacts => !('none' in f);

/** Video decodes and keeps decoding: frames and bytes grow between two readings. */
async function decodesVideo(page: Page, who: string): Promise<CallFacts> {
  // generous: on a loaded machine the first keyframe through a relay or over TCP can take a while
  const first = await untilValue(() => callFacts(page), (f) => open(f) && f.frames > 0, `${who} to decode video`, 90_000) as CallFacts;
  return untilValue(() => callFacts(page), (f) => open(f) && f.frames > first.frames && f.bytes > first.bytes,
    `${who}'s video to keep decoding after ${JSON.stringify(first)}`, 60_000) as Promise<CallFacts>;
}

/** The expiry (seconds since the epoch) in a TURN REST username `<expiry>:<user>`. */
const expiryOf = (username: string) => Number(username.split(':')[0]);

describe('calls through a relay (coturn + XEP-0215)', function () {
  this.timeout(300_000);
  let browser: Browser;
  const errors: string[] = [];

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });
  afterEach(() => assert.deepEqual(errors.splice(0), [], 'no uncaught errors in the pages'));

  /** A browser context for `who`, relay-only or not, signed in to `srv`. */
  async function signIn(srv: TestServer, who: string, relayOnly: boolean, noUdp = false): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 720 } });
    ctx.setDefaultTimeout(20_000);
    await ctx.addInitScript(RECORD_PEER_CONNECTIONS);
    if (noUdp) await ctx.addInitScript(BLOCK_UDP);
    if (relayOnly) await ctx.addInitScript(() => localStorage.setItem('carillon.test.iceTransportPolicy', 'relay'));
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(`${who}: ${e.message}`));
    await signInAt(page, srv.ports.http, who);
    return { ctx, page };
  }

  async function addUsers(srv: TestServer, names: string[]): Promise<void> {
    for (const u of names) await srv.users.add(`${u}@localhost`, `${u}-pass`);
    const a = await connect(srv, 'alice', 'alice-pass', { resource: 'setup' });
    const b = await connect(srv, 'bob', 'bob-pass', { resource: 'setup' });
    await befriend(a, 'alice@localhost', b, 'bob@localhost');
    await stopAll(a, b);
  }

  /** alice calls bob (video); bob accepts. */
  async function call(alice: Page, bob: Page): Promise<void> {
    await alice.getByRole('button', { name: /^bob, Available/ }).click();
    await alice.getByRole('button', { name: 'Video call' }).click();
    await bob.getByRole('dialog', { name: 'Incoming call' }).getByRole('button', { name: 'Accept' }).click();
  }

  describe('a relay that accepts the credentials', () => {
    let coturn: Coturn;
    let srv: TestServer;
    const ctxs: BrowserContext[] = [];
    const page = {} as Record<'alice' | 'bob' | 'carol', Page>;

    before(async () => {
      const secret = randomBytes(16).toString('hex');
      coturn = await startCoturn({ secret, realm: REALM });
      const media = await freePortRange(100);
      srv = await startTestServer({
        components: { port: 0 }, call: { media: { ...media, publicAddress: null } },
        turn: { host: '127.0.0.1', port: coturn.port, secret, ttl: TTL, transports: ['udp'] },
      });
      await addUsers(srv, ['alice', 'bob', 'carol']);
      for (const [who, relayOnly] of [['alice', true], ['bob', true], ['carol', false]] as const) {
        const s = await signIn(srv, who, relayOnly);
        ctxs.push(s.ctx);
        page[who] = s.page;
      }
    });
    after(async () => {
      for (const c of ctxs) await c.close();
      await srv?.stop();
      await coturn?.stop();
    });

    it('1:1 video, both sides relay-only: both decode, over a relay pair, with the XEP-0215 credentials; they are renewed during the call and it goes on past their expiry', async () => {
      const { alice, bob } = page;
      await call(alice, bob);
      const at = {} as Record<'alice' | 'bob', CallFacts>;
      for (const [who, p] of [['alice', alice], ['bob', bob]] as const) {
        const f = await decodesVideo(p, who);
        at[who] = f;
        assert.equal(f.policy, 'relay', `${who} is relay-only`);
        assert.deepEqual(f.urls, [`stun:127.0.0.1:${coturn.port}`, `turn:127.0.0.1:${coturn.port}?transport=udp`], `${who} uses what Carillon announced`);
        assert.equal(f.local?.type, 'relay', `${who}'s selected pair is relayed on its side: ${JSON.stringify(f)}`);
        assert.equal(f.remote?.type, 'relay', `and on the other side: ${JSON.stringify(f)}`);
        assert.match(f.usernames[0] ?? '', new RegExp(`^\\d+:${who}@localhost$`), 'a TURN REST username for this user');
      }
      // XEP-0215 `expires`: the client asks again before the credentials expire and gives the
      // new ones to the live peer connection (setConfiguration)
      for (const [who, p] of [['alice', alice], ['bob', bob]] as const) {
        const old = expiryOf(at[who].usernames[0]!);
        const renewed = await untilValue(() => callFacts(p), (f) => open(f) && f.usernames.length > 0 && expiryOf(f.usernames[0]!) > old,
          `${who}'s peer connection to get new credentials`, 30_000);
        assert.ok(open(renewed) && (renewed.ice === 'connected' || renewed.ice === 'completed'), `${who} still connected: ${JSON.stringify(renewed)}`);
      }
      // past the first credentials' expiry, video still flows both ways
      const firstExpiry = Math.max(expiryOf(at.alice.usernames[0]!), expiryOf(at.bob.usernames[0]!));
      await untilValue(() => Date.now(), (now) => now > firstExpiry * 1000 + 1000, 'the first credentials to expire', 30_000);
      for (const [who, p] of [['alice', alice], ['bob', bob]] as const) {
        const f = await decodesVideo(p, who);
        assert.equal(f.local?.type, 'relay');
      }
      // the TURN password lives in the peer connection only: not in the document nor in storage
      for (const p of [alice, bob]) {
        const leak = await p.evaluate(`(() => {
          const pc = globalThis.__pcs.at(-1);
          const secrets = (pc.getConfiguration().iceServers ?? []).map((s) => s.credential).filter(Boolean);
          const stored = [localStorage, sessionStorage].flatMap((st) => Object.keys(st).map((k) => k + '=' + st.getItem(k))).join('\\n');
          const page = document.documentElement.outerHTML + stored + document.cookie;
          return { secrets: secrets.length, leaked: secrets.some((x) => page.includes(x)) };
        })()`) as { secrets: number; leaked: boolean };
        assert.deepEqual(leak, { secrets: 1, leaked: false });
      }
      await alice.getByRole('button', { name: 'Hang up' }).click();
      for (const p of [alice, bob]) {
        await p.getByRole('status').filter({ hasText: 'Call ended' }).waitFor();
        await p.getByRole('button', { name: 'Close' }).click();
      }
    });

    it('a room call with one participant relay-only and one direct: both decode each other; the relay-only one over a relay pair, with renewed credentials', async () => {
      const { alice, carol } = page;
      await roomCall(alice, carol, 'relay');
      const a = await decodesVideo(alice, 'alice');
      const c = await decodesVideo(carol, 'carol');
      assert.equal(a.policy, 'relay');
      assert.equal(a.local?.type, 'relay', `alice reaches the forwarding unit through the relay: ${JSON.stringify(a)}`);
      assert.equal(c.policy, 'all');
      assert.notEqual(c.local?.type, 'relay', `carol is direct: ${JSON.stringify(c)}`);
      const old = expiryOf(a.usernames[0]!);
      const renewed = await untilValue(() => callFacts(alice), (f) => open(f) && f.usernames.length > 0 && expiryOf(f.usernames[0]!) > old,
        'the room call to get new credentials', 30_000);
      await untilValue(() => Date.now(), (now) => now > old * 1000 + 1000, 'the first credentials to expire', 30_000);
      const later = await decodesVideo(alice, 'alice');
      assert.equal(later.local?.type, 'relay');
      assert.ok(renewed);
      await decodesVideo(carol, 'carol');
      for (const p of [alice, carol]) {
        await p.getByRole('button', { name: 'Leave call' }).click();
        await p.getByRole('dialog', { name: 'Call in relay' }).waitFor({ state: 'detached' });
      }
    });
  });

  /** alice creates room `name` on the call component, carol joins it, and both join its call. */
  async function roomCall(alice: Page, carol: Page, name: string): Promise<void> {
    await alice.getByRole('button', { name: 'Rooms', exact: true }).click();
    await alice.getByLabel('Room', { exact: true }).fill(name);
    await alice.getByLabel('Room', { exact: true }).press('Enter');
    await alice.getByRole('region', { name: `Room ${name}` }).getByRole('complementary', { name: 'Occupants' }).getByText('alice (you)').waitFor();
    await carol.getByRole('button', { name: 'Rooms', exact: true }).click();
    await carol.getByLabel('Room', { exact: true }).fill(`${name}@call.localhost`);
    await carol.getByRole('button', { name: 'Join', exact: true }).click();
    await carol.getByRole('region', { name: `Room ${name}` }).getByRole('complementary', { name: 'Occupants' }).getByText('carol (you)').waitFor();
    for (const p of [alice, carol]) {
      await p.getByRole('button', { name: 'Join call' }).click();
      await p.getByRole('dialog', { name: `Call in ${name}` }).waitFor();
    }
  }

  describe('ICE over TCP to the forwarding unit (call.media.tcpPort)', () => {
    let srv: TestServer;
    let tcpPort: number;
    const ctxs: BrowserContext[] = [];

    before(async () => {
      const media = await freePortRange(100);
      tcpPort = await freePort();
      // no workers key: the listener and the media run in the data plane's one worker thread
      srv = await startTestServer({ components: { port: 0 }, call: { media: { ...media, publicAddress: null, tcpPort } } });
      await addUsers(srv, ['alice', 'bob', 'carol']);
    });
    after(async () => {
      for (const c of ctxs) await c.close();
      await srv?.stop();
    });

    it('a participant without UDP joins a room call over TCP on the one port and decodes the other, who is on UDP', async () => {
      const alice = await signIn(srv, 'alice', false, true);
      const carol = await signIn(srv, 'carol', false);
      ctxs.push(alice.ctx, carol.ctx);
      await roomCall(alice.page, carol.page, 'tcp');
      const a = await decodesVideo(alice.page, 'alice');
      const c = await decodesVideo(carol.page, 'carol');
      assert.equal(a.local?.protocol, 'tcp', `alice's selected pair is TCP: ${JSON.stringify(a)}`);
      assert.equal(a.remote?.protocol, 'tcp');
      assert.equal(a.remote?.port, tcpPort, 'on the configured port');
      assert.equal(c.local?.protocol, 'udp', `carol stays on UDP: ${JSON.stringify(c)}`);
      // garbage on the port (not a STUN Binding request) is dropped and the call goes on
      const junk = connectTcp({ host: '127.0.0.1', port: tcpPort });
      await once(junk, 'connect');
      junk.write(Buffer.from([0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8]));
      await once(junk, 'close');
      await decodesVideo(alice.page, 'alice');
      await decodesVideo(carol.page, 'carol');
    });
  });

  /** A 1:1 call between relay-only alice and bob that cannot get a relay: both read the reason. */
  async function refusedCall(srv: TestServer, coturn: Coturn): Promise<void> {
    const alice = await signIn(srv, 'alice', true);
    const bob = await signIn(srv, 'bob', true);
    try {
      await call(alice.page, bob.page);
      const words = (name: string) => `Could not connect to ${name} — the relay refused the credentials`;
      await alice.page.getByRole('status').filter({ hasText: words('bob') }).waitFor({ timeout: 60_000 });
      await bob.page.getByRole('status').filter({ hasText: words('alice') }).waitFor({ timeout: 60_000 });
      await alice.page.getByRole('button', { name: 'Close' }).click();
      await alice.page.getByRole('log', { name: 'Messages' }).getByText('Video call: could not connect to bob — the relay refused the credentials').waitFor();
      // what the page went by: the relay's own answer to the Allocate, 401 (RFC 8656 §7.3, RFC 5389 §10.2)
      for (const p of [alice.page, bob.page]) {
        const seen = await p.evaluate('globalThis.__iceErrors') as Array<{ code: number; url: string }>;
        assert.ok(seen.some((e) => e.code === 401 && e.url.startsWith(`turn:127.0.0.1:${coturn.port}`)), `a 401 from the relay: ${JSON.stringify(seen)}`);
      }
      assert.match(coturn.log(), /check_stun_auth|401/, `coturn refused the credentials:\n${coturn.log().slice(-3000)}`);
    } finally {
      await alice.ctx.close();
      await bob.ctx.close();
    }
  }

  it('a relay with another secret: "the relay refused the credentials"', async () => {
    const coturn = await startCoturn({ secret: 'the relay has another secret', realm: REALM });
    const srv = await startTestServer({ turn: { host: '127.0.0.1', port: coturn.port, secret: randomBytes(16).toString('hex'), ttl: 600, transports: ['udp'] } });
    try {
      await addUsers(srv, ['alice', 'bob']);
      await refusedCall(srv, coturn);
    } finally {
      await srv.stop();
      await coturn.stop();
    }
  });

  it('credentials already expired when used (Carillon\'s clock an hour behind the relay\'s): "the relay refused the credentials"', async () => {
    const secret = randomBytes(16).toString('hex');
    const coturn = await startCoturn({ secret, realm: REALM });
    // The server runs in this process: its clock (Date.now) is set back an hour, so the expiry it
    // writes into each username (now + 600 s) has passed by the relay's clock. A constant offset
    // leaves this process's own deadlines (which compare two readings of the same clock) intact.
    const realNow = Date.now;
    Date.now = () => realNow() - 3600_000;
    const srv = await startTestServer({ turn: { host: '127.0.0.1', port: coturn.port, secret, ttl: 600, transports: ['udp'] } });
    try {
      await addUsers(srv, ['alice', 'bob']);
      await refusedCall(srv, coturn);
    } finally {
      await srv.stop();
      Date.now = realNow;
      await coturn.stop();
    }
  });
});
