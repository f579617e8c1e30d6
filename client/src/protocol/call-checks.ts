// The checks around a call that need facts from outside the call machine: before ringing, can
// any of the contact's clients take the call; after ICE failed, why. Pure, like the machine.
import type { IceFailure, Media } from './call-machine.js';

/** What one resource of the contact is known to support; `features` undefined when unknown. */
export interface PeerResource { jid: string; features?: readonly string[] }

export const NS_JINGLE = 'urn:xmpp:jingle:1';
export const NS_JINGLE_RTP = 'urn:xmpp:jingle:apps:rtp:1';

/**
 * The check before ringing: `resources` are the contact's available resources (RFC 6121 §4), or
 * undefined when we do not see their presence (no subscription) and cannot know. A resource can
 * take the call if it advertises Jingle, Jingle RTP and the medium (XEP-0166 §11, XEP-0167 §11:
 * urn:xmpp:jingle:apps:rtp:audio / :video). A resource whose features could not be learnt may.
 */
export function reachability(resources: readonly PeerResource[] | undefined, media: Media): 'unknown' | 'offline' | 'incapable' | 'ok' {
  if (resources === undefined) return 'unknown';
  if (resources.length === 0) return 'offline';
  const needs = [NS_JINGLE, NS_JINGLE_RTP, `${NS_JINGLE_RTP.slice(0, -2)}:${media}`];
  const can = (r: PeerResource) => r.features === undefined || needs.every((f) => r.features!.includes(f));
  return resources.some(can) ? 'ok' : 'incapable';
}

/**
 * Why ICE failed, from what this side saw: no TURN server from XEP-0215 at all; a TURN server that
 * answered our Allocate with a 4xx error (RTCPeerConnection `icecandidateerror`, e.g. 401 for
 * credentials it does not accept, RFC 8656 §7.3); or a relay that worked and still no pair did.
 */
export function diagnoseIce(p: { relayConfigured: boolean; relayErrors: readonly number[] }): IceFailure {
  if (!p.relayConfigured) return 'no-relay';
  if (p.relayErrors.some((c) => c >= 400 && c < 500)) return 'relay-refused';
  return 'blocked';
}
