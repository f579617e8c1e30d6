// XEP-0402 PEP Native Bookmarks: the <conference/> payload parsed from the specification's
// example and written back the way the XEP writes it.
import { strict as assert } from 'node:assert';
import { createClient, JXT } from 'stanza';
import type { IQ } from 'stanza/protocol/index.js';
import { BookmarksProtocol, NS_BOOKMARKS, PUBLISH_OPTIONS, type Conference } from '../../client/src/protocol/xep0402-bookmarks.js';

const registry = createClient({}).stanzas;
registry.define(BookmarksProtocol);

describe('XEP-0402 bookmarks payload', () => {
  it('parses a bookmark as in the XEP\'s example (autojoin, name, nick)', () => {
    const iq = registry.import(JXT.parse(`<iq xmlns='jabber:client' type='result' id='retrieve1' to='juliet@capulet.lit/balcony'>
      <pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:bookmarks:1'>
        <item id='theplay@conference.shakespeare.lit'>
          <conference xmlns='urn:xmpp:bookmarks:1' name='The Play&apos;s the Thing' autojoin='true'><nick>JC</nick></conference>
        </item>
        <item id='orchard@conference.shakespeare.lit'>
          <conference xmlns='urn:xmpp:bookmarks:1' name='The Orchard' autojoin='1'/>
        </item>
        <item id='balcony@conference.shakespeare.lit'><conference xmlns='urn:xmpp:bookmarks:1'/></item>
      </items></pubsub></iq>`)) as IQ;
    const items = iq.pubsub?.fetch?.items ?? [];
    const c = items.map((i) => i.content as Conference);
    assert.deepEqual(items.map((i) => i.id), ['theplay@conference.shakespeare.lit', 'orchard@conference.shakespeare.lit', 'balcony@conference.shakespeare.lit']);
    assert.equal(c[0]?.itemType, NS_BOOKMARKS);
    assert.equal(c[0]?.name, 'The Play\'s the Thing');
    assert.equal(c[0]?.nick, 'JC');
    assert.deepEqual(c.map((x) => x.autojoin), [true, true, false], "xs:boolean: 'true' and '1' are true, absent is false");
  });

  it('writes a publish with autojoin=\'true\', the nick and the §3.3 publish-options', () => {
    const xml = registry.export('iq', {
      type: 'set', id: 'pub1',
      pubsub: { context: 'user', publish: { node: NS_BOOKMARKS, item: { id: 'theplay@conference.shakespeare.lit', content: { itemType: NS_BOOKMARKS, autojoin: true, name: 'The Play', nick: 'JC' } as Conference } }, publishOptions: PUBLISH_OPTIONS },
    } as IQ)!.toString();
    assert.match(xml, /<item id="theplay@conference.shakespeare.lit"><conference xmlns="urn:xmpp:bookmarks:1" autojoin="true" name="The Play"><nick>JC<\/nick><\/conference><\/item>/);
    for (const [k, v] of [['pubsub#persist_items', 'true'], ['pubsub#max_items', 'max'], ['pubsub#send_last_published_item', 'never'], ['pubsub#access_model', 'whitelist']]) {
      assert.match(xml, new RegExp(`<field var="${k}"><value>${v}</value></field>`), k);
    }
    assert.match(xml, /<publish-options><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE" type="hidden"><value>http:\/\/jabber.org\/protocol\/pubsub#publish-options<\/value>/);
  });
});
