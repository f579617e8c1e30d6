// The subscription state machine against the tables of RFC 6121 Appendix A, row by row.
import assert from 'node:assert/strict';
import { parseState, stateName, transition, type Direction, type SubscriptionType } from '../../server/modules/subscription-states.js';

// [table, event, existing state, expected state ('=' for no change)], transcribed from the RFC.
const ROWS: [string, Direction, SubscriptionType, string, string][] = [
  ['A.2.1', 'out', 'subscribe', 'None', 'None + Pending Out'],
  ['A.2.1', 'out', 'subscribe', 'None + Pending In', 'None + Pending Out + Pending In'],
  ['A.2.1', 'out', 'subscribe', 'From', 'From + Pending Out'],
  ['A.2.1', 'out', 'subscribe', 'Both', '='],
  ['A.2.2', 'out', 'unsubscribe', 'None + Pending Out', 'None'],
  ['A.2.2', 'out', 'unsubscribe', 'To', 'None'],
  ['A.2.2', 'out', 'unsubscribe', 'To + Pending In', 'None + Pending In'],
  ['A.2.2', 'out', 'unsubscribe', 'Both', 'From'],
  ['A.2.2', 'out', 'unsubscribe', 'From', '='],
  ['A.2.3', 'out', 'subscribed', 'None + Pending In', 'From'],
  ['A.2.3', 'out', 'subscribed', 'None + Pending Out + Pending In', 'From + Pending Out'],
  ['A.2.3', 'out', 'subscribed', 'To + Pending In', 'Both'],
  ['A.2.3', 'out', 'subscribed', 'None', '='],
  ['A.2.4', 'out', 'unsubscribed', 'None + Pending In', 'None'],
  ['A.2.4', 'out', 'unsubscribed', 'From', 'None'],
  ['A.2.4', 'out', 'unsubscribed', 'From + Pending Out', 'None + Pending Out'],
  ['A.2.4', 'out', 'unsubscribed', 'Both', 'To'],
  ['A.2.4', 'out', 'unsubscribed', 'To', '='],
  ['A.3.1', 'in', 'subscribe', 'None', 'None + Pending In'],
  ['A.3.1', 'in', 'subscribe', 'None + Pending Out', 'None + Pending Out + Pending In'],
  ['A.3.1', 'in', 'subscribe', 'To', 'To + Pending In'],
  ['A.3.1', 'in', 'subscribe', 'From', '='],
  ['A.3.2', 'in', 'unsubscribe', 'None + Pending In', 'None'],
  ['A.3.2', 'in', 'unsubscribe', 'From', 'None'],
  ['A.3.2', 'in', 'unsubscribe', 'Both', 'To'],
  ['A.3.2', 'in', 'unsubscribe', 'To', '='],
  ['A.3.3', 'in', 'subscribed', 'None + Pending Out', 'To'],
  ['A.3.3', 'in', 'subscribed', 'None + Pending Out + Pending In', 'To + Pending In'],
  ['A.3.3', 'in', 'subscribed', 'From + Pending Out', 'Both'],
  ['A.3.3', 'in', 'subscribed', 'None', '='],
  ['A.3.3', 'in', 'subscribed', 'Both', '='],
  ['A.3.4', 'in', 'unsubscribed', 'None + Pending Out', 'None'],
  ['A.3.4', 'in', 'unsubscribed', 'To', 'None'],
  ['A.3.4', 'in', 'unsubscribed', 'To + Pending In', 'None + Pending In'],
  ['A.3.4', 'in', 'unsubscribed', 'Both', 'From'],
  ['A.3.4', 'in', 'unsubscribed', 'From', '='],
];

describe('presence subscription states (RFC 6121 Appendix A)', () => {
  for (const [table, dir, type, from, to] of ROWS) {
    it(`${table}: ${dir === 'out' ? 'outbound' : 'inbound'} ${type} in "${from}" → ${to === '=' ? 'no change' : `"${to}"`}`, () => {
      const t = transition(parseState(from), dir, type);
      assert.equal(t.changed, to !== '=');
      assert.equal(stateName(t.state), to === '=' ? from : to);
    });
  }

  it('names every state the way the RFC writes it', () => {
    for (const name of ['None', 'None + Pending Out', 'None + Pending Out + Pending In', 'To + Pending In', 'From + Pending Out', 'Both']) {
      assert.equal(stateName(parseState(name)), name);
    }
  });
});
