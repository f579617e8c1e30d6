// No ghost calls: which incoming XEP-0353 proposes may ring. The decision (judgeProposal in the
// call machine) and the history of call ids that feeds it (JmiHistory), with messages parsed by
// StanzaJS from the XML the server delivers: XEP-0353 Example 1, stamped with a XEP-0203 <delay/>
// as offline storage and an expired XEP-0198 session re-deliver it.
import { strict as assert } from 'node:assert';
import { createClient, JXT } from 'stanza';
import type { Message } from 'stanza/protocol/index.js';
import { judgeProposal, type KnownOutcome } from '../../client/src/protocol/call-machine.js';
import { JmiHistory, type JmiArrival } from '../../client/src/protocol/jmi-history.js';
import { JmiProtocol } from '../../client/src/protocol/xep0353-jmi.js';

const registry = createClient({}).stanzas;
registry.define(JmiProtocol);
const SID = 'ca3cf894-5325-482f-a412-a6e9f832298d';

/** XEP-0353 Example 1, optionally with the delay the server adds (XEP-0203 Example 1's form). */
function propose(delayed: boolean): Message {
  const delay = delayed ? `<delay xmlns='urn:xmpp:delay' from='capulet.example' stamp='2002-09-10T23:08:25Z'>Offline Storage</delay>` : '';
  return registry.import(JXT.parse(`<message from='romeo@montague.example/orchard' to='juliet@capulet.example' type='chat' xmlns='jabber:client'>
      <propose xmlns='urn:xmpp:jingle-message:0' id='${SID}'>
        <description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'/>
      </propose>
      <store xmlns='urn:xmpp:hints'/>${delay}
    </message>`)) as Message;
}

function arrival(msg: Message, self = false): JmiArrival {
  return { id: msg.jingleMessage!.id, action: msg.jingleMessage!.type, self, delayed: msg.delay !== undefined };
}

const settle = (action: string, self: boolean): JmiArrival => ({ id: SID, action, self, delayed: false });

describe('no ghost calls (XEP-0353 propose + XEP-0203 delay)', () => {
  describe('judgeProposal', () => {
    it('a live propose nobody settled rings', () => {
      assert.deepEqual(judgeProposal({ delayed: false, duplicate: false }), { ring: true });
    });
    it('a delayed propose never rings, however recent: it is a missed call', () => {
      assert.deepEqual(judgeProposal({ delayed: true, duplicate: false }), { ring: false, line: 'missed' });
    });
    it('a duplicate propose neither rings nor adds a line', () => {
      assert.deepEqual(judgeProposal({ delayed: false, duplicate: true }), { ring: false });
    });
    const cases: [KnownOutcome, string][] = [
      [{ outcome: 'retracted', self: false }, 'missed'],
      [{ outcome: 'accepted', self: true }, 'answered-elsewhere'],
      [{ outcome: 'rejected', self: true }, 'declined'],
      [{ outcome: 'finished', self: false }, 'answered-elsewhere'],
    ];
    for (const [known, line] of cases) {
      it(`a live propose already ${known.outcome}${known.self ? ' by another of our devices' : ''} does not ring: ${line}`, () => {
        assert.deepEqual(judgeProposal({ delayed: false, duplicate: false, known }), { ring: false, line });
      });
    }
  });

  describe('JmiHistory', () => {
    it('parses the delay StanzaJS sees on a re-delivered propose', () => {
      assert.ok(propose(true).delay?.timestamp instanceof Date);
      assert.equal(propose(false).delay, undefined);
    });

    it('rings a fresh propose once; the same propose again is dropped', () => {
      const h = new JmiHistory();
      assert.deepEqual(h.receive(arrival(propose(false))), { dispatch: true });
      assert.deepEqual(h.receive(arrival(propose(false))), { dispatch: false });
      assert.deepEqual(h.receive(arrival(propose(true))), { dispatch: false }, 'nor a later re-delivery of it');
    });

    it('a propose re-delivered with a delay shows as missed and does not reach the machine', () => {
      assert.deepEqual(new JmiHistory().receive(arrival(propose(true))), { dispatch: false, line: 'missed' });
    });

    it('a propose retracted before it arrives (the retract came first) is missed', () => {
      const h = new JmiHistory();
      assert.deepEqual(h.receive(settle('retract', false)), { dispatch: true });
      assert.deepEqual(h.receive(arrival(propose(false))), { dispatch: false, line: 'missed' });
    });

    it('a propose another of our devices accepted (carbon of its proceed) is answered elsewhere', () => {
      const h = new JmiHistory();
      h.receive(settle('proceed', true));
      h.receive(settle('finish', false)); // the end of that call does not hide who answered it
      assert.deepEqual(h.receive(arrival(propose(false))), { dispatch: false, line: 'answered-elsewhere' });
    });

    it('offline storage in order — propose, accept from our phone, finish — turns the missed line into answered elsewhere', () => {
      const h = new JmiHistory();
      assert.deepEqual(h.receive(arrival(propose(true))), { dispatch: false, line: 'missed' });
      assert.deepEqual(h.receive({ ...settle('accept', true), delayed: true }), { dispatch: true, line: 'answered-elsewhere' });
      assert.deepEqual(h.receive({ ...settle('finish', false), delayed: true }), { dispatch: true }, 'nothing new: the line stays');
    });

    it('a delayed propose then its retract stays one missed line', () => {
      const h = new JmiHistory();
      assert.deepEqual(h.receive(arrival(propose(true))), { dispatch: false, line: 'missed' });
      assert.deepEqual(h.receive({ ...settle('retract', false), delayed: true }), { dispatch: true });
    });

    it('our own propose (a carbon from another of our devices) goes to the machine, which ignores it', () => {
      assert.deepEqual(new JmiHistory().receive(arrival(propose(true), true)), { dispatch: true });
    });

    it('a carbon of a propose to another of our devices neither rings nor is missed; re-delivered later, it is missed', () => {
      const h = new JmiHistory();
      assert.deepEqual(h.receive({ ...arrival(propose(false)), carbon: true }), { dispatch: false });
      assert.deepEqual(h.receive(arrival(propose(true))), { dispatch: false, line: 'missed' });
    });

    it('forgets the oldest ids beyond its limit', () => {
      const h = new JmiHistory(2);
      for (const id of ['a', 'b', 'c']) h.receive({ id, action: 'retract', self: false, delayed: false });
      assert.deepEqual(h.receive({ id: 'a', action: 'propose', self: false, delayed: false }), { dispatch: true }, 'a forgotten');
      assert.deepEqual(h.receive({ id: 'c', action: 'propose', self: false, delayed: false }), { dispatch: false, line: 'missed' });
    });
  });
});
