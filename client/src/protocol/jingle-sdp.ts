// Jingle ↔ SDP. StanzaJS translates (jingle/sdp/Protocol + Intermediate); this file is the one
// place where its output is adjusted to what other XMPP clients send and expect, and the only
// place in the client that knows about SDP.
//
// What needs adjusting, found against Conversations/Dino-style session-initiates:
// - XEP-0339 sources: those clients describe every SSRC with <source/> (cname, msid) and group
//   primary+RTX with <ssrc-group semantics='FID'/>, and do not set the XEP-0167 `ssrc` attribute
//   on <description/>. StanzaJS builds `a=ssrc`/`a=ssrc-group` only from that attribute, so the
//   primary SSRC is taken from the FID group (first listed is the primary, RFC 5576 §4.2), else
//   from the first source.
// - An fmtp without key=value pairs (Chromium's RED: `a=fmtp:63 111/111`) becomes a <parameter/>
//   without a value, which Conversations' SDP writer rejects (the whole call fails); such
//   parameters are left out, as Conversations itself does.
// - In the other direction StanzaJS announces the RTX SSRC only inside the FID group; a group that
//   names an SSRC without its own <source/> is refused by some libwebrtc-based parsers, so the RTX
//   source is added with the primary's parameters. The primary always stays first: the order of
//   sources is meaningful and must never be re-sorted (e.g. by keying an object on SSRC strings).
import type { Jingle, JingleContent, JingleRtpDescription } from 'stanza/protocol/index.js';
import { Namespaces } from 'stanza';
import * as SdpProtocol from 'stanza/jingle/sdp/Protocol.js';
import * as SdpIntermediate from 'stanza/jingle/sdp/Intermediate.js';
import { Constants } from 'stanza';

/**
 * BUNDLE (RFC 8843) when the peer takes it, one ICE transport per content when it does not:
 * Dino negotiates a transport per content and answers without <group semantics='BUNDLE'/>,
 * which RFC 8843 §7.3.3 allows the answerer to do. With 'max-bundle' Chromium refuses such an
 * answer ("cannot remove m= section ... from already-established BUNDLE group"); 'balanced'
 * gathers per media type, offers the group, and uses whichever the answer says. Peers that
 * BUNDLE (browsers, Conversations, the call service) still share one transport.
 */
export const BUNDLE_POLICY: RTCBundlePolicy = 'balanced';

/** RFC 6120 §8.3.3: the defined stanza error conditions. */
const STANZA_CONDITIONS = new Set<string>(Object.values(Constants.StanzaErrorCondition));
/** XEP-0166 §10: the Jingle-specific error conditions. */
const JINGLE_CONDITIONS = new Set<string>(Object.values(Constants.JingleErrorCondition));

export interface IqError {
  type: 'cancel' | 'modify' | 'auth' | 'wait' | 'continue';
  condition: string;
  jingleError?: string;
  text?: string;
}

/**
 * The error StanzaJS's Jingle code hands back for a request it could not process, as an IQ error
 * that names a defined condition. StanzaJS passes Jingle reasons (`general-error` when an SDP
 * cannot be applied) or plain exceptions, which serialize as a bare <error type='cancel'/>; those
 * become `bad-request` with the reason as text. Defined conditions pass through unchanged.
 */
export function jingleIqError(err: unknown): IqError {
  const e = (err ?? {}) as { type?: string; condition?: string; jingleError?: string; text?: string; message?: string };
  const known = e.condition !== undefined && STANZA_CONDITIONS.has(e.condition);
  const out: IqError = {
    type: (['cancel', 'modify', 'auth', 'wait', 'continue'] as const).find((t) => t === e.type) ?? (known ? 'cancel' : 'modify'),
    condition: known ? e.condition! : 'bad-request',
  };
  if (e.jingleError && JINGLE_CONDITIONS.has(e.jingleError)) out.jingleError = e.jingleError;
  const text = e.text ?? (known ? undefined : e.message ?? e.condition);
  if (text) out.text = String(text);
  return out;
}

export type Role = 'initiator' | 'responder';

function rtp(content: JingleContent): JingleRtpDescription | undefined {
  const app = content.application as JingleRtpDescription | undefined;
  return app && app.applicationType === Namespaces.NS_JINGLE_RTP_1 ? app : undefined;
}

// RFC 3551 §6: static payload types may omit the clock rate in Jingle, but SDP's rtpmap needs it.
const STATIC_CLOCK: Record<string, number> = {
  0: 8000, 3: 8000, 4: 8000, 5: 8000, 6: 16000, 7: 8000, 8: 8000, 9: 8000, 10: 44100, 11: 44100,
  12: 8000, 13: 8000, 14: 90000, 15: 8000, 16: 11025, 17: 22050, 18: 8000,
  25: 90000, 26: 90000, 28: 90000, 31: 90000, 32: 90000, 33: 90000, 34: 90000,
};

/** Fills the XEP-0167 `ssrc` StanzaJS relies on from XEP-0339 sources and groups (incoming). */
export function normalizeRemoteJingle(jingle: Jingle): Jingle {
  for (const content of jingle.contents ?? []) {
    const app = rtp(content);
    if (!app) continue;
    for (const codec of app.codecs ?? []) {
      if (!codec.clockRate) codec.clockRate = STATIC_CLOCK[codec.id] ?? (app.media === 'video' ? 90000 : 8000);
    }
    // XEP-0339 §3.2 msid parameter → the SDP a=msid StanzaJS writes from <stream/>
    if (!app.streams?.length) {
      const msid = app.sources?.find((src) => src.parameters?.msid)?.parameters.msid?.split(' ');
      if (msid?.[0]) app.streams = [{ id: msid[0], ...(msid[1] ? { track: msid[1] } : {}) }];
    }
    if (app.ssrc || !app.sources?.length) continue;
    const fid = app.sourceGroups?.find((g) => g.semantics === 'FID' && g.sources.length >= 2);
    const primary = fid ? fid.sources[0]! : app.sources[0]!.ssrc;
    app.ssrc = primary;
    // StanzaJS takes the cname from the first source: make it the primary's, keep the others' order
    const i = app.sources.findIndex((s) => s.ssrc === primary);
    if (i > 0) app.sources.unshift(...app.sources.splice(i, 1));
    if (fid && app.sourceGroups![0] !== fid) app.sourceGroups = [fid, ...app.sourceGroups!.filter((g) => g !== fid)];
  }
  return jingle;
}

/**
 * XEP-0176 §5.2 makes generation, id and network REQUIRED on every <candidate/>; StanzaJS leaves
 * all three out of what it builds from SDP, and strict parsers (xmpp-parsers, which Monal's Jingle
 * goes through) refuse such a candidate. The SDP has no id and no network index: a fresh id, and
 * network 0 (one network per peer, as a browser exposes it) and generation 0 (RFC 8445 has no
 * generations; an ICE restart changes ufrag and pwd instead).
 */
function completeCandidates(content: JingleContent): void {
  const transport = content.transport as { transportType?: string; candidates?: Array<{ generation?: number; id?: string; network?: number }> } | undefined;
  if (transport?.transportType !== Namespaces.NS_JINGLE_ICE_UDP_1) return;
  for (const c of transport.candidates ?? []) {
    c.generation ??= 0;
    c.network ??= 0;
    c.id ??= candidateId();
  }
}

function candidateId(): string {
  const b = new Uint8Array(6);
  globalThis.crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * Declares every SSRC named in a group as a <source/> (outgoing), primary first, and gives each
 * source the msid parameter (XEP-0339 §3.2) that clients without StanzaJS's <stream/> read.
 */
export function normalizeLocalJingle(jingle: Jingle): Jingle {
  for (const content of jingle.contents ?? []) {
    completeCandidates(content);
    const app = rtp(content);
    if (!app) continue;
    for (const codec of app.codecs ?? []) {
      for (const [name, value] of Object.entries(codec.parameters ?? {})) {
        if (value === undefined || value === '') delete codec.parameters![name];
      }
    }
    const stream = app.streams?.[0];
    const msid = stream ? `${stream.id}${stream.track ? ` ${stream.track}` : ''}` : undefined;
    if (msid) for (const src of app.sources ?? []) src.parameters = { ...src.parameters, msid: src.parameters?.msid ?? msid };
    if (!app.sourceGroups?.length) continue;
    app.sources = app.sources ?? [];
    const template = app.sources[0];
    for (const group of app.sourceGroups) {
      for (const ssrc of group.sources) {
        if (!app.sources.some((s) => s.ssrc === ssrc)) {
          app.sources.push({ ssrc, parameters: { ...(template?.parameters ?? {}) } });
        }
      }
    }
  }
  return jingle;
}

/** A remote Jingle description as the SDP a browser's setRemoteDescription takes. */
export function jingleToSdp(jingle: Jingle, remoteRole: Role): string {
  const session = SdpProtocol.convertRequestToIntermediate(normalizeRemoteJingle(structuredClone(jingle)), remoteRole);
  return SdpIntermediate.exportToSDP(session);
}

/** A local browser SDP as the Jingle contents and groups to send. */
export function sdpToJingle(sdp: string, localRole: Role): Partial<Jingle> {
  const jingle = SdpProtocol.convertIntermediateToRequest(SdpIntermediate.importFromSDP(sdp), localRole, Namespaces.NS_JINGLE_ICE_UDP_1) as Jingle;
  return normalizeLocalJingle(jingle);
}
