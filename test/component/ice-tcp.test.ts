// The pieces of ICE over TCP on one port (component/media/werift/ice-tcp.ts) that need no browser: the
// USERNAME of the first connectivity check, the candidates announced, and the tcpPort config keys.
// End to end (Chromium over TCP to the forwarding unit) is in test/e2e/relay-calls.test.ts.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { announceTcpPort, bindingUsername } from '../../component/media/werift/ice-tcp.js';
import { parseComponentConfig, ComponentConfigError } from '../../component/config.js';
import { resolveConfig } from '../../server/config.js';

/** A STUN Binding request with USERNAME, PRIORITY and MESSAGE-INTEGRITY, as an ICE agent sends (RFC 8445 §7.2.2). */
function bindingRequest(username: string): Buffer {
  const attr = (type: number, value: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(type, 0);
    head.writeUInt16BE(value.length, 2);
    return Buffer.concat([head, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
  };
  const prio = Buffer.alloc(4);
  prio.writeUInt32BE(1845501695, 0);
  const body = Buffer.concat([attr(0x0006, Buffer.from(username, 'utf8')), attr(0x0024, prio)]);
  const head = Buffer.alloc(20);
  head.writeUInt16BE(0x0001, 0);
  head.writeUInt16BE(body.length + 24, 2);
  head.writeUInt32BE(0x2112a442, 4);
  Buffer.from('0123456789ab').copy(head, 8);
  const mi = createHmac('sha1', 'pwd').update(Buffer.concat([head, body])).digest();
  return Buffer.concat([head, body, attr(0x0008, mi)]);
}

describe('ICE over TCP on one port (RFC 6544)', () => {
  it('reads the USERNAME of a Binding request: "<our ufrag>:<their ufrag>"', () => {
    assert.equal(bindingUsername(bindingRequest('wRf1:Chr0mE')), 'wRf1:Chr0mE');
  });

  it('finds no USERNAME in what is not a Binding request', () => {
    const req = bindingRequest('a:b');
    const response = Buffer.from(req);
    response.writeUInt16BE(0x0101, 0); // a success response
    assert.equal(bindingUsername(response), undefined);
    assert.equal(bindingUsername(Buffer.from('GET / HTTP/1.1\r\n\r\n')), undefined);
    assert.equal(bindingUsername(Buffer.alloc(10)), undefined);
    const noCookie = Buffer.from(req);
    noCookie.writeUInt32BE(0, 4); // RFC 3489 request, no magic cookie
    assert.equal(bindingUsername(noCookie), undefined);
    const truncated = Buffer.from(req.subarray(0, 26)); // attribute longer than the message
    truncated.writeUInt16BE(6, 2);
    assert.equal(bindingUsername(truncated), undefined);
  });

  it('announces passive TCP candidates on the shared port and drops active ones', () => {
    const sdp = [
      'v=0',
      'a=candidate:1a2b 1 udp 2130706431 127.0.0.1 40002 typ host',
      'a=candidate:3c4d 1 tcp 1694498815 127.0.0.1 40003 typ host tcptype passive',
      'a=candidate:5e6f 1 tcp 1694498815 127.0.0.1 9 typ host tcptype active',
      'a=end-of-candidates',
      '',
    ].join('\r\n');
    assert.equal(announceTcpPort(sdp, 3479), [
      'v=0',
      'a=candidate:1a2b 1 udp 2130706431 127.0.0.1 40002 typ host',
      'a=candidate:3c4d 1 tcp 1694498815 127.0.0.1 3479 typ host tcptype passive',
      'a=end-of-candidates',
      '',
    ].join('\r\n'));
  });

  it('takes component.media.tcpPort and call.media.tcpPort, outside the media range, and names the key when wrong', () => {
    const component = { service: 'xmpp://127.0.0.1:5347', domain: 'call.example.org', secret: 's' };
    const c = parseComponentConfig({ component: { ...component, media: { portMin: 40000, portMax: 40099, tcpPort: 3479, workers: 0 } } }, 'c.json');
    assert.equal(c.media?.tcpPort, 3479);
    // the listener and all the media in one worker thread: without a workers key, one; 0 (in-process) and 1 taken
    assert.equal(parseComponentConfig({ component: { ...component, media: { portMin: 40000, portMax: 40099, tcpPort: 3479 } } }, 'c.json').media?.workers, 1);
    assert.equal(resolveConfig({ domain: 'example.org', call: { media: { tcpPort: 3479 } } }).call.media.workers, 1);
    assert.equal(c.media?.workers, 0);
    assert.equal(parseComponentConfig({ component: { ...component, media: { portMin: 40000, portMax: 40099, tcpPort: 3479, workers: 1 } } }, 'c.json').media?.workers, 1);
    assert.equal(resolveConfig({ domain: 'example.org', call: { media: { tcpPort: 3479, workers: 0 } } }).call.media.workers, 0);
    // more than one worker cannot share the port: refused, naming the workers key
    for (const workers of [2, 4]) {
      assert.throws(() => parseComponentConfig({ component: { ...component, media: { portMin: 40000, portMax: 40099, tcpPort: 3479, workers } } }, 'c.json'),
        (e: Error) => e instanceof ComponentConfigError && /component\.media\.workers/.test(e.message) && /media\.tcpPort/.test(e.message), String(workers));
      assert.throws(() => resolveConfig({ domain: 'example.org', call: { media: { tcpPort: 3479, workers } } }), /call\.media\.workers.*call\.media\.tcpPort/, String(workers));
    }
    // without tcpPort, any number of workers
    assert.equal(parseComponentConfig({ component: { ...component, media: { workers: 4 } } }, 'c.json').media?.workers, 4);
    assert.equal(resolveConfig({ domain: 'example.org', call: { media: { workers: 4 } } }).call.media.workers, 4);
    assert.equal(parseComponentConfig({ component: { ...component, media: { portMin: 40000, portMax: 40099 } } }, 'c.json').media?.tcpPort, undefined);
    for (const tcpPort of [40050, 0, 70000, 'x']) {
      assert.throws(() => parseComponentConfig({ component: { ...component, media: { portMin: 40000, portMax: 40099, tcpPort, workers: 0 } } }, 'c.json'),
        (e: Error) => e instanceof ComponentConfigError && /component\.media\.tcpPort/.test(e.message), String(tcpPort));
    }
    assert.equal(resolveConfig({ domain: 'example.org', call: { media: { tcpPort: 3479, workers: 0 } } }).call.media.tcpPort, 3479);
    assert.equal(resolveConfig({ domain: 'example.org' }).call.media.tcpPort, null);
    for (const tcpPort of [40500, 0, 'x']) {
      assert.throws(() => resolveConfig({ domain: 'example.org', call: { media: { tcpPort, workers: 0 } } }), /call\.media\.tcpPort/, String(tcpPort));
    }
  });
});
