// Isolation under load: a client that stops reading is cut off once the server holds 8 MiB for it,
// and until then (and after) it costs its sender no more than a client that reads. The sender's
// own pings are answered throughout: the largest round trip during the flood is compared with
// the largest before it, for the same batches sent to a client that reads.
//
// Measured on 2 shared cores (load 1–7 from other work): before, max 22–158 ms (median 8–25);
// during the 40 MiB flood, max 12–488 ms (median 5–14); the ratio of the maxima 0.5–3.1. The
// stuck client is cut off after 11.2 MiB sent (8 MiB in the server, the rest in socket buffers).
// Without the no-store hint (see batchThenPing) the messages after the cut go to offline storage
// and its SQLite checkpoints add a 40–110 ms round trip every ~4 MB. Before the fix, writing the
// stream error to the stuck peer re-entered close() until the stack overflowed: the event loop
// stopped for 10–18 s and the sender's own stream failed.
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers.js';
import { RawConnection } from './raw.js';

const MB = 1024 * 1024;
const BODY = 'x'.repeat(100 * 1024);
const BATCH = 5; // messages between two pings: 500 KiB

describe('isolation of a client that stops reading', function () {
  this.timeout(120_000);
  let srv: TestServer;
  before(async () => {
    // The sender floods on purpose: no rate limit here (limits.test.ts covers that), only the cut-off.
    srv = await startTestServer({ limits: { c2s: { rate: null } } });
    for (const u of ['juliet', 'romeo']) await srv.users.add(`${u}@localhost`, 'secret');
  });
  after(() => srv.stop());

  /**
   * Sends one batch of messages to `to` and then a ping; resolves with the ping's round trip (ms).
   * The messages carry a XEP-0334 no-store hint: once the stuck client is gone they are dropped, not
   * written to offline storage, whose SQLite checkpoints (one per ~4 MB) would be measured instead.
   */
  let seq = 0;
  async function batchThenPing(sender: RawConnection, to: string): Promise<number> {
    let batch = '';
    for (let i = 0; i < BATCH; i++) batch += `<message to='${to}' type='chat' id='m${seq}-${i}'><body>${BODY}</body><no-store xmlns='urn:xmpp:hints'/></message>`;
    const id = `ping${++seq}`;
    sender.send(batch);
    const t = performance.now();
    sender.send(`<iq type='get' id='${id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await sender.waitFor(new RegExp(`<iq [^>]*id="${id}"`), 20_000);
    const rtt = performance.now() - t;
    sender.received = '';
    return rtt;
  }

  it('cuts off the stuck reader at the cap, and answers the sender\'s pings throughout', async () => {
    const sender = await RawConnection.open(srv.ports.c2s!);
    await sender.login('romeo', 'secret', 'flood');
    const reading = await RawConnection.open(srv.ports.c2s!);
    await reading.login('juliet', 'secret', 'reading');
    // Its reads are kept short: only the tail, to look for the last message.
    const drain = setInterval(() => {
      reading.received = reading.received.slice(-2048);
    }, 20);

    // Before: 10 MiB in batches to a client that reads (enough rounds to see its noise too).
    const before: number[] = [];
    for (let i = 0; i < 20; i++) before.push(await batchThenPing(sender, 'juliet@localhost/reading'));
    await reading.waitFor(new RegExp(`id="m${seq - 1}-${BATCH - 1}"`), 20_000);
    clearInterval(drain);
    reading.end();

    const stuck = await RawConnection.open(srv.ports.c2s!);
    await stuck.login('juliet', 'secret', 'stuck');
    stuck.pause();
    const c2s = srv.server.metrics.streams.c2s;
    const cutBefore = c2s.closedWith['policy-violation'] ?? 0;
    let sent = 0;
    let sentAtCut: number | undefined;
    const off = srv.server.events.on('session-closed', ({ session }) => {
      if (session.jid?.resource === 'stuck') sentAtCut = sent;
    });

    // The flood: 40 MiB in the same batches to the client that stopped reading.
    const during: number[] = [];
    while (sent < 40 * MB) {
      during.push(await batchThenPing(sender, 'juliet@localhost/stuck'));
      sent += BATCH * BODY.length;
    }
    off();

    assert.ok(sentAtCut !== undefined, 'the stuck reader was never cut off');
    assert.equal(srv.server.sessions.get('juliet@localhost', 'stuck'), undefined, 'the stuck session is gone for routing');
    // RFC 6121 §8.5.3.2: what is sent to the cut-off resource now is handled as for any resource
    // that is not there: an IQ gets service-unavailable (§8.5.3.2.3), a chat message goes to the
    // bare JID's rules (§8.5.3.2.1), here offline storage, juliet having no other resource.
    const offlineBefore = srv.server.storage.offline.total().messages;
    sender.send(`<iq type='get' id='gone-iq' to='juliet@localhost/stuck'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const [answer] = await sender.waitFor(/<iq [^>]*id="gone-iq"[^>]*>.*?<\/iq>/s, 20_000);
    assert.match(answer, /type="error"/);
    assert.match(answer, /<service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/>/);
    sender.send(`<message to='juliet@localhost/stuck' type='chat' id='after-cut'><body>later</body></message><iq type='get' id='stored' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await sender.waitFor(/id="stored"/, 20_000);
    assert.equal(srv.server.storage.offline.total().messages - offlineBefore, 1, 'the message went to offline storage');
    sender.received = '';
    assert.equal((c2s.closedWith['policy-violation'] ?? 0) - cutBefore, 1);
    // 8 MiB in the server, plus what the kernel's socket buffers took before that.
    assert.ok(sentAtCut >= 8 * MB && sentAtCut <= 24 * MB, `cut off after ${(sentAtCut / MB).toFixed(1)} MiB`);
    // Reading again, the client finds what the socket buffers held, and then the end of the connection.
    stuck.resume();
    await stuck.waitClosed(20_000);

    const maxBefore = Math.max(...before);
    const maxDuring = Math.max(...during);
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
    const report = `pings after a 500 KiB batch: before max ${maxBefore.toFixed(1)} ms (median ${median(before).toFixed(1)}), during max ${maxDuring.toFixed(1)} ms (median ${median(during).toFixed(1)}), cut off after ${(sentAtCut / MB).toFixed(1)} MiB of ${(sent / MB).toFixed(0)}`;
    console.log(`      ${report}`);
    assert.ok(maxDuring <= 5 * maxBefore, report);
    sender.end();
  });
});
