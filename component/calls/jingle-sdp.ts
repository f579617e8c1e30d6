// The one place where Jingle meets SDP. Jingle XML <-> typed objects through StanzaJS's JXT
// definitions (XEP-0166/0167/0176/0320/0338/0339/0293/0294), and typed Jingle <-> SDP through its
// Intermediate/Protocol translators. Nothing else in the component reads or writes SDP text.
import { randomBytes } from 'node:crypto';
import * as stanza from 'stanza';
import type { Jingle, JingleContent, JingleRtpDescription } from 'stanza/protocol/index.js';
import { importFromSDP, exportToSDP } from 'stanza/jingle/sdp/Intermediate.js';
import { convertIntermediateToRequest, convertRequestToIntermediate, convertIntermediateToCandidate, convertCandidateToIntermediate } from 'stanza/jingle/sdp/Protocol.js';
import type { JingleIce, JingleIceCandidate } from 'stanza/protocol/index.js';
import { StanzaError, type StanzaErrorType } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { parseXml, x, type Element } from '../../xmpp/xml.js';

export type { Jingle, JingleContent };
export type JingleSessionRole = 'initiator' | 'responder';

const registry = new stanza.JXT.Registry();
registry.define(stanza.Stanzas.default);

/** XEP-0166 §10 error: a stanza error with the Jingle-specific condition (type: RFC 6120's default unless given). */
export function jingleError(condition: string, jingleCondition?: string, text?: string, type?: StanzaErrorType): StanzaError {
  return new StanzaError(condition, text, type, jingleCondition ? [x(jingleCondition, { xmlns: NS.JINGLE_ERRORS })] : []);
}

/** Parse the <jingle/> payload of an IQ; malformed input is a bad-request (XEP-0166 §10). */
export function parseJingle(iq: Element): Jingle {
  let parsed: { jingle?: Jingle } | undefined;
  try {
    const copy = parseXml(iq.toString());
    copy.attrs.xmlns = NS.CLIENT;
    parsed = registry.import(stanza.JXT.parse(copy.toString())) as { jingle?: Jingle } | undefined;
  } catch (e) {
    throw jingleError('bad-request', undefined, `Malformed Jingle: ${(e as Error).message}`);
  }
  const j = parsed?.jingle;
  if (!j || !j.action || !j.sid) throw jingleError('bad-request', undefined, 'A Jingle request needs an action and a sid');
  return j;
}

/** Serialize a Jingle object to a <jingle/> element. */
export function jingleElement(j: Jingle): Element {
  const iq = registry.export('iq', { type: 'set', jingle: j } as never);
  if (!iq) throw new Error('cannot serialize Jingle');
  const el = parseXml(iq.toString());
  const jingle = el.getChild('jingle', NS.JINGLE);
  if (!jingle) throw new Error('cannot serialize Jingle');
  jingle.parent = undefined as unknown as Element;
  return jingle;
}

/** SDP (a local description) to Jingle contents and bundle groups, seen from `role`. */
export function sdpToJingle(sdp: string, role: JingleSessionRole): { contents: JingleContent[]; groups: Jingle['groups'] } {
  const req = convertIntermediateToRequest(importFromSDP(sdp), role, NS.JINGLE_ICE);
  for (const c of req.contents ?? []) completeCandidates((c.transport as JingleIce | undefined)?.candidates ?? []);
  return { contents: req.contents ?? [], groups: req.groups ?? [] };
}

/**
 * XEP-0176 §5.2: generation, id and network are REQUIRED on a <candidate/>, and StanzaJS leaves
 * them out of what it builds from SDP (strict parsers such as xmpp-parsers refuse that). SDP has
 * neither an id nor a network index: a fresh id, network 0 and generation 0.
 */
export function completeCandidates(candidates: JingleIceCandidate[]): JingleIceCandidate[] {
  for (const c of candidates) {
    c.generation ??= 0;
    c.network ??= 0;
    c.id ??= randomBytes(6).toString('hex');
  }
  return candidates;
}

/**
 * XEP-0339 sources to what StanzaJS's translator reads: clients such as Conversations and Dino list
 * <source/> elements without the XEP-0167 `ssrc` attribute; the primary SSRC is the first of the FID
 * group (RFC 5576 §4.2), else the first source. Order is kept: the primary stays first.
 */
function normalizeSources(content: JingleContent): JingleContent {
  const app = content.application as JingleRtpDescription | undefined;
  if (!app || app.applicationType !== NS.JINGLE_RTP || app.ssrc || !app.sources?.length) return content;
  const fid = app.sourceGroups?.find((g) => g.semantics === 'FID' && g.sources.length >= 2);
  const primary = fid ? fid.sources[0] : app.sources[0].ssrc;
  const i = app.sources.findIndex((src) => src.ssrc === primary);
  const sources = i > 0 ? [app.sources[i], ...app.sources.filter((_, k) => k !== i)] : app.sources;
  return { ...content, application: { ...app, ssrc: primary, sources } as JingleRtpDescription };
}

/** Jingle contents (the peer's, in m-line order) to SDP, seen from the peer's `peerRole`. */
export function jingleToSdp(contents: JingleContent[], groups: Jingle['groups'], peerRole: JingleSessionRole): string {
  return exportToSDP(convertRequestToIntermediate({ sid: '', contents: contents.map(normalizeSources), groups } as Jingle, peerRole));
}

/** One ICE candidate of a transport-info as an SDP candidate line (without "a="). */
export function candidateToSdp(c: JingleIceCandidate): string {
  const i = convertCandidateToIntermediate(c);
  const parts = [`candidate:${i.foundation}`, i.component === 'rtp' ? 1 : i.component === 'rtcp' ? 2 : i.component, i.protocol, i.priority, i.address, i.port, 'typ', i.type];
  if (i.relatedAddress) parts.push('raddr', i.relatedAddress, 'rport', i.relatedPort ?? 0);
  if (i.tcpType) parts.push('tcptype', i.tcpType);
  return parts.join(' ');
}

export function transportCandidates(content: JingleContent): JingleIceCandidate[] {
  const t = content.transport as JingleIce | undefined;
  return t?.candidates ?? [];
}

/**
 * Advertise only what peers can reach: candidates of the bound address when one is set, and the
 * public address instead of the bound one behind a 1:1 NAT (duplicates dropped).
 */
export function rewriteCandidates(contents: JingleContent[], media: { bindAddress?: string; publicAddress?: string }): void {
  for (const c of contents) {
    const t = c.transport as JingleIce | undefined;
    if (!t?.candidates) continue;
    let cands = t.candidates;
    if (media.bindAddress && media.bindAddress !== '0.0.0.0') cands = cands.filter((k) => k.ip === media.bindAddress);
    if (media.publicAddress) {
      const seen = new Set<string>();
      cands = cands.map((k) => ({ ...k, ip: media.publicAddress! })).filter((k) => {
        const key = `${k.protocol} ${k.port} ${k.component}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    }
    t.candidates = cands;
  }
}

/** Label each source of the given contents with its owner's occupant JID. */
export function labelSources(jingle: Element, owners: Map<string, string>, screens: ReadonlySet<string> = new Set(), screenParameter?: { name: string; value: string }): void {
  for (const content of jingle.getChildren('content')) {
    const owner = owners.get(content.attrs.name as string);
    if (!owner) continue;
    const desc = content.getChild('description', NS.JINGLE_RTP);
    const stream = desc?.getChild('stream', NS.JINGLE_MSID);
    for (const src of desc?.getChildren('source', NS.SSMA) ?? []) {
      // Jitsi's element, and the same as a XEP-0339 parameter so that clients which only keep the
      // parsed <parameter/>s (StanzaJS's JXT) see it too; browsers ignore unknown a=ssrc attributes.
      const added = [x('parameter', { name: 'owner', value: owner }), x('ssrc-info', { xmlns: 'http://jitsi.org/jitmeet', owner })];
      if (screenParameter && screens.has(content.attrs.name as string)) added.push(x('parameter', screenParameter));
      // XEP-0339: the msid as a source parameter too, for clients that read it there.
      if (stream && !src.getChildren('parameter').some((p) => p.attrs.name === 'msid')) {
        added.unshift(x('parameter', { name: 'msid', value: `${stream.attrs.id as string} ${stream.attrs.track as string}` }));
      }
      for (const el of added) { el.parent = src; src.children.push(el); }
    }
  }
}

export { convertIntermediateToCandidate };
