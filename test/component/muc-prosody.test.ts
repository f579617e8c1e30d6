// XEP-0045 rooms of the call component attached to Prosody (Debian) over XEP-0114, driven by
// independent @xmpp/client users. Transcript style: "alice sends ..., bob receives ...".
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Element } from 'ltx';
import { startCallComponent } from '../../component/index.js';
import { startProsody, type Prosody } from '../support/prosody.js';
import { freePortRange } from '../support/ports.js';

const CALL = { domain: 'call.localhost', secret: 'secret' };
import { User, mucPresence, statusCodes, xml } from './helpers/user.js';

const MUC = 'http://jabber.org/protocol/muc';
const MUC_USER = 'http://jabber.org/protocol/muc#user';
const MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
const MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

const errorCondition = (el: Element): string | undefined =>
  el.getChild('error')?.getChildElements().find((c) => c.attrs.xmlns === STANZAS)?.name;
const item = (el: Element): Record<string, string> => el.getChild('x', MUC_USER)?.getChild('item')?.attrs ?? {};

describe('rooms (XEP-0045) on Prosody', function () {
  this.timeout(30000);
  let prosody: Prosody;
  let dataDir: string;
  let component: { stop(): Promise<void> };
  const users: Record<string, User> = {};
  let call: string;
  let room: string;

  let media: { portMin: number; portMax: number };
  const start = () => startCallComponent({
    service: `xmpp://127.0.0.1:${prosody.componentPort}`, domain: CALL.domain, secret: CALL.secret,
    dataDir, maxParticipants: 10, media,
  });

  before(async () => {
    prosody = await startProsody({ component: CALL });
    media = await freePortRange(100);
    for (const u of ['alice', 'bob', 'carol', 'dave']) prosody.register(u, 'pw');
    dataDir = mkdtempSync(join(tmpdir(), 'carillon-rooms-'));
    component = await start();
    call = CALL.domain;
    room = `lobby@${call}`;
    for (const u of ['alice', 'bob', 'carol', 'dave']) users[u] = await User.connect(prosody.c2sPort, prosody.domain, u, 'pw');
  });
  after(async () => {
    for (const u of Object.values(users)) await u.stop();
    await component?.stop();
    await prosody?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const enter = async (u: User, nick: string, extra: Element[] = [], mucX: Element = xml('x', { xmlns: MUC })): Promise<Element> => {
    const self = u.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/${nick}`
      && (statusCodes(el).includes('110') || el.attrs.type === 'error'), 5000, `self-presence ${nick}`);
    await u.send(xml('presence', { to: `${room}/${nick}` }, mucX, ...extra));
    return self;
  };

  it('answers disco#info, disco#items and ping on the service, service-unavailable otherwise', async () => {
    const a = users.alice;
    const info = await a.iq('get', call, xml('query', { xmlns: DISCO_INFO }));
    assert.equal(info.attrs.type, 'result');
    const q = info.getChild('query', DISCO_INFO)!;
    assert.equal(q.getChild('identity')!.attrs.category, 'conference');
    const features = q.getChildren('feature').map((f) => f.attrs.var);
    for (const f of [MUC, DISCO_INFO, 'urn:xmpp:ping', 'urn:xmpp:jingle:1', 'urn:xmpp:jingle:apps:rtp:1']) assert.ok(features.includes(f), f);
    assert.equal((await a.iq('get', call, xml('ping', { xmlns: 'urn:xmpp:ping' }))).attrs.type, 'result');
    const unknown = await a.iq('get', call, xml('query', { xmlns: 'jabber:iq:version' }));
    assert.equal(errorCondition(unknown), 'service-unavailable');
  });

  it('creates a room on first join: the creator is the owner, with 110 and 201, then an empty subject', async () => {
    const muji = xml('muji', { xmlns: 'urn:xmpp:jingle:muji:0' }, xml('preparing'));
    const self = await enter(users.alice, 'Alice', [muji]);
    assert.deepEqual(statusCodes(self).sort(), ['110', '201']);
    assert.equal(item(self).affiliation, 'owner');
    assert.equal(item(self).role, 'moderator');
    assert.ok(self.getChild('muji', 'urn:xmpp:jingle:muji:0')?.getChild('preparing'), 'XEP-0272 element carried untouched');
    const subject = await users.alice.waitFor((el) => el.name === 'message' && !!el.getChild('subject'));
    assert.equal(subject.getChildText('subject'), '');
  });

  it('a second occupant gets the occupant list first, and the others see the newcomer', async () => {
    const bobSeesAlice = users.bob.waitFor((el) => mucPresence(el, `${room}/Alice`));
    const aliceSeesBob = users.alice.waitFor((el) => mucPresence(el, `${room}/Bob`));
    const self = await enter(users.bob, 'Bob', [xml('status', {}, 'here')]);
    assert.deepEqual(statusCodes(self), ['110']);
    assert.equal(item(self).affiliation, 'none');
    assert.equal(item(self).role, 'participant');
    const a = await bobSeesAlice;
    assert.equal(item(a).affiliation, 'owner');
    assert.equal(item(a).jid, undefined, 'semi-anonymous: participants do not see real JIDs');
    assert.ok(a.getChild('muji', 'urn:xmpp:jingle:muji:0'), 'extensions re-broadcast');
    const b = await aliceSeesBob;
    assert.equal(b.getChildText('status'), 'here');
    assert.equal(item(b).jid, users.bob.jid, 'moderators see real JIDs');
  });

  it('refuses a nickname in use with conflict', async () => {
    const err = await enter(users.carol, 'Bob');
    assert.equal(err.attrs.type, 'error');
    assert.equal(errorCondition(err), 'conflict');
  });

  it('groupchat is broadcast with a stanza-id, and later joiners get it as history', async () => {
    const gotBob = users.bob.waitFor((el) => el.name === 'message' && el.getChildText('body') === 'hello room');
    const gotAlice = users.alice.waitFor((el) => el.name === 'message' && el.getChildText('body') === 'hello room');
    await users.alice.send(xml('message', { to: room, type: 'groupchat', id: 'm1' }, xml('body', {}, 'hello room')));
    const [m, echo] = await Promise.all([gotBob, gotAlice]);
    assert.equal(m.attrs.from, `${room}/Alice`);
    const sid = m.getChild('stanza-id', 'urn:xmpp:sid:0')!;
    assert.equal(sid.attrs.by, room);
    assert.equal(echo.getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.id, sid.attrs.id);
    assert.equal(echo.attrs.id, 'm1', 'the sender recognises its echo by id');

    const hist = users.carol.waitFor((el) => el.name === 'message' && el.getChildText('body') === 'hello room');
    await enter(users.carol, 'Carol');
    const h = await hist;
    assert.ok(h.getChild('delay', 'urn:xmpp:delay'), 'history carries a delay');
    assert.equal(h.getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.id, sid.attrs.id);
  });

  it('only moderators change the subject by default', async () => {
    const denied = users.bob.waitFor((el) => el.name === 'message' && el.attrs.type === 'error');
    await users.bob.send(xml('message', { to: room, type: 'groupchat' }, xml('subject', {}, 'mine')));
    assert.equal(errorCondition(await denied), 'forbidden');
    const seen = users.bob.waitFor((el) => el.name === 'message' && el.getChildText('subject') === 'Weekly call');
    await users.alice.send(xml('message', { to: room, type: 'groupchat' }, xml('subject', {}, 'Weekly call')));
    assert.equal((await seen).attrs.from, `${room}/Alice`);
  });

  it('private messages go through the room to the occupant', async () => {
    const got = users.alice.waitFor((el) => el.name === 'message' && el.getChildText('body') === 'psst');
    await users.bob.send(xml('message', { to: `${room}/Alice`, type: 'chat' }, xml('body', {}, 'psst')));
    const m = await got;
    assert.equal(m.attrs.from, `${room}/Bob`);
    assert.ok(m.getChild('x', MUC_USER));
    const err = users.bob.waitFor((el) => el.name === 'message' && el.attrs.type === 'error');
    await users.bob.send(xml('message', { to: `${room}/Nobody`, type: 'chat' }, xml('body', {}, 'x')));
    assert.equal(errorCondition(await err), 'item-not-found');
  });

  it('nickname change: unavailable with 303 and the new nick, then available', async () => {
    const gone = users.alice.waitFor((el) => mucPresence(el, `${room}/Bob`) && el.attrs.type === 'unavailable');
    const back = users.alice.waitFor((el) => mucPresence(el, `${room}/Robert`) && !el.attrs.type);
    await users.bob.send(xml('presence', { to: `${room}/Robert` }));
    const g = await gone;
    assert.deepEqual(statusCodes(g), ['303']);
    assert.equal(item(g).nick, 'Robert');
    await back;
  });

  it('XEP-0410 self-ping and room disco#info', async () => {
    assert.equal((await users.bob.iq('get', `${room}/Robert`, xml('ping', { xmlns: 'urn:xmpp:ping' }))).attrs.type, 'result');
    const notJoined = await users.dave.iq('get', `${room}/Dave`, xml('ping', { xmlns: 'urn:xmpp:ping' }));
    assert.equal(errorCondition(notJoined), 'not-acceptable');
    const info = await users.dave.iq('get', room, xml('query', { xmlns: DISCO_INFO }));
    const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    assert.ok(features.includes(MUC) && features.includes('muc_temporary') && features.includes('muc_open'));
  });

  it('relays IQs between occupants under their occupant JIDs, and the reply back', async () => {
    // Alice's client answers version queries (XEP-0092), so the relayed reply has content to check.
    users.alice.xmpp.iqCallee.get('jabber:iq:version', 'query', () => xml('query', { xmlns: 'jabber:iq:version' }, xml('name', {}, 'Alice\'s client'), xml('version', {}, '1.0')));
    const seen = users.alice.waitFor((el) => el.name === 'iq' && el.attrs.from === `${room}/Robert` && !!el.getChild('query', 'jabber:iq:version'));
    const reply = await users.bob.iq('get', `${room}/Alice`, xml('query', { xmlns: 'jabber:iq:version' }));
    const relayed = await seen;
    assert.equal(relayed.attrs.to, users.alice.jid);
    assert.equal(reply.attrs.from, `${room}/Alice`, 'the answer comes from the occupant JID, not the real JID');
    assert.equal(reply.attrs.type, 'result', reply.toString());
    assert.equal(reply.getChild('query', 'jabber:iq:version')?.getChildText('name'), 'Alice\'s client', 'Alice\'s own answer, relayed');
    const none = await users.bob.iq('get', `${room}/Nobody`, xml('query', { xmlns: 'jabber:iq:version' }));
    assert.equal(errorCondition(none), 'item-not-found');
  });

  it('the owner configures the room with a XEP-0004 form: persistent, members-only, max users', async () => {
    const form = await users.alice.iq('get', room, xml('query', { xmlns: MUC_OWNER }));
    const fields = form.getChild('query')!.getChild('x', 'jabber:x:data')!.getChildren('field').map((f) => f.attrs.var);
    for (const f of ['muc#roomconfig_persistentroom', 'muc#roomconfig_membersonly', 'muc#roomconfig_roomsecret', 'muc#roomconfig_maxusers']) assert.ok(fields.includes(f), f);
    const denied = await users.bob.iq('get', room, xml('query', { xmlns: MUC_OWNER }));
    assert.equal(errorCondition(denied), 'forbidden');
    const field = (v: string, value: string) => xml('field', { var: v }, xml('value', {}, value));
    for (const jid of ['bob@localhost', 'carol@localhost']) {
      await users.alice.iq('set', room, xml('query', { xmlns: MUC_ADMIN }, xml('item', { jid, affiliation: 'member' })));
    }
    const notice = users.bob.waitFor((el) => el.name === 'message' && statusCodes(el).includes('104'));
    const res = await users.alice.iq('set', room, xml('query', { xmlns: MUC_OWNER }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      field('FORM_TYPE', 'http://jabber.org/protocol/muc#roomconfig'), field('muc#roomconfig_persistentroom', '1'),
      field('muc#roomconfig_membersonly', '1'), field('muc#roomconfig_maxusers', '5'), field('muc#roomconfig_roomname', 'Lobby'))));
    assert.equal(res.attrs.type, 'result');
    await notice;
    const err = await enter(users.dave, 'Dave');
    assert.equal(errorCondition(err), 'registration-required');
    const grant = await users.alice.iq('set', room, xml('query', { xmlns: MUC_ADMIN }, xml('item', { jid: 'dave@localhost', affiliation: 'member' })));
    assert.equal(grant.attrs.type, 'result');
    const ok = await enter(users.dave, 'Dave');
    assert.equal(item(ok).affiliation, 'member');
    const members = await users.alice.iq('get', room, xml('query', { xmlns: MUC_ADMIN }, xml('item', { affiliation: 'member' })));
    assert.deepEqual(members.getChild('query')!.getChildren('item').map((i) => i.attrs.jid).sort(), ['bob@localhost', 'carol@localhost', 'dave@localhost']);
  });

  it('a room at its max users refuses one more occupant with service-unavailable', async () => {
    const field = (v: string, value: string) => xml('field', { var: v }, xml('value', {}, value));
    const setMax = (n: string) => users.alice.iq('set', room, xml('query', { xmlns: MUC_OWNER }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      field('FORM_TYPE', 'http://jabber.org/protocol/muc#roomconfig'), field('muc#roomconfig_maxusers', n))));
    assert.equal((await setMax('2')).attrs.type, 'result');
    // Alice, Robert, Carol and Dave are in: a member at the limit is refused (owners and admins are not).
    await users.dave.send(xml('presence', { to: `${room}/Dave`, type: 'unavailable' }));
    await users.dave.waitFor((el) => mucPresence(el, `${room}/Dave`) && el.attrs.type === 'unavailable');
    const full = await enter(users.dave, 'Dave');
    assert.equal(errorCondition(full), 'service-unavailable');
    assert.equal(full.getChild('error')!.attrs.type, 'wait');
    assert.equal((await setMax('0')).attrs.type, 'result');
    const ok = await enter(users.dave, 'Dave');
    assert.equal(ok.attrs.type, undefined);
  });

  it('kick (307) and ban (301); a participant may not kick', async () => {
    const refused = await users.bob.iq('set', room, xml('query', { xmlns: MUC_ADMIN }, xml('item', { nick: 'Alice', role: 'none' })));
    assert.equal(errorCondition(refused), 'forbidden');
    const kicked = users.bob.waitFor((el) => mucPresence(el, `${room}/Robert`) && el.attrs.type === 'unavailable');
    const res = await users.alice.iq('set', room, xml('query', { xmlns: MUC_ADMIN }, xml('item', { nick: 'Robert', role: 'none' }, xml('reason', {}, 'test'))));
    assert.equal(res.attrs.type, 'result');
    const k = await kicked;
    assert.deepEqual(statusCodes(k).sort(), ['110', '307']);
    users.carol.clear();
    const banned = users.carol.waitFor((el) => mucPresence(el, `${room}/Carol`) && el.attrs.type === 'unavailable');
    await users.alice.iq('set', room, xml('query', { xmlns: MUC_ADMIN }, xml('item', { jid: 'carol@localhost', affiliation: 'outcast' })));
    assert.ok(statusCodes(await banned).includes('301'));
    const again = await enter(users.carol, 'Carol');
    assert.equal(errorCondition(again), 'forbidden');
  });

  it('a mediated invitation reaches the invitee with a XEP-0249 direct invitation', async () => {
    const got = users.bob.waitFor((el) => el.name === 'message' && !!el.getChild('x', 'jabber:x:conference'));
    await users.alice.send(xml('message', { to: room }, xml('x', { xmlns: MUC_USER }, xml('invite', { to: 'bob@localhost' }, xml('reason', {}, 'come')))));
    const m = await got;
    assert.equal(m.getChild('x', 'jabber:x:conference')!.attrs.jid, room);
    assert.equal(m.getChild('x', MUC_USER)!.getChild('invite')!.attrs.from, 'alice@localhost');
  });

  it('an invitation to the room\'s call carries a XEP-0482 call invite pointing at the room', async () => {
    const got = users.bob.waitFor((el) => el.name === 'message' && !!el.getChild('invite', 'urn:xmpp:call-invites:0'));
    await users.alice.send(xml('message', { to: room },
      xml('x', { xmlns: MUC_USER }, xml('invite', { to: 'bob@localhost' })),
      xml('invite', { xmlns: 'urn:xmpp:call-invites:0', video: 'true', id: 'inv1' })));
    const m = await got;
    const inv = m.getChild('invite', 'urn:xmpp:call-invites:0')!;
    assert.deepEqual([inv.attrs.video, inv.attrs.id, inv.getChild('jingle')?.attrs.jid], ['true', 'inv1', room]);
    assert.equal(m.getChild('x', 'jabber:x:conference')!.attrs.jid, room);
  });

  it('lists public rooms in disco#items and keeps persistent rooms across a restart', async () => {
    const items = await users.bob.iq('get', call, xml('query', { xmlns: DISCO_ITEMS }));
    assert.ok(items.getChild('query')!.getChildren('item').some((i) => i.attrs.jid === room && i.attrs.name === 'Lobby'));
    await component.stop();
    component = await start();
    const info = await users.bob.iq('get', room, xml('query', { xmlns: DISCO_INFO }));
    assert.equal(info.attrs.type, 'result');
    const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    assert.ok(features.includes('muc_persistent') && features.includes('muc_membersonly'));
    assert.equal(info.getChild('query')!.getChild('identity')!.attrs.name, 'Lobby');
    const subject = users.alice.waitFor((el) => el.name === 'message' && el.getChildText('subject') === 'Weekly call');
    const self = await enter(users.alice, 'Alice');
    assert.equal(item(self).affiliation, 'owner', 'affiliations survive');
    await subject;
  });

  it('the owner destroys the room; occupants get the destroy notice', async () => {
    const gone = users.alice.waitFor((el) => mucPresence(el, `${room}/Alice`) && el.attrs.type === 'unavailable');
    const res = await users.alice.iq('set', room, xml('query', { xmlns: MUC_OWNER }, xml('destroy', {}, xml('reason', {}, 'done'))));
    assert.equal(res.attrs.type, 'result');
    const p = await gone;
    assert.equal(p.getChild('x', MUC_USER)!.getChild('destroy')!.getChildText('reason'), 'done');
    const info = await users.bob.iq('get', room, xml('query', { xmlns: DISCO_INFO }));
    assert.equal(errorCondition(info), 'item-not-found');
  });
});
