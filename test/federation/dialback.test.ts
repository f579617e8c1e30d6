// Dialback keys (XEP-0185) and elements (XEP-0220), with the specifications' own examples.
import assert from 'node:assert/strict';
import { DialbackKeys, readDialback, resultAnswer, resultRequest, verifyAnswer, verifyRequest } from '../../federation/dialback.js';
import { parseXml } from '../../xmpp/xml.js';

const HEADER = { xmlns: 'jabber:server', 'xmlns:db': 'jabber:server:dialback', 'xmlns:stream': 'http://etherx.jabber.org/streams' };

describe('dialback keys (XEP-0185)', () => {
  const keys = new DialbackKeys('s3cr3tf0rd14lb4ck');

  const vectors = [
    // XEP-0185 §2: receiving xmpp.example.com, originating example.org.
    { receiving: 'xmpp.example.com', originating: 'example.org', id: 'D60000229F', key: '37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643' },
    // XEP-0220 §2.1.1: montague.example receives from capulet.example.
    { receiving: 'montague.example', originating: 'capulet.example', id: 'D60000229F', key: 'b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3' },
  ];
  for (const v of vectors) {
    it(`matches the example key for ${v.originating} → ${v.receiving}`, () => {
      assert.equal(keys.generate(v.receiving, v.originating, v.id), v.key);
      assert.ok(keys.check(v.receiving, v.originating, v.id, v.key));
      assert.ok(keys.check(v.receiving, v.originating, v.id, ` ${v.key.toUpperCase()}\n`), 'whitespace and case do not matter');
    });
  }

  it('binds the key to each input and to the secret', () => {
    const k = keys.generate('a.example', 'b.example', 'id1');
    assert.equal(keys.check('a.example', 'b.example', 'id2', k), false);
    assert.equal(keys.check('b.example', 'a.example', 'id1', k), false);
    assert.equal(keys.check('a.example', 'c.example', 'id1', k), false);
    assert.equal(new DialbackKeys().check('a.example', 'b.example', 'id1', k), false);
    assert.equal(keys.check('a.example', 'b.example', 'id1', ''), false);
  });
});

describe('dialback elements (XEP-0220)', () => {
  const cases: { name: string; xml: string; want: ReturnType<typeof readDialback> }[] = [
    {
      name: 'Example 1: the originating server sends its key',
      xml: "<db:result from='capulet.example' to='montague.example'>b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3</db:result>",
      want: { kind: 'result', from: 'capulet.example', to: 'montague.example', id: undefined, type: undefined, key: 'b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3' },
    },
    {
      name: 'Example 3: the receiving server asks the authoritative server',
      xml: "<db:verify from='montague.example' id='417GAF25' to='capulet.example'>b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3</db:verify>",
      want: { kind: 'verify', from: 'montague.example', to: 'capulet.example', id: '417GAF25', type: undefined, key: 'b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3' },
    },
    {
      name: 'Example 5: the authoritative server answers',
      xml: "<db:verify from='capulet.example' id='417GAF25' to='montague.example' type='valid'/>",
      want: { kind: 'verify', from: 'capulet.example', to: 'montague.example', id: '417GAF25', type: 'valid', key: '' },
    },
    {
      name: 'the unprefixed form with its own xmlns',
      xml: "<result xmlns='jabber:server:dialback' from='capulet.example' to='montague.example' type='invalid'/>",
      want: { kind: 'result', from: 'capulet.example', to: 'montague.example', id: undefined, type: 'invalid', key: '' },
    },
  ];
  for (const c of cases) {
    it(`reads ${c.name}`, () => assert.deepEqual(readDialback(parseXml(c.xml), HEADER), c.want));
  }

  it('ignores db: elements when the stream never declared the dialback namespace', () => {
    assert.equal(readDialback(parseXml("<db:result from='a' to='b'>k</db:result>"), { xmlns: 'jabber:server' }), undefined);
    assert.equal(readDialback(parseXml("<result from='a' to='b'>k</result>"), HEADER), undefined);
  });

  it('builds the four messages as in the examples', () => {
    assert.equal(resultRequest('capulet.example', 'montague.example', 'k1').toString(), '<db:result from="capulet.example" to="montague.example">k1</db:result>');
    assert.equal(verifyRequest('montague.example', 'capulet.example', '417GAF25', 'k1').toString(), '<db:verify from="montague.example" to="capulet.example" id="417GAF25">k1</db:verify>');
    assert.equal(verifyAnswer('capulet.example', 'montague.example', '417GAF25', true).toString(), '<db:verify from="capulet.example" to="montague.example" id="417GAF25" type="valid"/>');
    assert.equal(resultAnswer('montague.example', 'capulet.example', 'valid').toString(), '<db:result from="montague.example" to="capulet.example" type="valid"/>');
    const err = resultAnswer('montague.example', 'capulet.example', 'error', 'remote-server-timeout');
    assert.ok(err.getChild('error')?.getChild('remote-server-timeout', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
  });
});
