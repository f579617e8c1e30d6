// Pure parts of the room service: the configuration form (XEP-0004 / XEP-0045 §10.2), the
// default roles of affiliations (XEP-0045 §5.1.2), persistence round trips, JID splitting, the
// order of a newcomer's entry, and the room store's queue and paging (an in-memory database).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyConfigForm, configForm } from '../../component/muc/config-form.js';
import { Room, defaultConfig, affiliationRank, type Affiliation, type Role } from '../../component/muc/room.js';
import { Jid } from '../../xmpp/jid.js';
import { StanzaError } from '../../xmpp/errors.js';
import { x } from '../../xmpp/xml.js';
import { CallService } from '../../component/service.js';
import { sqliteStore } from '../../component/muc/store.js';
import type { Logger } from '../../component/muc/context.js';

const submit = (...fields: Array<[string, string]>) => x('x', { xmlns: 'jabber:x:data', type: 'submit' },
  x('field', { var: 'FORM_TYPE' }, x('value', {}, 'http://jabber.org/protocol/muc#roomconfig')),
  ...fields.map(([v, value]) => x('field', { var: v }, x('value', {}, value))));

describe('room configuration form', () => {
  it('offers every setting the room implements, with current values', () => {
    const form = configForm({ ...defaultConfig(), persistent: true, maxUsers: 10 });
    const values = Object.fromEntries(form.getChildren('field').map((f) => [f.attrs.var, f.getChildText('value')]));
    assert.equal(values['muc#roomconfig_persistentroom'], '1');
    assert.equal(values['muc#roomconfig_membersonly'], '0');
    assert.equal(values['muc#roomconfig_maxusers'], '10');
    assert.equal(values.FORM_TYPE, 'http://jabber.org/protocol/muc#roomconfig');
  });

  const table: Array<[string, Array<[string, string]>, Partial<ReturnType<typeof defaultConfig>>]> = [
    ['persistent', [['muc#roomconfig_persistentroom', '1']], { persistent: true }],
    ['booleans as true/false', [['muc#roomconfig_membersonly', 'true'], ['muc#roomconfig_publicroom', 'false']], { membersOnly: true, public: false }],
    ['password', [['muc#roomconfig_passwordprotectedroom', '1'], ['muc#roomconfig_roomsecret', 'pw']], { password: 'pw' }],
    ['password protection off clears the secret', [['muc#roomconfig_passwordprotectedroom', '0'], ['muc#roomconfig_roomsecret', 'pw']], { password: '' }],
    ['max users', [['muc#roomconfig_maxusers', '20']], { maxUsers: 20 }],
    ['no max users', [['muc#roomconfig_maxusers', 'none']], { maxUsers: 0 }],
    ['non-anonymous', [['muc#roomconfig_whois', 'anyone']], { whois: 'anyone' }],
    ['moderated', [['muc#roomconfig_moderatedroom', '1']], { moderated: true }],
    ['unknown fields ignored', [['muc#roomconfig_enablelogging', '1']], {}],
  ];
  for (const [what, fields, expected] of table) {
    it(`applies: ${what}`, () => {
      assert.deepEqual(applyConfigForm(defaultConfig(), submit(...fields)), { ...defaultConfig(), ...expected });
    });
  }

  const bad: Array<[string, ReturnType<typeof submit>]> = [
    ['a boolean that is not one', submit(['muc#roomconfig_persistentroom', 'yes'])],
    ['a negative maximum', submit(['muc#roomconfig_maxusers', '-3'])],
    ['an unknown whois', submit(['muc#roomconfig_whois', 'everyone'])],
    ['a form that is not submitted', x('x', { xmlns: 'jabber:x:data', type: 'form' })],
  ];
  for (const [what, form] of bad) {
    it(`refuses ${what}`, () => {
      assert.throws(() => applyConfigForm(defaultConfig(), form), StanzaError);
    });
  }
});

describe('roles and affiliations', () => {
  const roles: Array<[Affiliation, Role]> = [['owner', 'moderator'], ['admin', 'moderator'], ['member', 'participant'], ['none', 'participant'], ['outcast', 'none']];
  for (const [aff, role] of roles) it(`an ${aff} enters as ${role}`, () => assert.equal(Room.defaultRole(aff), role));
  const moderated: Array<[Affiliation, Role]> = [['owner', 'moderator'], ['admin', 'moderator'], ['member', 'participant'], ['none', 'visitor']];
  for (const [aff, role] of moderated) it(`in a moderated room an ${aff} enters as ${role}`, () => assert.equal(Room.defaultRole(aff, true), role));

  it('ranks affiliations owner > admin > member > none > outcast', () => {
    const order: Affiliation[] = ['owner', 'admin', 'member', 'none', 'outcast'];
    for (let i = 1; i < order.length; i++) assert.ok(affiliationRank(order[i - 1]) > affiliationRank(order[i]));
  });

  it('persists configuration, affiliations and subject, not occupants (messages are in the archive)', () => {
    const r = new Room('lobby', 'lobby@call.example');
    r.config.persistent = true;
    r.setAffiliation('alice@example', 'owner');
    r.setAffiliation('bob@example', 'member');
    r.setAffiliation('bob@example', 'none');
    r.subject = { text: 'hi', nick: 'Alice' };
    const back = Room.fromPersisted(JSON.parse(JSON.stringify(r.toPersisted())), 'call.example');
    assert.equal(back.jid, 'lobby@call.example');
    assert.deepEqual([...back.affiliations], [['alice@example', 'owner']]);
    assert.equal(back.config.persistent, true);
    assert.deepEqual(back.subject, { text: 'hi', nick: 'Alice' });
    assert.equal('history' in r.toPersisted(), false);
    assert.equal(back.occupants.size, 0);
  });
});

describe('JIDs', () => {
  const parseJid = (s: string) => {
    const j = Jid.tryParse(s);
    return j && { local: j.local, domain: j.domain, resource: j.resource };
  };
  const table: Array<[string, ReturnType<typeof parseJid>]> = [
    ['room@call.example/Nick', { local: 'room', domain: 'call.example', resource: 'Nick' }],
    ['room@CALL.example', { local: 'room', domain: 'call.example', resource: '' }],
    ['call.example', { local: '', domain: 'call.example', resource: '' }],
    ['room@call.example/a/b', { local: 'room', domain: 'call.example', resource: 'a/b' }],
    ['@call.example', undefined],
    ['room@call.example/', undefined],
    ['', undefined],
  ];
  for (const [s, expected] of table) it(`parses "${s}"`, () => assert.deepEqual(parseJid(s), expected));
  it('bare() drops the resource and lowercases', () => assert.equal(Jid.parse('Alice@Example.org/phone').bare, 'alice@example.org'));
});

describe('the order of what the room sends', () => {
  const log: Logger = { debug() {}, info() {}, warn() {}, error() {} };
  const presence = (from: string, to: string, ...children: ReturnType<typeof x>[]) => x('presence', { from, to }, ...children);

  it('sends a newcomer its whole entry before telling the others it came (XEP-0045 §7.2)', async () => {
    const sent: ReturnType<typeof x>[] = [];
    const store = sqliteStore(undefined, log);
    const service = new CallService({ domain: 'call.example', store, send: (el) => sent.push(el), log });
    await service.receive(presence('alice@example/a', 'room@call.example/Alice', x('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    await service.receive(x('message', { from: 'alice@example/a', to: 'room@call.example', type: 'groupchat' }, x('body', {}, 'hello')));
    sent.length = 0;
    await service.receive(presence('bob@example/b', 'room@call.example/Bob', x('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    const what = sent.map((el) => `${el.attrs.to} ${el.name}${el.getChild('subject') ? ' subject' : el.getChild('body') ? ' history' : ''} ${el.attrs.from}`);
    assert.deepEqual(what, [
      'bob@example/b presence room@call.example/Alice',
      'bob@example/b presence room@call.example/Bob',
      'bob@example/b message history room@call.example/Alice',
      'bob@example/b message subject room@call.example',
      'alice@example/a presence room@call.example/Bob',
    ]);
    store.close();
  });
});

describe('the room store', () => {
  const log: Logger = { debug() {}, info() {}, warn() {}, error() {} };
  const message = (i: number) => ({ id: `id${i}`, ts: 1_000 + i, nick: i % 2 ? 'Bob' : 'Alice', jid: i % 2 ? 'bob@example' : 'alice@example', xml: `<body>${i}</body>`, history: true });

  it('queues writes for the end of the turn, and a read sees every write before it', async () => {
    const store = sqliteStore(undefined, log);
    for (let i = 0; i < 10; i++) store.append('room', message(i));
    const page = store.page('room', { max: 4, before: '' });
    assert.deepEqual(page.items.map((m) => m.id), ['id6', 'id7', 'id8', 'id9']);
    assert.deepEqual([page.count, page.index, page.complete], [10, 6, false]);
    const first = store.page('room', { max: 4, before: 'id6' });
    assert.deepEqual([first.items.map((m) => m.id), first.index], [['id2', 'id3', 'id4', 'id5'], 2]);
    assert.deepEqual(store.page('room', { max: 10, nick: 'Bob' }).items.map((m) => m.id), ['id1', 'id3', 'id5', 'id7', 'id9']);
    assert.deepEqual(store.page('room', { max: 10, after: 'id7' }).items.map((m) => m.id), ['id8', 'id9']);
    assert.throws(() => store.page('room', { max: 10, after: 'nope' }), /no archived message/);
    assert.equal(store.expire(1_005), 5);
    assert.equal(store.page('room', { max: 0 }).count, 5);
    store.deleteRoom('room');
    await new Promise((r) => setImmediate(r));
    assert.equal(store.page('room', { max: 0 }).count, 0);
    store.close();
  });

  it('refuses to start on a rooms.json it cannot read, and leaves the file where it was', () => {
    const dir = mkdtempSync(join(tmpdir(), 'carillon-rooms-'));
    try {
      writeFileSync(join(dir, 'rooms.json'), '{"rooms": [');
      assert.throws(() => sqliteStore(dir, log), (e: Error) => e.message.startsWith(`cannot import ${join(dir, 'rooms.json')}`));
      assert.ok(existsSync(join(dir, 'rooms.json')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
