// XEP-0215 External Service Discovery from outside with @xmpp/client: the `turn` relay as STUN,
// TURN and TURNS services with TURN REST credentials, the XEP's own examples as requests, who may
// ask, the server without a relay, the `turn` key's checks, and the call component's answer (in
// process and as `carillon component`).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import componentPkg from '@xmpp/component';
import pino from 'pino';
import { runComponentCommand } from '../../component/cli.js';
import { configSections } from '../../server/core/module.js';
import { ConfigError, loadConfig, resolveConfig } from '../../server/config.js';
import { startCarillon } from '../../server/index.js';
import { MODULES } from '../../server/modules/index.js';
import { parseXml } from '../../xmpp/xml.js';
import { freePortRange } from '../support/ports.js';
import { until } from '../support/until.js';
import { connect, next, startTestServer, stopAll, xml, type TestServer, type XmlElement, type XmppClient } from './helpers.js';

const NS2 = 'urn:xmpp:extdisco:2';
const NS1 = 'urn:xmpp:extdisco:1';
const SECRET = 'the relay secret';
const TURN = { host: 'turn.shakespeare.lit', port: 3478, tlsPort: 5349, secret: SECRET, ttl: 3600, transports: ['udp', 'tcp'] };
/** The attributes of a <service/> (XEP-0215 §2, table "Attributes"). */
const ATTRIBUTES = ['action', 'expires', 'host', 'name', 'password', 'port', 'restricted', 'transport', 'type', 'username'];

// The XEP's requests (Examples 1, 3 and 5), as printed there; `from` is the server's to stamp.
const EXAMPLE_ALL = `<iq from='bard@shakespeare.lit/globe' id='ul2bc7y6' to='shakespeare.lit' type='get'>
  <services xmlns='urn:xmpp:extdisco:2'/>
</iq>`;
const EXAMPLE_SELECTED = `<iq from='bard@shakespeare.lit/globe' id='yv2c19f7' to='shakespeare.lit' type='get'>
  <services xmlns='urn:xmpp:extdisco:2' type='turn'/>
</iq>`;
const EXAMPLE_CREDENTIALS = `<iq from='bard@shakespeare.lit/globe' id='xi2cax48' to='shakespeare.lit' type='get'>
  <credentials xmlns='urn:xmpp:extdisco:2'>
    <service host='turn.shakespeare.lit' type='turn' />
  </credentials>
</iq>`;

function example(text: string, to?: string): XmlElement {
  const el = parseXml(text) as unknown as XmlElement;
  delete el.attrs.from;
  if (to) el.attrs.to = to;
  return el;
}

const condition = (e: { condition?: string }) => e.condition;
const services = (r: XmlElement, ns = NS2) => r.getChild('services', ns)!.getChildren('service');
const summary = (list: XmlElement[]) => list.map((s) => `${s.attrs.type}/${s.attrs.transport}:${s.attrs.port}`);
const hmac = (username: string, secret = SECRET) => createHmac('sha1', secret).update(username).digest('base64');

/** Checks one relay entry's credentials: `<expiry>:<bare JID>`, its HMAC, expires ≈ now + ttl. */
function assertCredentials(s: XmlElement, bare: string, ttl = TURN.ttl, secret = SECRET): void {
  assert.equal(s.attrs.restricted, '1');
  const m = /^(\d+):(.+)$/.exec(s.attrs.username as string);
  assert.ok(m, `username ${s.attrs.username} is <expiry>:<user>`);
  assert.equal(m[2], bare);
  assert.equal(s.attrs.password, hmac(s.attrs.username as string, secret));
  // XEP-0082 DateTime in UTC, the same instant as the username's expiry.
  assert.match(s.attrs.expires as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(Date.parse(s.attrs.expires as string), Number(m[1]) * 1000);
  assert.ok(Math.abs(Date.parse(s.attrs.expires as string) - (Date.now() + ttl * 1000)) < 10_000, `expires ${s.attrs.expires} is about now + ${ttl} s`);
}

describe('XEP-0215 External Service Discovery (the turn key)', function () {
  let srv: TestServer;
  let bard: XmppClient;
  let juliet: XmppClient;

  before(async () => {
    srv = await startTestServer({ domain: 'shakespeare.lit', components: { port: 0, secrets: { 'echo.shakespeare.lit': 's3cret' } }, turn: TURN });
    await srv.users.add('bard@shakespeare.lit', 'secret');
    await srv.users.add('juliet@shakespeare.lit', 'secret');
    bard = await connect(srv, 'bard', 'secret', { resource: 'globe' });
    juliet = await connect(srv, 'juliet', 'secret');
  });
  after(async () => {
    await stopAll(bard, juliet);
    await srv.stop();
  });

  it('is announced in the server\u2019s disco#info, in both namespaces', async () => {
    const r = await bard.iqCaller.request(xml('iq', { type: 'get', to: 'shakespeare.lit' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const features = r.getChild('query')!.getChildren('feature').map((f: XmlElement) => f.attrs.var);
    assert.ok(features.includes(NS2));
    assert.ok(features.includes(NS1));
  });

  it('lists all services (Examples 1, 2): stun, turn per transport and turns, the TURN ones with credentials', async () => {
    const r = await bard.iqCaller.request(example(EXAMPLE_ALL));
    assert.equal(r.attrs.id, 'ul2bc7y6');
    const list = services(r);
    assert.deepEqual(summary(list), ['stun/udp:3478', 'turn/udp:3478', 'turn/tcp:3478', 'turns/tcp:5349']);
    for (const s of list) {
      assert.equal(s.attrs.host, 'turn.shakespeare.lit');
      for (const a of Object.keys(s.attrs)) assert.ok(ATTRIBUTES.includes(a), `${a} is an attribute of the XEP`);
    }
    const [stun, ...relays] = list;
    assert.equal(stun!.attrs.username, undefined);
    assert.equal(stun!.attrs.password, undefined);
    assert.equal(stun!.attrs.restricted, undefined);
    for (const s of relays) assertCredentials(s, 'bard@shakespeare.lit');
  });

  it('lists the services of one type (Examples 3, 4), repeating the type', async () => {
    const r = await bard.iqCaller.request(example(EXAMPLE_SELECTED));
    assert.equal(r.getChild('services', NS2)!.attrs.type, 'turn');
    assert.deepEqual(summary(services(r)), ['turn/udp:3478', 'turn/tcp:3478']);
    const stun = await bard.iqCaller.request(xml('iq', { type: 'get', to: 'shakespeare.lit' }, xml('services', { xmlns: NS2, type: 'stun' })));
    assert.deepEqual(summary(services(stun)), ['stun/udp:3478']);
    const none = await bard.iqCaller.request(xml('iq', { type: 'get', to: 'shakespeare.lit' }, xml('services', { xmlns: NS2, type: 'ftp' })));
    assert.equal(services(none).length, 0);
  });

  it('answers a request for credentials (Examples 5, 6), by host and type and optionally port', async () => {
    const r = await bard.iqCaller.request(example(EXAMPLE_CREDENTIALS));
    const creds = r.getChild('credentials', NS2)!.getChildren('service');
    assert.deepEqual(summary(creds), ['turn/udp:3478', 'turn/tcp:3478']);
    for (const s of creds) assertCredentials(s, 'bard@shakespeare.lit');
    const tls = await bard.iqCaller.request(xml('iq', { type: 'get', to: 'shakespeare.lit' }, xml('credentials', { xmlns: NS2 }, xml('service', { host: 'turn.shakespeare.lit', type: 'turns', port: '5349' }))));
    assert.deepEqual(summary(tls.getChild('credentials', NS2)!.getChildren('service')), ['turns/tcp:5349']);
  });

  it('refuses a credentials request without host or type (bad-request) and for an unknown service (item-not-found)', async () => {
    const ask = (...svc: XmlElement[]) => bard.iqCaller.request(xml('iq', { type: 'get', to: 'shakespeare.lit' }, xml('credentials', { xmlns: NS2 }, ...svc)));
    await assert.rejects(ask(), (e: { condition?: string }) => condition(e) === 'bad-request');
    await assert.rejects(ask(xml('service', { type: 'turn' })), (e: { condition?: string }) => condition(e) === 'bad-request');
    await assert.rejects(ask(xml('service', { host: 'turn.shakespeare.lit' })), (e: { condition?: string }) => condition(e) === 'bad-request');
    await assert.rejects(ask(xml('service', { host: 'relay.elsewhere.lit', type: 'turn' })), (e: { condition?: string }) => condition(e) === 'item-not-found');
    await assert.rejects(ask(xml('service', { host: 'turn.shakespeare.lit', type: 'turn', port: '9999' })), (e: { condition?: string }) => condition(e) === 'item-not-found');
    // STUN needs no credentials: there are none to give.
    await assert.rejects(ask(xml('service', { host: 'turn.shakespeare.lit', type: 'stun' })), (e: { condition?: string }) => condition(e) === 'item-not-found');
  });

  it('makes credentials per user: the username names the requester\u2019s bare JID', async () => {
    const [a, b] = await Promise.all([bard, juliet].map((c) => c.iqCaller.request(xml('iq', { type: 'get', to: 'shakespeare.lit' }, xml('services', { xmlns: NS2, type: 'turn' })))));
    const ja = services(a!)[0]!;
    const jb = services(b!)[0]!;
    assertCredentials(ja, 'bard@shakespeare.lit');
    assertCredentials(jb, 'juliet@shakespeare.lit');
    assert.notEqual(ja.attrs.password, jb.attrs.password);
  });

  it('answers urn:xmpp:extdisco:1 in that namespace', async () => {
    const r = await bard.iqCaller.request(xml('iq', { type: 'get', to: 'shakespeare.lit' }, xml('services', { xmlns: NS1 })));
    assert.deepEqual(summary(services(r, NS1)), ['stun/udp:3478', 'turn/udp:3478', 'turn/tcp:3478', 'turns/tcp:5349']);
    assertCredentials(services(r, NS1)[1]!, 'bard@shakespeare.lit');
  });

  it('is the server\u2019s: a request to an account gets service-unavailable', async () => {
    await assert.rejects(
      bard.iqCaller.request(xml('iq', { type: 'get', to: 'juliet@shakespeare.lit' }, xml('services', { xmlns: NS2 }))),
      (e: { condition?: string }) => condition(e) === 'service-unavailable',
    );
  });

  it('forbids what does not come from a signed-in user\u2019s session (here: a component)', async () => {
    const { component } = componentPkg as unknown as { component: (o: object) => { start(): Promise<unknown>; stop(): Promise<unknown>; send(el: unknown): Promise<void>; on(ev: string, fn: (el: XmlElement) => void): void } };
    const comp = component({ service: `xmpp://127.0.0.1:${srv.ports.components}`, domain: 'echo.shakespeare.lit', password: 's3cret' });
    comp.on('error', () => {});
    await comp.start();
    try {
      const replies = new Map<string, (el: XmlElement) => void>();
      comp.on('stanza', (el) => replies.get(el.attrs.id as string)?.(el));
      const payloads = [xml('services', { xmlns: NS2 }), xml('credentials', { xmlns: NS2 }, xml('service', { host: TURN.host, type: 'turn' }))];
      for (const [i, payload] of payloads.entries()) {
        const reply = new Promise<XmlElement>((resolve) => replies.set(`c${i}`, resolve));
        await comp.send(xml('iq', { type: 'get', id: `c${i}`, from: 'bot@echo.shakespeare.lit', to: 'shakespeare.lit' }, payload));
        const r = await reply;
        assert.equal(r.attrs.type, 'error');
        assert.ok(r.getChild('error')!.getChild('forbidden'));
        assert.equal(r.getChild('error')!.attrs.type, 'auth');
      }
    } finally {
      await comp.stop();
    }
  });
});

describe('XEP-0215 without a turn key', function () {
  it('announces no services, still answers, and says once at start that calls across NATs need a relay', async () => {
    const lines: { level: number; msg: string; module?: string }[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l)); done(); } });
    const dir = mkdtempSync(join(tmpdir(), 'carillon-extdisco-'));
    const srv = await startCarillon({
      domain: 'localhost', dataDir: dir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: 0 },
      s2s: { port: null }, components: { port: null }, call: { enabled: false },
    }, { logger: pino({ level: 'info' }, sink) });
    let alice: XmppClient | undefined;
    try {
      await srv.users.add('alice@localhost', 'pw');
      alice = await connect(srv, 'alice', 'pw');
      const r = await alice.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('services', { xmlns: NS2 })));
      assert.equal(r.attrs.type, 'result');
      assert.equal(services(r).length, 0);
      await assert.rejects(
        alice.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('credentials', { xmlns: NS2 }, xml('service', { host: 'turn.localhost', type: 'turn' })))),
        (e: { condition?: string }) => condition(e) === 'item-not-found',
      );
      await alice.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('services', { xmlns: NS2 })));
      const said = lines.filter((l) => /docs\/nat\.md/.test(l.msg));
      assert.equal(said.length, 1, 'said once, however many requests');
      assert.ok(said[0]!.level === 30 || said[0]!.level === 40, 'at info or warn level');
      assert.match(said[0]!.msg, /NAT/);
    } finally {
      await stopAll(alice);
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the turn key\u2019s checks', function () {
  const sections = configSections(MODULES);
  const cases: Array<[string, unknown, string]> = [
    ['no secret', { host: 'turn.example.org' }, 'turn.secret'],
    ['no host', { secret: 's' }, 'turn.host'],
    ['a port out of range', { host: 'h', secret: 's', port: 0 }, 'turn.port'],
    ['a tlsPort out of range', { host: 'h', secret: 's', tlsPort: 65536 }, 'turn.tlsPort'],
    ['a ttl that is not a number', { host: 'h', secret: 's', ttl: '1d' }, 'turn.ttl'],
    ['an unknown transport', { host: 'h', secret: 's', transports: ['udp', 'dtls'] }, 'turn.transports[1]'],
    ['an unknown key', { host: 'h', secret: 's', user: 'x' }, 'turn.user'],
    ['not an object', true, 'turn'],
  ];
  for (const [what, turn, key] of cases) {
    it(`names the key: ${what}`, () => {
      assert.throws(() => resolveConfig({ turn }, 'carillon.json', undefined, sections), (e: unknown) => e instanceof ConfigError && e.key === key && e.message.includes(`"${key}"`) && e.message.includes('carillon.json'));
    });
  }

  it('fills in the defaults, and names the file it read', () => {
    const c = resolveConfig({ turn: { host: 'turn.example.org', secret: 's' } }, undefined, undefined, sections);
    assert.deepEqual(c.modules.turn, { host: 'turn.example.org', port: 3478, secret: 's', ttl: 86400, transports: ['udp', 'tcp'] });
    assert.equal(resolveConfig({}, undefined, undefined, sections).modules.turn, null);
    const dir = mkdtempSync(join(tmpdir(), 'carillon-turn-config-'));
    try {
      const file = join(dir, 'carillon.json');
      writeFileSync(file, JSON.stringify({ turn: { host: 'turn.example.org' } }));
      assert.throws(() => loadConfig(file, sections), (e: unknown) => e instanceof ConfigError && e.key === 'turn.secret' && e.message.startsWith(file));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops startCarillon', async () => {
    await assert.rejects(startCarillon({ turn: { host: 'turn.example.org', secret: '' }, log: { level: 'silent' } }), (e: unknown) => e instanceof ConfigError && e.key === 'turn.secret');
  });
});

describe('the call component\u2019s XEP-0215 answer', function () {
  this.timeout(30000);

  it('in process: announces the server\u2019s turn relay for the call domain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carillon-extdisco-call-'));
    const media = await freePortRange(10);
    const srv = await startCarillon({
      domain: 'shakespeare.lit', dataDir: dir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: 0 },
      s2s: { port: null }, components: { port: 0 }, call: { enabled: true, media: { ...media, publicAddress: null } }, log: { level: 'silent' },
      turn: { ...TURN, tlsPort: undefined, transports: ['udp'] },
    });
    let bard: XmppClient | undefined;
    try {
      await srv.users.add('bard@shakespeare.lit', 'secret');
      bard = await connect(srv, 'bard', 'secret');
      const info = await bard.iqCaller.request(xml('iq', { type: 'get', to: 'call.shakespeare.lit' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      assert.ok(info.getChild('query')!.getChildren('feature').some((f: XmlElement) => f.attrs.var === NS2));
      const r = await bard.iqCaller.request(example(EXAMPLE_ALL, 'call.shakespeare.lit'));
      assert.equal(r.attrs.from, 'call.shakespeare.lit');
      const list = services(r);
      assert.deepEqual(summary(list), ['stun/udp:3478', 'turn/udp:3478']);
      assertCredentials(list[1]!, 'bard@shakespeare.lit');
      const creds = await bard.iqCaller.request(example(EXAMPLE_CREDENTIALS, 'call.shakespeare.lit'));
      assertCredentials(creds.getChild('credentials', NS2)!.getChildren('service')[0]!, 'bard@shakespeare.lit');
    } finally {
      await stopAll(bard);
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without turn settings, the component does not offer XEP-0215', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carillon-extdisco-call-'));
    const media = await freePortRange(10);
    const srv = await startCarillon({
      domain: 'localhost', dataDir: dir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: 0 },
      s2s: { port: null }, components: { port: 0 }, call: { enabled: true, media: { ...media, publicAddress: null } }, log: { level: 'silent' },
    });
    let alice: XmppClient | undefined;
    try {
      await srv.users.add('alice@localhost', 'pw');
      alice = await connect(srv, 'alice', 'pw');
      await until(async () => (await alice!.iqCaller.request(xml('iq', { type: 'get', to: 'call.localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' }))).catch(() => null)) !== null, 'the call component', 10_000);
      const info = await alice.iqCaller.request(xml('iq', { type: 'get', to: 'call.localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      assert.ok(!info.getChild('query')!.getChildren('feature').some((f: XmlElement) => f.attrs.var === NS2));
      await assert.rejects(alice.iqCaller.request(xml('iq', { type: 'get', to: 'call.localhost' }, xml('services', { xmlns: NS2 }))), (e: { condition?: string }) => condition(e) === 'service-unavailable');
    } finally {
      await stopAll(alice);
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('as `carillon component --config`: component.turn, for the host domain\u2019s users and for people in its rooms', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carillon-extdisco-cli-'));
    // The component's domain is not under the server's: only room occupants are its users.
    const srv = await startTestServer({ domain: 'shakespeare.lit', components: { port: 0, secrets: { 'rooms.verona.lit': 'secret' } } });
    const file = join(dir, 'component.json');
    const secret = 'another relay secret';
    writeFileSync(file, JSON.stringify({ component: { host: '127.0.0.1', port: srv.ports.components, domain: 'rooms.verona.lit', secret: 'secret', turn: { host: 'turn.verona.lit', secret, ttl: 600 } } }));
    const ac = new AbortController();
    const stderr = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    const running = runComponentCommand(['--config', file], { signal: ac.signal });
    let bard: XmppClient | undefined;
    try {
      await srv.users.add('bard@shakespeare.lit', 'secret');
      bard = await connect(srv, 'bard', 'secret', { resource: 'globe' });
      const ask = () => bard!.iqCaller.request(xml('iq', { type: 'get', to: 'rooms.verona.lit' }, xml('services', { xmlns: NS2 })));
      await until(async () => (await bard!.iqCaller.request(xml('iq', { type: 'get', to: 'rooms.verona.lit' }, xml('ping', { xmlns: 'urn:xmpp:ping' }))).catch(() => null)) !== null, 'the component', 10_000);
      await assert.rejects(ask(), (e: { condition?: string }) => condition(e) === 'forbidden');
      const joined = next(bard, (el) => el.is('presence') && el.attrs.from === 'balcony@rooms.verona.lit/bard' && !el.attrs.type);
      await bard.send(xml('presence', { to: 'balcony@rooms.verona.lit/bard' }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
      await joined;
      const list = services(await ask());
      assert.deepEqual(summary(list), ['stun/udp:3478', 'turn/udp:3478', 'turn/tcp:3478']);
      for (const s of list.slice(1)) assertCredentials(s, 'bard@shakespeare.lit', 600, secret);
    } finally {
      await stopAll(bard);
      ac.abort();
      assert.equal(await running, 0);
      process.stderr.write = stderr;
      await srv.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
