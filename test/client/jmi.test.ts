// XEP-0353 Jingle Message Initiation: the spec's own examples, parsed and written back.
import { strict as assert } from 'node:assert';
import { createClient, JXT } from 'stanza';
import { JmiProtocol, jmiMessage, NS_JMI } from '../../client/src/protocol/xep0353-jmi.js';

const registry = createClient({}).stanzas;
registry.define(JmiProtocol);

function parse(xml: string) {
  return registry.import(JXT.parse(xml)) as ReturnType<typeof registry.import> & Record<string, any>;
}

describe('XEP-0353 Jingle Message Initiation', () => {
  it('uses the namespace of the specification, not the one StanzaJS carries', () => {
    assert.equal(NS_JMI, 'urn:xmpp:jingle-message:0');
  });

  it('parses Example 1 (propose with an audio description)', () => {
    const msg = parse(`<message from='romeo@montague.example/orchard' to='juliet@capulet.example' type='chat' xmlns='jabber:client'>
      <propose xmlns='urn:xmpp:jingle-message:0' id='ca3cf894-5325-482f-a412-a6e9f832298d'>
        <description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'/>
      </propose>
      <store xmlns='urn:xmpp:hints'/>
    </message>`);
    assert.equal(msg.jingleMessage?.type, 'propose');
    assert.equal(msg.jingleMessage?.id, 'ca3cf894-5325-482f-a412-a6e9f832298d');
    assert.deepEqual(msg.jingleMessage?.descriptions?.map((d: { media: string }) => d.media), ['audio']);
    assert.deepEqual(msg.processingHints, { store: true });
  });

  for (const action of ['ringing', 'proceed', 'accept', 'retract', 'reject'] as const) {
    it(`parses <${action}/>`, () => {
      const msg = parse(`<message xmlns='jabber:client' type='chat' from='juliet@capulet.example/phone'><${action} xmlns='urn:xmpp:jingle-message:0' id='ca3cf894'/></message>`);
      assert.equal(msg.jingleMessage?.type, action);
      assert.equal(msg.jingleMessage?.id, 'ca3cf894');
    });
  }

  it('parses a reject with a busy reason (Example 7)', () => {
    const msg = parse(`<message xmlns='jabber:client' from='juliet@capulet.example/phone' to='romeo@montague.example/orchard' type='chat'>
      <reject xmlns='urn:xmpp:jingle-message:0' id='ca3cf894'>
        <reason xmlns='urn:xmpp:jingle:1'><busy/><text>Busy</text></reason>
      </reject><store xmlns='urn:xmpp:hints'/></message>`);
    assert.equal(msg.jingleMessage?.reason?.condition, 'busy');
    assert.equal(msg.jingleMessage?.reason?.text, 'Busy');
  });

  it('writes a video propose as Conversations expects it', () => {
    const m = jmiMessage('juliet@capulet.example', {
      type: 'propose', id: 'abc', descriptions: [{ media: 'audio' }, { media: 'video' }],
    });
    const xml = registry.export('message', m)!.toString();
    assert.match(xml, /type="chat"/);
    assert.match(xml, /<propose xmlns="urn:xmpp:jingle-message:0" id="abc">/);
    assert.match(xml, /<description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"\/><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="video"\/>/);
    assert.match(xml, /<store xmlns="urn:xmpp:hints"\/>/);
    // and it survives a round trip
    const back = parse(xml).jingleMessage;
    assert.equal(back?.id, 'abc');
    assert.deepEqual(back?.descriptions?.map((d: { media: string }) => d.media), ['audio', 'video']);
  });

  it('writes a finish with a success reason', () => {
    const xml = registry.export('message', jmiMessage('juliet@capulet.example/phone', {
      type: 'finish', id: 'abc', reason: { condition: 'success' },
    }))!.toString();
    assert.match(xml, /<finish xmlns="urn:xmpp:jingle-message:0" id="abc"><reason xmlns="urn:xmpp:jingle:1"><success\/><\/reason><\/finish>/);
  });

  it('does not steal the Jingle RTP description inside an iq', () => {
    const iq = parse(`<iq xmlns='jabber:client' type='set' id='1' from='a@b/c'><jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' sid='s1'>
      <content creator='initiator' name='0'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'><payload-type id='111' name='opus' clockrate='48000' channels='2'/></description></content></jingle></iq>`);
    assert.equal(iq.jingle?.contents?.[0]?.application?.media, 'audio');
    assert.equal(iq.jingle?.contents?.[0]?.application?.codecs?.[0]?.name, 'opus');
  });
});

describe('XEP-0353 tie-break element', () => {
  it('parses and writes <tie-break/> (§4.1 example)', () => {
    const msg = registry.import(JXT.parse(`<message xmlns='jabber:client' from='romeo@montague.example/orchard' to='juliet@capulet.example' type='chat'>
      <reject xmlns='urn:xmpp:jingle-message:0' id='fecbea35'><reason xmlns='urn:xmpp:jingle:1'><expired/><text>Tie-Break</text></reason><tie-break/></reject>
      <store xmlns='urn:xmpp:hints'/></message>`)) as { jingleMessage?: { tieBreak?: boolean; reason?: { condition?: string } } };
    assert.equal(msg.jingleMessage?.tieBreak, true);
    assert.equal(msg.jingleMessage?.reason?.condition, 'expired');
    const xml = registry.export('message', jmiMessage('juliet@capulet.example', { type: 'retract', id: 'x', tieBreak: true, reason: { condition: 'expired' } }))!.toString();
    assert.match(xml, /<retract xmlns="urn:xmpp:jingle-message:0" id="x"><tie-break\/><reason xmlns="urn:xmpp:jingle:1"><expired\/><\/reason><\/retract>|<retract xmlns="urn:xmpp:jingle-message:0" id="x"><reason xmlns="urn:xmpp:jingle:1"><expired\/><\/reason><tie-break\/><\/retract>/);
  });
});
