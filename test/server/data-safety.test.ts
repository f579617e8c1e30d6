// Data safety: the server process is killed (SIGKILL, no shutdown of any kind) while a client with
// XEP-0198 stream management sends messages to an offline user. After a restart on the same data
// directory, every message the server acknowledged (<a h/>, XEP-0198 §4) is delivered to the user
// exactly once, and is in the user's archive (XEP-0313); messages not acknowledged may or may not
// arrive, none twice; whatever offline storage delivers is archived too. The server is the real
// command line (bin/carillon.js) in a child process.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Carillon } from '../../server/index.js';
import { collect, connect, stopAll, xml, type XmlElement, type XmppClient } from './helpers.js';
import { RawConnection } from './raw.js';

const BIN = fileURLToPath(new URL('../../bin/carillon.js', import.meta.url));
const SM = 'urn:xmpp:sm:3';
const MAM = 'urn:xmpp:mam:2';
/** Messages between two ack requests, batches written before the first ack is awaited, and at most this many batches. */
const BATCH = 10;
const WINDOW = 5;
const BATCHES = 80;
/** The server is killed once it has acknowledged this many messages. */
const KILL_AT = 300;

function adduser(config: string, jid: string, password: string): void {
  const r = spawnSync(process.execPath, [BIN, 'adduser', jid, '--config', config], { input: `${password}\n`, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
}

/** Starts `carillon start` and resolves with the process and its client port once it is ready. */
async function start(config: string): Promise<{ child: ChildProcess; c2s: number }> {
  const child = spawn(process.execPath, [BIN, 'start', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      if (/ready/.test(out)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`carillon exited (${code}) before it was ready:\n${out}`)));
  });
  const c2s = Number(/127\.0\.0\.1:(\d+) \(XMPP, STARTTLS\)/.exec(out)?.[1]);
  assert.ok(c2s > 0, out);
  return { child, c2s };
}

const numberOf = (el: XmlElement): number => Number(el.getChildText('body'));

/** The bodies of the user's whole archive (XEP-0313 §4), paged with XEP-0059 `after`. */
async function archived(c: XmppClient): Promise<number[]> {
  const out: number[] = [];
  let after: string | undefined;
  for (let page = 0; page < 20; page++) {
    const queryid = `q${page}`;
    const results = collect(c, (el) => el.is('message') && el.getChild('result', MAM)?.attrs.queryid === queryid);
    const set = xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', {}, '250'), ...(after ? [xml('after', {}, after)] : []));
    const answer = await c.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: MAM, queryid }, set)));
    for (const m of await results.done()) {
      const forwarded = m.getChild('result', MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!;
      out.push(numberOf(forwarded));
    }
    const fin = answer.getChild('fin', MAM)!;
    if (fin.attrs.complete === 'true') return out;
    after = fin.getChild('set', 'http://jabber.org/protocol/rsm')?.getChildText('last') ?? undefined;
    assert.ok(after, fin.toString());
  }
  throw new Error('the archive did not end within 20 pages');
}

describe('data safety: the server killed while it acknowledges messages (XEP-0198)', function () {
  this.timeout(90_000);
  let dir: string;
  let config: string;
  let child: ChildProcess | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'carillon-kill-'));
    config = join(dir, 'carillon.json');
    // No read rate limit: the sender writes as fast as the server takes it (limits.test.ts covers limits).
    writeFileSync(config, JSON.stringify({ domain: 'localhost', dataDir: 'data', listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: 0 }, s2s: { port: null }, components: { port: null }, call: { enabled: false }, limits: { c2s: { rate: null } } }));
    adduser(config, 'romeo@localhost', 'montague');
    adduser(config, 'juliet@localhost', 'capulet');
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every acknowledged message once after kill -9 and a restart, and archives it; none twice', async () => {
    const first = await start(config);
    child = first.child;
    const exited = new Promise<NodeJS.Signals | null>((resolve) => first.child.once('exit', (_code, signal) => resolve(signal)));
    const romeo = await RawConnection.open(first.c2s);
    await romeo.login('romeo', 'montague', 'sender');
    romeo.send(`<enable xmlns='${SM}'/>`);
    await romeo.waitFor(/<enabled /);

    // Batches of messages, each followed by <r/>; WINDOW batches are in flight at any time, so
    // that the kill finds messages read but not acknowledged and bytes not read at all.
    let sent = 0;
    for (let b = 0; b < BATCHES; b++) {
      let batch = '';
      for (let i = 0; i < BATCH; i++, sent++) batch += `<message to='juliet@localhost' type='chat' id='m${sent + 1}'><body>${sent + 1}</body></message>`;
      romeo.send(`${batch}<r xmlns='${SM}'/>`);
      if (b + 1 < WINDOW) continue;
      // h counts the stanzas handled since <enable/>: the answer to the request of batch b + 1 - WINDOW.
      const h = (b + 2 - WINDOW) * BATCH;
      await romeo.waitFor(new RegExp(`<a [^>]*h="${h}"`), 20_000);
      if (h >= KILL_AT) break;
    }
    first.child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    await romeo.waitClosed(10_000);
    // Every acknowledgement the sender got, up to the moment the connection died.
    const acks = [...romeo.received.matchAll(/<a [^>]*h="(\d+)"/g)].map((m) => Number(m[1]));
    const acked = Math.max(...acks);
    assert.ok(acked >= KILL_AT && acked <= sent, `acknowledged ${acked} of ${sent}`);

    const second = await start(config);
    child = second.child;
    const fake = { ports: { c2s: second.c2s }, config: { domain: 'localhost' } } as unknown as Carillon;
    const juliet = await connect(fake, 'juliet', 'capulet', { transport: 'tcp', sendPresence: false });
    try {
      const offline = collect(juliet, (el) => el.is('message') && el.attrs.from?.startsWith('romeo@localhost/') === true && el.getChild('body') !== undefined);
      await juliet.send(xml('presence'));
      const got = (await offline.done()).map(numberOf);
      const archive = await archived(juliet);
      console.log(`      sent ${sent}, acknowledged ${acked} before the kill; after the restart ${got.length} delivered from offline storage, ${archive.length} in the archive`);
      for (const [what, list] of [['delivered', got], ['archived', archive]] as const) {
        const seen = new Set<number>();
        for (const n of list) {
          assert.ok(!seen.has(n), `message ${n} ${what} twice`);
          assert.ok(n >= 1 && n <= sent, `message ${n} was never sent`);
          seen.add(n);
        }
        const missing = Array.from({ length: acked }, (_, i) => i + 1).filter((n) => !seen.has(n));
        assert.deepEqual(missing, [], `acknowledged but not ${what}`);
      }
      assert.deepEqual(got, [...got].sort((a, b) => a - b), 'delivered in the order sent');
      // An offline copy carries its archive id (XEP-0359): the archive row is committed with it.
      const inArchive = new Set(archive);
      assert.deepEqual(got.filter((n) => !inArchive.has(n)), [], 'delivered from offline storage but not archived');
    } finally {
      await stopAll(juliet);
    }
  });
});
