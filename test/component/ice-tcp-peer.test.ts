// The shared ICE-TCP port in front of real werift peer connections (component/media/werift/peer.ts
// with media.tcpPort), over raw sockets: a connectivity check framed per RFC 4571 with the USERNAME
// of one participant's connection gets that connection's answer (a Binding success response
// signed with its password), a check naming nobody and bytes that are not STUN are closed, and a
// second participant on the same port is told apart from the first.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { WeriftPeer } from '../../component/media/werift/peer.js';
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

describe('ICE over TCP: one port for every participant (werift peers, raw sockets)', function () {
  this.timeout(30_000);
  let tcpPort: number;
  const peers: WeriftPeer[] = [];
  const ice: Array<{ ufrag: string; pwd: string }> = [];
  const sockets: Socket[] = [];

  before(async () => {
    tcpPort = await freePort();
    const range = await freePortRange(20);
    for (let i = 0; i < 2; i++) {
      const peer = new WeriftPeer(`room${i}`, { ...range, bindAddress: '127.0.0.1', tcpPort });
      const { sdp } = await peer.offerSenders([{ kind: 'audio', streamId: `s${i}` }]);
      assert.match(sdp, new RegExp(`a=candidate:\\S+ 1 tcp \\d+ 127\\.0\\.0\\.1 ${tcpPort} typ host tcptype passive`), 'the TCP candidate is on the shared port');
      assert.doesNotMatch(sdp, /tcptype active/);
      ice.push({ ufrag: /a=ice-ufrag:(\S+)/.exec(sdp)![1]!, pwd: /a=ice-pwd:(\S+)/.exec(sdp)![1]! });
      peers.push(peer);
    }
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    for (const p of peers) await p.close();
  });

  async function open(): Promise<Socket> {
    const s = connect({ host: '127.0.0.1', port: tcpPort });
    sockets.push(s);
    await once(s, 'connect');
    return s;
  }

  for (const i of [0, 1]) {
    it(`a check for participant ${i + 1} is answered by that participant's connection`, async () => {
      const s = await open();
      const req = check(`${ice[i]!.ufrag}:browser${i}`, ice[i]!.pwd);
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
      const expect = createHmac('sha1', ice[i]!.pwd).update(head).digest();
      assert.ok(res.subarray(mi + 4, mi + 24).equals(expect), "signed with this participant's ICE password");
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
});
