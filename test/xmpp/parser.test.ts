// The stream parser: one element per stanza, and the XML restrictions of RFC 6120 §11.
import assert from 'node:assert/strict';
import { StreamParser } from '../../xmpp/parser.js';
import type { StreamError } from '../../xmpp/errors.js';
import type { Element } from '../../xmpp/xml.js';

function run(chunks: string[], framing: 'stream' | 'frames' = 'stream', max = 10_000) {
  const out = { start: undefined as Record<string, string> | undefined, elements: [] as Element[], error: undefined as StreamError | undefined, ended: false };
  const p = new StreamParser(
    { framing, maxStanzaBytes: max },
    { streamStart: (a) => (out.start = a), element: (e) => out.elements.push(e), streamEnd: () => (out.ended = true), error: (e) => (out.error = e) },
  );
  for (const c of chunks) p.write(Buffer.from(c));
  return out;
}

const HEADER = `<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;

describe('stream parser', () => {
  it('parses the RFC 6120 §9.1 stream header and stanzas split across chunks, byte by byte', () => {
    const doc = `${HEADER}<message to='juliet@im.example.com' type='chat'><body>Art thou not Romeo, and a Montague? ü</body></message> <iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq></stream:stream>`;
    const bytes = Buffer.from(doc);
    const chunks: string[] = [];
    const out = { elements: [] as Element[], ended: false, start: undefined as unknown };
    const p = new StreamParser({ framing: 'stream', maxStanzaBytes: 10_000 }, { streamStart: (a) => (out.start = a), element: (e) => out.elements.push(e), streamEnd: () => (out.ended = true), error: (e) => assert.fail(e.message) });
    for (const b of bytes) p.write(Buffer.from([b]));
    void chunks;
    assert.equal((out.start as Record<string, string>).to, 'example.com');
    assert.equal(out.elements.length, 2);
    assert.equal(out.elements[0]!.getChildText('body'), 'Art thou not Romeo, and a Montague? ü');
    assert.equal(out.elements[1]!.getChild('ping')!.attrs.xmlns, 'urn:xmpp:ping');
    assert.ok(out.ended);
  });

  const refusals: [string, string, string][] = [
    ['a DTD', `<?xml version='1.0'?><!DOCTYPE foo [<!ENTITY x "y">]>`, 'restricted-xml'],
    ['a comment', `${HEADER}<!-- hello -->`, 'restricted-xml'],
    ['a processing instruction', `${HEADER}<?evil data?>`, 'restricted-xml'],
    ['an undefined entity', `${HEADER}<message><body>&xxe;</body></message>`, 'not-well-formed'],
    ['mismatched tags', `${HEADER}<message><body></message>`, 'not-well-formed'],
    ['an unquoted attribute', `${HEADER}<message to=juliet/>`, 'not-well-formed'],
  ];
  for (const [what, doc, condition] of refusals) {
    it(`refuses ${what} with ${condition}`, () => assert.equal(run([doc]).error?.condition, condition));
  }

  it('enforces the stanza size limit with policy-violation, also across chunks', () => {
    const big = 'x'.repeat(4000);
    const out = run([HEADER, '<message><body>', big, big, big, '</body></message>'], 'stream', 10_000);
    assert.equal(out.error?.condition, 'policy-violation');
    const ok = run([HEADER, `<message><body>${big}</body></message>`, `<message><body>${big}</body></message>`, `<message><body>${big}</body></message>`], 'stream', 10_000);
    assert.equal(ok.error, undefined);
    assert.equal(ok.elements.length, 3);
  });

  it('parses RFC 7395 frames as whole elements', () => {
    const out = run([`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.com" version="1.0"/>`, `<message xmlns="jabber:client"><body>hi</body></message>`], 'frames');
    assert.equal(out.error, undefined);
    assert.deepEqual(out.elements.map((e) => e.name), ['open', 'message']);
  });
});
