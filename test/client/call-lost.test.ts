// What the web client says when a group call's media stops and it pings the room
// (client/src/rooms/group-call.ts callLostText; the browser path is test/e2e/call-service-lost.test.ts).
import { strict as assert } from 'node:assert';
import { callLostText } from '../../client/src/rooms/group-call.js';

describe('group call: a room that stops answering', () => {
  it('a room that answers the ping keeps the call (the media may come back)', () => {
    assert.equal(callLostText({ answered: true }), undefined);
  });

  it('no answer (ejabberd drops a dead instance\'s stanzas), or StanzaJS\'s own timeout, ends it', () => {
    const words = 'The call ended: the room\'s call service stopped answering.';
    assert.equal(callLostText({ answered: false }), words);
    assert.equal(callLostText({ answered: false, condition: 'timeout' }), words);
  });

  it('item-not-found: a restarted instance that does not know the room', () => {
    assert.equal(callLostText({ answered: false, condition: 'item-not-found' }),
      'The call ended: the room\'s call service restarted and no longer has this room.');
  });

  it('any other error names its condition in words (RFC 6120 §8.3.3)', () => {
    assert.equal(callLostText({ answered: false, condition: 'remote-server-not-found' }),
      'The call ended: the room\'s call service is unreachable (remote server not found).');
    assert.equal(callLostText({ answered: false, condition: 'service-unavailable' }),
      'The call ended: the room\'s call service is unreachable (service unavailable).');
  });
});
