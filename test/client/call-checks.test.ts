// Calls that explain themselves: the check before ringing (the contact's resources and their
// XEP-0030/XEP-0115 features), the diagnosis of a failed ICE, and the words both leave on the call
// screen and in the conversation.
import { strict as assert } from 'node:assert';
import { diagnoseIce, reachability } from '../../client/src/protocol/call-checks.js';
import { transition, IDLE, type CallState } from '../../client/src/protocol/call-machine.js';
import { callSummary } from '../../client/src/features/call-log.js';
import { explanation } from '../../client/src/features/call-words.js';
import { judgeQuality, sampleOf } from '../../client/src/protocol/call-quality.js';

// XEP-0167 §11 (Example 23 lists these for a client that does audio and video)
const RTP_AV = ['urn:xmpp:jingle:1', 'urn:xmpp:jingle:apps:rtp:1', 'urn:xmpp:jingle:apps:rtp:audio', 'urn:xmpp:jingle:apps:rtp:video'];
const RTP_AUDIO = ['urn:xmpp:jingle:1', 'urn:xmpp:jingle:apps:rtp:1', 'urn:xmpp:jingle:apps:rtp:audio'];
const CHAT_ONLY = ['http://jabber.org/protocol/disco#info', 'urn:xmpp:receipts'];
const BOB = 'bob@example.org';

describe('calls that explain themselves', () => {
  describe('reachability before ringing', () => {
    it('unknown when we do not see the contact\'s presence: it rings', () => {
      assert.equal(reachability(undefined, 'audio'), 'unknown');
    });
    it('offline with no available resource', () => {
      assert.equal(reachability([], 'audio'), 'offline');
    });
    it('incapable when no resource has Jingle RTP', () => {
      assert.equal(reachability([{ jid: `${BOB}/a`, features: CHAT_ONLY }, { jid: `${BOB}/b`, features: [] }], 'audio'), 'incapable');
    });
    it('a video call needs urn:xmpp:jingle:apps:rtp:video', () => {
      assert.equal(reachability([{ jid: `${BOB}/a`, features: RTP_AUDIO }], 'video'), 'incapable');
      assert.equal(reachability([{ jid: `${BOB}/a`, features: RTP_AUDIO }], 'audio'), 'ok');
    });
    it('one capable resource is enough', () => {
      assert.equal(reachability([{ jid: `${BOB}/a`, features: CHAT_ONLY }, { jid: `${BOB}/b`, features: RTP_AV }], 'video'), 'ok');
    });
    it('a resource whose features are unknown (no disco answer in time) may take it', () => {
      assert.equal(reachability([{ jid: `${BOB}/a`, features: CHAT_ONLY }, { jid: `${BOB}/b` }], 'video'), 'ok');
    });
  });

  describe('why ICE failed', () => {
    it('no TURN from XEP-0215', () => assert.equal(diagnoseIce({ relayConfigured: false, relayErrors: [] }), 'no-relay'));
    it('the relay refused the credentials (401)', () => assert.equal(diagnoseIce({ relayConfigured: true, relayErrors: [701, 401] }), 'relay-refused'));
    it('other 4xx from the relay (e.g. 403 Forbidden, 437 Allocation Mismatch)', () => assert.equal(diagnoseIce({ relayConfigured: true, relayErrors: [403] }), 'relay-refused'));
    it('relay present and answering, still no pair: the network blocks it', () => assert.equal(diagnoseIce({ relayConfigured: true, relayErrors: [701] }), 'blocked'));
  });

  describe('the call machine', () => {
    it('unreachable ends the call before anything is sent', () => {
      const t = transition(IDLE, { type: 'unreachable', sid: 's1', peer: BOB, media: 'audio', reason: 'offline' });
      assert.equal(t.state.phase, 'ended');
      assert.equal(t.state.endReason, 'offline');
      assert.deepEqual(t.effects, []);
    });
    const connecting: CallState = { phase: 'connecting', direction: 'outgoing', sid: 's1', peer: BOB, peerFull: `${BOB}/a`, media: 'video' };
    it('ICE failed, with its cause', () => {
      const t = transition(connecting, { type: 'failed', sid: 's1', cause: 'no-relay' });
      assert.equal(t.state.endReason, 'failed');
      assert.equal(t.state.failure, 'no-relay');
    });
    it('the connect timer, with the cause the shell found', () => {
      const t = transition(connecting, { type: 'timeout', sid: 's1', cause: 'relay-refused' });
      assert.equal(t.state.endReason, 'failed');
      assert.equal(t.state.failure, 'relay-refused');
    });
    it('the other side terminated with failed-transport before media flowed: our own diagnosis', () => {
      const t = transition(connecting, { type: 'terminated', sid: 's1', reason: 'failed-transport', cause: 'blocked' });
      assert.equal(t.state.failure, 'blocked');
    });
    it('a session the other side could not apply (failed-application) is not blamed on ICE', () => {
      const t = transition(connecting, { type: 'terminated', sid: 's1', reason: 'failed-application', cause: 'no-relay' });
      assert.equal(t.state.endReason, 'failed');
      assert.equal(t.state.failure, undefined);
    });
    it('media lost in a call that was running is not blamed on the relay', () => {
      const t = transition({ ...connecting, phase: 'active', startedAt: 1, interruptedAt: 2 }, { type: 'timeout', sid: 's1', cause: 'no-relay' });
      assert.equal(t.state.endReason, 'failed');
      assert.equal(t.state.failure, undefined);
    });
    it('a hang-up is not explained as a failure', () => {
      const t = transition({ ...connecting, phase: 'active', startedAt: 1 }, { type: 'terminated', sid: 's1', reason: 'success', cause: 'blocked' });
      assert.equal(t.state.endReason, 'remote-hangup');
      assert.equal(t.state.failure, undefined);
    });
  });

  describe('in words', () => {
    const rows: [Pick<CallState, 'endReason' | 'failure'>, string, string][] = [
      [{ endReason: 'offline' }, 'bob is offline', 'Audio call: bob is offline'],
      [{ endReason: 'incapable' }, "None of bob's clients can take calls", "Audio call: none of bob's clients can take calls"],
      [{ endReason: 'failed', failure: 'no-relay' }, 'Could not connect to bob — no relay is configured on your server', 'Audio call: could not connect to bob — no relay is configured on your server'],
      [{ endReason: 'failed', failure: 'relay-refused' }, 'Could not connect to bob — the relay refused the credentials', 'Audio call: could not connect to bob — the relay refused the credentials'],
      [{ endReason: 'failed', failure: 'blocked' }, "Could not connect to bob — bob's network blocks calls", "Audio call: could not connect to bob — bob's network blocks calls"],
    ];
    for (const [c, screen, line] of rows) {
      it(`${c.endReason}${c.failure ? `/${c.failure}` : ''}`, () => {
        assert.equal(explanation(c, 'bob'), screen);
        assert.equal(callSummary({ phase: 'ended', sid: 's', peer: BOB, media: 'audio', ...c }, 0).body, line);
      });
    }
    it('a failure without a known cause stays "failed"', () => {
      assert.equal(explanation({ endReason: 'failed' }, 'bob'), undefined);
    });
  });
});

describe('connection quality from getStats()', () => {
  const s = (at: number, rtt: number | undefined, received: number, lost: number, bytes: number) => ({ at, ...(rtt !== undefined ? { rtt } : {}), packetsReceived: received, packetsLost: lost, bytesReceived: bytes });
  it('needs two samples', () => assert.equal(judgeQuality(undefined, s(1000, 0.05, 100, 0, 1000)), undefined));
  it('good: 40 ms, no loss, 500 kbit/s', () => {
    assert.deepEqual(judgeQuality(s(0, 0.04, 0, 0, 0), s(2000, 0.04, 200, 0, 125_000)), { quality: 'good', rttMs: 40, lossPercent: 0, kbps: 500 });
  });
  it('poor: 5 % loss', () => assert.equal(judgeQuality(s(0, 0.04, 0, 0, 0), s(2000, 0.04, 95, 5, 10_000))?.quality, 'poor'));
  it('poor: 400 ms round trip', () => assert.equal(judgeQuality(s(0, 0.4, 0, 0, 0), s(2000, 0.4, 100, 0, 10_000))?.quality, 'poor'));
  it('bad: nothing received', () => assert.equal(judgeQuality(s(0, 0.04, 100, 0, 1000), s(2000, 0.04, 100, 0, 1000))?.quality, 'bad'));
  it('bad: 20 % loss', () => assert.equal(judgeQuality(s(0, 0.04, 0, 0, 0), s(2000, 0.04, 80, 20, 10_000))?.quality, 'bad'));
  it('reads inbound-rtp and the selected pair out of a report', () => {
    const report = new Map<string, Record<string, unknown>>([
      ['a', { type: 'inbound-rtp', kind: 'audio', packetsReceived: 10, packetsLost: 1, bytesReceived: 100 }],
      ['v', { type: 'inbound-rtp', kind: 'video', packetsReceived: 20, packetsLost: 0, bytesReceived: 900 }],
      ['p', { type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: 0.012 }],
      ['q', { type: 'candidate-pair', nominated: false, state: 'failed', currentRoundTripTime: 9 }],
    ]);
    assert.deepEqual(sampleOf(report, 5), { at: 5, packetsReceived: 30, packetsLost: 1, bytesReceived: 1000, rtt: 0.012 });
  });
});
