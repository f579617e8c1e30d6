// XEP-0363 HTTP File Upload over time and across restarts: expired PUT and GET URLs, the sweep at
// start, files of accounts deleted offline, the secret kept in the database; the `upload` keys.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../server/cli.js';
import { resolveConfig } from '../../server/config.js';
import { configSections } from '../../server/core/module.js';
import { MODULES } from '../../server/modules/index.js';
import { until } from '../support/until.js';
import { connect, startTestServer, stopAll, xml, type TestServer } from './helpers.js';
import { NS, put, slot, type Slot } from './upload-slots.js';

describe('XEP-0363 expiry and configuration', function () {
  it('refuses an expired PUT URL with 410 (upload.putSeconds 0: PUT URLs are born expired)', async () => {
    const srv = await startTestServer({ upload: { putSeconds: 0 } });
    await srv.users.add('romeo@localhost', 'secret');
    const c = await connect(srv, 'romeo', 'secret');
    try {
      const s = await slot(c, 'late.txt', 2, 'text/plain');
      assert.equal((await put(s.put, Buffer.from('hi'), 'text/plain')).status, 410);
      assert.equal((await fetch(s.get)).status, 404, 'nothing was stored');
    } finally {
      await stopAll(c);
      await srv.stop();
    }
  });

  it('expires files and their GET URLs after upload.expireDays, deletes them at start, and keeps its secret across restarts', async () => {
    // 1/86400 of a day: the file lasts one to two seconds.
    const srv = await startTestServer({ upload: { expireDays: 1 / 86_400 } });
    await srv.users.add('romeo@localhost', 'secret');
    const c = await connect(srv, 'romeo', 'secret');
    let again: TestServer | undefined;
    try {
      const s = await slot(c, 'brief.txt', 2, 'text/plain');
      assert.equal((await put(s.put, Buffer.from('hi'), 'text/plain')).status, 201);
      const expires = Number(new URL(s.get).searchParams.get('e'));
      // Waiting for the clock itself, not for an event.
      await until(() => Date.now() / 1000 >= expires, 'the file\u2019s expiry');
      assert.equal((await fetch(s.get)).status, 410);
      const secret = srv.server.storage.modules.get('upload/secret', '', 'hmac');
      await stopAll(c);
      await srv.close();
      const id = new URL(s.get).pathname.split('/')[2]!;
      assert.ok(existsSync(join(srv.dataDir, 'upload', id)), 'still on disk until a sweep');
      again = await startTestServer({ dataDir: srv.dataDir, upload: { expireDays: 1 / 86_400 } });
      assert.deepEqual(readdirSync(join(srv.dataDir, 'upload')), [], 'swept at start');
      assert.equal(again.server.storage.modules.keys('upload/files', '').length, 0);
      assert.ok(secret);
      assert.equal(again.server.storage.modules.get('upload/secret', '', 'hmac'), secret);
    } finally {
      await stopAll(c);
      await (again ?? srv).stop();
    }
  });

  it('deletes at the next start the files of an account removed with `carillon deluser` while the server was stopped', async () => {
    const srv = await startTestServer();
    for (const u of ['tybalt', 'juliet']) await srv.users.add(`${u}@localhost`, 'secret');
    const [tybalt, juliet] = [await connect(srv, 'tybalt', 'secret'), await connect(srv, 'juliet', 'secret')];
    let again: TestServer | undefined;
    try {
      const gone = await slot(tybalt, 'sword.txt', 5, 'text/plain');
      const kept = await slot(juliet, 'balcony.txt', 5, 'text/plain');
      for (const s of [gone, kept]) assert.equal((await put(s.put, Buffer.from('words'), 'text/plain')).status, 201);
      await stopAll(tybalt, juliet);
      await srv.close();
      const file = join(srv.dataDir, 'carillon.json');
      writeFileSync(file, JSON.stringify({ domain: 'localhost', dataDir: srv.dataDir }));
      const log = console.log;
      console.log = () => {};
      try {
        await main(['deluser', 'tybalt@localhost', '--config', file]);
      } finally {
        console.log = log;
      }
      assert.equal(process.exitCode, 0);
      again = await startTestServer({ dataDir: srv.dataDir });
      const idOf = (s: Slot) => new URL(s.get).pathname.split('/')[2]!;
      assert.equal(existsSync(join(srv.dataDir, 'upload', idOf(gone))), false);
      assert.ok(existsSync(join(srv.dataDir, 'upload', idOf(kept))));
      // The secret survived the restart: the old link still works, on the new port.
      const moved = (s: Slot) => s.get.replace(/:\d+\//, `:${again!.ports.http}/`);
      assert.equal(await (await fetch(moved(kept))).text(), 'words');
      assert.equal((await fetch(moved(gone))).status, 404);
    } finally {
      await stopAll(tybalt, juliet);
      await (again ?? srv).stop();
    }
  });

  it('checks its keys at startup with an error naming the key', () => {
    const sections = configSections(MODULES);
    const bad: [Record<string, unknown>, string][] = [
      [{ maxBytes: -1 }, 'upload.maxBytes'],
      [{ quotaBytes: 'lots' }, 'upload.quotaBytes'],
      [{ expireDays: -2 }, 'upload.expireDays'],
      [{ url: 'ftp://example.org' }, 'upload.url'],
      [{ url: 'https://example.org/?x=1' }, 'upload.url'],
      [{ domain: 'bad domain!' }, 'upload.domain'],
      [{ putSeconds: 1.5 }, 'upload.putSeconds'],
      [{ size: 1 }, 'upload.size'],
    ];
    for (const [upload, key] of bad) assert.throws(() => resolveConfig({ upload }, undefined, undefined, sections), (e: Error) => e.message.includes(`"${key}"`), key);
    const ok = resolveConfig({ upload: { url: 'https://example.org:5281/' } }, undefined, undefined, sections).modules.upload as { url: string; maxBytes: number; quotaBytes: number; expireDays: number; putSeconds: number };
    assert.deepEqual(ok, { enabled: true, domain: null, url: 'https://example.org:5281', maxBytes: 100 * 1024 * 1024, quotaBytes: 1024 * 1024 * 1024, expireDays: 30, putSeconds: 300 });
  });

  it('links to upload.url, and with the self-signed certificate to the port the client came in on', async () => {
    // (test/server/upload-links.test.ts has every transport and the configured certificate)
    const srv = await startTestServer({ https: { port: 0 }, upload: { domain: 'files.localhost' } });
    await srv.users.add('romeo@localhost', 'secret');
    const c = await connect(srv, 'romeo', 'secret');
    try {
      const r = await c.iqCaller.request(xml('iq', { type: 'get', to: 'files.localhost' }, xml('request', { xmlns: NS, filename: 'a.txt', size: '1' })));
      const url = r.getChild('slot', NS)!.getChild('put')!.attrs.url as string;
      // a WebSocket on the HTTP port: an HTTPS link would need a certificate nobody trusts
      assert.ok(url.startsWith(`http://localhost:${srv.ports.http}/upload/`), url);
      assert.equal((await fetch(url, { method: 'PUT', body: 'x' })).status, 201, 'on the HTTP port');
    } finally {
      await stopAll(c);
      await srv.stop();
    }
    const proxied = await startTestServer({ upload: { url: 'https://upload.example.org' } });
    await proxied.users.add('romeo@localhost', 'secret');
    const p = await connect(proxied, 'romeo', 'secret');
    try {
      const s = await slot(p, 'a.txt', 1);
      assert.match(s.get, /^https:\/\/upload\.example\.org\/upload\/[A-Za-z0-9_-]{32}\/a\.txt\?e=\d+&s=[A-Za-z0-9_-]+$/);
    } finally {
      await stopAll(p);
      await proxied.stop();
    }
  });
});
