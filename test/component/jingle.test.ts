// The call service's Jingle stanzas (component/calls/jingle.ts): what it refuses, and what it sends
// as StanzaJS and Jitsi-aware clients read it. The translation itself: test/xmpp/jingle-sdp.test.ts.
import assert from 'node:assert/strict';
import { jingleElement, parseJingle, type Jingle } from '../../component/calls/jingle.js';
import { labelSources, sdpToJingle, sourceOwner } from '../../xmpp/jingle-sdp/index.js';
import { StanzaError } from '../../xmpp/errors.js';
import { parseXml } from '../../xmpp/xml.js';
import { read } from '../xmpp/jingle-sdp/fixture-io.js';

describe('Jingle stanzas of the call service', () => {
  it('refuses malformed Jingle with bad-request (XEP-0166 §10)', () => {
    const cases = [
      `<iq type='set' from='a@b/c' to='r@call.b' id='1'><jingle xmlns='urn:xmpp:jingle:1' sid='x'/></iq>`,
      `<iq type='set' from='a@b/c' to='r@call.b' id='1'><jingle xmlns='urn:xmpp:jingle:1' action='session-initiate'/></iq>`,
      `<iq type='set' from='a@b/c' to='r@call.b' id='1'><jingle xmlns='urn:xmpp:jingle:0' action='session-initiate' sid='x'/></iq>`,
    ];
    for (const c of cases) {
      assert.throws(() => parseJingle(parseXml(c)), (e: unknown) => e instanceof StanzaError && e.condition === 'bad-request', c);
    }
  });

  it('a labelled content-add goes out with ssrc-info and the owner and msid parameters, and parses back', () => {
    const { contents, groups } = sdpToJingle(read('room-content-add.sdp'), 'responder');
    const added = contents.filter((c) => c.name === '2').map((c) => labelSources({ ...c, creator: 'responder' as const }, 'room@call.example/Bob'));
    const el = jingleElement({ action: 'content-add', sid: 's1', contents: added, groups } as Jingle);
    const source = el.getChild('content')!.getChild('description')!.getChild('source')!;
    assert.equal(source.attrs.ssrc, '4176225061');
    assert.equal(source.getChild('ssrc-info', 'http://jitsi.org/jitmeet')!.attrs.owner, 'room@call.example/Bob');
    assert.match(source.getChildren('parameter').find((p) => p.attrs.name === 'msid')!.attrs.value as string, /^a1b2c3d4e5f60718 /);
    assert.equal(el.toString().includes('xmlns:'), false, 'no namespace prefixes');
    const back = parseJingle(parseXml(`<iq type='set' id='1' from='r@c' to='a@b/c'>${el.toString()}</iq>`));
    assert.equal(back.action, 'content-add');
    assert.deepEqual(back.contents!.map((c) => [c.name, c.creator, c.senders, sourceOwner(c)]), [['2', 'responder', 'responder', 'room@call.example/Bob']]);
    assert.equal(sourceOwner(contents.find((c) => c.name === '2')!), undefined, 'labelling copies: the offer kept for the answer is unlabelled');
  });
});
