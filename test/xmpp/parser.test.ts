// The stream parser: one element per stanza, and the XML restrictions of RFC 6120 §11.
import assert from 'node:assert/strict';
import { MAX_ATTRIBUTES, MAX_DEPTH, StreamParser } from '../../xmpp/parser.js';
import type { StreamError } from '../../xmpp/errors.js';
import type { Element } from '../../xmpp/xml.js';

function parser(framing: 'stream' | 'frames' = 'stream', max = 10_000) {
  const out = {
    start: undefined as Record<string, string> | undefined,
    elements: [] as Element[],
    error: undefined as StreamError | undefined,
    ended: false,
    /** Bytes written when the error was reported. */
    errorAt: -1,
    written: 0,
  };
  const p = new StreamParser(
    { framing, maxStanzaBytes: max },
    {
      streamStart: (a) => (out.start = a),
      element: (e) => out.elements.push(e),
      streamEnd: () => (out.ended = true),
      error: (e) => {
        out.error = e;
        out.errorAt = out.written;
      },
    },
  );
  const write = (chunk: Buffer | string) => {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    out.written += b.length;
    p.write(b);
  };
  return { p, out, write };
}

function run(chunks: (string | Buffer)[], framing: 'stream' | 'frames' = 'stream', max = 10_000) {
  const { out, write } = parser(framing, max);
  for (const c of chunks) write(c);
  return out;
}

/** The same input one byte per chunk: every UTF-8 sequence and every tag cut at every point. */
function everyByte(chunks: (string | Buffer)[]): Buffer[] {
  const all = Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
  return Array.from(all, (b) => Buffer.from([b]));
}

/** Both ways of feeding it: as given, and byte by byte. */
function runBoth(chunks: (string | Buffer)[], framing: 'stream' | 'frames' = 'stream', max = 10_000) {
  const whole = run(chunks, framing, max);
  const split = run(everyByte(chunks), framing, max);
  assert.equal(split.error?.condition, whole.error?.condition, `byte by byte: ${split.error?.message} vs ${whole.error?.message}`);
  assert.equal(split.elements.length, whole.elements.length);
  return whole;
}

/** A stanza of exactly `bytes` bytes of UTF-8, its body made of `fill`. */
function stanzaOf(bytes: number, fill = 'x'): string {
  const open = `<message to='juliet@example.com'><body>`;
  const close = `</body></message>`;
  const room = bytes - Buffer.byteLength(open + close);
  const unit = Buffer.byteLength(fill);
  const body = fill.repeat(Math.floor(room / unit)) + 'x'.repeat(room % unit);
  const s = open + body + close;
  assert.equal(Buffer.byteLength(s), bytes);
  return s;
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

  describe('stanza size (bytes from the `<`, start tag included)', () => {
    it('accepts a stanza of exactly the limit and refuses one byte more, whole and byte by byte', () => {
      for (const fill of ['x', 'é', '€', '👋']) {
        const ok = runBoth([HEADER, stanzaOf(10_000, fill)]);
        assert.equal(ok.error, undefined, fill);
        assert.equal(ok.elements.length, 1);
        assert.equal(runBoth([HEADER, stanzaOf(10_001, fill)]).error?.condition, 'policy-violation', fill);
      }
    });

    it('counts bytes, not characters', () => {
      // 6,000 characters, 12,000 bytes.
      const out = run([HEADER, `<message><body>${'é'.repeat(6000)}</body></message>`]);
      assert.equal(out.error?.condition, 'policy-violation');
    });

    it('refuses an endless attribute value while the start tag is still arriving', () => {
      const { out, write } = parser('stream', 10_000);
      write(HEADER);
      write(`<message to='`);
      const chunk = Buffer.alloc(1000, 'A');
      for (let i = 0; i < 1000 && !out.error; i++) write(chunk);
      assert.equal(out.error?.condition, 'policy-violation');
      assert.ok(out.errorAt - Buffer.byteLength(HEADER) <= 10_000 + chunk.length, `failed only after ${out.errorAt} bytes`);
    });

    it('refuses an endless element name, text outside stanzas and an endless stream header the same way', () => {
      for (const [start, fill] of [
        [`${HEADER}<message`, 'a'],
        [`${HEADER}garbage`, 'b'],
        [`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='`, 'c'],
      ] as const) {
        const { out, write } = parser('stream', 10_000);
        write(start);
        for (let i = 0; i < 100 && !out.error; i++) write(fill.repeat(1000));
        assert.equal(out.error?.condition, 'policy-violation', start);
        assert.ok(out.errorAt < 12_000 + start.length, `${start}: failed after ${out.errorAt} bytes`);
      }
    });

    it('does not count whitespace keepalives between stanzas', () => {
      const chunks = [HEADER, stanzaOf(9_000)];
      for (let i = 0; i < 30; i++) chunks.push(' '.repeat(1000), '\n');
      chunks.push(stanzaOf(9_000), ' ', stanzaOf(9_000));
      const out = run(chunks);
      assert.equal(out.error, undefined);
      assert.equal(out.elements.length, 3);
    });

    it('counts several stanzas in one chunk each on their own', () => {
      const s = stanzaOf(4000, '€');
      const out = runBoth([HEADER + s + s + ' ' + s + '<iq type="get" id="1"/>']);
      assert.equal(out.error, undefined);
      assert.equal(out.elements.length, 4);
      assert.equal(run([HEADER + s + stanzaOf(10_001) + s]).error?.condition, 'policy-violation');
    });

    it('applies the limit to RFC 7395 frames', () => {
      assert.equal(run([`<message xmlns='jabber:client'><body>${'x'.repeat(20_000)}</body></message>`], 'frames').error?.condition, 'policy-violation');
    });

    it('changes the limit with setMaxStanzaBytes (lower before authentication)', () => {
      const big = stanzaOf(15_000);
      const { p, out, write } = parser('stream', 10_000);
      write(HEADER);
      write(stanzaOf(10_000));
      p.setMaxStanzaBytes(20_000);
      p.reset(); // the restart after SASL success keeps the new limit
      write(HEADER);
      write(big);
      assert.equal(out.error, undefined);
      assert.equal(out.elements.length, 2);
      p.setMaxStanzaBytes(10_000);
      write(big);
      assert.equal((out.error as StreamError | undefined)?.condition, 'policy-violation');
    });
  });

  describe('attributes', () => {
    const attrs = (n: number) => Array.from({ length: n }, (_, i) => ` a${i}='${i}'`).join('');
    it(`accepts ${MAX_ATTRIBUTES} attributes and refuses more with policy-violation`, () => {
      const ok = run([HEADER, `<message${attrs(MAX_ATTRIBUTES)}/>`], 'stream', 1 << 20);
      assert.equal(ok.error, undefined);
      assert.equal(Object.keys(ok.elements[0]!.attrs).length, MAX_ATTRIBUTES);
      const bad = runBoth([HEADER, `<message><x${attrs(MAX_ATTRIBUTES + 1)}/></message>`], 'stream', 1 << 20);
      assert.equal(bad.error?.condition, 'policy-violation');
      assert.match(bad.error!.message, /attributes/);
    });

    it('refuses 100,000 attributes before the start tag ends, even under a large size limit', () => {
      const { out, write } = parser('stream', 64 << 20);
      write(HEADER);
      write('<message');
      for (let i = 0; i < 100 && !out.error; i++) write(attrs(1000).replace(/a(\d+)=/g, `b${i}_$1=`));
      assert.equal(out.error?.condition, 'policy-violation');
      assert.ok(out.errorAt < 20_000, `failed after ${out.errorAt} bytes`);
    });

    it('refuses duplicate attributes with not-well-formed', () => {
      assert.equal(run([HEADER, `<message to='a' to='b'/>`]).error?.condition, 'not-well-formed');
    });
  });

  describe('namespaces (RFC 6120 §11.2)', () => {
    const bad: [string, string, string, number?][] = [
      ['an undeclared element prefix in a stanza', `<message><foo:bar/></message>`, 'bad-namespace-prefix'],
      ['an undeclared attribute prefix', `<message foo:x='1'/>`, 'bad-namespace-prefix'],
      ['an undeclared prefix on a top-level element', `<foo:message/>`, 'bad-namespace-prefix'],
      ['a prefix declared on a sibling', `<message><a xmlns:foo='urn:x'/><foo:b/></message>`, 'bad-namespace-prefix'],
      ['a prefix declared on the previous stanza', `<message xmlns:foo='urn:x'/><foo:b/>`, 'bad-namespace-prefix', 1],
      ['the xmlns prefix on an element', `<xmlns:a/>`, 'bad-namespace-prefix'],
      ['an empty prefix', `<message><:a/></message>`, 'not-well-formed'],
      ['an empty local name', `<message a:='1' xmlns:a='urn:x'/>`, 'not-well-formed'],
      ['two colons', `<message><a:b:c xmlns:a='urn:x'/></message>`, 'not-well-formed'],
      ['xml: without a local name', `<message xml:='en'/>`, 'not-well-formed'],
      ['an undeclared prefix (XML 1.0 has no xmlns:foo="")', `<message xmlns:foo=''/>`, 'not-well-formed'],
      ['xml bound elsewhere', `<message xmlns:xml='urn:x'/>`, 'not-well-formed'],
      ['the XML namespace bound to another prefix', `<message xmlns:x='http://www.w3.org/XML/1998/namespace'/>`, 'not-well-formed'],
      ['a declared xmlns prefix', `<message xmlns:xmlns='urn:x'/>`, 'not-well-formed'],
      ['two attributes with one expanded name', `<message xmlns:a='urn:x' xmlns:b='urn:x' a:n='1' b:n='2'/>`, 'not-well-formed'],
    ];
    for (const [what, xml, condition, delivered = 0] of bad) {
      it(`refuses ${what} with ${condition}`, () => {
        const out = runBoth([HEADER, xml]);
        assert.equal(out.error?.condition, condition, out.error?.message);
        assert.equal(out.elements.length, delivered);
      });
    }

    it('refuses an undeclared prefix on the stream header', () => {
      const header = HEADER.replace(` version='1.0'>`, ` version='1.0' foo:bar='1'>`);
      assert.equal(run([header]).error?.condition, 'bad-namespace-prefix');
    });

    it('refuses an undeclared prefix in an RFC 7395 frame', () => {
      assert.equal(run([`<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`], 'frames').error?.condition, 'bad-namespace-prefix');
      const ok = run([`<stream:error xmlns:stream='http://etherx.jabber.org/streams'><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`], 'frames');
      assert.equal(ok.error, undefined);
    });

    // Written as ltx writes them, so the round trip shows elements are kept exactly as they came.
    const good = [
      `<message to="juliet@example.com" xml:lang="en"><body xml:lang="fr">Bonjour</body></message>`,
      `<stream:features><mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><mechanism>PLAIN</mechanism></mechanisms></stream:features>`,
      `<stream:error><not-well-formed xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error>`,
      `<db:result from="a.example" to="b.example">abc</db:result>`,
      `<message xmlns:foo="urn:x"><foo:bar foo:a="1"><foo:baz/></foo:bar><x xmlns:foo="urn:y" foo:a="2"/></message>`,
      `<iq type="get" id="1"><query xmlns="jabber:iq:roster" ver=""/></iq>`,
      `<message><a:b xmlns:a="urn:a" xmlns:b="urn:b" a:n="1" b:n="2"/></message>`,
    ];
    it('accepts declared prefixes (on the element, an ancestor or the stream header) and keeps elements as they came', () => {
      const header = HEADER.replace(` version='1.0'>`, ` xmlns:db='jabber:server:dialback' version='1.0'>`);
      const out = runBoth([header, ...good]);
      assert.equal(out.error, undefined, out.error?.message);
      assert.deepEqual(
        out.elements.map((e) => e.toString()),
        good,
      );
    });
  });

  describe('character encoding (RFC 6120 §11.6) and XML characters', () => {
    const invalid: [string, number[]][] = [
      ['a byte that never starts a sequence', [0xff]],
      ['a lone continuation byte', [0x80]],
      ['a bad continuation', [0xc3, 0x28]],
      ['an overlong encoding', [0xc0, 0xaf]],
      ['an encoded surrogate', [0xed, 0xa0, 0x80]],
      ['a code point past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
      ['a sequence cut short by ASCII', [0xe2, 0x82, 0x41]],
    ];
    for (const [what, bytes] of invalid) {
      it(`refuses ${what} with not-well-formed, whole and byte by byte`, () => {
        const out = runBoth([HEADER, '<message><body>', Buffer.from(bytes), '</body></message>']);
        assert.equal(out.error?.condition, 'not-well-formed');
        assert.equal(out.elements.length, 0);
      });
    }

    it('waits for the rest of a sequence cut at a chunk boundary', () => {
      const text = 'ü € 👋 𝄞';
      const out = runBoth([HEADER, `<message><body>${text}</body></message>`]);
      assert.equal(out.error, undefined);
      assert.equal(out.elements[0]!.getChildText('body'), text);
    });

    const forbidden: [string, string][] = [
      ['a control character', '\u0001'],
      ['NUL', '\u0000'],
      ['U+FFFE', '\uFFFE'],
      ['a reference to NUL', '&#0;'],
      ['a reference to a control character', '&#x1;'],
      ['a reference to a surrogate', '&#xD800;'],
    ];
    for (const [what, text] of forbidden) {
      it(`refuses ${what} with not-well-formed`, () => {
        assert.equal(runBoth([HEADER, `<message><body>${text}</body></message>`]).error?.condition, 'not-well-formed');
      });
    }
  });

  describe('stream structure', () => {
    const nested = [
      `<stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`,
      `<stream xmlns='http://etherx.jabber.org/streams'>`,
      `<s:stream xmlns:s='http://etherx.jabber.org/streams'>`,
    ];
    for (const header of nested) {
      it(`refuses a stream header inside an open stream with unsupported-stanza-type: ${header.slice(0, 30)}…`, () => {
        const out = runBoth([HEADER, `<presence/>`, header, `<message><body>lost</body></message>`]);
        assert.equal(out.error?.condition, 'unsupported-stanza-type');
        assert.equal(out.elements.length, 1);
      });
    }

    it('accepts a new stream header after a restart', () => {
      const { p, out, write } = parser();
      write(HEADER);
      write(`<presence/>`);
      p.reset();
      write(HEADER);
      write(`<presence/>`);
      assert.equal(out.error, undefined);
      assert.equal(out.elements.length, 2);
    });

    const nest = (levels: number) => '<a>'.repeat(levels - 1) + '<b/>' + '</a>'.repeat(levels - 1);
    it(`accepts ${MAX_DEPTH} levels of elements in a stanza and refuses more with policy-violation`, () => {
      const ok = run([HEADER, `<message>${nest(MAX_DEPTH - 1)}</message>`]);
      assert.equal(ok.error, undefined);
      assert.equal(ok.elements.length, 1);
      const bad = runBoth([HEADER, `<message>${nest(MAX_DEPTH)}</message>`]);
      assert.equal(bad.error?.condition, 'policy-violation');
      assert.match(bad.error!.message, /nested/);
      assert.equal(run([`<message xmlns='jabber:client'>${nest(MAX_DEPTH)}</message>`], 'frames').error?.condition, 'policy-violation');
    });
  });
});
