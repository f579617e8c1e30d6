// Invitations to rooms and their calls: XEP-0249 direct invitations (through StanzaJS's MUC
// plugin, as the client receives them) and XEP-0482 call invites, into the rooms state.
import { strict as assert } from 'node:assert';
import { createClient, JXT } from 'stanza';
import type { ReceivedMessage } from 'stanza/protocol/index.js';
import { NO_ROOMS, dismissInvite, invited, joining, type PendingInvite, type RoomsState } from '../../client/src/rooms/room-state.js';
import { callInviteIn, inviteIn, type MucInviteEvent } from '../../client/src/rooms/room-stanzas.js';
import { CallInviteProtocol, NS_CALL_INVITES } from '../../client/src/protocol/xep0482-call-invites.js';

const client = createClient({});
client.stanzas.define(CallInviteProtocol);
const parse = (xml: string) => client.stanzas.import(JXT.parse(xml)) as ReceivedMessage;
const exportXml = (msg: Partial<ReceivedMessage>) => client.stanzas.export('message', msg)!.toString();

/** What StanzaJS's MUC plugin emits as `muc:invite` for a received message, if anything. */
function mucInvite(xml: string): MucInviteEvent | undefined {
  let got: MucInviteEvent | undefined;
  const on = (e: MucInviteEvent) => { got = e; };
  client.on('muc:invite', on);
  client.emit('message', parse(xml));
  client.off('muc:invite', on);
  return got;
}

// XEP-0249 Example 1.
const XEP0249_EX1 = `<message xmlns='jabber:client' from='crone1@shakespeare.lit/desktop' to='hecate@shakespeare.lit'>
  <x xmlns='jabber:x:conference' jid='darkcave@macbeth.shakespeare.lit' password='cauldronburn' reason='Hey Hecate, this is the place for all good witches!'/>
</message>`;
// XEP-0045 §7.8.2: a mediated invitation, as the room forwards it.
const MEDIATED = `<message xmlns='jabber:client' from='coven@chat.shakespeare.lit' id='nzd143v8' to='hecate@shakespeare.lit'>
  <x xmlns='http://jabber.org/protocol/muc#user'><invite from='crone1@shakespeare.lit/desktop'><reason>Hey Hecate, this is the place for all good witches!</reason></invite>
  <password>cauldronburn</password></x></message>`;
// XEP-0482 §3: an invite naming the Jingle endpoint (here a room's call, docs/calls.md), sent with a XEP-0249 invitation.
const CALL_INVITE_DIRECT = `<message xmlns='jabber:client' from='alice@localhost/web' to='carol@other.example' type='chat'>
  <x xmlns='jabber:x:conference' jid='standup@call.localhost'/>
  <invite xmlns='urn:xmpp:call-invites:0' audio='true' video='true' id='inv1'><jingle jid='standup@call.localhost'/></invite></message>`;
// docs/calls.md: the room relays a mediated invitation with XEP-0249 and XEP-0482 in one message.
const CALL_INVITE_FROM_ROOM = `<message xmlns='jabber:client' from='standup@call.localhost' to='carol@other.example'>
  <x xmlns='http://jabber.org/protocol/muc#user'><invite from='alice@localhost'><reason>Join the stand-up</reason></invite></x>
  <x xmlns='jabber:x:conference' jid='standup@call.localhost' reason='Join the stand-up'/>
  <invite xmlns='urn:xmpp:call-invites:0' audio='true' video='true' id='inv1'><jingle jid='standup@call.localhost'/></invite></message>`;

describe('rooms: XEP-0249 and XEP-0045 invitations', () => {
  const table: { name: string; xml: string; want: PendingInvite }[] = [
    { name: 'XEP-0249 Example 1 (direct)', xml: XEP0249_EX1,
      want: { room: 'darkcave@macbeth.shakespeare.lit', from: 'crone1@shakespeare.lit', reason: 'Hey Hecate, this is the place for all good witches!' } },
    { name: 'XEP-0045 §7.8.2 (mediated by the room)', xml: MEDIATED,
      want: { room: 'coven@chat.shakespeare.lit', from: 'crone1@shakespeare.lit', reason: 'Hey Hecate, this is the place for all good witches!' } },
    { name: 'a call invite relayed by the room names the inviter, not the room', xml: CALL_INVITE_FROM_ROOM,
      want: { room: 'standup@call.localhost', from: 'alice@localhost', reason: 'Join the stand-up' } },
  ];
  for (const c of table) {
    it(c.name, () => {
      const e = mucInvite(c.xml);
      assert.ok(e, 'the MUC plugin saw an invitation');
      assert.deepEqual(inviteIn(e), c.want);
    });
  }

  it('a plain chat message is no invitation', () => {
    assert.equal(mucInvite(`<message xmlns='jabber:client' from='crone1@shakespeare.lit/desktop' type='chat'><body>hi</body></message>`), undefined);
  });
});

describe('rooms: XEP-0482 call invites', () => {
  it('parses the invite with its Jingle endpoint and flags', () => {
    const msg = parse(CALL_INVITE_DIRECT);
    assert.deepEqual(msg.callInvite, { id: 'inv1', audio: true, video: true, jingle: 'standup@call.localhost' });
    assert.equal(parse(CALL_INVITE_DIRECT.replace("video='true'", "video='false'")).callInvite?.video, false);
    assert.equal(parse(CALL_INVITE_DIRECT.replace(" audio='true'", '')).callInvite?.audio, undefined);
  });

  it('writes the flags as `true`/`false` as the XEP does, under its namespace', () => {
    const xml = exportXml({ to: 'carol@other.example', callInvite: { id: 'inv1', audio: true, video: false, jingle: 'standup@call.localhost' } });
    const el = JXT.parse(xml).getChild('invite', NS_CALL_INVITES);
    assert.ok(el, xml);
    assert.deepEqual([el.getAttribute('audio'), el.getAttribute('video'), el.getAttribute('id'), el.getChild('jingle')?.getAttribute('jid')],
      ['true', 'false', 'inv1', 'standup@call.localhost']);
    assert.deepEqual(parse(xml).callInvite, { id: 'inv1', audio: true, video: false, jingle: 'standup@call.localhost' });
  });

  const table: { name: string; xml: string; want: PendingInvite | undefined }[] = [
    { name: 'sent directly: the sender invites', xml: CALL_INVITE_DIRECT,
      want: { room: 'standup@call.localhost', from: 'alice@localhost', call: true } },
    { name: 'relayed by the room: the muc#user inviter invites', xml: CALL_INVITE_FROM_ROOM,
      want: { room: 'standup@call.localhost', from: 'alice@localhost', call: true } },
    { name: 'a call invite in the room\'s own groupchat is not an invitation to us', xml: CALL_INVITE_DIRECT.replace("type='chat'", "type='groupchat'"), want: undefined },
    { name: 'an error bounce is not an invitation', xml: CALL_INVITE_DIRECT.replace("type='chat'", "type='error'"), want: undefined },
    { name: 'an invite without a Jingle endpoint (external only) is not a room call', xml: CALL_INVITE_DIRECT.replace("<jingle jid='standup@call.localhost'/>", "<external uri='https://meet.example/x'/>"), want: undefined },
    { name: 'a room JID in another case is the same room', xml: CALL_INVITE_DIRECT.replace("<jingle jid='standup@call.localhost'/>", "<jingle jid='StandUp@Call.Localhost'/>"),
      want: { room: 'standup@call.localhost', from: 'alice@localhost', call: true } },
  ];
  for (const c of table) it(c.name, () => assert.deepEqual(callInviteIn(parse(c.xml)), c.want));
});

describe('rooms: pending invitations', () => {
  const ROOM = 'standup@call.localhost';
  it('the XEP-0249 and XEP-0482 halves of one message make one invitation to the call, in either order', () => {
    const direct = inviteIn(mucInvite(CALL_INVITE_FROM_ROOM)!);
    const call = callInviteIn(parse(CALL_INVITE_FROM_ROOM))!;
    for (const [a, b] of [[direct, call], [call, direct]] as const) {
      const s = invited(invited(NO_ROOMS, a), b);
      assert.deepEqual(s.invites, [{ room: ROOM, from: 'alice@localhost', reason: 'Join the stand-up', call: true }]);
    }
  });
  it('a later plain invitation does not lose the call, and invitations to other rooms stay', () => {
    let s: RoomsState = invited(NO_ROOMS, { room: ROOM, from: 'alice@localhost', call: true });
    s = invited(s, { room: 'coven@chat.shakespeare.lit', from: 'crone1@shakespeare.lit' });
    s = invited(s, { room: ROOM, from: 'bob@localhost' });
    assert.deepEqual(s.invites, [
      { room: 'coven@chat.shakespeare.lit', from: 'crone1@shakespeare.lit', call: false },
      { room: ROOM, from: 'bob@localhost', call: true },
    ]);
  });
  it('dismissing or joining removes only that invitation', () => {
    let s: RoomsState = invited(invited(NO_ROOMS, { room: ROOM, from: 'a@x' }), { room: 'b@y', from: 'c@x' });
    assert.deepEqual(dismissInvite(s, ROOM).invites.map((i) => i.room), ['b@y']);
    s = joining(s, 'b@y', 'me');
    assert.deepEqual(s.invites.map((i) => i.room), [ROOM]);
  });
});
