// XEP-0308 corrections and XEP-0461 replies (with the XEP-0428 fallback) in the chat reducers,
// using the specifications' own examples, parsed with StanzaJS as the client parses them.
import { strict as assert } from 'node:assert';
import { createClient, JXT } from 'stanza';
import type { Message } from 'stanza/protocol/index.js';
import { addArchived, addMessage, correctMessage, EMPTY_CHAT, lastOwnMessage, lineOf, type ChatState } from '../../client/src/features/chat.js';
import { NS_REPLY, RepliesProtocol, replyBody, stripReplyFallback } from '../../client/src/protocol/xep0461-replies.js';

const registry = createClient({}).stanzas;
registry.define(RepliesProtocol);
const parse = (xml: string) => registry.import(JXT.parse(xml)) as Message;
const write = (msg: Message) => registry.export('message', { ...msg, type: msg.type ?? 'chat' })!.toString();

const ROMEO = 'romeo@montague.net';
// XEP-0308 Example 3 and Example 4 (as received by Juliet)
const ORIGINAL = parse(`<message xmlns='jabber:client' type='chat' from='romeo@montague.net/orchard' to='juliet@capulet.net/balcony' id='good1'>
  <body>But soft, what light through yonder airlock breaks?</body></message>`);
const CORRECTION = (from: string, replace = 'good1') => parse(`<message xmlns='jabber:client' type='chat' from='${from}' to='juliet@capulet.net/balcony' id='good2'>
  <body>But soft, what light through yonder window breaks?</body>
  <replace id='${replace}' xmlns='urn:xmpp:message-correct:0'/></message>`);

const received = (): ChatState => addMessage(EMPTY_CHAT, ROMEO, lineOf(ORIGINAL, 'in'), true);
const correct = (s: ChatState, msg: Message, dir: 'in' | 'out' = 'in') =>
  correctMessage(s, ROMEO, { replaces: msg.replace!, dir, from: msg.from, body: msg.body! });

describe('XEP-0308 message correction', () => {
  it('replaces the text of the message it names and marks it edited (Examples 3, 4)', () => {
    const s = correct(received(), CORRECTION('romeo@montague.net/orchard'));
    const [m, ...rest] = s?.conversations[ROMEO]?.messages ?? [];
    assert.equal(rest.length, 0, 'the correction is not a message of its own');
    assert.equal(m?.id, 'good1');
    assert.equal(m?.body, 'But soft, what light through yonder window breaks?');
    assert.equal(m?.edited, true);
  });
  it('§5: ignores a correction from another full JID than the original', () => {
    assert.equal(correct(received(), CORRECTION('romeo@montague.net/other-device')), undefined);
  });
  it('§5: a peer cannot correct our own message with the same id', () => {
    const s = addMessage(EMPTY_CHAT, ROMEO, { id: 'good1', dir: 'out', body: 'mine', at: 1, status: 'sent' }, true);
    assert.equal(correct(s, CORRECTION('romeo@montague.net/orchard')), undefined);
  });
  it('a correction naming no message shown is not applied', () => {
    assert.equal(correct(received(), CORRECTION('romeo@montague.net/orchard', 'unknown')), undefined);
  });
  it('§4: a second correction names the original id again and replaces the text again', () => {
    const once = correct(received(), CORRECTION('romeo@montague.net/orchard'))!;
    const twice = correctMessage(once, ROMEO, { replaces: 'good1', dir: 'in', from: 'romeo@montague.net/orchard', body: 'third' });
    assert.deepEqual(twice?.conversations[ROMEO]?.messages.map((m) => m.body), ['third']);
  });
  it('our own corrections (this client or a carbon) apply to our messages', () => {
    const s = addMessage(EMPTY_CHAT, ROMEO, { id: 'a1', dir: 'out', body: 'teh', at: 1, status: 'sent' }, true);
    const c = correctMessage(s, ROMEO, { replaces: 'a1', dir: 'out', body: 'the' });
    assert.equal(c?.conversations[ROMEO]?.messages[0]?.body, 'the');
  });
  it('the last own text message is the one the Up arrow edits', () => {
    let s = addMessage(EMPTY_CHAT, ROMEO, { id: 'a1', dir: 'out', body: 'one', at: 1 }, true);
    s = addMessage(s, ROMEO, { id: 'a2', dir: 'out', body: 'two', at: 2 }, true);
    s = addMessage(s, ROMEO, { id: 'b1', dir: 'in', body: 'reply', at: 3, from: `${ROMEO}/orchard` }, true);
    assert.equal(lastOwnMessage(s.conversations[ROMEO])?.id, 'a2');
    assert.equal(lastOwnMessage(undefined), undefined);
  });
  it('writes <replace/> on a sent correction', () => {
    assert.match(write({ to: 'juliet@capulet.net', body: 'x', replace: 'good1' }), /<replace xmlns="urn:xmpp:message-correct:0" id="good1"\/>/);
  });
});

// XEP-0461 Example 2 shape: a reply with a quoting fallback marked by XEP-0428
const QUOTE = '> Anna wrote:\n> We should bake a cake\n';
const REPLY = parse(`<message xmlns='jabber:client' to='anna@example.com' from='${ROMEO}/orchard' id='message-id3' type='chat'>
  <body>${QUOTE}Great idea!</body>
  <reply to='anna@example.com/tablet' id='message-id1' xmlns='urn:xmpp:reply:0'/>
  <fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='${Array.from(QUOTE).length}'/></fallback>
</message>`);

describe('XEP-0461 replies with the XEP-0428 fallback', () => {
  it('parses <reply/> and <fallback/>', () => {
    assert.deepEqual(REPLY.reply, { id: 'message-id1', to: 'anna@example.com/tablet' });
    assert.deepEqual(REPLY.fallbacks, [{ for: NS_REPLY, bodies: [{ start: 0, end: 38 }] }]);
  });
  it('shows the body without the fallback and keeps the quote aside', () => {
    const line = lineOf(REPLY, 'in');
    assert.equal(line.body, 'Great idea!');
    assert.deepEqual(line.reply, { id: 'message-id1', to: 'anna@example.com/tablet', fallback: 'Anna wrote:\nWe should bake a cake' });
  });
  it('counts fallback offsets in code points, not UTF-16 units (XEP-0428 §4)', () => {
    assert.equal(stripReplyFallback('> 🎂\nyes', [{ for: NS_REPLY, bodies: [{ start: 0, end: 4 }] }]), 'yes');
  });
  it('leaves a fallback for another element alone, and a fallback without ranges covers the body', () => {
    assert.equal(stripReplyFallback('hello', [{ for: 'urn:xmpp:other:0', bodies: [{ start: 0, end: 2 }] }]), 'hello');
    assert.equal(stripReplyFallback('hello', [{ for: NS_REPLY }]), '');
  });
  it('a message without <reply/> keeps its whole body', () => {
    assert.equal(lineOf(ORIGINAL, 'in').body, 'But soft, what light through yonder airlock breaks?');
    assert.equal(lineOf(ORIGINAL, 'in').reply, undefined);
  });
  it('builds a reply the way it parses back: quote, fallback range, answer', () => {
    const { body, fallbacks } = replyBody('We should bake a cake', 'Great idea!');
    const xml = write({ to: 'anna@example.com', id: 'r1', body, reply: { id: 'message-id1', to: 'anna@example.com/tablet' }, fallbacks });
    assert.match(xml, /<reply xmlns="urn:xmpp:reply:0" id="message-id1" to="anna@example.com\/tablet"\/>/);
    const back = parse(xml.replace('<message ', `<message from='${ROMEO}/orchard' `));
    assert.equal(lineOf(back, 'in').body, 'Great idea!');
    assert.equal(lineOf(back, 'in').reply?.fallback, 'We should bake a cake');
  });
});

describe('XEP-0308 corrections in the archive (XEP-0313)', () => {
  const line = (id: string, body: string, at: number, replaces?: string) =>
    ({ id, dir: 'in' as const, body, at, from: `${ROMEO}/orchard`, archiveId: `a-${id}`, ...(replaces ? { replaces } : {}) });
  it('applies an archived correction to the original in the same page instead of showing both', () => {
    const s = addArchived(EMPTY_CHAT, ROMEO, [line('good1', 'airlock', 1), line('good2', 'window', 2, 'good1')], { complete: true });
    assert.deepEqual(s.conversations[ROMEO]?.messages.map((m) => [m.id, m.body, m.edited]), [['good1', 'window', true]]);
  });
  it('shows an archived correction whose original is not loaded as a line of its own', () => {
    const s = addArchived(EMPTY_CHAT, ROMEO, [line('good2', 'window', 2, 'good1')], { complete: false });
    assert.deepEqual(s.conversations[ROMEO]?.messages.map((m) => [m.id, m.body, m.replaces]), [['good2', 'window', undefined]]);
  });
});
