// The web client reads the call service's "video paused / resumed" session-info (last-N,
// urn:carillon:call:forwarding:0) exactly as the component writes it, and marks the tile.
import { strict as assert } from 'node:assert';
import { createClient, JXT } from 'stanza';
import type { IQ } from 'stanza/protocol/index.js';
import { forwardingInfo } from '../../component/calls/forwarding-info.js';
import type { Participant } from '../../component/calls/participant.js';
import { x } from '../../xmpp/xml.js';
import { ForwardingProtocol, forwardingChange } from '../../client/src/protocol/carillon-forwarding.js';
import { NO_GROUP_CALL, muteChanged, pausedChanged, sourcesAdded } from '../../client/src/rooms/group-call.js';

const client = createClient({});
client.stanzas.define(ForwardingProtocol);
const receiver = { sid: 'sess-1' } as Participant;
/** The component's stanza, as the client's StanzaJS reads it. */
const received = (jingle: ReturnType<typeof forwardingInfo>) =>
  client.stanzas.import(JXT.parse(x('iq', { xmlns: 'jabber:client', type: 'set', id: 'f1', from: 'room@call.localhost', to: 'alice@localhost/web' }, jingle).toString())) as IQ;

describe('client: videos the room paused for us (last-N, urn:carillon:call:forwarding:0)', () => {
  it('reads the component\'s <paused/> and <resumed/> as a change of one content', () => {
    const paused = received(forwardingInfo(receiver, '7', false));
    assert.equal(paused.jingle?.action, 'session-info');
    assert.equal(paused.jingle?.sid, 'sess-1');
    assert.deepEqual(forwardingChange(paused.jingle?.info as never), { name: '7', paused: true });
    assert.equal((paused.jingle?.info as { text?: string }).text, 'not among the last N speakers');
    assert.deepEqual(forwardingChange(received(forwardingInfo(receiver, '7', true)).jingle?.info as never), { name: '7', paused: false });
  });

  it('leaves XEP-0167 mute and payloads without a content name alone', () => {
    assert.equal(forwardingChange({ infoType: 'urn:xmpp:jingle:apps:rtp:info:1:mute', name: '7' } as never), undefined);
    assert.equal(forwardingChange({ infoType: 'urn:carillon:call:forwarding:0:paused' } as never), undefined);
    assert.equal(forwardingChange(undefined), undefined);
  });

  it('marks the owner\'s tile paused and unpaused by its video content; an audio name changes nothing', () => {
    const owner = 'room@call.localhost/bob';
    let s = sourcesAdded(NO_GROUP_CALL, [{ name: '2', owner, kind: 'audio' }, { name: '3', owner, kind: 'video' }]);
    assert.equal(pausedChanged(s, '2', true), s);
    s = pausedChanged(s, '3', true);
    assert.equal(s.tiles[owner]?.paused, true);
    // a mute of their microphone meanwhile keeps the pause
    s = muteChanged(s, '2', true);
    assert.equal(s.tiles[owner]?.paused, true);
    s = pausedChanged(s, '3', false);
    assert.equal(s.tiles[owner]?.paused, false);
    assert.equal(pausedChanged(s, 'unknown', true), s);
  });
});
