// The load generator's two pure pieces: the stream splitter and the SCRAM-SHA-1 client (RFC 5802
// §5 example).
import assert from 'node:assert/strict';
import { XmlScanner, type ScanEvent } from '../../bench/load/xml-scanner.js';
import { ScramSha1Client } from '../../bench/load/scram.js';

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
