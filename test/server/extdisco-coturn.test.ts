// The TURN REST credentials Carillon hands out over XEP-0215, checked by a real relay: Debian's
// coturn (turnserver, use-auth-secret) on loopback. A TURN allocation succeeds with them — with
// coturn's own client (turnutils_uclient, which also relays data between two allocations) and
// with a minimal RFC 5766 Allocate written here, which shows the relay's answer code — and fails
// (401) with a wrong secret and once the credentials have expired.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { turnRestCredentials } from '../../xmpp/turn-credentials.js';
import { startCoturn, type Coturn } from '../support/coturn.js';
import { connect, startTestServer, stopAll, xml, type TestServer, type XmlElement, type XmppClient } from './helpers.js';

const REALM = 'carillon.test';
const SECRET = randomBytes(16).toString('hex');

// --- a minimal STUN/TURN client (RFC 5389 messages, RFC 5766 Allocate) ---
const MAGIC = 0x2112a442;
const ATTR = { USERNAME: 0x0006, MESSAGE_INTEGRITY: 0x0008, ERROR_CODE: 0x0009, REALM: 0x0014, NONCE: 0x0015, XOR_RELAYED_ADDRESS: 0x0016, REQUESTED_TRANSPORT: 0x0019 };
const ALLOCATE = 0x0003;

function attr(type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(value.length, 2);
  return Buffer.concat([head, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
}

/** A request; with `key`, ended by MESSAGE-INTEGRITY (RFC 5389 §15.4). */
function message(method: number, attrs: Buffer[], key?: Buffer): Buffer {
  const body = Buffer.concat(attrs);
  const head = Buffer.alloc(20);
  head.writeUInt16BE(method, 0);
  head.writeUInt32BE(MAGIC, 4);
  randomBytes(12).copy(head, 8);
  if (!key) {
    head.writeUInt16BE(body.length, 2);
    return Buffer.concat([head, body]);
  }
  // The length counts the MESSAGE-INTEGRITY attribute (24 bytes); the HMAC covers what precedes it.
  head.writeUInt16BE(body.length + 24, 2);
  const mi = createHmac('sha1', key).update(Buffer.concat([head, body])).digest();
  return Buffer.concat([head, body, attr(ATTR.MESSAGE_INTEGRITY, mi)]);
}

interface StunResponse {
  type: number;
  attrs: Map<number, Buffer>;
}

function parse(buf: Buffer): StunResponse {
  const attrs = new Map<number, Buffer>();
  const end = 20 + buf.readUInt16BE(2);
  for (let i = 20; i + 4 <= end; ) {
    const t = buf.readUInt16BE(i);
    const len = buf.readUInt16BE(i + 2);
    if (!attrs.has(t)) attrs.set(t, buf.subarray(i + 4, i + 4 + len));
    i += 4 + len + ((4 - (len % 4)) % 4);
  }
  return { type: buf.readUInt16BE(0), attrs };
}

const errorCode = (r: StunResponse): number | undefined => {
  const e = r.attrs.get(ATTR.ERROR_CODE);
  return e ? e[2]! * 100 + e[3]! : undefined;
};

/** Sends a request from `sock` and resolves with the next message it receives. */
function exchange(sock: Socket, port: number, req: Buffer): Promise<StunResponse> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.off('message', onMessage);
      reject(new Error('no answer from the relay'));
    }, 2000);
    const onMessage = (buf: Buffer) => {
      clearTimeout(timer);
      sock.off('message', onMessage);
      resolve(parse(buf));
    };
    sock.on('message', onMessage);
    sock.send(req, port, '127.0.0.1');
  });
}

/** Runs `fn` with a UDP socket of its own: the relay ties a nonce and an allocation to the 5-tuple. */
async function withSocket<T>(fn: (sock: Socket) => Promise<T>): Promise<T> {
  const sock = createSocket('udp4');
  try {
    return await fn(sock);
  } finally {
    sock.close();
  }
}

type AllocateResult = { ok: true; relayPort: number; relayAddress: string } | { ok: false; code: number | undefined; realm?: string };

/** An Allocate with long-term credentials (RFC 5766 §6, RFC 5389 §10.2): 401 with realm and nonce, then the signed request. */
async function allocate(port: number, username: string, password: string): Promise<AllocateResult> {
  return withSocket(async (sock) => {
    const transport = attr(ATTR.REQUESTED_TRANSPORT, Buffer.from([17, 0, 0, 0])); // UDP
    const first = await exchange(sock, port, message(ALLOCATE, [transport]));
    assert.equal(errorCode(first), 401, 'an unauthenticated Allocate is challenged');
    const realm = first.attrs.get(ATTR.REALM)!.toString('utf8');
    const nonce = first.attrs.get(ATTR.NONCE)!;
    const key = createHash('md5').update(`${username}:${realm}:${password}`).digest();
    const signed = [transport, attr(ATTR.USERNAME, Buffer.from(username, 'utf8')), attr(ATTR.REALM, Buffer.from(realm, 'utf8')), attr(ATTR.NONCE, nonce)];
    const r = await exchange(sock, port, message(ALLOCATE, signed, key));
    if (r.type === 0x0103) {
      const a = r.attrs.get(ATTR.XOR_RELAYED_ADDRESS)!;
      const relayPort = a.readUInt16BE(2) ^ (MAGIC >>> 16);
      const ip = (a.readUInt32BE(4) ^ MAGIC) >>> 0;
      return { ok: true, relayPort, relayAddress: [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.') } as const;
    }
    return { ok: false, code: errorCode(r), realm } as const;
  });
}

/** coturn's own client: two allocations relaying messages to each other (-y), one message each way. */
function uclient(port: number, username: string, password: string, tcp = false): Promise<{ code: number; out: string }> {
  const args = [...(tcp ? ['-t'] : []), '-y', '-c', '-n', '1', '-p', String(port), '-u', username, '-w', password, '127.0.0.1'];
  return new Promise((resolve) => {
    execFile('turnutils_uclient', args, { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

describe('XEP-0215 credentials at a real coturn', function () {
  this.timeout(60_000);
  let coturn: Coturn;
  let port: number;
  let relay: { portMin: number; portMax: number };
  let srv: TestServer;
  let bard: XmppClient;

  before(async () => {
    coturn = await startCoturn({ secret: SECRET, realm: REALM });
    ({ port, relay } = coturn);
    srv = await startTestServer({ domain: 'shakespeare.lit', components: { port: null }, turn: { host: '127.0.0.1', port, secret: SECRET, ttl: 600 } });
    await srv.users.add('bard@shakespeare.lit', 'secret');
    bard = await connect(srv, 'bard', 'secret');
  });

  after(async () => {
    await stopAll(bard);
    await srv?.stop();
    await coturn?.stop();
  });

  async function relayService(transport: string): Promise<XmlElement> {
    const r = await bard.iqCaller.request(xml('iq', { type: 'get', to: 'shakespeare.lit' }, xml('services', { xmlns: 'urn:xmpp:extdisco:2', type: 'turn' })));
    const s = r.getChild('services')!.getChildren('service').find((e: XmlElement) => e.attrs.transport === transport);
    assert.ok(s, `a turn/${transport} service`);
    assert.equal(s.attrs.host, '127.0.0.1');
    assert.equal(Number(s.attrs.port), port);
    return s;
  }

  it('allocates a relay with the credentials from XEP-0215 (turnutils_uclient over UDP and TCP, relaying data)', async () => {
    for (const transport of ['udp', 'tcp']) {
      const s = await relayService(transport);
      const { code, out } = await uclient(port, s.attrs.username as string, s.attrs.password as string, transport === 'tcp');
      assert.equal(code, 0, `uclient over ${transport}:\n${out}`);
      assert.doesNotMatch(out, /ERROR/);
      const m = /start_mclient: tot_send_msgs=\d+, tot_recv_msgs=(\d+)/.exec(out);
      assert.ok(m && Number(m[1]) > 0, `messages came back through the relay:\n${out}`);
    }
  });

  it('allocates a relay with them in a plain RFC 5766 Allocate, in the configured realm', async () => {
    const s = await relayService('udp');
    const r = await allocate(port, s.attrs.username as string, s.attrs.password as string);
    assert.ok(r.ok, `allocation refused: ${JSON.stringify(r)}`);
    assert.equal(r.relayAddress, '127.0.0.1');
    assert.ok(r.relayPort >= relay.portMin && r.relayPort <= relay.portMax);
  });

  it('fails with credentials made from another secret (401)', async () => {
    const wrong = turnRestCredentials('not the relay secret', 'bard@shakespeare.lit', Math.floor(Date.now() / 1000) + 600);
    const r = await allocate(port, wrong.username, wrong.password);
    assert.deepEqual(r, { ok: false, code: 401, realm: REALM });
    const u = await uclient(port, wrong.username, wrong.password);
    assert.notEqual(u.code, 0);
    assert.match(u.out, /Cannot complete Allocation/);
  });

  it('fails once the credentials have expired (401)', async () => {
    const expired = turnRestCredentials(SECRET, 'bard@shakespeare.lit', Math.floor(Date.now() / 1000) - 60);
    const r = await allocate(port, expired.username, expired.password);
    assert.deepEqual(r, { ok: false, code: 401, realm: REALM });
    const u = await uclient(port, expired.username, expired.password);
    assert.notEqual(u.code, 0);
    // The same secret and user a minute into the future are accepted: it was only the expiry.
    const fresh = turnRestCredentials(SECRET, 'bard@shakespeare.lit', Math.floor(Date.now() / 1000) + 60);
    assert.equal((await allocate(port, fresh.username, fresh.password)).ok, true);
    assert.match(coturn.log(), /check_stun_auth/);
  });
});
