// The call component attached to a Carillon: by `carillon component --config FILE`, in process
// (call.enabled), and again after the server restarts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runComponentCommand } from '../../component/cli.js';
import { startCarillon, type Carillon } from '../../server/index.js';
import { freePort, freePortRange } from '../support/ports.js';
import { until } from '../support/until.js';
import { User, xml } from './helpers/user.js';

/** Pings the call domain until it answers: the component has (re)attached, which emits no event here. */
async function componentAnswers(u: User): Promise<void> {
  await until(async () => (await u.iq('get', 'call.localhost', xml('ping', { xmlns: 'urn:xmpp:ping' }))).attrs.type === 'result', 'call.localhost to answer a ping', 10_000);
}

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
    assert.match(errors.join('\n'), /bad\.json: config key "component\.secret": is required/);
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
      await componentAnswers(alice);
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
    const media = await freePortRange(100);
    const srv = await startCarillon({
      domain: 'localhost', dataDir: dir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null },
      c2s: { port: 0 }, s2s: { port: null }, components: { port: 0 },
      call: { enabled: true, media: { ...media, publicAddress: null } }, log: { level: 'silent' },
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
    // The same component port both times, so that the component finds the restarted server.
    const port = await freePort();
    const start = () => startCarillon({
      domain: 'localhost', dataDir: dir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null },
      c2s: { port: 0 }, s2s: { port: null }, components: { port, secrets: { 'call.localhost': 'secret' } },
      call: { enabled: false }, log: { level: 'silent' },
    });
    const { startCallComponent } = await import('../../component/index.js');
    let srv = await start();
    const component = await startCallComponent({ service: `xmpp://127.0.0.1:${port}`, domain: 'call.localhost', secret: 'secret' });
    try {
      await srv.users.add('alice@localhost', 'pw');
      await srv.close();
      srv = await start();
      const alice = await User.connect(`ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, 'localhost', 'alice', 'pw');
      await componentAnswers(alice);
      await alice.stop();
    } finally {
      await component.stop();
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
