// A participant's own new source during the call (a shared screen): XEP-0166 §6.7 content-add
// from the participant, answered with content-accept; content-remove (§6.9) when it stops. The
// room rebuilds the participant's whole offer from what it said so far, because WebRTC needs an
// offer for every m-line and a content-add carries only the new ones. Pure.
import type { JingleRtpDescription } from 'stanza/protocol/index.js';
import type { JingleContent } from './jingle.js';
import { SCREEN_PARAMETER } from '../../xmpp/jingle-sdp/index.js';

/**
 * A screen is marked on its XEP-0339 sources with `<parameter name='content' value='slides'/>`,
 * the source-level form of RFC 4796's `a=content:slides` (a presentation beside the main video):
 * StanzaJS-based clients keep only parsed parameters, and browsers ignore unknown ssrc attributes.
 */
export { SCREEN_PARAMETER };

export function isScreen(content: JingleContent): boolean {
  const app = content.application as JingleRtpDescription | undefined;
  return !!app?.sources?.some((s) => s.parameters?.[SCREEN_PARAMETER.name] === SCREEN_PARAMETER.value);
}

/**
 * The participant's offer for the whole session, in the m-line order already negotiated (`mids`),
 * followed by the added contents: its own contents as it sent them, the room's contents as it
 * accepted them, refused ones with senders 'none'. Every content gets the transport of the
 * content-add (the same ICE credentials and DTLS fingerprint, BUNDLE).
 */
export function participantOffer(opts: {
  mids: string[];
  own: JingleContent[];
  accepted: Map<string, JingleContent>;
  /** The room's own description of the session (its current local SDP), for refused m-lines. */
  room: JingleContent[];
  added: JingleContent[];
}): JingleContent[] {
  const transport = opts.added[0]?.transport;
  const known = opts.mids.map((mid): JingleContent | undefined => {
    const own = opts.own.find((c) => c.name === mid);
    if (own) return { ...own, transport };
    const acc = opts.accepted.get(mid);
    if (acc) return { ...acc, transport };
    const refused = opts.room.find((c) => c.name === mid);
    return refused ? { ...refused, creator: 'responder', senders: 'none', transport } : undefined;
  });
  if (known.some((c) => !c)) throw new Error('an m-line of the session is unknown');
  return [...(known as JingleContent[]), ...opts.added.map((c) => ({ ...c, transport }))];
}
