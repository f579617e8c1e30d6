// Configuration: defaults, and errors that name the key and the file.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, resolveConfig } from '../../server/config.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = resolveConfig({});
    assert.equal(c.domain, 'localhost');
    assert.deepEqual([c.http.port, c.https.port, c.c2s.port, c.s2s.port, c.components.port], [5280, 5443, 5222, 5269, 5347]);
    assert.equal(c.registration.open, false);
    assert.equal(c.limits.maxStanzaBytes, 262144);
    assert.equal(c.limits.maxStanzaBytesPreAuth, 10000);
    assert.equal(c.limits.resumeSeconds, 300);
    assert.deepEqual(c.metrics, { port: null, listen: '127.0.0.1' });
    // Rate limits as Prosody's mod_limits has them once loaded; connection and time limits.
    assert.deepEqual(c.limits.c2s, { rate: 10240, burst: 2 });
    assert.deepEqual(c.limits.s2s, { rate: 30720, burst: 2 });
    assert.deepEqual(c.limits.unlimitedJids, []);
    assert.deepEqual([c.limits.connectionsPerIp, c.limits.connections, c.limits.negotiationSeconds, c.limits.idleSeconds], [100, 100000, 60, 300]);
    assert.match(c.dataDir, /data$/);
    assert.equal(c.call.media.workers, availableParallelism(), 'one data-plane worker per core');
    assert.equal(resolveConfig({ call: { media: { workers: 0 } } }).call.media.workers, 0);
    assert.equal(c.call.media.spreadAbove, 8, 'a room on one worker up to the default call cap');
    assert.equal(resolveConfig({ call: { media: { spreadAbove: 4 } } }).call.media.spreadAbove, 4);
    // ICE over TCP: its listener and all the media in one worker thread
    assert.equal(resolveConfig({ call: { media: { tcpPort: 3479 } } }).call.media.workers, 1);
  });

  it('turns a rate limit off with null and normalizes unlimitedJids', () => {
    const c = resolveConfig({ limits: { c2s: { rate: null, burst: 0.5 }, unlimitedJids: ['Bot@Example.ORG', 'example.net'] } });
    assert.deepEqual(c.limits.c2s, { rate: null, burst: 0.5 });
    assert.deepEqual(c.limits.unlimitedJids, ['bot@example.org', 'example.net']);
  });

  const bad: [unknown, string][] = [
    [{ domain: 'bad domain' }, 'domain'],
    [{ http: { port: 70000 } }, 'http.port'],
    [{ components: { secrets: { 'call.example.org': 5 } } }, 'components.secrets.call.example.org'],
    [{ registration: { open: 'yes' } }, 'registration.open'],
    [{ registration: { throttle: -1 } }, 'registration.throttle'],
    [{ s2s: { hosts: { 'example.org': 'nowhere' } } }, 's2s.hosts.example.org'],
    [{ colour: 'blue' }, 'colour'],
    [{ limits: { maxStanzaBytes: 20_000, maxStanzaBytesPreAuth: 30_000 } }, 'limits.maxStanzaBytesPreAuth'],
    [{ limits: { resumeSeconds: 0 } }, 'limits.resumeSeconds'],
    [{ metrics: { port: 'on' } }, 'metrics.port'],
    [{ limits: { c2s: { rate: 'fast' } } }, 'limits.c2s.rate'],
    [{ limits: { s2s: { burst: -1 } } }, 'limits.s2s.burst'],
    [{ limits: { c2s: { speed: 1 } } }, 'limits.c2s.speed'],
    [{ limits: { unlimitedJids: ['a@b/c'] } }, 'limits.unlimitedJids[0]'],
    [{ limits: { connectionsPerIp: 0 } }, 'limits.connectionsPerIp'],
    [{ limits: { negotiationSeconds: 0 } }, 'limits.negotiationSeconds'],
    [{ limits: { idleSecs: 5 } }, 'limits.idleSecs'],
    [{ call: { media: { workers: -1 } } }, 'call.media.workers'],
    [{ call: { media: { spreadAbove: 'many' } } }, 'call.media.spreadAbove'],
    [{ call: { media: { tcpPort: 3479, workers: 2 } } }, 'call.media.workers'],
  ];
  for (const [input, key] of bad) {
    it(`names the key "${key}" in the error`, () => {
      assert.throws(() => resolveConfig(input, '/etc/carillon.json'), (e: unknown) => e instanceof ConfigError && e.key === key && e.message.includes('/etc/carillon.json') && e.message.includes(key));
    });
  }

  it('reads a file and resolves dataDir relative to it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'carillon-config-'));
    const file = join(dir, 'carillon.json');
    writeFileSync(file, JSON.stringify({ domain: 'Example.ORG', dataDir: 'store', registration: { open: true, throttle: 0 } }));
    const c = loadConfig(file);
    assert.equal(c.domain, 'example.org');
    assert.equal(c.dataDir, join(dir, 'store'));
    assert.equal(c.registration.throttle, 0);
    writeFileSync(file, '{ "domain": ');
    assert.throws(() => loadConfig(file), (e: unknown) => e instanceof ConfigError && e.message.includes(file) && /JSON/.test(e.message));
  });
});
