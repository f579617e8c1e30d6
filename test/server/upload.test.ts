// XEP-0363 HTTP File Upload from outside: slots asked for with @xmpp/client, files moved with
// Node's fetch, as a client (Conversations, Dino, Converse.js) does; the XEP's examples as fixtures.
// Expiry, restarts and configuration are in upload-lifecycle.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import componentPkg from '@xmpp/component';
import { until } from '../support/until.js';
import { connect, next, startTestServer, stopAll, xml, type TestServer, type XmlElement, type XmppClient } from './helpers.js';
import { NS, STANZAS, put, refusal, request, slot, withParam, type Slot } from './upload-slots.js';

const MAX = 6_000_000;
const QUOTA = 16_000_000;

describe('XEP-0363 HTTP File Upload', function () {
  let srv: TestServer;
  let romeo: XmppClient;

  before(async () => {
    srv = await startTestServer({ upload: { maxBytes: MAX, quotaBytes: QUOTA }, components: { port: 0, secrets: { 'bot.localhost': 'secret' } } });
    for (const u of ['romeo', 'benvolio', 'mercutio']) await srv.users.add(`${u}@localhost`, 'secret');
    romeo = await connect(srv, 'romeo', 'secret', { resource: 'garden' });
  });
  after(async () => {
    await stopAll(romeo);
    await srv.stop();
  });

  it('is listed in the server\u2019s disco#items and has the §3 form in its disco#info (Examples 1–4)', async () => {
    const items = await romeo.iqCaller.request(xml('iq', { type: 'get', to: 'localhost', id: 'step_01' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    assert.ok(items.getChild('query')!.getChildren('item').some((i) => i.attrs.jid === 'upload.localhost'));
    const info = await romeo.iqCaller.request(xml('iq', { type: 'get', to: 'upload.localhost', id: 'step_02' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const q = info.getChild('query')!;
    const identity = q.getChild('identity')!;
    assert.deepEqual([identity.attrs.category, identity.attrs.type], ['store', 'file']);
    assert.ok(q.getChildren('feature').some((f) => f.attrs.var === NS));
    const form = q.getChild('x', 'jabber:x:data')!;
    assert.equal(form.attrs.type, 'result');
    const value = (name: string) => form.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value');
    assert.equal(value('FORM_TYPE'), NS);
    assert.equal(form.getChildren('field').find((f) => f.attrs.var === 'FORM_TYPE')!.attrs.type, 'hidden');
    assert.equal(value('max-file-size'), String(MAX));
  });

  it('round-trips a 5 MB random file byte for byte: slot (Examples 5, 6), PUT 201, GET and HEAD', async () => {
    const data = randomBytes(5 * 1024 * 1024);
    const s = await slot(romeo, 'my-juliet.jpg', data.length, 'image/jpeg');
    // The default base: the server's domain and the port its HTTP listener got; the name kept intact.
    assert.ok(s.put.startsWith(`http://localhost:${srv.ports.http}/upload/`), s.put);
    assert.ok(s.get.startsWith(`http://localhost:${srv.ports.http}/upload/`), s.get);
    assert.equal(new URL(s.get).pathname.split('/').pop(), 'my-juliet.jpg');
    assert.notEqual(s.put, s.get);
    const secret = srv.server.storage.modules.get('upload/secret', '', 'hmac')!;
    assert.ok(secret && !s.put.includes(secret) && !s.get.includes(encodeURIComponent(secret)));
    assert.equal((await fetch(s.get)).status, 404, 'nothing to GET before the PUT');

    const r = await put(s.put, data, 'image/jpeg');
    assert.equal(r.status, 201);
    const got = await fetch(s.get);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'image/jpeg');
    assert.equal(got.headers.get('content-length'), String(data.length));
    assert.equal(got.headers.get('content-disposition'), `inline; filename="my-juliet.jpg"; filename*=UTF-8''my-juliet.jpg`);
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(got.headers.get('access-control-allow-origin'), '*');
    assert.ok(Buffer.from(await got.arrayBuffer()).equals(data), 'the same bytes');
    const head = await fetch(s.get, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(data.length));
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    // Stored in <dataDir>/upload, under the slot's id.
    const id = new URL(s.get).pathname.split('/')[2]!;
    assert.ok(readFileSync(join(srv.dataDir, 'upload', id)).equals(data));
  });

  it('serves HTML and SVG as attachments or under a CSP that runs no script, with the name encoded (RFC 6266, RFC 8187)', async () => {
    const html = Buffer.from('<script>alert(1)</script>');
    const s = await slot(romeo, 'très "cool".html', html.length, 'text/html');
    assert.equal((await put(s.put, html, 'text/html')).status, 201);
    const got = await fetch(s.get);
    assert.equal(got.headers.get('content-disposition'), `attachment; filename="tr_s _cool_.html"; filename*=UTF-8''tr%C3%A8s%20%22cool%22.html`);
    const csp = got.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /sandbox/);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const v = await slot(romeo, 'x.svg', svg.length, 'image/svg+xml');
    assert.equal((await put(v.put, svg, 'image/svg+xml')).status, 201);
    assert.match((await fetch(v.get)).headers.get('content-security-policy') ?? '', /default-src 'none'.*sandbox/);
  });

  it('refuses a PUT of another size with 413 (§6) and keeps the slot for the right one', async () => {
    const s = await slot(romeo, 'a.bin', 100);
    assert.equal((await put(s.put, randomBytes(99))).status, 413);
    assert.equal((await put(s.put, randomBytes(101))).status, 413);
    const body = randomBytes(100);
    assert.equal((await put(s.put, body)).status, 201);
    assert.ok(Buffer.from(await (await fetch(s.get)).arrayBuffer()).equals(body));
  });

  it('serves byte ranges (RFC 9110 §14), for players that seek, and empty files', async () => {
    const data = randomBytes(1000);
    const s = await slot(romeo, 'clip.mp4', data.length, 'video/mp4');
    assert.equal((await put(s.put, data, 'video/mp4')).status, 201);
    for (const [range, from, to] of [['bytes=100-199', 100, 199], ['bytes=990-', 990, 999], ['bytes=-10', 990, 999], ['bytes=900-5000', 900, 999]] as const) {
      const r = await fetch(s.get, { headers: { Range: range } });
      assert.equal(r.status, 206, range);
      assert.equal(r.headers.get('content-range'), `bytes ${from}-${to}/1000`);
      assert.ok(Buffer.from(await r.arrayBuffer()).equals(data.subarray(from, to + 1)), range);
    }
    const past = await fetch(s.get, { headers: { Range: 'bytes=1000-' } });
    assert.deepEqual([past.status, past.headers.get('content-range')], [416, 'bytes */1000']);
    const empty = await slot(romeo, 'empty.txt', 0, 'text/plain');
    assert.equal((await put(empty.put, new Uint8Array(0), 'text/plain')).status, 201);
    const got = await fetch(empty.get);
    assert.deepEqual([got.status, got.headers.get('content-length'), await got.text()], [200, '0', '']);
  });

  it('refuses a PUT without Content-Length (chunked) with 411', async () => {
    const s = await slot(romeo, 'chunked.bin', 4);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array([1, 2, 3, 4]));
        c.close();
      },
    });
    const r = await fetch(s.put, { method: 'PUT', body: stream, duplex: 'half' } as RequestInit);
    assert.equal(r.status, 411);
  });

  it('refuses a second PUT while the first is still arriving (409), then completes the first', async () => {
    const s = await slot(romeo, 'slow.txt', 4, 'text/plain');
    const u = new URL(s.put);
    const sock = connectTcp(Number(u.port), '127.0.0.1');
    let answer = '';
    sock.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    const answered = new Promise((resolve) => sock.on('data', resolve));
    await new Promise((resolve) => sock.on('connect', resolve));
    sock.write(`PUT ${u.pathname}${u.search} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nab`);
    // Two of four bytes are in: the partial file exists (state without an event, hence until).
    const id = u.pathname.split('/')[2]!;
    await until(() => existsSync(join(srv.dataDir, 'upload', `${id}.part`)), 'the partial upload');
    assert.equal((await put(s.put, Buffer.from('wxyz'), 'text/plain')).status, 409);
    sock.write('cd');
    await answered;
    sock.destroy();
    assert.match(answer, /^HTTP\/1\.1 201 /);
    assert.equal(await (await fetch(s.get)).text(), 'abcd');
  });

  it('refuses a PUT of another Content-Type than the slot\u2019s with 400 (§6), and takes parameters of the same type', async () => {
    const s = await slot(romeo, 'p.png', 3, 'image/png');
    assert.equal((await put(s.put, Buffer.from('abc'), 'text/html')).status, 400);
    assert.equal((await put(s.put, Buffer.from('abc'))).status, 400, 'none at all');
    assert.equal((await put(s.put, Buffer.from('abc'), 'IMAGE/PNG; x=y')).status, 201);
    assert.equal((await fetch(s.get)).headers.get('content-type'), 'image/png');
  });

  it('refuses forged or altered signatures with 403', async () => {
    const s = await slot(romeo, 'f.txt', 2, 'text/plain');
    const sig = new URL(s.put).searchParams.get('s')!;
    const flipped = sig.slice(0, -1) + (sig.endsWith('A') ? 'B' : 'A');
    assert.equal((await put(withParam(s.put, 's', flipped), Buffer.from('hi'), 'text/plain')).status, 403);
    assert.equal((await put(withParam(s.put, 's', ''), Buffer.from('hi'), 'text/plain')).status, 403);
    // A later expiry with the same signature.
    const e = Number(new URL(s.put).searchParams.get('e'));
    assert.equal((await put(withParam(s.put, 'e', String(e + 3600)), Buffer.from('hi'), 'text/plain')).status, 403);
    // Another name in the path, and the GET URL's signature used for a PUT.
    assert.equal((await put(s.put.replace('/f.txt?', '/g.txt?'), Buffer.from('hi'), 'text/plain')).status, 403);
    assert.equal((await put(s.get, Buffer.from('hi'), 'text/plain')).status, 403);
    assert.equal((await put(s.put, Buffer.from('hi'), 'text/plain')).status, 201, 'the real URL still works');
    assert.equal((await fetch(withParam(s.get, 's', flipped))).status, 403);
    assert.equal((await fetch(s.put)).status, 403, 'the PUT signature is no GET signature');
  });

  it('refuses a second PUT to the same slot with 409 and keeps the first file', async () => {
    const s = await slot(romeo, 'once.txt', 5, 'text/plain');
    assert.equal((await put(s.put, Buffer.from('first'), 'text/plain')).status, 201);
    assert.equal((await put(s.put, Buffer.from('again'), 'text/plain')).status, 409);
    assert.equal(await (await fetch(s.get)).text(), 'first');
  });

  it('answers a too-large request with not-acceptable and <file-too-large/> (§5 Example 7)', async () => {
    const { condition, type, error } = await refusal(romeo.iqCaller.request(request('my-juliet.jpg', String(MAX + 1), 'image/jpeg')));
    assert.equal(condition, 'not-acceptable');
    assert.equal(type, 'modify');
    assert.equal(error.getChild('file-too-large', NS)!.getChildText('max-file-size'), String(MAX));
    assert.match(error.getChildText('text', STANZAS) ?? '', /File too large/);
  });

  it('refuses a slot over the quota with resource-constraint (wait) naming the quota (§5 Example 8)', async () => {
    const benvolio = await connect(srv, 'benvolio', 'secret');
    try {
      // Slots not yet used count: 3 × 5 MB fit in 16 MB, a fourth does not.
      const slots: Slot[] = [];
      for (let i = 0; i < 3; i++) slots.push(await slot(benvolio, `part${i}.bin`, 5_000_000));
      const { condition, type, error } = await refusal(benvolio.iqCaller.request(request('part3.bin', '5000000')));
      assert.equal(condition, 'resource-constraint');
      assert.equal(type, 'wait');
      assert.match(error.getChildText('text', STANZAS) ?? '', new RegExp(`Quota reached: 15000000 of your ${QUOTA} bytes`));
      // Unused slots lapse with their PUT URL; once the first has, 5 MB fit again: <retry/> says when (XEP-0082, UTC).
      const first = Number(new URL(slots[0]!.put).searchParams.get('e'));
      assert.equal(error.getChild('retry', NS)!.attrs.stamp, new Date(first * 1000).toISOString().replace('.000Z', 'Z'));
      // Another user is not affected.
      await slot(romeo, 'fine.bin', 5_000_000);
    } finally {
      await stopAll(benvolio);
    }
  });

  it('answers bad filenames and sizes with bad-request', async () => {
    for (const [name, size] of [[undefined, '10'], ['', '10'], ['a/b.txt', '10'], ['..', '10'], ['a.txt', 'ten'], ['a.txt', '-1'], ['a.txt', '1.5'], ['a.txt', '']] as const) {
      const { condition } = await refusal(romeo.iqCaller.request(request(name, size)));
      assert.equal(condition, 'bad-request', `${name} ${size}`);
    }
    assert.equal((await refusal(romeo.iqCaller.request(request('a.txt', '10', 'not a type')))).condition, 'bad-request');
  });

  it('answers what is not a slot request as RFC 6120 says: service-unavailable for a set, a JID at the service or a message', async () => {
    const asSet = xml('iq', { type: 'set', to: 'upload.localhost' }, xml('request', { xmlns: NS, filename: 'a.txt', size: '1' }));
    assert.equal((await refusal(romeo.iqCaller.request(asSet))).condition, 'service-unavailable');
    const atJid = xml('iq', { type: 'get', to: 'someone@upload.localhost' }, xml('request', { xmlns: NS, filename: 'a.txt', size: '1' }));
    assert.equal((await refusal(romeo.iqCaller.request(atJid))).condition, 'service-unavailable');
    const bounced = next(romeo, (el) => el.is('message') && el.attrs.type === 'error');
    await romeo.send(xml('message', { to: 'upload.localhost', id: 'm1' }, xml('body', {}, 'hello')));
    const m = await bounced;
    assert.equal(m.attrs.from, 'upload.localhost');
    assert.ok(m.getChild('error')!.getChild('service-unavailable', STANZAS));
  });

  it('answers the CORS preflight of a web client', async () => {
    const s = await slot(romeo, 'c.txt', 1, 'text/plain');
    const r = await fetch(s.put, { method: 'OPTIONS', headers: { Origin: 'https://web.example', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' } });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    assert.deepEqual(r.headers.get('access-control-allow-methods')!.split(/,\s*/).sort(), ['GET', 'HEAD', 'OPTIONS', 'PUT']);
    assert.match(r.headers.get('access-control-allow-headers') ?? '', /content-type/i);
  });

  it('refuses a requester who is not a user of the server with not-allowed (§5 Example 9)', async () => {
    const { component } = componentPkg as unknown as { component: (o: object) => { start(): Promise<unknown>; stop(): Promise<unknown>; send(el: unknown): Promise<void>; on(ev: string, fn: (el: XmlElement) => void): void } };
    const comp = component({ service: `xmpp://127.0.0.1:${srv.ports.components}`, domain: 'bot.localhost', password: 'secret' });
    comp.on('error', () => {});
    await comp.start();
    try {
      const reply = new Promise<XmlElement>((resolve) => comp.on('stanza', (el) => el.attrs.id === 'step_03' && resolve(el)));
      await comp.send(xml('iq', { type: 'get', id: 'step_03', from: 'romeo@bot.localhost', to: 'upload.localhost' }, xml('request', { xmlns: NS, filename: 'my-juliet.jpg', size: '23456', 'content-type': 'image/jpeg' })));
      const r = await reply;
      assert.equal(r.attrs.type, 'error');
      assert.ok(r.getChild('error')!.getChild('not-allowed', STANZAS));
      assert.equal(r.getChild('error')!.attrs.type, 'cancel');
    } finally {
      await comp.stop();
    }
  });

  it('deletes an account\u2019s files with the account', async () => {
    const mercutio = await connect(srv, 'mercutio', 'secret');
    const s = await slot(mercutio, 'plague.txt', 4, 'text/plain');
    assert.equal((await put(s.put, Buffer.from('both'), 'text/plain')).status, 201);
    const mine = await slot(romeo, 'mine.txt', 4, 'text/plain');
    assert.equal((await put(mine.put, Buffer.from('mine'), 'text/plain')).status, 201);
    const id = new URL(s.get).pathname.split('/')[2]!;
    assert.ok(existsSync(join(srv.dataDir, 'upload', id)));
    await stopAll(mercutio);
    assert.equal(await srv.users.remove('mercutio@localhost'), true);
    assert.equal(existsSync(join(srv.dataDir, 'upload', id)), false);
    assert.equal((await fetch(s.get)).status, 404);
    assert.equal(await (await fetch(mine.get)).text(), 'mine', 'other users\u2019 files stay');
  });
});
