// ICE restart decisions (client/src/protocol/ice-restart.ts): who restarts and when, what a
// transport-info is (offer, answer or candidates, by the rules Conversations uses on the wire),
// glare between two offers, and the SDP rewrites that apply new remote credentials.
import { strict as assert } from 'node:assert';
import {
  decideRestart, classifyTransportInfo, restartOfferVerdict, sdpIceCredentials, withIceCredentials, peerSetup,
  RESTART_IDLE, DISCONNECT_GRACE_MS, RESPONDER_GRACE_MS, RESTART_TIMEOUT_MS, MAX_RESTARTS,
  type RestartState, type RestartInput,
} from '../../client/src/protocol/ice-restart.js';

/** Runs inputs through decideRestart, returning every decision. */
function run(initiator: boolean, inputs: RestartInput[], from: RestartState = RESTART_IDLE) {
  let s = from;
  return inputs.map((i) => {
    const d = decideRestart(s, i, initiator);
    s = d.state;
    return d;
  });
}
const connected: RestartInput = { type: 'ice', state: 'connected', at: 0 };

describe('ICE restart: when to restart', () => {
  it('never restarts a connection that never had media (that is a failure to report)', () => {
    const [d1, d2] = run(true, [{ type: 'ice', state: 'failed', at: 10 }, { type: 'network', at: 20 }]);
    assert.equal(d1.restart || d2.restart, false);
    assert.equal(d1.wakeAt, undefined);
  });

  it('the initiator restarts at once when ICE failed', () => {
    const [, d] = run(true, [connected, { type: 'ice', state: 'failed', at: 1000 }]);
    assert.equal(d.restart, true);
    assert.equal(d.wakeAt, 1000 + RESTART_TIMEOUT_MS, 'then checks whether it came back');
  });

  it('the initiator waits DISCONNECT_GRACE_MS of disconnection, and not if it comes back', () => {
    const [, d1] = run(true, [connected, { type: 'ice', state: 'disconnected', at: 1000 }]);
    assert.equal(d1.restart, false);
    assert.equal(d1.wakeAt, 1000 + DISCONNECT_GRACE_MS);
    const due = run(true, [connected, { type: 'ice', state: 'disconnected', at: 1000 }, { type: 'tick', at: 1000 + DISCONNECT_GRACE_MS }]);
    assert.equal(due[2].restart, true);
    const back = run(true, [connected, { type: 'ice', state: 'disconnected', at: 1000 }, { type: 'ice', state: 'connected', at: 1500 }, { type: 'tick', at: 1000 + DISCONNECT_GRACE_MS }]);
    assert.equal(back[3].restart, false);
  });

  it('the responder leaves a lost connection to the initiator for RESPONDER_GRACE_MS, then restarts itself', () => {
    const d = run(false, [connected, { type: 'ice', state: 'failed', at: 1000 }, { type: 'tick', at: 1000 + RESPONDER_GRACE_MS - 1 }, { type: 'tick', at: 1000 + RESPONDER_GRACE_MS }]);
    assert.equal(d[1].restart, false);
    assert.equal(d[1].wakeAt, 1000 + RESPONDER_GRACE_MS);
    assert.equal(d[2].restart, false);
    assert.equal(d[3].restart, true);
  });

  it('a network change restarts at once, on either side', () => {
    for (const initiator of [true, false]) {
      const [, d] = run(initiator, [connected, { type: 'network', at: 500 }]);
      assert.equal(d.restart, true, `initiator=${initiator}`);
    }
  });

  it('starts no second restart while one is under way (ours or the peer\'s)', () => {
    const ours = run(true, [connected, { type: 'network', at: 500 }, { type: 'network', at: 600 }, { type: 'ice', state: 'failed', at: 700 }]);
    assert.deepEqual(ours.map((d) => d.restart), [false, true, false, false]);
    const theirs = run(true, [connected, { type: 'remote-restart', at: 500 }, { type: 'ice', state: 'failed', at: 700 }]);
    assert.deepEqual(theirs.map((d) => d.restart), [false, false, false]);
    assert.equal(theirs[2].wakeAt, 500 + RESTART_TIMEOUT_MS);
  });

  it('a network change after a restart that was answered (ours or theirs) restarts again', () => {
    const ours = run(true, [connected, { type: 'network', at: 500 }, { type: 'answered', at: 600 }, { type: 'network', at: 700 }]);
    assert.deepEqual(ours.map((d) => d.restart), [false, true, false, true]);
    const theirs = run(false, [connected, { type: 'remote-restart', at: 500 }, { type: 'network', at: 700 }]);
    assert.deepEqual(theirs.map((d) => d.restart), [false, false, true]);
  });

  it('tries again after RESTART_TIMEOUT_MS while still lost, and gives up after MAX_RESTARTS', () => {
    const inputs: RestartInput[] = [connected, { type: 'ice', state: 'failed', at: 0 }];
    for (let i = 1; i <= MAX_RESTARTS; i++) inputs.push({ type: 'tick', at: i * RESTART_TIMEOUT_MS });
    const d = run(true, inputs);
    assert.equal(d.filter((x) => x.restart).length, MAX_RESTARTS);
    assert.equal(d.at(-1)!.giveUp, true);
    assert.equal(d.slice(0, -1).some((x) => x.giveUp), false);
  });

  it('a restart whose connection came back ends quietly, and the count starts over', () => {
    const d = run(true, [connected, { type: 'network', at: 0 }, { type: 'tick', at: RESTART_TIMEOUT_MS }, { type: 'ice', state: 'failed', at: RESTART_TIMEOUT_MS + 1 }]);
    assert.equal(d[2].restart || d[2].giveUp, false);
    assert.equal(d[2].state.restartingSince, undefined);
    assert.equal(d[3].restart, true);
    assert.equal(d[3].state.attempts, 1);
  });
});

describe('ICE restart: what a transport-info is', () => {
  const base = { currentUfrag: 'old1', localOfferPending: false };
  it('same ufrag, or no pwd (StanzaJS trickles the ufrag alone): candidates', () => {
    assert.equal(classifyTransportInfo({ ...base, ufrag: 'old1', pwd: 'p', candidates: 1 }), 'candidates');
    assert.equal(classifyTransportInfo({ ...base, ufrag: 'new1', candidates: 1 }), 'candidates');
    assert.equal(classifyTransportInfo({ ...base, candidates: 0 }), 'candidates');
  });
  it('new ufrag and pwd without candidates: an offer (Conversations\' rule), even while ours is out', () => {
    assert.equal(classifyTransportInfo({ ...base, ufrag: 'new1', pwd: 'p', candidates: 0 }), 'restart-offer');
    assert.equal(classifyTransportInfo({ ...base, ufrag: 'new1', pwd: 'p', candidates: 0, localOfferPending: true }), 'restart-offer');
  });
  it('new ufrag and pwd with candidates: the answer to our offer (Conversations answers so)', () => {
    assert.equal(classifyTransportInfo({ ...base, ufrag: 'new1', pwd: 'p', candidates: 2, localOfferPending: true }), 'restart-answer');
    assert.equal(classifyTransportInfo({ ...base, ufrag: 'new1', pwd: 'p', candidates: 2 }), 'restart-offer', 'no offer of ours is out');
  });
  it('crossing offers: the initiator refuses the responder\'s with tie-break, the responder yields', () => {
    assert.equal(restartOfferVerdict({ initiator: true, localOfferPending: true }), 'tie-break');
    assert.equal(restartOfferVerdict({ initiator: false, localOfferPending: true }), 'apply');
    assert.equal(restartOfferVerdict({ initiator: true, localOfferPending: false }), 'apply');
  });
});

describe('ICE restart: new remote credentials in a description', () => {
  // RFC 8839 §4.4.1.1.1 / JSEP: ufrag and pwd per m-section; BUNDLE shares one transport
  const sdp = [
    'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=mid:0', 'a=ice-ufrag:aaaa', 'a=ice-pwd:aaaaaaaaaaaaaaaaaaaaaa', 'a=setup:active',
    'a=candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host', 'a=end-of-candidates', 'a=rtpmap:111 opus/48000/2',
    'm=video 9 UDP/TLS/RTP/SAVPF 96', 'c=IN IP4 0.0.0.0', 'a=mid:1', 'a=ice-ufrag:aaaa', 'a=ice-pwd:aaaaaaaaaaaaaaaaaaaaaa', 'a=setup:active',
    'a=rtpmap:96 VP8/90000', '',
  ].join('\r\n');

  it('reads the credentials of every m-section by mid', () => {
    assert.deepEqual([...sdpIceCredentials(sdp)], [['0', { ufrag: 'aaaa', pwd: 'aaaaaaaaaaaaaaaaaaaaaa' }], ['1', { ufrag: 'aaaa', pwd: 'aaaaaaaaaaaaaaaaaaaaaa' }]]);
  });

  it('replaces them, drops the old candidates and sets the DTLS setup asked for', () => {
    const out = withIceCredentials(sdp, new Map([['0', { ufrag: 'bbbb', pwd: 'bbbbbbbbbbbbbbbbbbbbbb' }]]), 'actpass');
    assert.deepEqual([...sdpIceCredentials(out).values()].map((c) => c.ufrag), ['bbbb', 'bbbb'], 'one set for a bundle applies to all');
    assert.ok(!out.includes('a=candidate:') && !out.includes('a=end-of-candidates'));
    assert.equal(out.match(/a=setup:actpass/g)?.length, 2);
    assert.ok(out.includes('a=rtpmap:96 VP8/90000') && out.endsWith('\r\n'), 'the rest as it was');
  });

  it('per content when the transports are not bundled (Dino)', () => {
    const out = withIceCredentials(sdp, new Map([['0', { ufrag: 'cccc', pwd: 'c'.repeat(22) }], ['1', { ufrag: 'dddd', pwd: 'd'.repeat(22) }]]));
    assert.deepEqual([...sdpIceCredentials(out).values()].map((c) => c.ufrag), ['cccc', 'dddd']);
    assert.equal(out.match(/a=setup:active/g)?.length, 2, 'setup untouched when not asked');
  });

  it('the peer\'s DTLS role for an answer: its own choice, else the opposite of ours (never actpass)', () => {
    assert.equal(peerSetup('a=setup:actpass', 'a=setup:active'), 'active');
    assert.equal(peerSetup('a=setup:passive', 'a=setup:actpass'), 'active');
    assert.equal(peerSetup('a=setup:active', 'a=setup:actpass'), 'passive');
  });
});
