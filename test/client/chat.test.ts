// Conversation reducers: unread counts, receipts (XEP-0184), duplicates, typing reset (XEP-0085).
import { strict as assert } from 'node:assert';
import { addMessage, EMPTY_CHAT, markDelivered, openConversation } from '../../client/src/features/chat.js';

const BOB = 'bob@example.org';
const msg = (id: string, dir: 'in' | 'out') => ({ id, dir, body: `m${id}`, at: 1 });

describe('chat reducers', () => {
  it('counts unread messages of a conversation that is not open', () => {
    let s = addMessage(EMPTY_CHAT, BOB, msg('1', 'in'), true);
    s = addMessage(s, BOB, msg('2', 'in'), true);
    assert.equal(s.conversations[BOB]?.unread, 2);
  });
  it('does not count messages of the open conversation while the page is visible', () => {
    const s = addMessage(openConversation(EMPTY_CHAT, BOB), BOB, msg('1', 'in'), true);
    assert.equal(s.conversations[BOB]?.unread, 0);
  });
  it('counts them while the page is hidden, and opening clears the count', () => {
    const s = addMessage(openConversation(EMPTY_CHAT, BOB), BOB, msg('1', 'in'), false);
    assert.equal(s.conversations[BOB]?.unread, 1);
    assert.equal(openConversation(s, BOB).conversations[BOB]?.unread, 0);
  });
  it('never counts our own messages', () => {
    assert.equal(addMessage(EMPTY_CHAT, BOB, msg('1', 'out'), true).conversations[BOB]?.unread, 0);
  });
  it('ignores a message seen twice (direct and as a carbon)', () => {
    let s = addMessage(EMPTY_CHAT, BOB, msg('1', 'in'), true);
    s = addMessage(s, BOB, msg('1', 'in'), true);
    assert.equal(s.conversations[BOB]?.messages.length, 1);
  });
  it('a message from the peer ends its typing state', () => {
    const typing = { ...EMPTY_CHAT, conversations: { [BOB]: { messages: [], unread: 0, peerState: 'composing' as const } } };
    assert.equal(addMessage(typing, BOB, msg('1', 'in'), true).conversations[BOB]?.peerState, 'active');
  });
  it('a receipt marks only the outgoing message with that id as delivered', () => {
    let s = addMessage(EMPTY_CHAT, BOB, { ...msg('7', 'out'), status: 'sent' }, true);
    s = addMessage(s, BOB, msg('7', 'in'), true);
    s = markDelivered(s, BOB, '7');
    assert.deepEqual(s.conversations[BOB]?.messages.map((m) => m.status), ['delivered', undefined]);
    assert.equal(markDelivered(s, BOB, 'unknown'), s);
  });
});
