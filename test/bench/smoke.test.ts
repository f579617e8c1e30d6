// The load generator end to end at tiny scale, against Carillon (in process) and Prosody, plus
// its two pure pieces: the stream splitter and the SCRAM-SHA-1 client (RFC 5802 §5 example).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { XmlScanner, type ScanEvent } from '../../bench/load/xml-scanner.js';
import { ScramSha1Client } from '../../bench/load/scram.js';
import { WorkerPool } from '../../bench/load/pool.js';
import { ProsodyServer } from '../../bench/servers/prosody.js';
import type { BenchServer } from '../../bench/servers/types.js';
import type { Scale } from '../../bench/scale.js';
import type { BatchResult } from '../../bench/load/protocol.js';
import { idleMemory } from '../../bench/scenarios/idle-memory.js';
import { fanout } from '../../bench/scenarios/fanout.js';
import { loginRate } from '../../bench/scenarios/login-rate.js';
import { latency, setupPairs, throughput } from '../../bench/scenarios/chat.js';
import type { Context } from '../../bench/scenarios/context.js';
import { startCarillon } from '../../server/index.js';

const TINY: Scale = {
  name: 'quick', idle: [4, 8], logins: 6, loginConcurrency: 4, pairs: 2, startRate: 50, maxRate: 100, stepMs: 300,
  latencyMs: 300, fanContacts: 4, fanRounds: 2, refRate: 40, settleMs: 50,
};

describe('bench: stream splitter', () => {
  const transcript =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='x' version='1.0'>" +
    "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>" +
    " \n<message from='a@b' to=\"c@d\" title='1 > 0'><body>x &lt; y</body><x/></message>" +
    "<presence/><!-- note --><iq type='result' id='a'><![CDATA[<not-an-element>]]></iq></stream:stream>";
  const expected: ScanEvent[] = [
    { kind: 'open', header: transcript.slice(transcript.indexOf('<stream:stream'), transcript.indexOf('<stream:features')) },
    { kind: 'element', xml: "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>" },
    { kind: 'element', xml: "<message from='a@b' to=\"c@d\" title='1 > 0'><body>x &lt; y</body><x/></message>" },
    { kind: 'element', xml: '<presence/>' },
    { kind: 'element', xml: "<iq type='result' id='a'><![CDATA[<not-an-element>]]></iq>" },
    { kind: 'close' },
  ];

  it('cuts the same elements out of any chunking', () => {
    for (const size of [1, 2, 3, 7, 16, 64, transcript.length]) {
      const got: ScanEvent[] = [];
      const s = new XmlScanner((e) => got.push(e));
      for (let i = 0; i < transcript.length; i += size) s.push(transcript.slice(i, i + size));
      assert.deepEqual(got, expected, `chunks of ${size}`);
    }
  });

  it('starts over after reset() from inside a handler (stream restart)', () => {
    const got: string[] = [];
    const s: XmlScanner = new XmlScanner((e) => {
      got.push(e.kind === 'element' ? e.xml : e.kind);
      if (e.kind === 'element' && e.xml.startsWith('<success')) s.reset();
    });
    s.push("<stream:stream><success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/><stale/>");
    s.push("<stream:stream><stream:features/>");
    assert.deepEqual(got, ['open', "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", 'open', '<stream:features/>']);
  });
});

describe('bench: SCRAM-SHA-1 client', () => {
  it('computes the RFC 5802 §5 example proof and checks the server signature', () => {
    const c = new ScramSha1Client('user', 'pencil', 'fyko+d2lbbFgONRv9qkxdawL');
    assert.equal(Buffer.from(c.first(), 'base64').toString(), 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    const serverFirst = Buffer.from('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096').toString('base64');
    assert.equal(Buffer.from(c.final(serverFirst), 'base64').toString(), 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=');
    assert.equal(c.verify(Buffer.from('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=').toString('base64')), true);
    assert.equal(c.verify(Buffer.from('v=AAAApqV8S7suAoZWja4dJRkFsKQ=').toString('base64')), false);
  });
});

/** Every scenario once, tiny, as the runner does it; each must come back ok with sane figures. */
async function runAll(server: BenchServer): Promise<void> {
  const pool = new WorkerPool(2);
  try {
    await pool.setTarget(server.target);
    const ctx: Context = { pool, server, scale: TINY, password: 'smoke-pw', user: (i) => `s${i}`, owner: 'boss', log: () => {} };
    const names = [...Array.from({ length: 8 }, (_, i) => ctx.user(i)), ctx.owner];
    const reg = await pool.all<BatchResult>((w) => ({
      op: 'register', users: names.filter((_, i) => i % 2 === w), password: ctx.password, transport: 'tcp', concurrency: 4,
    }));
    assert.deepEqual(reg.flatMap((r) => r.errors), []);
    assert.equal(reg.reduce((a, r) => a + r.ok, 0), names.length);

    const idle = await idleMemory(ctx);
    assert.equal(idle.status, 'ok', JSON.stringify(idle));
    if (idle.status === 'ok') assert.equal(idle.data.sessionsHeld, 8);
    const fan = await fanout(ctx);
    assert.equal(fan.status, 'ok', JSON.stringify(fan));
    if (fan.status === 'ok') assert.equal(fan.data.rounds.length, 2);
    await pool.all({ op: 'close', group: 'owner' });
    await pool.all({ op: 'close', group: 'idle' });

    for (const [mech, transport] of [['SCRAM-SHA-1', 'tcp'], ['PLAIN', 'tcp'], ['SCRAM-SHA-1', 'ws'], ['PLAIN', 'ws']] as const) {
      const r = await loginRate(ctx, mech, transport);
      assert.equal(r.status, 'ok', `${mech}/${transport}: ${JSON.stringify(r)}`);
      if (r.status === 'ok') assert.ok(r.data.perSec > 0);
    }
    // A wrong password must be reported as a failure, never as a figure.
    const bad = await loginRate({ ...ctx, password: 'wrong' }, 'PLAIN', 'tcp');
    assert.equal(bad.status, 'failed');

    assert.equal(await setupPairs(ctx), null);
    const tp = await throughput(ctx);
    assert.equal(tp.status, 'ok', JSON.stringify(tp));
    if (tp.status === 'ok') {
      assert.ok(tp.data.msgPerSec > 0);
      assert.ok(tp.data.delivered > 0);
    }
    const lat = await latency(ctx, 40);
    assert.equal(lat.status, 'ok', JSON.stringify(lat));
    if (lat.status === 'ok') {
      assert.ok(lat.data.messages >= 10, `only ${lat.data.messages} timed messages`);
      assert.ok(lat.data.p50 > 0 && lat.data.p99 >= lat.data.p50);
    }
    await pool.all({ op: 'close', group: 'chat' });
  } finally {
    await pool.close();
  }
}

describe('bench: load generator end to end', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const tmp = () => {
    const d = mkdtempSync(join(os.tmpdir(), 'bench-smoke-'));
    dirs.push(d);
    return d;
  };

  it('runs every scenario against Carillon', async () => {
    const srv = await startCarillon({
      domain: 'bench.test', dataDir: tmp(), listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: 0 },
      s2s: { port: null }, components: { port: null }, registration: { open: true, throttle: 0 },
    });
    try {
      const server: BenchServer = {
        name: 'carillon', version: 'in process', pid: process.pid, notes: [],
        target: { domain: 'bench.test', host: '127.0.0.1', c2sPort: srv.ports.c2s ?? 0, wsUrl: `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket` },
        start: async () => {},
        stop: async () => {},
      };
      await runAll(server);
    } finally {
      await srv.close();
    }
  });

  it('runs every scenario against Prosody', async () => {
    const server = new ProsodyServer({
      workDir: tmp(), domain: 'bench.test', ports: { c2s: 22922, s2s: 22969, http: 22980, components: 22947 }, log: () => {},
    });
    await server.start();
    try {
      await runAll(server);
    } finally {
      await server.stop();
    }
  });
});
