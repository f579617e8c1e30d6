// Answers Carillon assembles itself rather than taking from a WebRTC stack: the call service
// re-offers to a participant (content-add) and must hand its media stack an answer for every
// m-line, while the participant's content-accept carries only the added contents. Pure.
import type { JingleContent, JingleIce } from 'stanza/protocol/index.js';
import { PROFILE } from './profile.js';

type Transport = JingleContent['transport'];

/**
 * A transport from a peer's earlier description, usable in an answer: candidates were exchanged
 * already, and the DTLS role an answer may not take (actpass) becomes the one left to the peer
 * (PROFILE.answer.setupFor, RFC 5763 §5).
 */
export function answerTransport(t: Transport): Transport {
  if (!t) return t;
  const fps = (t as JingleIce).fingerprints;
  const setupFor = PROFILE.answer.setupFor;
  return {
    ...t, candidates: [],
    ...(fps ? { fingerprints: fps.map((f) => ({ ...f, ...(f.setup && setupFor[f.setup] ? { setup: setupFor[f.setup] } : {}) })) } : {}),
  } as Transport;
}

/**
 * The participant's answer to a room re-offer, completed for the whole session. Each offered
 * m-line is answered from what the participant said about it: its own contents (it sends, the
 * room receives), the contents it accepted, or nothing (refused: inactive).
 */
export function completeAnswer(opts: {
  /** The room's offer, all contents in m-line order. */
  offered: JingleContent[];
  /** The participant's own contents (from its session-initiate). */
  own: JingleContent[];
  /** Contents it accepted so far (content-accept), by name. */
  accepted: Map<string, JingleContent>;
  /** Its transport (ICE credentials and DTLS fingerprint), from its latest description. */
  transport: Transport;
}): JingleContent[] {
  const transport = answerTransport(opts.transport);
  return opts.offered.map((offered) => {
    const own = opts.own.find((c) => c.name === offered.name);
    if (own) return { ...own, senders: own.senders === 'responder' || own.senders === 'none' ? 'none' : 'initiator', transport };
    const acc = opts.accepted.get(offered.name);
    if (acc) return { ...acc, transport };
    return { ...offered, creator: 'responder', senders: 'none', transport };
  });
}
