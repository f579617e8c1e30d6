// Which scheme and port a XEP-0363 slot's links name: `upload.url` when set; with a configured
// certificate the HTTPS port; with only the self-signed one, the listener the requester came in on
// (HTTP for TCP clients). Every link works on the port it names, and on the other one too.
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { client as xmppClient } from '@xmpp/client';
import { createClient, type Agent } from 'stanza';
import { freePort } from '../support/ports.js';
import { connect, startTestServer, stopAll, type TestServer, type XmppClient } from './helpers.js';
import { slot } from './upload-slots.js';

interface Reply {
  status: number;
  body: Buffer;
}

/**
 * One HTTP(S) request; HTTPS trusts `ca` alone and verifies it (rejectUnauthorized set here wins
 * over the NODE_TLS_REJECT_UNAUTHORIZED the helpers set for the XMPP connections).
 */
function request(url: string, method: 'PUT' | 'GET', ca: string | undefined, body?: Buffer): Promise<Reply> {
  const u = new URL(url);
  const headers = body ? { 'Content-Length': String(body.length), 'Content-Type': 'text/plain' } : {};
  return new Promise((resolve, reject) => {
    const done = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    };
    const req = u.protocol === 'https:' ? https.request(u, { method, headers, ca, rejectUnauthorized: true, agent: false }, done) : http.request(u, { method, headers, agent: false }, done);
    req.on('error', reject);
    req.end(body);
  });
}

/** The same path and query on another base. */
const on = (base: string, url: string): string => {
  const u = new URL(url);
  return `${base}${u.pathname}${u.search}`;
};

/** An @xmpp/client session over a WebSocket on the given URL. */
async function websocket(service: string, username: string): Promise<XmppClient> {
  const c = xmppClient({ service, domain: 'localhost', username, password: 'secret', resource: service.startsWith('wss') ? 'wss' : 'ws' });
  (c as unknown as { timeout: number }).timeout = 20_000;
  c.on('error', () => {});
  (c as unknown as { reconnect?: { stop(): void } }).reconnect?.stop();
  await c.start();
  return c;
}

/** StanzaJS over BOSH only; resolves once its session has started. */
async function bosh(url: string, user: string): Promise<Agent> {
  const client = createClient({ jid: `${user}@localhost`, password: 'secret', resource: 'bosh', transports: { bosh: url, websocket: false } });
  const started = new Promise<void>((resolve, reject) => {
    client.once('session:started', () => resolve());
    client.once('disconnected', () => reject(new Error('disconnected before the session started')));
  });
  client.connect();
  await started;
  return client;
}

/** A slot asked for over BOSH, as StanzaJS asks for it (XEP-0363 §4). */
async function boshSlot(c: Agent): Promise<{ put: string; get: string }> {
  const s = await c.getUploadSlot('upload.localhost', { name: 'b.txt', size: 2, mediaType: 'text/plain' });
  return { put: s.upload.url, get: s.download };
}

/** PUTs two bytes on the PUT URL, then GETs them on both bases. */
async function uploadAndFetch(s: { put: string; get: string }, bases: { http: string; https: string }, ca: string, text: string): Promise<void> {
  assert.equal((await request(s.put, 'PUT', ca, Buffer.from(text))).status, 201, `PUT on ${new URL(s.put).origin}`);
  for (const base of [bases.http, bases.https]) {
    const r = await request(on(base, s.get), 'GET', ca);
    assert.equal(r.status, 200, `GET on ${base}`);
    assert.equal(r.body.toString(), text);
  }
}

describe('XEP-0363 link bases', function () {
  it('with the self-signed certificate: https links over the HTTPS port, http links over the HTTP port and TCP; each works on both ports', async () => {
    const srv = await startTestServer({ https: { port: 0 } });
    const clients: XmppClient[] = [];
    const agents: Agent[] = [];
    try {
      assert.equal(srv.tls.selfSigned, true);
      for (const u of ['romeo', 'juliet', 'nurse', 'tybalt', 'benvolio']) await srv.users.add(`${u}@localhost`, 'secret');
      const bases = { http: `http://localhost:${srv.ports.http}`, https: `https://localhost:${srv.ports.https}` };
      const ca = srv.tls.cert;
      // the certificate is verified: without it as a CA the HTTPS port is refused
      await assert.rejects(request(`${bases.https}/upload/origins.json`, 'GET', undefined), /self[- ]signed/);

      const overHttp = await websocket(`ws://localhost:${srv.ports.http}/xmpp-websocket`, 'romeo');
      const overHttps = await websocket(`wss://localhost:${srv.ports.https}/xmpp-websocket`, 'juliet');
      const overTcp = await connect(srv, 'nurse', 'secret', { transport: 'tcp' });
      clients.push(overHttp, overHttps, overTcp);
      const cases: [string, { put: string; get: string }, string][] = [
        ['WebSocket on the HTTP port', await slot(overHttp, 'a.txt', 2, 'text/plain'), bases.http],
        ['WebSocket on the HTTPS port', await slot(overHttps, 'a.txt', 2, 'text/plain'), bases.https],
        ['TCP', await slot(overTcp, 'a.txt', 2, 'text/plain'), bases.http],
      ];
      const boshHttp = await bosh(`${bases.http}/http-bind`, 'tybalt');
      agents.push(boshHttp);
      cases.push(['BOSH on the HTTP port', await boshSlot(boshHttp), bases.http]);
      const boshHttps = await bosh(`${bases.https}/http-bind`, 'benvolio');
      agents.push(boshHttps);
      cases.push(['BOSH on the HTTPS port', await boshSlot(boshHttps), bases.https]);

      for (const [i, [how, s, base]] of cases.entries()) {
        assert.equal(new URL(s.put).origin, base, `${how}: PUT URL ${s.put}`);
        assert.equal(new URL(s.get).origin, base, `${how}: GET URL ${s.get}`);
        await uploadAndFetch(s, bases, ca, `${i}!`);
      }
      // what a web client served here learns of the server's own upload origins
      const origins = await request(`${bases.http}/upload/origins.json`, 'GET', ca);
      assert.equal(origins.status, 200);
      assert.deepEqual(JSON.parse(origins.body.toString()), { origins: [bases.http, bases.https] });
    } finally {
      for (const a of agents) a.disconnect();
      await stopAll(...clients);
      await srv.stop();
    }
  });

  it('with a configured certificate: https links for every client while HTTPS listens', async () => {
    // the certificate another server made, given as tls.cert and tls.key (the same for the test as a CA's)
    const maker = await startTestServer({ https: { port: 0 } });
    const cert = join(maker.dataDir, 'given.crt');
    const key = join(maker.dataDir, 'given.key');
    writeFileSync(cert, maker.tls.cert);
    writeFileSync(key, maker.tls.key);
    const srv = await startTestServer({ https: { port: 0 }, tls: { cert, key } });
    const clients: XmppClient[] = [];
    try {
      assert.equal(srv.tls.selfSigned, false);
      for (const u of ['romeo', 'nurse']) await srv.users.add(`${u}@localhost`, 'secret');
      const bases = { http: `http://localhost:${srv.ports.http}`, https: `https://localhost:${srv.ports.https}` };
      clients.push(await websocket(`ws://localhost:${srv.ports.http}/xmpp-websocket`, 'romeo'), await connect(srv, 'nurse', 'secret', { transport: 'tcp' }));
      for (const [i, c] of clients.entries()) {
        const s = await slot(c, 'a.txt', 2, 'text/plain');
        assert.equal(new URL(s.put).origin, bases.https, s.put);
        assert.equal(new URL(s.get).origin, bases.https, s.get);
        await uploadAndFetch(s, bases, maker.tls.cert, `${i}?`);
      }
    } finally {
      await stopAll(...clients);
      await srv.stop();
      await maker.stop();
    }
  });

  it('with upload.url set: that base for every client, whichever way it came in', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const srv = await startTestServer({ http: { port }, https: { port: 0 }, upload: { url } });
    const clients: XmppClient[] = [];
    try {
      for (const u of ['romeo', 'juliet', 'nurse']) await srv.users.add(`${u}@localhost`, 'secret');
      clients.push(
        await websocket(`ws://localhost:${srv.ports.http}/xmpp-websocket`, 'romeo'),
        await websocket(`wss://localhost:${srv.ports.https}/xmpp-websocket`, 'juliet'),
        await connect(srv, 'nurse', 'secret', { transport: 'tcp' }),
      );
      for (const [i, c] of clients.entries()) {
        const s = await slot(c, 'a.txt', 2, 'text/plain');
        assert.ok(s.put.startsWith(`${url}/upload/`), s.put);
        assert.ok(s.get.startsWith(`${url}/upload/`), s.get);
        assert.equal((await request(s.put, 'PUT', undefined, Buffer.from(`${i}.`))).status, 201);
        assert.equal((await request(s.get, 'GET', undefined)).body.toString(), `${i}.`);
      }
    } finally {
      await stopAll(...clients);
      await srv.stop();
    }
  });
});
