// Pure parts of the room service: the configuration form (XEP-0004 / XEP-0045 §10.2), the
// default roles of affiliations (XEP-0045 §5.1.2), persistence round trips, and JID splitting.
import assert from 'node:assert/strict';
import { applyConfigForm, configForm } from '../../component/muc/config-form.js';
import { Room, defaultConfig, affiliationRank, type Affiliation, type Role } from '../../component/muc/room.js';
import { Jid } from '../../xmpp/jid.js';
import { StanzaError } from '../../xmpp/errors.js';
import { x } from '../../xmpp/xml.js';

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
