// JIDs: the examples of RFC 7622 §3.5 (valid) and §3.6 (invalid).
import assert from 'node:assert/strict';
import { Jid, JidError } from '../../xmpp/jid.js';

describe('JID (RFC 7622)', () => {
  const valid: [string, string][] = [
    ['juliet@example.com', 'juliet@example.com'],
    ['juliet@example.com/foo', 'juliet@example.com/foo'],
    ['juliet@example.com/foo bar', 'juliet@example.com/foo bar'],
    ['juliet@example.com/foo@bar', 'juliet@example.com/foo@bar'],
    ['foo\\20bar@example.com', 'foo\\20bar@example.com'],
    ['fussball@example.com', 'fussball@example.com'],
    ['fu\u00DFball@example.com', 'fu\u00DFball@example.com'],
    ['\u03C0@example.com', '\u03C0@example.com'],
    ['\u03A3@example.com/foo', '\u03C3@example.com/foo'],
    ['example.com', 'example.com'],
    ['example.com/foobar', 'example.com/foobar'],
    ['a.example.com/b@example.net', 'a.example.com/b@example.net'],
    ['Juliet@Example.COM/Balcony', 'juliet@example.com/Balcony'],
    ['example.com.', 'example.com'],
  ];
  for (const [input, expected] of valid) {
    it(`accepts ${input}`, () => assert.equal(Jid.parse(input).full, expected));
  }

  const invalid = ['"juliet"@example.com', 'foo bar@example.com', '@example.com', 'henry\u2163@example.com/x\u0007', 'juliet@', 'juliet@example.com/', 'a@b@c', `${'a'.repeat(1024)}@example.com`];
  for (const input of invalid) {
    it(`refuses ${JSON.stringify(input).slice(0, 40)}`, () => assert.throws(() => Jid.parse(input), JidError));
  }

  it('splits bare and full', () => {
    const j = Jid.parse('romeo@example.net/orchard');
    assert.equal(j.bare, 'romeo@example.net');
    assert.equal(j.resource, 'orchard');
    assert.equal(j.toBare().full, 'romeo@example.net');
    assert.ok(j.toBare().isBare());
  });
});
