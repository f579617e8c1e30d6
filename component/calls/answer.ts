// The participant's answer to a room re-offer, completed for the whole session. A content-accept
// carries only the added contents; WebRTC needs an answer for every m-line of the offer. So each
// offered m-line is answered from what the participant said about it: its own contents (it sends,
// the room receives), the contents it accepted, or nothing (refused: inactive). Pure.
import type { JingleContent } from './jingle-sdp.js';

type Transport = JingleContent['transport'];

function answerTransport(t: Transport): Transport {
  if (!t) return t;
  const fps = (t as { fingerprints?: Array<{ setup?: string }> }).fingerprints;
  // Candidates were exchanged already; an answer cannot say "actpass" (RFC 5763 §5): the room is
  // the DTLS client of every session, so the participant is the server.
  return { ...t, candidates: [], ...(fps ? { fingerprints: fps.map((f) => ({ ...f, setup: f.setup === 'actpass' ? 'passive' : f.setup })) } : {}) } as Transport;
}

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
