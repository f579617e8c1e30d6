// Roster and presence reducers (RFC 6121 §2 roster pushes, §4 presence), one row per case.
import { strict as assert } from 'node:assert';
import {
  addRequest, applyPresence, applyRosterItems, availability, dropRequest, EMPTY_ROSTER, expectsMutual, withoutPresence,
  type RosterState,
} from '../../client/src/features/roster.js';

const withBob = applyRosterItems(EMPTY_ROSTER, [{ jid: 'Bob@Example.org', subscription: 'both', name: 'Bob' }], true);

describe('roster reducers', () => {
  it('normalises JIDs to lower-case bare JIDs and keeps names', () => {
    assert.deepEqual(withBob.contacts['bob@example.org'], { jid: 'bob@example.org', name: 'Bob', subscription: 'both', pending: false, resources: {} });
  });
  it('a push with subscription=remove drops the contact (§2.5)', () => {
    const s = applyRosterItems(withBob, [{ jid: 'bob@example.org', subscription: 'remove' }], false);
    assert.equal(s.contacts['bob@example.org'], undefined);
  });
  it('a push keeps the other contacts and the known presence', () => {
    let s = applyPresence(withBob, 'bob@example.org/phone', 'available');
    s = applyRosterItems(s, [{ jid: 'carol@example.org', subscription: 'none', pending: 'subscribe' }], false);
    assert.equal(availability(s.contacts['bob@example.org']), 'available');
    assert.equal(s.contacts['carol@example.org']?.pending, true);
  });

  const rows: [string, (s: RosterState) => RosterState, string][] = [
    ['no resource is offline', (s) => s, 'offline'],
    ['a resource without show is available', (s) => applyPresence(s, 'bob@example.org/a', 'available'), 'available'],
    ['away on every resource is away', (s) => applyPresence(applyPresence(s, 'bob@example.org/a', 'available', 'away'), 'bob@example.org/b', 'available', 'xa'), 'away'],
    ['dnd is busy', (s) => applyPresence(s, 'bob@example.org/a', 'available', 'dnd'), 'busy'],
    ['the most available resource wins', (s) => applyPresence(applyPresence(s, 'bob@example.org/a', 'available', 'away'), 'bob@example.org/b', 'available', 'chat'), 'available'],
    ['unavailable from the last resource is offline', (s) => applyPresence(applyPresence(s, 'bob@example.org/a', 'available'), 'bob@example.org/a', 'unavailable'), 'offline'],
    ['unavailable from the bare JID clears all resources', (s) => applyPresence(applyPresence(s, 'bob@example.org/a', 'available'), 'bob@example.org', 'unavailable'), 'offline'],
    ['a new session forgets presence', (s) => withoutPresence(applyPresence(s, 'bob@example.org/a', 'available')), 'offline'],
  ];
  for (const [name, fn, expected] of rows) {
    it(`availability: ${name}`, () => assert.equal(availability(fn(withBob).contacts['bob@example.org']), expected));
  }

  it('a push that ends our subscription to them forgets their presence (§3.3)', () => {
    const online = applyPresence(withBob, 'bob@example.org/a', 'available');
    const s = applyRosterItems(online, [{ jid: 'bob@example.org', subscription: 'from' }], false);
    assert.equal(availability(s.contacts['bob@example.org']), 'offline');
  });

  it('ignores presence from strangers', () => {
    assert.equal(applyPresence(withBob, 'mallory@evil.example/x', 'available'), withBob);
  });
  it('keeps one request per bare JID and drops it when answered', () => {
    let s = addRequest(EMPTY_ROSTER, 'dave@example.org/x');
    s = addRequest(s, 'Dave@example.org');
    assert.deepEqual(s.requests, ['dave@example.org']);
    assert.deepEqual(dropRequest(s, 'dave@example.org').requests, []);
  });
  it('approves a subscribe at once only when it answers ours', () => {
    assert.equal(expectsMutual(undefined), false);
    assert.equal(expectsMutual({ jid: 'a@b', subscription: 'none', pending: true, resources: {} }), true);
    assert.equal(expectsMutual({ jid: 'a@b', subscription: 'to', pending: false, resources: {} }), true);
    assert.equal(expectsMutual({ jid: 'a@b', subscription: 'none', pending: false, resources: {} }), false);
  });
});
