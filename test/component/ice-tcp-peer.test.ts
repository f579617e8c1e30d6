// The shared ICE-TCP port in front of real werift peer connections (media.tcpPort), over raw
// sockets: a connectivity check framed per RFC 4571 with the USERNAME of one participant's
// connection gets that connection's answer (a Binding success response signed with its password),
// a check naming nobody and bytes that are not STUN are closed, and a second participant on the
// same port is told apart from the first. Run with the data plane in its worker thread (the
// default with tcpPort: the listener lives there too, and goes with the worker) and in-process
// (media.workers 0).
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { threadId } from 'node:worker_threads';
import type { MediaEvent, MediaRouter } from '../../component/media/router.js';
import { WeriftRouter } from '../../component/media/werift/router.js';
import { WorkerRouter } from '../../component/media/worker-router.js';
import { freePort, freePortRange } from '../support/ports.js';

const MAGIC = 0x2112a442;

function attr(type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(value.length, 2);
  return Buffer.concat([head, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
}

/** An ICE connectivity check (RFC 8445 §7.2.2) as the controlled side sends it, signed with `pwd` (RFC 5389 §15.4). */
function check(username: string, pwd: string): { bytes: Buffer; id: Buffer } {
  const id = randomBytes(12);
  const prio = Buffer.alloc(4);
  prio.writeUInt32BE(1845501695, 0);
  const body = Buffer.concat([attr(0x0006, Buffer.from(username)), attr(0x0024, prio), attr(0x8029, randomBytes(8))]); // ICE-CONTROLLED: the werift side offered, so it controls
  const head = Buffer.alloc(20);
  head.writeUInt16BE(0x0001, 0);
  head.writeUInt16BE(body.length + 24, 2);
  head.writeUInt32BE(MAGIC, 4);
  id.copy(head, 8);
  const mi = createHmac('sha1', pwd).update(Buffer.concat([head, body])).digest();
  return { bytes: Buffer.concat([head, body, attr(0x0008, mi)]), id };
}

const framed = (b: Buffer) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]);

/** The next RFC 4571 frame on `sock`, or 'closed'. */
function nextFrame(sock: Socket): Promise<Buffer | 'closed'> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        sock.off('data', onData);
        sock.off('close', onClose);
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    };
    const onClose = () => { sock.off('data', onData); resolve('closed'); };
    sock.on('data', onData);
    sock.once('close', onClose);
  });
}

/** Open two participants' peers (one room each) and read the ICE credentials of their offers. */
async function openPeers(router: MediaRouter, tcpPort: number, ids: string[]): Promise<Array<{ ufrag: string; pwd: string }>> {
  const out: Array<{ ufrag: string; pwd: string }> = [];
  for (const id of ids) {
    await router.createPeer(`room-${id}`, id);
    const { sdp } = await router.offerSenders(id, [{ kind: 'audio', streamId: `s-${id}` }]);
    assert.match(sdp, new RegExp(`a=candidate:\\S+ 1 tcp \\d+ 127\\.0\\.0\\.1 ${tcpPort} typ host tcptype passive`), 'the TCP candidate is on the shared port');
    assert.doesNotMatch(sdp, /tcptype active/);
    out.push({ ufrag: /a=ice-ufrag:(\S+)/.exec(sdp)![1]!, pwd: /a=ice-pwd:(\S+)/.exec(sdp)![1]! });
  }
  return out;
}

/** Whether `check` for `cred` is answered on a connection to the port by that participant's connection. */
async function answered(s: Socket, cred: { ufrag: string; pwd: string }, remote: string): Promise<void> {
  const req = check(`${cred.ufrag}:${remote}`, cred.pwd);
  const answer = nextFrame(s);
  s.write(framed(req.bytes));
  const res = await answer;
  assert.ok(res !== 'closed', 'answered');
  assert.equal(res.readUInt16BE(0), 0x0101, `a Binding success response: ${res.toString('hex')}`);
  assert.ok(res.subarray(8, 20).equals(req.id), 'to our transaction');
  // signed with this participant's password (MESSAGE-INTEGRITY, RFC 5389 §15.4): the other's would not match
  const mi = res.indexOf(Buffer.from([0x00, 0x08, 0x00, 0x14]), 20);
  assert.ok(mi > 0, 'MESSAGE-INTEGRITY present');
  const head = Buffer.from(res.subarray(0, mi));
  head.writeUInt16BE(mi - 20 + 24, 2);
  const expect = createHmac('sha1', cred.pwd).update(head).digest();
  assert.ok(res.subarray(mi + 4, mi + 24).equals(expect), "signed with this participant's ICE password");
}

for (const mode of ['worker', 'in-process'] as const) {
  describe(`ICE over TCP: one port for every participant (werift peers ${mode === 'worker' ? 'in the data-plane worker' : 'in this thread, media.workers 0'}, raw sockets)`, function () {
    this.timeout(30_000);
    let tcpPort: number;
    let router: MediaRouter;
    let ice: Array<{ ufrag: string; pwd: string }> = [];
    const sockets: Socket[] = [];
    const events: MediaEvent[] = [];

    before(async () => {
      tcpPort = await freePort();
      const range = await freePortRange(20);
      const media = { ...range, bindAddress: '127.0.0.1', tcpPort };
      // no workers count: with tcpPort the worker router starts its one worker
      router = mode === 'worker' ? new WorkerRouter({ media }) : new WeriftRouter(media);
      router.on((e) => events.push(e));
      ice = await openPeers(router, tcpPort, ['p0', 'p1']);
    });

    after(async () => {
      for (const s of sockets) s.destroy();
      await router.close();
    });

    async function open(): Promise<Socket> {
      const s = connect({ host: '127.0.0.1', port: tcpPort });
      sockets.push(s);
      await once(s, 'connect');
      return s;
    }

    if (mode === 'worker') {
      it('the peers live in the one worker thread, not in this one', () => {
        const workers = (router as WorkerRouter).workers();
        assert.equal(workers.length, 1, 'one worker with tcpPort');
        assert.notEqual(workers[0]!.threadId, threadId, 'a thread of its own');
        assert.equal(workers[0]!.peers, 2);
        assert.deepEqual(workers[0]!.rooms.sort(), ['room-p0', 'room-p1']);
      });
    }

    for (const i of [0, 1]) {
      it(`a check for participant ${i + 1} is answered by that participant's connection`, async () => {
        await answered(await open(), ice[i]!, `browser${i}`);
      });
    }

    it('closes a connection whose check names no participant, and one that does not speak STUN', async () => {
      const a = await open();
      const closedA = nextFrame(a);
      a.write(framed(check('nobody:browser', 'x').bytes));
      assert.equal(await closedA, 'closed');
      const b = await open();
      const closedB = nextFrame(b);
      b.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal(await closedB, 'closed');
    });

    if (mode === 'worker') {
      it('the port goes with the worker (its listener was there) and comes back with the fresh one', async () => {
        const w = router as WorkerRouter;
        const failed = events.filter((e) => e.type === 'peer-failed').length;
        const old = w.workers()[0]!.threadId;
        await w.terminateWorker(0);
        assert.deepEqual(events.filter((e) => e.type === 'peer-failed').slice(failed).map((e) => e.type === 'peer-failed' && `${e.peerId} ${e.reason}`).sort(), ['p0 media', 'p1 media']);
        // nothing in this thread listens on the port: a connection is refused
        const refused = connect({ host: '127.0.0.1', port: tcpPort });
        sockets.push(refused);
        const [err] = await once(refused, 'error') as [NodeJS.ErrnoException];
        assert.equal(err.code, 'ECONNREFUSED');
        // a new participant opens the port again, in the fresh worker
        const [cred] = await openPeers(router, tcpPort, ['p2']);
        assert.notEqual(w.workers()[0]!.threadId, old, 'a fresh worker');
        assert.equal(w.workers()[0]!.peers, 1);
        await answered(await open(), cred!, 'browser2');
      });
    }
  });
}
