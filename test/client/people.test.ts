// Pure parts of the web client's people and rooms features: avatar hashes and their cache, the
// XEP-0392 colours (the XEP's own test vectors), roster groups, and who may do what in a room.
import { strict as assert } from 'node:assert';
import { sha1Hex } from '../../client/src/protocol/sha1.js';
import { colourAngle, consistentColour, hsluvToRgb } from '../../client/src/protocol/xep0392-colour.js';
import { AvatarCache, dataUrl, matchesHash, type KeyValue } from '../../client/src/features/avatar-cache.js';
import { fromBase64, pickVersion } from '../../client/src/features/avatars.js';
import { applyRosterItems, byGroup, EMPTY_ROSTER, groupNames } from '../../client/src/features/roster.js';
import { mayChangeSubject, mayConfigure, NOTHING, occupantActions, refusal } from '../../client/src/rooms/room-permissions.js';
import { submission } from '../../client/src/rooms/room-admin.js';
import { roomInfoOf } from '../../client/src/rooms/room-directory.js';
import type { Occupant } from '../../client/src/rooms/room-state.js';

class MemoryStorage implements KeyValue {
  readonly map = new Map<string, string>();
  quota = Infinity;
  getItem(k: string) { return this.map.get(k) ?? null; }
  setItem(k: string, v: string) {
    const used = [...this.map.entries()].filter(([key]) => key !== k).reduce((n, [key, val]) => n + key.length + val.length, 0);
    if (used + k.length + v.length > this.quota) throw new Error('QuotaExceededError');
    this.map.set(k, v);
  }
  removeItem(k: string) { this.map.delete(k); }
}

describe('web client people: hashes and colours', () => {
  it('SHA-1 matches RFC 3174 test cases 1 and 2 and a million-byte input', () => {
    assert.equal(sha1Hex(new TextEncoder().encode('abc')), 'a9993e364706816aba3e25717850c26c9cd0d89d');
    assert.equal(sha1Hex(new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')), '84983e441c3bd26ebaae4aa1f95129e5e54670f1');
    assert.equal(sha1Hex(new Uint8Array(1_000_000).fill(0x61)), '34aa973cd4c4daa4f61eeb2bdbad27316534016f');
    assert.equal(sha1Hex(new Uint8Array(0)), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
  });

  it('an avatar id is the SHA-1 of the image bytes (XEP-0084 §4.2), compared without regard to case', () => {
    const bytes = new TextEncoder().encode('not really a png');
    const id = sha1Hex(bytes);
    assert.ok(matchesHash(bytes, id.toUpperCase()));
    assert.ok(!matchesHash(new TextEncoder().encode('another picture'), id));
    assert.equal(dataUrl(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), 'image/png'), 'data:image/png;base64,iVBORw==');
  });

  it('XEP-0392 v1.0 test vectors (Appendix A, no CVD): angles and RGB', () => {
    const vectors: Array<[string, number, [number, number, number]]> = [
      ['Romeo', 327.255249, [0.865, 0.000, 0.686]],
      ['juliet@capulet.lit', 209.410400, [0.000, 0.515, 0.573]],
      ['\u{1f63a}', 331.199341, [0.872, 0.000, 0.659]],
      ['council', 359.994507, [0.918, 0.000, 0.394]],
      ['Board', 171.430664, [0.000, 0.527, 0.457]],
    ];
    for (const [text, angle, rgb] of vectors) {
      assert.ok(Math.abs(colourAngle(text) - angle) < 1e-5, `${text}: angle ${colourAngle(text)}`);
      const got = hsluvToRgb(colourAngle(text), 100, 50);
      got.forEach((c, i) => assert.ok(Math.abs(c - rgb[i]!) < 0.0006, `${text}: ${got.join(',')} vs ${rgb.join(',')}`));
    }
    assert.equal(consistentColour('Romeo'), '#dd00af');
  });
});

describe('web client people: the avatar cache', () => {
  it('keeps pictures across instances (a page load) through its storage', () => {
    const storage = new MemoryStorage();
    new AvatarCache(storage).put('ABC', 'data:image/png;base64,AAAA');
    const later = new AvatarCache(storage);
    assert.equal(later.get('abc'), 'data:image/png;base64,AAAA');
    assert.equal(later.get('def'), undefined);
  });

  it('is bounded: the oldest picture goes first', () => {
    const storage = new MemoryStorage();
    const cache = new AvatarCache(storage, 3);
    for (const h of ['a1', 'b2', 'c3']) cache.put(h, `url-${h}`);
    assert.equal(cache.get('a1'), 'url-a1'); // used again: b2 is now the oldest in memory
    cache.put('d4', 'url-d4');
    assert.equal(cache.stored, 3);
    assert.equal(storage.getItem('carillon.avatar.a1'), null, 'storage drops in order of putting');
    assert.equal(new AvatarCache(storage, 3).get('d4'), 'url-d4');
    assert.equal(new AvatarCache(storage, 3).get('a1'), undefined);
  });

  it('a picture too large for storage stays in memory only; a full storage evicts old pictures', () => {
    const storage = new MemoryStorage();
    const cache = new AvatarCache(storage, 10, 50);
    cache.put('big', 'x'.repeat(51));
    assert.equal(cache.get('big'), 'x'.repeat(51));
    assert.equal(storage.getItem('carillon.avatar.big'), null);
    storage.quota = 200;
    const small = new AvatarCache(storage, 10, 100);
    small.put('one', 'a'.repeat(60));
    small.put('two', 'b'.repeat(60));
    small.put('three', 'c'.repeat(60));
    assert.equal(storage.getItem('carillon.avatar.three'), 'c'.repeat(60));
    assert.equal(storage.getItem('carillon.avatar.one'), null, 'the oldest made room');
  });

  it('clear() forgets every picture', () => {
    const storage = new MemoryStorage();
    const cache = new AvatarCache(storage);
    cache.put('a', 'u');
    cache.clear();
    assert.equal(cache.get('a'), undefined);
    assert.equal(storage.map.size, 0);
  });

  it('reads a vCard BINVAL with line breaks (XEP-0054), and refuses what is not base64', () => {
    assert.deepEqual(fromBase64('iVBO\r\nRw=='), new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
    assert.equal(fromBase64('not base64!'), undefined);
  });

  it('picks a version fetchable from PEP, PNG first (XEP-0084 §4.2, Example 3)', () => {
    assert.equal(pickVersion([
      { id: '357a8123a30844a3aa99861b6349264ba67a5694', mediaType: 'image/gif', uri: 'http://avatars.example.org/happy.gif' },
      { id: 'aaa', mediaType: 'image/jpeg' },
      { id: '111f4b3c50d7b0df729d299bc6f8e9ef9066971f', mediaType: 'image/png', bytes: 12345, width: 64, height: 64 },
    ])?.id, '111f4b3c50d7b0df729d299bc6f8e9ef9066971f');
    assert.equal(pickVersion([{ id: 'x', uri: 'http://example.org/x.png' }]), undefined);
    assert.equal(pickVersion([]), undefined, '§4.5: no <info/> means no avatar');
  });
});

describe('web client people: roster groups', () => {
  const s = applyRosterItems(EMPTY_ROSTER, [
    { jid: 'nurse@example.com', name: 'Nurse', subscription: 'both', groups: ['Servants', 'Friends'] },
    { jid: 'romeo@example.net', subscription: 'both', groups: ['Friends'] },
    { jid: 'tybalt@example.org', subscription: 'to' },
  ], true);

  it('groups contacts alphabetically, a contact in two groups in both, the rest last', () => {
    const g = byGroup(Object.values(s.contacts));
    assert.deepEqual(g.map((x) => [x.group, x.contacts.map((c) => c.jid).sort()]), [
      ['Friends', ['nurse@example.com', 'romeo@example.net']],
      ['Servants', ['nurse@example.com']],
      ['', ['tybalt@example.org']],
    ]);
    assert.deepEqual(groupNames(s), ['Friends', 'Servants']);
  });

  it('a roster push replaces the groups of the item (RFC 6121 §2.1.6)', () => {
    const next = applyRosterItems(s, [{ jid: 'romeo@example.net', subscription: 'both', groups: [] }], false);
    assert.equal(next.contacts['romeo@example.net']!.groups, undefined);
    assert.deepEqual(next.contacts['nurse@example.com']!.groups, ['Friends', 'Servants']);
  });
});

describe('web client rooms: who may do what (XEP-0045 §5)', () => {
  const o = (nick: string, role: string, affiliation: string, jid?: string): Occupant => ({ nick, role, affiliation, show: 'available', ...(jid ? { jid } : {}) });
  const owner = o('firstwitch', 'moderator', 'owner', 'crone1@shakespeare.lit/desktop');
  const admin = o('secondwitch', 'moderator', 'admin', 'wiccarocks@shakespeare.lit/laptop');
  const member = o('thirdwitch', 'participant', 'member', 'hag66@shakespeare.lit/pda');
  const visitor = o('pistol', 'visitor', 'none', 'pistol@shakespeare.lit/harvest');

  it('owners configure; moderators change the subject, participants only where the room allows', () => {
    assert.ok(mayConfigure(owner));
    assert.ok(!mayConfigure(admin));
    assert.ok(mayChangeSubject(admin, false));
    assert.ok(!mayChangeSubject(member, false));
    assert.ok(mayChangeSubject(member, true));
    assert.ok(!mayChangeSubject(visitor, true));
  });

  it('a moderator kicks and silences participants, not admins or owners (§8.2, §8.4)', () => {
    const a = occupantActions(admin, member);
    assert.ok(a.kick && a.revokeVoice && !a.grantVoice);
    assert.ok(occupantActions(admin, visitor).grantVoice);
    assert.ok(!occupantActions(admin, owner).kick);
    assert.ok(!occupantActions(admin, owner).ban);
    assert.ok(occupantActions(owner, admin).ban, 'an owner bans an admin');
    assert.ok(!occupantActions(owner, admin).kick, 'but cannot kick one (§8.2)');
  });

  it('participants may do nothing to others, nobody acts on themselves, a ban needs the real JID', () => {
    assert.deepEqual(occupantActions(member, visitor), NOTHING);
    assert.deepEqual(occupantActions(owner, owner), NOTHING);
    assert.ok(!occupantActions(owner, o('anon', 'participant', 'none')).ban);
    assert.ok(occupantActions(owner, o('anon', 'participant', 'none')).kick);
  });

  it('admins grant and revoke moderator below admin (§9.6, §9.7)', () => {
    assert.ok(occupantActions(admin, member).grantModerator);
    const mod = o('mod', 'moderator', 'member', 'mod@shakespeare.lit/x');
    assert.ok(occupantActions(admin, mod).revokeModerator);
    assert.ok(!occupantActions(owner, admin).revokeModerator);
    assert.ok(!occupantActions(o('plain', 'moderator', 'none'), member).grantModerator);
  });

  it('refusals are told in words, with the room\'s own text', () => {
    assert.equal(refusal('forbidden', undefined, 'ban x@y'), 'You are not allowed to ban x@y.');
    assert.equal(refusal('not-allowed', 'Owners only', 'kick a'), 'The room does not allow you to kick a. The room says: “Owners only”');
    assert.equal(refusal('undefined-condition', undefined, 'kick a'), 'Could not kick a (undefined-condition).');
  });

  it('a submitted configuration has every field but fixed ones (XEP-0004 §3.3), FORM_TYPE included', () => {
    const form = submission([
      { type: 'hidden', name: 'FORM_TYPE', value: 'http://jabber.org/protocol/muc#roomconfig' },
      { type: 'fixed', value: 'Room settings' },
      { type: 'text-single', name: 'muc#roomconfig_roomname', value: 'A Dark Cave' },
      { type: 'boolean', name: 'muc#roomconfig_moderatedroom', value: true },
      { type: 'list-single', name: 'muc#roomconfig_whois', value: 'moderators', options: [{ value: 'moderators' }, { value: 'anyone' }] },
    ]);
    assert.equal(form.type, 'submit');
    assert.deepEqual(form.fields, [
      { type: 'hidden', name: 'FORM_TYPE', value: 'http://jabber.org/protocol/muc#roomconfig' },
      { type: 'text-single', name: 'muc#roomconfig_roomname', value: 'A Dark Cave' },
      { type: 'boolean', name: 'muc#roomconfig_moderatedroom', value: true },
      { type: 'list-single', name: 'muc#roomconfig_whois', value: 'moderators' },
    ]);
  });

  it('reads name, description and occupants from muc#roominfo (XEP-0045 Example 10)', () => {
    const info = roomInfoOf({
      type: 'info', features: ['http://jabber.org/protocol/muc'],
      identities: [{ category: 'conference', type: 'text', name: 'A Dark Cave' }],
      extensions: [{ type: 'result', fields: [
        { type: 'hidden', name: 'FORM_TYPE', value: 'http://jabber.org/protocol/muc#roominfo' },
        { name: 'muc#roominfo_description', value: 'The place for all good witches!' },
        { name: 'muc#roominfo_changesubject', value: true },
        { name: 'muc#roominfo_occupants', value: '3' },
        { name: 'muc#roominfo_subject', value: 'Spells' },
      ] }],
    });
    assert.deepEqual(info, { name: 'A Dark Cave', description: 'The place for all good witches!', subject: 'Spells', occupants: 3, changeSubject: true });
  });
});
