// Corrections (XEP-0308) and replies (XEP-0461) in rooms, the room's name and subject rule from
// its disco#info (XEP-0045 §6.4), history from the room's archive (XEP-0313), and bookmark
// notifications (XEP-0402 §4): stanzas parsed by StanzaJS as the client receives them.
import { strict as assert } from 'node:assert';
import { createClient, JXT } from 'stanza';
import type { DiscoInfoResult, MAMResult, Message, ReceivedMessage } from 'stanza/protocol/index.js';
import { NO_ROOMS, joining, lastOwnRoomMessage, roomInfo, type RoomsState } from '../../client/src/rooms/room-state.js';
import { applyGroupchat, archivedIn } from '../../client/src/rooms/room-history.js';
import { roomInfoOf } from '../../client/src/rooms/room-directory.js';
import { BookmarksProtocol, bookmarkChanges } from '../../client/src/protocol/xep0402-bookmarks.js';
import { RepliesProtocol } from '../../client/src/protocol/xep0461-replies.js';
import { Room } from '../../component/muc/room.js';
import { roomInfo as carillonRoomInfo } from '../../component/muc/disco.js';
import { x } from '../../xmpp/xml.js';

const registry = createClient({}).stanzas;
registry.define(RepliesProtocol);
registry.define(BookmarksProtocol);
const parse = <T>(xml: string) => registry.import(JXT.parse(xml)) as T;

const ROOM = 'coven@chat.shakespeare.lit';
const SID = `xmlns='urn:xmpp:sid:0' by='${ROOM}'`;
const said = (nick: string, id: string, body: string, extra = '', stanzaId = `s-${id}`) => parse<ReceivedMessage>(
  `<message xmlns='jabber:client' type='groupchat' from='${ROOM}/${nick}' to='hag66@shakespeare.lit/pda' id='${id}'>
    <body>${body}</body>${extra}<stanza-id ${SID} id='${stanzaId}'/></message>`);
// XEP-0308 Example 3 and 4's text, as a room carries it
const ORIGINAL = () => said('thirdwitch', 'good1', 'But soft, what light through yonder airlock breaks?');
const CORRECTION = (nick = 'thirdwitch', replace = 'good1') => said(nick, 'good2', 'But soft, what light through yonder window breaks?',
  `<replace id='${replace}' xmlns='urn:xmpp:message-correct:0'/>`);
const THIRD = 'hag66@shakespeare.lit/pda';

const inRoom = (): RoomsState => joining(NO_ROOMS, ROOM, 'firstwitch');
const messages = (s: RoomsState) => s.rooms[ROOM]!.messages;

describe('rooms: XEP-0308 corrections', () => {
  it('a correction from the same occupant replaces the text and marks it edited', () => {
    let s = applyGroupchat(inRoom(), ORIGINAL(), THIRD, 1);
    s = applyGroupchat(s, CORRECTION(), THIRD, 2);
    assert.equal(messages(s).length, 1, 'not a message of its own');
    assert.equal(messages(s)[0]!.body, 'But soft, what light through yonder window breaks?');
    assert.equal(messages(s)[0]!.edited, true);
    assert.equal(messages(s)[0]!.stanzaId, 's-good1', 'the room\'s stanza-id is kept (XEP-0359)');
  });
  it('§5: a correction from another occupant is not applied, and shows as a message of its own', () => {
    let s = applyGroupchat(inRoom(), ORIGINAL(), THIRD, 1);
    s = applyGroupchat(s, CORRECTION('secondwitch'), 'wiccarocks@shakespeare.lit/laptop', 2);
    assert.deepEqual(messages(s).map((m) => [m.nick, m.body, !!m.edited]), [
      ['thirdwitch', 'But soft, what light through yonder airlock breaks?', false],
      ['secondwitch', 'But soft, what light through yonder window breaks?', false],
    ]);
  });
  it('§5: with real JIDs known, the same nickname held by someone else cannot correct', () => {
    let s = applyGroupchat(inRoom(), ORIGINAL(), THIRD, 1);
    s = applyGroupchat(s, CORRECTION(), 'mallory@evil.example/x', 2);
    assert.equal(messages(s)[0]!.body, 'But soft, what light through yonder airlock breaks?');
    assert.equal(messages(s).length, 2);
    // another resource of the same account is the same sender
    s = applyGroupchat(s, said('thirdwitch', 'good3', 'yonder window', `<replace id='good1' xmlns='urn:xmpp:message-correct:0'/>`), 'hag66@shakespeare.lit/phone', 3);
    assert.equal(messages(s)[0]!.body, 'yonder window');
  });
  it('without real JIDs the occupant JID (nickname) decides', () => {
    let s = applyGroupchat(inRoom(), ORIGINAL(), undefined, 1);
    s = applyGroupchat(s, CORRECTION(), undefined, 2);
    assert.equal(messages(s).length, 1);
    assert.equal(messages(s)[0]!.edited, true);
  });
  it('the same message twice (live, then from the archive) is shown once, by its stanza-id', () => {
    let s = applyGroupchat(inRoom(), ORIGINAL(), THIRD, 1);
    s = applyGroupchat(s, said('thirdwitch', 'other-id', 'But soft, what light through yonder airlock breaks?', '', 's-good1'), THIRD, 1);
    assert.equal(messages(s).length, 1);
  });
  it('our last message is the one to correct', () => {
    let s = applyGroupchat(inRoom(), said('firstwitch', 'm1', 'one'), undefined, 1);
    s = applyGroupchat(s, said('thirdwitch', 'm2', 'theirs'), undefined, 2);
    s = applyGroupchat(s, said('firstwitch', 'm3', 'two'), undefined, 3);
    assert.equal(lastOwnRoomMessage(s.rooms[ROOM])?.id, 'm3');
  });
});

describe('rooms: XEP-0461 replies', () => {
  it('keeps what a reply answers (the stanza-id, XEP-0461 §3) and shows the body without the fallback', () => {
    const quote = '> But soft, what light through yonder airlock breaks?\n';
    const msg = said('secondwitch', 'r1', `${quote}It is the east`,
      `<reply xmlns='urn:xmpp:reply:0' to='${ROOM}/thirdwitch' id='s-good1'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='${Array.from(quote).length}'/></fallback>`);
    const s = applyGroupchat(applyGroupchat(inRoom(), ORIGINAL(), undefined, 1), msg, undefined, 2);
    const r = messages(s)[1]!;
    assert.equal(r.body, 'It is the east');
    assert.deepEqual(r.reply, { id: 's-good1', to: `${ROOM}/thirdwitch`, fallback: 'But soft, what light through yonder airlock breaks?' });
  });
});

describe('rooms: history from the archive (XEP-0313)', () => {
  // XEP-0313 "MUC Archives": a result as the room sends it to a moderator (real JID in the item)
  const result = (id: string, nick: string, jid: string, body: string, extra = '') => parse<Message>(
    `<message xmlns='jabber:client' to='hag66@shakespeare.lit/pda' from='${ROOM}'><result xmlns='urn:xmpp:mam:2' queryid='q1' id='${id}'>
      <forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/>
        <message xmlns='jabber:client' type='groupchat' from='${ROOM}/${nick}' id='m-${id}'><body>${body}</body>${extra}
          <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' jid='${jid}' role='participant'/></x></message>
      </forwarded></result></message>`).archive as MAMResult;
  it('gives each message its stanza-id and its sender\'s real JID, and holds corrections to them', () => {
    const a = archivedIn(ROOM, result('A1', 'thirdwitch', THIRD, 'airlock'))!;
    assert.equal(a.realJid, THIRD);
    assert.equal(a.msg.stanzaIds?.[0]?.id, 'A1');
    const fix = archivedIn(ROOM, result('A2', 'thirdwitch', THIRD, 'window', `<replace id='m-A1' xmlns='urn:xmpp:message-correct:0'/>`))!;
    const spoof = archivedIn(ROOM, result('A3', 'thirdwitch', 'mallory@evil.example/x', 'door', `<replace id='m-A1' xmlns='urn:xmpp:message-correct:0'/>`))!;
    const s = [a, fix, spoof].reduce((acc, x) => applyGroupchat(acc, x.msg, x.realJid, 5), inRoom());
    assert.deepEqual(messages(s).map((m) => [m.body, !!m.edited, !!m.history]), [['window', true, true], ['door', false, true]]);
  });
  it('a result from another room is not taken', () => {
    assert.equal(archivedIn('other@chat.shakespeare.lit', result('A1', 'thirdwitch', THIRD, 'x')), undefined);
  });
});

describe('rooms: name and subject rule from disco#info (XEP-0045 §6.4)', () => {
  const info = (changesubject: string) => parse<{ disco: DiscoInfoResult }>(`<iq xmlns='jabber:client' type='result' from='${ROOM}' id='d1'>
    <query xmlns='http://jabber.org/protocol/disco#info'><identity category='conference' name='A Dark Cave' type='text'/>
      <feature var='http://jabber.org/protocol/muc'/>
      <x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#roominfo</value></field>
        <field var='muc#roominfo_changesubject' label='Occupants May Change the Subject'><value>${changesubject}</value></field></x>
    </query></iq>`).disco;
  it('takes the identity name and muc#roominfo_changesubject (true / 1 / false)', () => {
    for (const [v, may] of [['true', true], ['1', true], ['false', false], ['0', false]] as const) {
      const i = roomInfoOf(info(v));
      const s = roomInfo(inRoom(), ROOM, { ...(i.name ? { name: i.name } : {}), participantsMayChangeSubject: !!i.changeSubject });
      assert.equal(s.rooms[ROOM]!.name, 'A Dark Cave');
      assert.equal(s.rooms[ROOM]!.participantsMayChangeSubject, may, v);
    }
  });
});

describe('rooms: what Carillon\'s rooms say of themselves, read by the client', () => {
  it('the configured name and changesubject in the room\'s disco#info', () => {
    const room = new Room('council', 'council@call.example');
    for (const changeSubject of [true, false]) {
      room.config = { ...room.config, name: 'The Council', changeSubject };
      const iq = x('iq', { xmlns: 'jabber:client', type: 'result', from: room.jid, id: 'd' }, x('query', { xmlns: 'http://jabber.org/protocol/disco#info' }, ...carillonRoomInfo(room, [])));
      const i = roomInfoOf(parse<{ disco: DiscoInfoResult }>(iq.toString()).disco);
      assert.equal(i.name, 'The Council');
      assert.equal(i.changeSubject, changeSubject);
    }
  });
});

describe('rooms: bookmark notifications (XEP-0402 §4)', () => {
  const ME = 'juliet@capulet.lit/balcony';
  const event = (from: string, items: string) => parse<Message>(`<message xmlns='jabber:client' from='${from}' to='${ME}' type='headline' id='n1'>
    <event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:xmpp:bookmarks:1'>${items}</items></event></message>`);
  const PUBLISHED = `<item id='theplay@conference.shakespeare.lit'><conference xmlns='urn:xmpp:bookmarks:1' name='The Play&apos;s the Thing' autojoin='true'><nick>JC</nick></conference></item>`;
  it('a published bookmark, from our own account', () => {
    assert.deepEqual(bookmarkChanges(event('juliet@capulet.lit', PUBLISHED), ME), [
      { room: 'theplay@conference.shakespeare.lit', bookmark: { room: 'theplay@conference.shakespeare.lit', autojoin: true, name: 'The Play\'s the Thing', nick: 'JC' } },
    ]);
  });
  it('a retracted bookmark', () => {
    assert.deepEqual(bookmarkChanges(event('juliet@capulet.lit', `<retract id='theplay@conference.shakespeare.lit'/>`), ME), [{ room: 'theplay@conference.shakespeare.lit' }]);
  });
  it('nothing from another account', () => {
    assert.deepEqual(bookmarkChanges(event('romeo@montague.lit', PUBLISHED), ME), []);
  });
});
