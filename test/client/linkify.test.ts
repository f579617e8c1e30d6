// Links in messages (client/src/features/linkify.ts): what becomes a link, and what never does.
import assert from 'node:assert/strict';
import { linkify } from '../../client/src/features/linkify.js';

const links = (s: string) => linkify(s).flatMap((x) => ('href' in x ? [[x.text, x.href]] : []));

describe('linkify', () => {
  it('links http, https and www addresses and keeps the text around them', () => {
    assert.deepEqual(linkify('see https://example.org/a?b=c#d now'), [{ text: 'see ' }, { text: 'https://example.org/a?b=c#d', href: 'https://example.org/a?b=c#d' }, { text: ' now' }]);
    assert.deepEqual(links('www.example.org and http://x.example'), [['www.example.org', 'https://www.example.org/'], ['http://x.example', 'http://x.example/']]);
  });

  it('leaves sentence punctuation outside the link but keeps brackets the address opened', () => {
    assert.deepEqual(links('Read https://example.org.'), [['https://example.org', 'https://example.org/']]);
    assert.deepEqual(links('(at https://example.org/x)'), [['https://example.org/x', 'https://example.org/x']]);
    assert.deepEqual(links('https://en.wikipedia.org/wiki/Bell_(instrument), ok'), [['https://en.wikipedia.org/wiki/Bell_(instrument)', 'https://en.wikipedia.org/wiki/Bell_(instrument)']]);
  });

  it('links xmpp: URIs (RFC 5122) and nothing of any other scheme', () => {
    assert.deepEqual(links('join xmpp:room@conference.example.org?join'), [['xmpp:room@conference.example.org?join', 'xmpp:room@conference.example.org?join']]);
    assert.deepEqual(links('javascript:alert(1) data:text/html,<b>x</b> file:///etc/passwd ftp://x.example'), []);
  });

  it('keeps every character of the body, links or not', () => {
    for (const body of ['', 'plain', 'a https://x.example/ b https://y.example/, c', 'line one\nhttps://z.example\nline three']) {
      assert.equal(linkify(body).map((s) => s.text).join(''), body);
    }
  });
});
