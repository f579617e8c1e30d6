// The stanzas of the native clients the tests cannot run (Conversations, Monal, Movim) and of Dino,
// from fixtures/native/ (reconstructed from each client's source; each file says from where): their
// XEP-0353 messages through the call state machine, and their Jingle through the Jingle↔SDP
// translation in both directions. The same fixtures go into a real Chromium in
// test/e2e/native-clients.test.ts.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { createClient } from 'stanza';
import type { IQ, Jingle, JingleIce, Message } from 'stanza/protocol/index.js';
import { transition, IDLE, type CallEvent, type CallState } from '../../client/src/protocol/call-machine.js';
import { jingleToSdp, sdpToJingle, useJingleWire } from '../../xmpp/jingle-sdp/index.js';
import { JmiProtocol, type JingleMessage } from '../../client/src/protocol/xep0353-jmi.js';
import { NATIVE_CLIENTS, nativeFixture } from './native-fixtures.js';

const stanzas = createClient({}).stanzas;
stanzas.define(JmiProtocol);
useJingleWire(stanzas);

const ME = 'juliet@capulet.lit/carillon';

function run(s: CallState, events: CallEvent[]) {
  const effects = [];
  for (const ev of events) {
    const t = transition(s, ev);
    s = t.state;
    effects.push(...t.effects);
  }
  return { state: s, effects };
}

for (const client of NATIVE_CLIENTS) {
  describe(`${client.name}'s stanzas (fixtures/native/${client.file})`, () => {
    const f = nativeFixture(client, stanzas);
    const jm = (id: string): { msg: Message & { from: string; to: string }; jm: JingleMessage } => {
      const msg = f.messages.get(id);
      assert.ok(msg?.jingleMessage, `${id} parses as a XEP-0353 message`);
      return { msg: msg as Message & { from: string; to: string }, jm: msg.jingleMessage };
    };

    it('a call from it rings here, and answering proceeds to the device that proposed', () => {
      const { msg, jm: propose } = jm('jm-propose');
      assert.equal(propose.type, 'propose');
      assert.deepEqual(propose.descriptions?.map((d) => d.media), client.media === 'video' ? ['audio', 'video'] : ['audio']);
      const media = propose.descriptions!.some((d) => d.media === 'video') ? 'video' : 'audio';
      const { state, effects } = run(IDLE, [{ type: 'propose', sid: propose.id, from: msg.from, media }, { type: 'accept' }]);
      assert.equal(state.phase, 'connecting');
      assert.deepEqual(effects.filter((e) => e.kind === 'send').map((e) => e.kind === 'send' && [e.jm.type, e.to]), [['ringing', msg.from], ['proceed', msg.from]]);
      assert.ok(effects.some((e) => e.kind === 'send-self' && e.jm.type === 'accept'), 'accept to our own devices');
    });

    it('its retract of a call that rings here is a missed call', () => {
      const { msg, jm: propose } = jm('jm-propose');
      const { msg: rmsg, jm: retract } = jm('jm-retract');
      assert.equal(retract.type, 'retract');
      const { state } = run(IDLE, [{ type: 'propose', sid: propose.id, from: msg.from, media: 'audio' }, { type: 'retract', sid: retract.id, from: rmsg.from }]);
      assert.equal(state.endReason, 'missed');
    });

    it('our call to it: its proceed starts the session with the device that sent it', () => {
      const { msg } = jm('jm-proceed');
      assert.equal(bareOf(msg.to), bareOf(ME));
      const events: CallEvent[] = [{ type: 'call', sid: 'WEB-CALL-ID', peer: bareOf(msg.from), media: client.media }];
      if (f.messages.has('jm-ringing')) events.push({ type: 'ringing', sid: 'WEB-CALL-ID', from: jm('jm-ringing').msg.from });
      events.push({ type: 'proceed', sid: 'WEB-CALL-ID', from: msg.from });
      const { state, effects } = run(IDLE, events);
      assert.equal(state.phase, 'connecting');
      assert.ok(effects.some((e) => e.kind === 'start-session' && e.to === msg.from), JSON.stringify(effects));
    });

    it('its reject ends our call as declined or busy', () => {
      const { msg, jm: reject } = jm('jm-reject');
      const cond = reject.reason?.condition;
      const { state } = run(IDLE, [
        { type: 'call', sid: 'WEB-CALL-ID', peer: bareOf(msg.from), media: client.media },
        { type: 'reject', sid: reject.id, from: msg.from, ...(cond ? { reason: cond } : {}) },
      ]);
      assert.equal(state.endReason, cond === 'busy' ? 'busy' : 'declined');
    });

    if (client.file !== 'dino.xml') {
      it('its finish ends a call in progress', () => {
        const { msg, jm: finish } = jm('jm-finish');
        assert.ok(finish.reason?.condition, 'finish carries a reason (XEP-0353 0.7)');
        const { state } = run(IDLE, [
          { type: 'call', sid: 'WEB-CALL-ID', peer: bareOf(msg.from), media: client.media },
          { type: 'proceed', sid: 'WEB-CALL-ID', from: msg.from },
          { type: 'connected', sid: 'WEB-CALL-ID', at: 1 },
          { type: 'finish', sid: finish.id, from: msg.from },
        ]);
        assert.equal(state.endReason, 'remote-hangup');
      });
    }

    it('its session-initiate becomes an offer with its BUNDLE choice, ICE per m-line, DTLS and rtcp-mux', () => {
      const si = f.jingle.get('si')!;
      assert.equal(si.action, 'session-initiate');
      const sdp = jingleToSdp(si, 'initiator');
      const m = sections(sdp);
      assert.deepEqual(m.map((x) => /a=mid:(\S+)/.exec(x)?.[1]), si.contents!.map((c) => c.name));
      if (client.bundle) assert.match(sdp, new RegExp(`\\r\\na=group:BUNDLE ${si.contents!.map((c) => c.name).join(' ')}\\r\\n`));
      else assert.doesNotMatch(sdp, /a=group:/, 'no group the peer did not send');
      for (const section of m) {
        assert.match(section, /\r\na=ice-ufrag:\S{4,}\r\n/);
        assert.match(section, /\r\na=fingerprint:sha-256 [0-9A-F:]{95}\r\n/);
        assert.match(section, /\r\na=setup:actpass\r\n/);
        assert.match(section, /\r\na=rtcp-mux\r\n/);
        assert.doesNotMatch(section.split('\r\n')[0]!, /^\w+ 0 /, 'not a rejected m-line (port 0)');
      }
    });

    it('its transport-info becomes SDP candidate lines', () => {
      const ti = f.jingle.get('ti')!;
      assert.equal(ti.action, 'transport-info');
      for (const c of ti.contents ?? []) {
        assert.ok((c.transport as JingleIce).candidates?.length, 'candidates');
      }
    });

    it('its session-accept becomes an answer with its BUNDLE choice and the DTLS client role', () => {
      const sa = f.jingle.get('sa')!;
      assert.equal(sa.action, 'session-accept');
      const sdp = jingleToSdp(sa, 'responder');
      assert.equal(/a=group:BUNDLE/.test(sdp), client.bundle);
      assert.ok(sections(sdp).every((x) => x.includes('\r\na=setup:active\r\n')));
    });

    it('what we send back keeps its content names, and every candidate has XEP-0176\'s required attributes', () => {
      // its offer with its trickled candidates in the SDP, and back (SDP carries no id, network or generation)
      const si = structuredClone(f.jingle.get('si')!);
      for (const c of f.jingle.get('ti')!.contents ?? []) {
        const t = si.contents!.find((x) => x.name === c.name)!.transport as JingleIce;
        t.candidates = [...(t.candidates ?? []), ...((c.transport as JingleIce).candidates ?? [])];
      }
      const back = sdpToJingle(jingleToSdp(si, 'initiator'), 'initiator');
      assert.ok(back.contents!.some((c) => (c.transport as JingleIce).candidates?.length), 'candidates to check');
      assert.deepEqual(back.contents!.map((c) => c.name), si.contents!.map((c) => c.name));
      const xml = stanzas.export('iq', { type: 'set', to: 'x@y/z', id: 'i', jingle: { ...back, action: 'transport-info', sid: si.sid } as Jingle } as IQ)!.toString();
      for (const cand of xml.match(/<candidate [^>]*>/g) ?? []) {
        for (const attr of ['component', 'foundation', 'generation', 'id', 'ip', 'network', 'port', 'priority', 'protocol', 'type']) {
          assert.match(cand, new RegExp(` ${attr}="`), `${attr} on ${cand}`);
        }
      }
    });
  });
}

/** The m-sections of an SDP, each ending with its line break. */
function sections(sdp: string): string[] {
  return sdp.split(/\r\nm=/).slice(1).map((x) => (x.endsWith('\r\n') ? x : `${x}\r\n`));
}

function bareOf(jid: string): string {
  return jid.split('/')[0]!;
}

describe('fixtures/native', () => {
  it('holds a session-initiate, transport-info, session-accept and JMI messages for each client', () => {
    for (const client of NATIVE_CLIENTS) {
      const f = nativeFixture(client, stanzas);
      assert.deepEqual([...f.jingle.keys()].sort(), ['sa', 'si', 'ti'], client.name);
      assert.ok(f.messages.has('jm-propose') && f.messages.has('jm-proceed'), client.name);
      assert.ok(readFileSync(new URL(`./fixtures/native/${client.file}`, import.meta.url), 'utf8').startsWith('<!--'), `${client.name}: the file says where its stanzas come from`);
    }
  });
});
