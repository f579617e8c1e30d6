// Rooms state (client/src/rooms/room-state.ts) driven by XEP-0045 example stanzas, parsed by
// StanzaJS as the client receives them and translated by room-stanzas.ts.
import { strict as assert } from 'node:assert';
import { createClient, JXT } from 'stanza';
import type { ReceivedMessage } from 'stanza/protocol/index.js';
import {
  NO_ROOMS, correctRoomMessage, joinFailed, joining, lastOwnRoomMessage, left, occupantPresence, roomAddress, roomMessage, subject, type RoomsState,
} from '../../client/src/rooms/room-state.js';
import { groupchatIn, presenceIn, type MucPresence } from '../../client/src/rooms/room-stanzas.js';

const registry = createClient({}).stanzas;
const parse = <T>(xml: string) => registry.import(JXT.parse(xml)) as T;
const presence = (xml: string) => presenceIn(parse<MucPresence>(xml));

const ROOM = 'coven@chat.shakespeare.lit';
const USER = `xmlns='http://jabber.org/protocol/muc#user'`;

// XEP-0045 §7.2.3 Example 22: presence of an existing occupant, sent to the new one.
const EX22 = `<presence xmlns='jabber:client' from='coven@chat.shakespeare.lit/firstwitch' id='3DCB0401-D7CF-4E31-BE05-EDF8D057BFBD' to='hag66@shakespeare.lit/pda'>
  <x ${USER}><item affiliation='owner' role='moderator'/></x></presence>`;
// Example 23: the new occupant's presence, as all occupants see it (no 110).
const EX23 = `<presence xmlns='jabber:client' from='coven@chat.shakespeare.lit/thirdwitch' id='27C55F89-1C6A-459A-9EB5-77690145D624' to='crone1@shakespeare.lit/desktop'>
  <x ${USER}><item affiliation='member' role='participant'/></x></presence>`;
// Example 24: the new occupant's own presence, with status 110 (self-presence).
const EX24 = `<presence xmlns='jabber:client' from='coven@chat.shakespeare.lit/thirdwitch' id='n13mt3l' to='hag66@shakespeare.lit/pda'>
  <x ${USER}><item affiliation='member' role='participant'/><status code='110'/></x></presence>`;
// §10.1.1: a new room was created for us (110 and 201).
const EX_CREATED = `<presence xmlns='jabber:client' from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda'>
  <x ${USER}><item affiliation='owner' role='moderator'/><status code='110'/><status code='201'/></x></presence>`;
// §7.14 exit of another occupant.
const EXIT_FIRSTWITCH = `<presence xmlns='jabber:client' from='coven@chat.shakespeare.lit/firstwitch' to='hag66@shakespeare.lit/pda' type='unavailable'>
  <x ${USER}><item affiliation='owner' role='none'/></x></presence>`;
// §7.14 our own exit (110).
const EXIT_SELF = `<presence xmlns='jabber:client' from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda' type='unavailable'>
  <x ${USER}><item affiliation='member' role='none'/><status code='110'/></x></presence>`;
// §7.6 nick change: unavailable with 303 and the new nick, then available under it.
const NICK_CHANGE_SELF = `<presence xmlns='jabber:client' from='coven@chat.shakespeare.lit/thirdwitch' id='5E912D4D' to='hag66@shakespeare.lit/pda' type='unavailable'>
  <x ${USER}><item affiliation='member' jid='hag66@shakespeare.lit/pda' nick='oldhag' role='participant'/><status code='303'/><status code='110'/></x></presence>`;
const NICK_AVAILABLE_SELF = `<presence xmlns='jabber:client' from='coven@chat.shakespeare.lit/oldhag' to='hag66@shakespeare.lit/pda'>
  <x ${USER}><item affiliation='member' jid='hag66@shakespeare.lit/pda' role='participant'/><status code='110'/></x></presence>`;
const NICK_CHANGE_OTHER = `<presence xmlns='jabber:client' from='coven@chat.shakespeare.lit/firstwitch' to='hag66@shakespeare.lit/pda' type='unavailable'>
  <x ${USER}><item affiliation='owner' nick='hecate' role='moderator'/><status code='303'/></x></presence>`;
// §9.6 kicked (307) and §9.1 banned (301), as the affected occupant sees it.
const KICKED = `<presence xmlns='jabber:client' from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda' type='unavailable'>
  <x ${USER}><item affiliation='none' role='none'/><status code='307'/><status code='110'/></x></presence>`;
const BANNED = `<presence xmlns='jabber:client' from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda' type='unavailable'>
  <x ${USER}><item affiliation='outcast' role='none'/><status code='301'/><status code='110'/></x></presence>`;

const joined = (s: RoomsState, ...xml: string[]) => xml.reduce((acc, x) => occupantPresence(acc, presence(x)), s);
const start = () => joining(NO_ROOMS, ROOM, 'thirdwitch');

describe('rooms: XEP-0045 presence into room state', () => {
  it('reads the muc#user item and status codes of Example 24', () => {
    assert.deepEqual(presence(EX24), {
      from: 'coven@chat.shakespeare.lit/thirdwitch', role: 'participant', affiliation: 'member', statusCodes: ['110'],
    });
  });

  it('joining opens the room, clears an invitation to it and keeps its log unless it was left', () => {
    let s: RoomsState = { ...NO_ROOMS, invites: [{ room: ROOM, from: 'crone1@shakespeare.lit' }, { room: 'x@y', from: 'z@y' }] };
    s = joining(s, ROOM, 'thirdwitch');
    assert.equal(s.open, ROOM);
    assert.equal(s.rooms[ROOM]?.phase, 'joining');
    assert.deepEqual(s.invites.map((i) => i.room), ['x@y']);
    s = roomMessage(s, ROOM, { id: '1', nick: 'a', body: 'hi', at: 1 });
    assert.equal(joining(s, ROOM, 'thirdwitch').rooms[ROOM]?.messages.length, 1, 'rejoin after a failure keeps the log');
    s = occupantPresence(joined(s, EX24), presence(EXIT_SELF));
    assert.equal(s.rooms[ROOM]?.phase, 'left');
    assert.equal(joining(s, ROOM, 'thirdwitch').rooms[ROOM]?.messages.length, 0, 'rejoin after leaving starts afresh');
  });

  const cases: { name: string; stanzas: string[]; phase: string; nick: string; occupants: Record<string, [string?, string?]>; error?: RegExp }[] = [
    { name: 'Example 22 (another occupant) adds them, still joining', stanzas: [EX22], phase: 'joining', nick: 'thirdwitch',
      occupants: { firstwitch: ['moderator', 'owner'] } },
    { name: 'Example 23 without 110 is not taken for our self-presence', stanzas: [EX23], phase: 'joining', nick: 'thirdwitch',
      occupants: { thirdwitch: ['participant', 'member'] } },
    { name: 'Examples 22 then 24: joined, with both occupants', stanzas: [EX22, EX24], phase: 'joined', nick: 'thirdwitch',
      occupants: { firstwitch: ['moderator', 'owner'], thirdwitch: ['participant', 'member'] } },
    { name: 'a created room (110, 201) is joined as its owner', stanzas: [EX_CREATED], phase: 'joined', nick: 'thirdwitch',
      occupants: { thirdwitch: ['moderator', 'owner'] } },
    { name: 'another occupant leaving is removed', stanzas: [EX22, EX24, EXIT_FIRSTWITCH], phase: 'joined', nick: 'thirdwitch',
      occupants: { thirdwitch: ['participant', 'member'] } },
    { name: 'our own exit (110) leaves the room and empties it', stanzas: [EX22, EX24, EXIT_SELF], phase: 'left', nick: 'thirdwitch',
      occupants: {} },
    { name: 'our nick change (303 + 110) renames us and keeps us joined', stanzas: [EX22, EX24, NICK_CHANGE_SELF, NICK_AVAILABLE_SELF],
      phase: 'joined', nick: 'oldhag', occupants: { firstwitch: ['moderator', 'owner'], oldhag: ['participant', 'member'] } },
    { name: 'our 303 alone already renames us (the new self-presence may come later)', stanzas: [EX22, EX24, NICK_CHANGE_SELF],
      phase: 'joined', nick: 'oldhag', occupants: { firstwitch: ['moderator', 'owner'] } },
    { name: 'another occupant\'s nick change (303) drops the old nick and keeps our own', stanzas: [EX22, EX24, NICK_CHANGE_OTHER],
      phase: 'joined', nick: 'thirdwitch', occupants: { thirdwitch: ['participant', 'member'] } },
    { name: 'being kicked (307) says so', stanzas: [EX24, KICKED], phase: 'left', nick: 'thirdwitch', occupants: {}, error: /removed/ },
    { name: 'being banned (301) says so', stanzas: [EX24, BANNED], phase: 'left', nick: 'thirdwitch', occupants: {}, error: /banned/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = joined(start(), ...c.stanzas).rooms[ROOM]!;
      assert.equal(r.phase, c.phase);
      assert.equal(r.nick, c.nick);
      assert.deepEqual(Object.fromEntries(Object.entries(r.occupants).map(([n, o]) => [n, [o.role, o.affiliation]])), c.occupants);
      if (c.error) assert.match(r.error ?? '', c.error);
      else assert.equal(r.error, undefined);
    });
  }

  it('takes show and status from the presence, and ignores an unknown show', () => {
    const s = joined(start(), `<presence xmlns='jabber:client' from='coven@chat.shakespeare.lit/secondwitch'><show>dnd</show><status>brewing</status><x ${USER}><item affiliation='admin' role='moderator'/></x></presence>`);
    assert.deepEqual(s.rooms[ROOM]?.occupants.secondwitch, { nick: 'secondwitch', show: 'dnd', status: 'brewing', role: 'moderator', affiliation: 'admin' });
    const plain = occupantPresence(start(), { from: `${ROOM}/x`, show: 'bogus' });
    assert.equal(plain.rooms[ROOM]?.occupants.x?.show, 'available');
  });

  it('ignores presences of rooms we are not in and of the bare room JID', () => {
    const s = start();
    assert.equal(occupantPresence(s, presence(EX24.replace(/coven@/g, 'other@'))), s);
    assert.equal(occupantPresence(s, { from: ROOM }), s);
  });
});

describe('rooms: join errors (XEP-0045 §7.2.6–§7.2.11)', () => {
  const errorPresence = (type: string, condition: string, text = '') => parse<MucPresence & { error?: { condition?: string; text?: string } }>(
    `<presence xmlns='jabber:client' from='coven@chat.shakespeare.lit/thirdwitch' id='n13mt3l' to='hag66@shakespeare.lit/pda' type='error'>
      <x xmlns='http://jabber.org/protocol/muc'/>
      <error by='coven@chat.shakespeare.lit' type='${type}'><${condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>${text}</error></presence>`);
  const table: [string, string, RegExp][] = [
    ['cancel', 'conflict', /nickname is taken/], // §7.2.9
    ['auth', 'registration-required', /members only/], // §7.2.7
    ['auth', 'not-authorized', /password/], // §7.2.6
    ['auth', 'forbidden', /banned/], // §7.2.8
    ['wait', 'service-unavailable', /full/], // §7.2.10
    ['cancel', 'item-not-found', /does not exist/], // §7.2.11
    ['cancel', 'not-allowed', /cannot be created/], // creation refused
  ];
  for (const [type, condition, words] of table) {
    it(`${condition} fails the join with words for it`, () => {
      const e = errorPresence(type, condition).error;
      assert.equal(e?.condition, condition);
      const r = joinFailed(start(), ROOM, e?.condition, e?.text).rooms[ROOM]!;
      assert.equal(r.phase, 'failed');
      assert.match(r.error ?? '', words);
    });
  }
  it('an unknown condition falls back to the error text, then to the condition', () => {
    const e = errorPresence('cancel', 'undefined-condition', `<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Closed for the night</text>`).error;
    assert.equal(joinFailed(start(), ROOM, e?.condition, e?.text).rooms[ROOM]?.error, 'Closed for the night');
    assert.match(joinFailed(start(), ROOM, 'policy-violation').rooms[ROOM]?.error ?? '', /policy-violation/);
  });
  it('an error for a room we are not joining changes nothing', () => {
    assert.equal(joinFailed(NO_ROOMS, ROOM, 'conflict'), NO_ROOMS);
  });
});

describe('rooms: groupchat and history (XEP-0045 §7.2.15, XEP-0203)', () => {
  // §7.2.15: discussion history with a delay stamp.
  const history = (id: string, from: string, body: string, stamp: string) => parse<ReceivedMessage>(
    `<message xmlns='jabber:client' from='coven@chat.shakespeare.lit/${from}' id='${id}' to='hecate@shakespeare.lit/broom' type='groupchat'>
      <body>${body}</body><delay xmlns='urn:xmpp:delay' from='coven@chat.shakespeare.lit' stamp='${stamp}'/></message>`);
  const live = (id: string | undefined, from: string, body: string) => parse<ReceivedMessage>(
    `<message xmlns='jabber:client' from='coven@chat.shakespeare.lit/${from}'${id ? ` id='${id}'` : ''} type='groupchat'><body>${body}</body></message>`);
  const add = (s: RoomsState, msg: ReceivedMessage, now = 5e12) => {
    const m = groupchatIn(msg, s.rooms[ROOM]?.nick, now);
    return m ? roomMessage(s, m.room, m.message) : s;
  };

  it('a delayed message is history at its stamp; a live one is at the time it came, ours marked as ours', () => {
    const h = groupchatIn(history('162BEBB1', 'firstwitch', 'Thrice the brinded cat hath mew\'d.', '2002-10-13T23:58:37Z'), 'thirdwitch', 42);
    assert.deepEqual(h, { room: ROOM, message: { id: '162BEBB1', nick: 'firstwitch', body: 'Thrice the brinded cat hath mew\'d.', at: Date.UTC(2002, 9, 13, 23, 58, 37), history: true } });
    assert.deepEqual(groupchatIn(live('m1', 'thirdwitch', 'Hail'), 'thirdwitch', 42)?.message, { id: 'm1', nick: 'thirdwitch', body: 'Hail', at: 42, self: true });
    assert.equal(groupchatIn(live(undefined, 'firstwitch', 'x'), 'thirdwitch', 42)?.message.id, 'firstwitch-42');
  });

  it('a message without a body (a subject change, a chat state) is not a message', () => {
    assert.equal(groupchatIn(parse<ReceivedMessage>(`<message xmlns='jabber:client' from='coven@chat.shakespeare.lit/firstwitch' type='groupchat'><subject>Fire Burn</subject></message>`), 'x', 1), undefined);
  });

  it('history arriving out of order is sorted; repeats and our own echo are kept once', () => {
    let s = joined(start(), EX24);
    s = add(s, history('b', 'secondwitch', 'Thrice and once the hedge-pig whined.', '2002-10-13T23:58:43Z'));
    s = add(s, history('a', 'firstwitch', 'Thrice the brinded cat hath mew\'d.', '2002-10-13T23:58:37Z'));
    s = add(s, history('a', 'firstwitch', 'Thrice the brinded cat hath mew\'d.', '2002-10-13T23:58:37Z'));
    s = roomMessage(s, ROOM, { id: 'mine', nick: 'thirdwitch', body: 'Harpier cries', at: 6e12, self: true });
    s = add(s, live('mine', 'thirdwitch', 'Harpier cries'));
    s = add(s, live('mine', 'firstwitch', 'same id, another sender'));
    assert.deepEqual(s.rooms[ROOM]?.messages.map((m) => [m.id, m.nick, !!m.history]), [
      ['a', 'firstwitch', true], ['b', 'secondwitch', true], ['mine', 'thirdwitch', false], ['mine', 'firstwitch', false],
    ]);
  });

  // A file shared in a room as Conversations sends it: the download URL of XEP-0363's slot example
  // as the whole body, and as XEP-0066 out-of-band data (jabber:x:oob).
  const URL_ = 'https://download.montague.tld/4a771ac1-f0b2-4a4a-9700-f2a26fa2bb67/tr%C3%A8s%20cool.jpg';
  const shared = (from: string, id: string, body = URL_) => parse<ReceivedMessage>(
    `<message xmlns='jabber:client' from='coven@chat.shakespeare.lit/${from}' id='${id}' type='groupchat'>
      <body>${body}</body><x xmlns='jabber:x:oob'><url>${URL_}</url></x></message>`);

  it('a link that is the whole body and out-of-band data is a shared file, named after its last path segment', () => {
    const m = groupchatIn(shared('firstwitch', 'f1'), 'thirdwitch', 42)?.message;
    assert.deepEqual(m?.file, { url: URL_, name: 'très cool.jpg' });
    assert.equal(m?.body, URL_, 'the body stays the link (what clients without files show)');
    assert.equal(groupchatIn(shared('firstwitch', 'f2', `look: ${URL_}`), 'thirdwitch', 42)?.message.file, undefined, 'a link inside text is text');
    assert.equal(groupchatIn(live('f3', 'firstwitch', URL_), 'thirdwitch', 42)?.message.file, undefined, 'a bare link without out-of-band data is text');
  });

  it('our last file is not offered for correction, and a corrected file message becomes text', () => {
    let s = joined(start(), EX24);
    s = add(s, live('t1', 'thirdwitch', 'Harpier cries'));
    s = add(s, shared('thirdwitch', 'f1'));
    assert.equal(lastOwnRoomMessage(s.rooms[ROOM])?.id, 't1', 'the text before the file');
    s = add(s, shared('firstwitch', 'f9'));
    s = correctRoomMessage(s, ROOM, { replaces: 'f9', nick: 'firstwitch', body: 'wrong picture' })!;
    const m = s.rooms[ROOM]?.messages.find((x) => x.id === 'f9');
    assert.deepEqual([m?.body, m?.file, m?.edited], ['wrong picture', undefined, true]);
  });

  it('keeps the subject, and leaving forgets the room and closes it', () => {
    let s = subject(joined(start(), EX24), ROOM, 'Fire Burn and Cauldron Bubble!');
    assert.equal(s.rooms[ROOM]?.subject, 'Fire Burn and Cauldron Bubble!');
    s = left(s, ROOM);
    assert.equal(s.rooms[ROOM], undefined);
    assert.equal(s.open, undefined);
  });
});

describe('rooms: typed room addresses', () => {
  const table: [string, string | undefined][] = [
    ['coven', 'coven@call.example.org'],
    ['  Coven@Chat.Shakespeare.lit ', 'coven@chat.shakespeare.lit'],
    ['xmpp:coven@chat.shakespeare.lit?join', 'coven@chat.shakespeare.lit'],
    ['coven@chat.shakespeare.lit/thirdwitch', undefined],
    ['two words', undefined],
    ['@chat.shakespeare.lit', undefined],
    ['', undefined],
  ];
  for (const [input, want] of table) {
    it(`${JSON.stringify(input)} → ${want ?? 'rejected'}`, () => assert.equal(roomAddress(input, 'call.example.org'), want));
  }
});
