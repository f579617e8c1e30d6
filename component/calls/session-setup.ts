// A participant joins the call: its session-initiate (XEP-0166 §6.2) is checked and acknowledged,
// the data plane gets a peer for it and answers its offer, and the room sends session-accept
// (§6.3). Its sources then go to the others (renegotiation.ts), and theirs to it.
import { StanzaError } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { jingleToSdp, restrictCandidates, sdpToJingle } from '../../xmpp/jingle-sdp/index.js';
import { jingleElement, jingleError, type Jingle } from './jingle.js';
import { Participant } from './participant.js';
import { callCap } from './call-cap.js';
import { announcesForwarding, discoQuery } from './forwarding-info.js';
import { send, tellForwarding, type CallContext } from './call-context.js';
import { renegotiate, renegotiateOthers } from './renegotiation.js';
import { remove, terminate } from './removal.js';

export function initiate(call: CallContext, j: Jingle, from: string, nick: string): void {
  const contents = j.contents ?? [];
  if (contents.length === 0) throw jingleError('bad-request', undefined, 'session-initiate without contents');
  for (const c of contents) {
    if (!c.name || !c.application || !c.transport) throw jingleError('bad-request', undefined, 'Each content needs a name, a description and a transport');
    const codecs = (c.application as { codecs?: Array<{ id: string }> }).codecs ?? [];
    if (codecs.some((pt) => !/^\d{1,3}$/.test(pt.id) || Number(pt.id) > 127)) throw jingleError('bad-request', undefined, 'Payload type ids are 0-127');
  }
  const existing = call.participants.get(from);
  if (existing?.sid === j.sid) throw jingleError('unexpected-request', 'out-of-order', 'Session already initiated', 'cancel');
  const others = [...call.participants.values()].filter((p) => p.jid !== from).length;
  const cap = callCap(call.max, call.room.config.callMaxParticipants);
  if (cap > 0 && others >= cap) {
    throw new StanzaError('resource-constraint', `The call is full (${cap} participants)`);
  }
  const bad = contents.find((c) => c.application?.applicationType !== NS.JINGLE_RTP);
  const badTransport = contents.find((c) => c.transport?.transportType !== NS.JINGLE_ICE);
  const noDtls = contents.find((c) => !(c.transport as { fingerprints?: unknown[] } | undefined)?.fingerprints?.length);
  // Translate now so that malformed descriptions are refused in the IQ reply, not later.
  let offerSdp = '';
  if (!bad && !badTransport && !noDtls) {
    try {
      offerSdp = jingleToSdp({ contents, groups: j.groups }, 'initiator');
    } catch (e) {
      throw jingleError('bad-request', undefined, `Cannot use this description: ${(e as Error).message}`);
    }
  }
  if (existing) remove(call, existing, 'success');
  if (bad || badTransport || noDtls) {
    setImmediate(() => {
      // XEP-0166 responder rules: acknowledge first, then refuse what cannot be used with a session-terminate.
      if (bad) return terminate(call, from, j.sid, 'unsupported-applications');
      if (badTransport) return terminate(call, from, j.sid, 'unsupported-transports');
      return terminate(call, from, j.sid, 'security-error', 'DTLS-SRTP (XEP-0320) is required');
    });
    return;
  }
  // Known from now on, so that trickled candidates (transport-info) right behind are not refused.
  const p = new Participant(from, nick, j.sid);
  p.own = contents;
  call.participants.set(from, p);
  call.track(p, true);
  // Does it take forwarding session-info (forwarding-info.ts)? Asked once per session; errors mean no.
  call.ctx.request(discoQuery(call.room.jid, from, call.ctx.nextId())).then((r) => {
    p.hearsForwarding = announcesForwarding(r);
    // what was paused before the answer came
    for (const [mid, sub] of p.subscriptions) if (sub.paused && !sub.removed) tellForwarding(call, p, mid, false);
  }, () => undefined);
  call.lastN.join(p, call.participants.values());
  p.created = call.router.createPeer(call.room.jid, p.peerId);
  p.created.catch(() => undefined);
  setImmediate(() => void accept(call, p, j, offerSdp));
}

async function accept(call: CallContext, p: Participant, j: Jingle, offerSdp: string): Promise<void> {
  const from = p.jid;
  if (p.closed) return;
  try {
    await p.created;
    const answer = await call.router.answer(p.peerId, offerSdp);
    p.localSdp = answer;
    // its sources came as events before the answer (one port, in order): offered to the others at once
    if (p.sources.size > 0) renegotiateOthers(call, p);
    if (p.closed) return;
    const { contents, groups } = sdpToJingle(answer, 'responder');
    restrictCandidates(contents, call.media);
    const accept = jingleElement({ action: 'session-accept', sid: j.sid, responder: call.room.jid as never, contents, groups } as Jingle);
    await send(call, from, accept);
    p.active = true;
    for (const s of p.sources.values()) void call.router.requestKeyframe({ peerId: p.peerId, mid: s.mid }).catch(() => undefined);
    void renegotiate(call, p);
  } catch (e) {
    call.ctx.log.warn({ err: (e as Error).message, room: call.room.jid }, 'session-accept failed');
    remove(call, p, 'failed-application');
  }
}
