// A local WebRTC description (a browser's, werift's) -> the Jingle contents and groups to send.
// StanzaJS translates; the outgoing rules of the interop profile (profile.ts) are applied after.
import type { Jingle, JingleContent } from 'stanza/protocol/index.js';
import { convertIntermediateToRequest } from 'stanza/jingle/sdp/Protocol.js';
import { importFromSDP } from 'stanza/jingle/sdp/Intermediate.js';
import { completeCandidates } from './candidates.js';
import { rtpDescription, type Role } from './jingle-to-sdp.js';
import { PROFILE } from './profile.js';

const NS_ICE_UDP = 'urn:xmpp:jingle:transports:ice-udp:1';

export interface JingleDescription {
  contents: JingleContent[];
  groups: NonNullable<Jingle['groups']>;
}

/** The outgoing rules of the profile, in place, on every content (returns its argument). */
export function normalizeLocalJingle<T extends Pick<Jingle, 'contents'>>(jingle: T): T {
  const rules = PROFILE.outgoing;
  completeCandidates(jingle.contents ?? []);
  for (const content of jingle.contents ?? []) {
    const app = rtpDescription(content);
    if (!app) continue;
    if (rules.dropValuelessParameters) {
      for (const codec of app.codecs ?? []) {
        for (const [name, value] of Object.entries(codec.parameters ?? {})) {
          if (value === undefined || value === '') delete codec.parameters![name];
        }
      }
    }
    const stream = app.streams?.[0];
    const msid = stream ? `${stream.id}${stream.track ? ` ${stream.track}` : ''}` : undefined;
    if (msid) {
      for (const src of app.sources ?? []) src.parameters = { ...src.parameters, [rules.msidSourceParameter]: src.parameters?.[rules.msidSourceParameter] ?? msid };
    }
    if (!rules.declareGroupedSources || !app.sourceGroups?.length) continue;
    app.sources ??= [];
    const template = app.sources[0];
    for (const group of app.sourceGroups) {
      for (const ssrc of group.sources) {
        if (!app.sources.some((s) => s.ssrc === ssrc)) app.sources.push({ ssrc, parameters: { ...(template?.parameters ?? {}) } });
      }
    }
  }
  return jingle;
}

/** A local description as Jingle, seen from our own `localRole` in the session. */
export function sdpToJingle(sdp: string, localRole: Role): JingleDescription {
  const req = convertIntermediateToRequest(importFromSDP(sdp), localRole, NS_ICE_UDP);
  const out: JingleDescription = { contents: req.contents ?? [], groups: req.groups ?? [] };
  return normalizeLocalJingle(out);
}
