// The `carillon` command line, run as a user runs it (node bin/carillon.js, built by npm install).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, stopAll } from './helpers.js';
import type { Carillon } from '../../server/index.js';

const BIN = fileURLToPath(new URL('../../bin/carillon.js', import.meta.url));

function carillon(args: string[], input = '') {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('command line', function () {
  let dir: string;
  let config: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'carillon-cli-'));
    config = join(dir, 'carillon.json');
    writeFileSync(config, JSON.stringify({ domain: 'example.org', dataDir: 'data', listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: 0 }, s2s: { port: null }, components: { port: 0 }, call: { enabled: false } }));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds, re-passwords and deletes users, with clear errors', () => {
    assert.equal(carillon(['adduser', 'romeo@example.org', '--config', config], 'montague\n').code, 0);
    const dup = carillon(['adduser', 'romeo@example.org', '--config', config], 'x\n');
    assert.notEqual(dup.code, 0);
    assert.match(dup.err, /romeo@example.org already exists/);
    const wrongDomain = carillon(['adduser', 'juliet@example.com', '--config', config], 'x\n');
    assert.notEqual(wrongDomain.code, 0);
    assert.match(wrongDomain.err, /not on this server's domain "example.org"/);
    const badJid = carillon(['adduser', 'a@b@c', '--config', config], 'x\n');
    assert.notEqual(badJid.code, 0);
    assert.match(badJid.err, /invalid JID "a@b@c"/);
    assert.equal(carillon(['passwd', 'romeo@example.org', '--config', config], 'capulet\n').code, 0);
    assert.equal(carillon(['deluser', 'romeo@example.org', '--config', config]).code, 0);
    const gone = carillon(['deluser', 'romeo@example.org', '--config', config]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.err, /does not exist/);
  });

  it('names the key and the file on a config error and exits non-zero', () => {
    writeFileSync(config, JSON.stringify({ c2s: { port: 'five' } }));
    const r = carillon(['start', '--config', config]);
    assert.notEqual(r.code, 0);
    assert.ok(r.err.includes(config) && r.err.includes('c2s.port'), r.err);
  });

  it('starts, says what listens where, and serves a login made with adduser', async () => {
    assert.equal(carillon(['adduser', 'romeo@example.org', '--config', config], 'montague\n').code, 0);
    const child = spawn(process.execPath, [BIN, 'start', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        out += d;
        if (/ready/.test(out)) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`carillon exited (${code}) before it was ready:\n${out}`)));
    });
    try {
      await ready;
      const http = Number(/127\.0\.0\.1:(\d+)\/xmpp-websocket|"port":(\d+)/.exec(out)?.[1]);
      const c2s = Number(/127\.0\.0\.1:(\d+) \(XMPP, STARTTLS\)/.exec(out)?.[1]);
      assert.ok(http > 0 && c2s > 0, out);
      const fake = { ports: { http, c2s }, config: { domain: 'example.org' } } as unknown as Carillon;
      const c = await connect(fake, 'romeo', 'montague', { transport: 'tcp' });
      assert.match(c.jid?.toString() ?? '', /^romeo@example.org\//);
      await stopAll(c);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
