// Telling a receiver which videos the room has paused for it (last-N) and resumed, as a Jingle
// session-info (XEP-0166 §7.2.7) in Carillon's namespace. A client that does not know a
// session-info payload must answer <feature-not-implemented/> + <unsupported-info/>, so it goes
// only to participants whose disco#info (XEP-0030, queried at their full JID when they join the
// call) lists the namespace. A XEP-0167 §7 <mute/> would say the sender muted itself, which is
// not true here. Wire format in docs/calls.md.
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import type { Participant } from './participant.js';

export const PAUSE_REASON = 'last-n';
export const PAUSE_TEXT = 'not among the last N speakers';

/** The session-info for one content on q's session, paused (on = false) or resumed. */
export function forwardingInfo(q: Participant, mid: string, on: boolean): Element {
  return x('jingle', { xmlns: NS.JINGLE, action: 'session-info', sid: q.sid },
    on
      ? x('resumed', { xmlns: NS.CALL_FORWARDING, creator: 'responder', name: mid })
      : x('paused', { xmlns: NS.CALL_FORWARDING, creator: 'responder', name: mid, reason: PAUSE_REASON }, x('text', {}, PAUSE_TEXT)));
}

/** The disco#info query to a participant's full JID. */
export function discoQuery(from: string, to: string, id: string): Element {
  return x('iq', { type: 'get', from, to, id }, x('query', { xmlns: NS.DISCO_INFO }));
}

/** Does a disco#info result list the forwarding feature? */
export function announcesForwarding(reply: Element): boolean {
  if (reply.attrs.type !== 'result') return false;
  const q = reply.getChild('query', NS.DISCO_INFO);
  return !!q?.getChildren('feature').some((f) => f.attrs.var === NS.CALL_FORWARDING);
}
