// The "component" section of `carillon component --config FILE`, and the command itself.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseComponentConfig, ComponentConfigError } from '../../component/config.js';
import { runComponentCommand } from '../../component/cli.js';
import { startCarillon, type Carillon } from '../../server/index.js';
import { User, xml } from './helpers/user.js';

describe('component configuration', () => {
  const ok = { component: { service: 'xmpp://127.0.0.1:5347', domain: 'call.example.org', secret: 's' } };

  it('accepts a minimal config and host/port instead of service', () => {
    assert.deepEqual(parseComponentConfig(ok, 'c.json'), {
      service: 'xmpp://127.0.0.1:5347', domain: 'call.example.org', secret: 's', dataDir: undefined, maxParticipants: undefined, media: undefined,
    });
    const hp = parseComponentConfig({ component: { host: 'xmpp.example.org', port: 5275, domain: 'call.example.org', secret: 's',
      media: { portMin: 40000, portMax: 40099, publicAddress: '203.0.113.5' }, maxParticipants: 6 } }, 'c.json');
    assert.equal(hp.service, 'xmpp://xmpp.example.org:5275');
    assert.deepEqual(hp.media, { portMin: 40000, portMax: 40099, publicAddress: '203.0.113.5', bindAddress: undefined, inactivityTimeoutMs: undefined });
    assert.equal(hp.maxParticipants, 6);
  });

  const cases: Array<[string, unknown, string]> = [
    ['no component object', {}, 'component'],
    ['missing domain', { component: { secret: 's' } }, 'component.domain'],
    ['missing secret', { component: { domain: 'call.x' } }, 'component.secret'],
    ['unknown key', { component: { ...ok.component, secrte: 'x' } }, 'component.secrte'],
    ['bad service', { component: { ...ok.component, service: 'http://x' } }, 'component.service'],
    ['port out of range', { component: { domain: 'call.x', secret: 's', port: 70000 } }, 'component.port'],
    ['half a port range', { component: { ...ok.component, media: { portMin: 40000 } } }, 'component.media.portMax'],
    ['inverted port range', { component: { ...ok.component, media: { portMin: 40010, portMax: 40000 } } }, 'component.media.portMax'],
    ['negative max participants', { component: { ...ok.component, maxParticipants: -1 } }, 'component.maxParticipants'],
  ];
  for (const [what, input, key] of cases) {
    it(`names the key: ${what}`, () => {
      assert.throws(() => parseComponentConfig(input, 'conf.json'), (e: unknown) =>
        e instanceof ComponentConfigError && e.key === key && e.message.includes('conf.json') && e.message.includes(`"${key}"`));
    });
  }
});

describe('carillon component --config FILE', function () {
  this.timeout(20000);
  let dir: string;
  let srv: Carillon;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carillon-component-cli-'));
    srv = await startCarillon({
      domain: 'localhost', dataDir: join(dir, 'server'), listen: '127.0.0.1', http: { port: 0 }, https: { port: null },
      c2s: { port: 0 }, s2s: { port: null }, components: { port: 0, secrets: { 'call.localhost': 'secret' } },
      call: { enabled: false }, log: { level: 'silent' },
    });
  });
  after(async () => {
    await srv?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('returns non-zero on a configuration error', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ component: { domain: 'call.localhost' } }));
    const errors: string[] = [];
    const orig = console.error;
    console.error = (m: string) => { errors.push(m); };
    try {
      assert.equal(await runComponentCommand(['--config', file]), 2);
    } finally { console.error = orig; }
    assert.match(errors.join('\n'), /bad\.json: "component\.secret" is required/);
  });

  it('attaches to the server with host, port, domain and secret, and serves until stopped', async () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify({ component: { host: '127.0.0.1', port: srv.ports.components, domain: 'call.localhost', secret: 'secret', dataDir: 'rooms' } }));
    const ac = new AbortController();
    const stderr = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    const running = runComponentCommand(['--config', file], { signal: ac.signal });
    try {
      await srv.users.add('alice@localhost', 'pw');
      const alice = await User.connect(`ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, 'localhost', 'alice', 'pw');
      let pong;
      for (let i = 0; i < 50; i++) {
        pong = await alice.iq('get', 'call.localhost', xml('ping', { xmlns: 'urn:xmpp:ping' }));
        if (pong.attrs.type === 'result') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(pong!.attrs.type, 'result');
      await alice.stop();
    } finally {
      ac.abort();
      assert.equal(await running, 0);
      process.stderr.write = stderr;
    }
  });
});

describe('in-process start with Carillon (call.enabled)', function () {
  this.timeout(20000);
  it('attaches the call domain to the server\'s component port and stops with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carillon-inproc-'));
    const srv = await startCarillon({
      domain: 'localhost', dataDir: dir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null },
      c2s: { port: 0 }, s2s: { port: null }, components: { port: 0 },
      call: { enabled: true, media: { portMin: 21800, portMax: 21899, publicAddress: null } }, log: { level: 'silent' },
    });
    try {
      await srv.users.add('alice@localhost', 'pw');
      const alice = await User.connect(`ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, 'localhost', 'alice', 'pw');
      const info = await alice.iq('get', 'call.localhost', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
      assert.equal(info.attrs.type, 'result');
      assert.equal(info.getChild('query')!.getChild('identity')!.attrs.category, 'conference');
      await alice.stop();
    } finally {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('reattaching after the server restarts', function () {
  this.timeout(30000);
  it('reconnects to the component port and serves again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carillon-reattach-'));
    const start = () => startCarillon({
      domain: 'localhost', dataDir: dir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null },
      c2s: { port: 0 }, s2s: { port: null }, components: { port: 21050, secrets: { 'call.localhost': 'secret' } },
      call: { enabled: false }, log: { level: 'silent' },
    });
    const { startCallComponent } = await import('../../component/index.js');
    let srv = await start();
    const component = await startCallComponent({ service: 'xmpp://127.0.0.1:21050', domain: 'call.localhost', secret: 'secret' });
    try {
      await srv.users.add('alice@localhost', 'pw');
      await srv.close();
      srv = await start();
      const alice = await User.connect(`ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, 'localhost', 'alice', 'pw');
      let pong;
      for (let i = 0; i < 100; i++) {
        pong = await alice.iq('get', 'call.localhost', xml('ping', { xmlns: 'urn:xmpp:ping' }));
        if (pong.attrs.type === 'result') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(pong!.attrs.type, 'result');
      await alice.stop();
    } finally {
      await component.stop();
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
