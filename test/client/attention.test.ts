// The unread count in the page title and which messages are news (client/src/features/attention.ts).
import assert from 'node:assert/strict';
import { newIncoming, newInvites, titleFor, totalUnread } from '../../client/src/features/attention.js';
import { addMessage, EMPTY_CHAT, openConversation } from '../../client/src/features/chat.js';

describe('attention', () => {
  it('counts unread messages of every conversation into the page title', () => {
    let s = addMessage(EMPTY_CHAT, 'bob@example.org', { id: '1', dir: 'in', body: 'hi', at: 1 }, false);
    s = addMessage(s, 'bob@example.org', { id: '2', dir: 'in', body: 'there', at: 2 }, false);
    s = addMessage(s, 'carol@example.org', { id: '3', dir: 'in', body: 'yo', at: 3 }, false);
    assert.equal(totalUnread(s), 3);
    assert.equal(titleFor(totalUnread(s)), '(3) Carillon');
    assert.equal(titleFor(totalUnread(openConversation(s, 'bob@example.org'))), '(1) Carillon');
    assert.equal(titleFor(0), 'Carillon');
  });

  it('tells of a new unread incoming message, not of our own, a read one or a duplicate', () => {
    const a = addMessage(EMPTY_CHAT, 'bob@example.org', { id: '1', dir: 'in', body: 'hi', at: 1 }, false);
    assert.deepEqual(newIncoming(EMPTY_CHAT, a), [{ peer: 'bob@example.org', body: 'hi' }]);
    const out = addMessage(a, 'bob@example.org', { id: '2', dir: 'out', body: 'hello', at: 2 }, true);
    assert.deepEqual(newIncoming(a, out), []);
    assert.deepEqual(newIncoming(a, addMessage(a, 'bob@example.org', { id: '1', dir: 'in', body: 'hi', at: 1 }, false)), []);
    const open = openConversation(a, 'bob@example.org');
    assert.deepEqual(newIncoming(open, addMessage(open, 'bob@example.org', { id: '3', dir: 'in', body: 'seen', at: 3 }, true)), []);
  });
  it('tells of an invitation once: a new room, or a room invitation that became one to its call (XEP-0482)', () => {
    const a = { room: 'lunch@call.example.org', from: 'bob@example.org' };
    assert.deepEqual(newInvites([], [a]), [a]);
    assert.deepEqual(newInvites([a], [a]), []);
    const call = { ...a, call: true };
    assert.deepEqual(newInvites([a], [call]), [call]);
    assert.deepEqual(newInvites([call], [call]), []);
    assert.deepEqual(newInvites([call], []), []);
  });
});
