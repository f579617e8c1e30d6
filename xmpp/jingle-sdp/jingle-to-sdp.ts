// A peer's Jingle description -> the SDP a WebRTC stack (a browser, werift) applies. StanzaJS
// translates; the incoming rules of the interop profile (profile.ts) are applied before.
import type { Jingle, JingleContent, JingleRtpDescription } from 'stanza/protocol/index.js';
import { convertRequestToIntermediate } from 'stanza/jingle/sdp/Protocol.js';
import { exportToSDP } from 'stanza/jingle/sdp/Intermediate.js';
import { PROFILE, type Media } from './profile.js';

export type Role = 'initiator' | 'responder';

const NS_RTP = 'urn:xmpp:jingle:apps:rtp:1';

export function rtpDescription(content: JingleContent): JingleRtpDescription | undefined {
  const app = content.application as JingleRtpDescription | undefined;
  return app && app.applicationType === NS_RTP ? app : undefined;
}

/** PROFILE.incoming applied in place to one RTP description. */
function normalizeDescription(app: JingleRtpDescription): void {
  const rules = PROFILE.incoming;
  for (const codec of app.codecs ?? []) {
    if (!codec.clockRate) codec.clockRate = rules.staticClockRates[codec.id] ?? rules.defaultClockRate[(app.media ?? 'audio') as Media];
  }
  if (!app.streams?.length) {
    const msid = app.sources?.find((src) => src.parameters?.[rules.msidFromSourceParameter])?.parameters[rules.msidFromSourceParameter]?.split(' ');
    if (msid?.[0]) app.streams = [{ id: msid[0], ...(msid[1] ? { track: msid[1] } : {}) }];
  }
  if (app.ssrc || !app.sources?.length) return;
  const group = app.sourceGroups?.find((g) => g.semantics === rules.primarySsrcGroup && g.sources.length >= 2);
  const primary = group ? group.sources[0]! : app.sources[0]!.ssrc;
  app.ssrc = primary;
  const i = app.sources.findIndex((s) => s.ssrc === primary);
  if (i > 0) app.sources.unshift(...app.sources.splice(i, 1));
  if (group && app.sourceGroups![0] !== group) app.sourceGroups = [group, ...app.sourceGroups!.filter((g) => g !== group)];
}

/** The incoming rules of the profile, in place, on every RTP content (returns its argument). */
export function normalizeRemoteJingle<T extends Pick<Jingle, 'contents'>>(jingle: T): T {
  for (const content of jingle.contents ?? []) {
    const app = rtpDescription(content);
    if (app) normalizeDescription(app);
  }
  return jingle;
}

/**
 * A peer's contents and groups (in m-line order) as SDP. `peerRole` is the peer's role in the
 * session: it decides which side `senders` names. The argument is not changed.
 */
export function jingleToSdp(jingle: Pick<Jingle, 'contents' | 'groups'>, peerRole: Role): string {
  const copy = normalizeRemoteJingle(structuredClone({ sid: '', contents: jingle.contents ?? [], groups: jingle.groups ?? [] }));
  return exportToSDP(convertRequestToIntermediate(copy as Jingle, peerRole));
}
