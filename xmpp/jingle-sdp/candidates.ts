// XEP-0176 candidates <-> SDP candidate attributes (RFC 8839 §5.1). Whole descriptions carry their
// candidates through StanzaJS's translator; trickled ones (transport-info) go through here, and
// both write the same line (the fixture runner checks that).
import type { JingleContent, JingleIce, JingleIceCandidate } from 'stanza/protocol/index.js';
import { PROFILE } from './profile.js';

const NS_ICE_UDP = 'urn:xmpp:jingle:transports:ice-udp:1';

function ice(content: JingleContent): JingleIce | undefined {
  const t = content.transport as JingleIce | undefined;
  return t?.transportType === NS_ICE_UDP ? t : undefined;
}

/** The ICE candidates of a content (none for another transport). */
export function transportCandidates(content: JingleContent): JingleIceCandidate[] {
  return ice(content)?.candidates ?? [];
}

/**
 * One candidate as an SDP candidate attribute value (without "a="), in the form StanzaJS writes
 * into whole descriptions: component as a number, transport upper-case (RFC 8839 §5.1 makes it
 * case-insensitive), raddr/rport only for non-host candidates, tcptype only for TCP (RFC 6544 §4.5).
 */
export function candidateToSdp(c: JingleIceCandidate): string {
  const protocol = c.protocol ?? 'udp';
  const parts: Array<string | number> = [`candidate:${c.foundation}`, c.component, protocol.toUpperCase(), c.priority, c.ip, c.port, 'typ', c.type];
  if (c.type !== 'host' && c.relatedAddress && c.relatedPort !== undefined) parts.push('raddr', c.relatedAddress, 'rport', c.relatedPort);
  if (c.tcpType && protocol === 'tcp') parts.push('tcptype', c.tcpType);
  return parts.join(' ');
}

/** An SDP candidate attribute value ("candidate:…", with or without "a=") as a XEP-0176 candidate. */
export function sdpToCandidate(line: string, content = '', ufrag = ''): JingleIceCandidate {
  const bits = line.replace(/^a=/, '').replace(/^candidate:/, '').trim().split(/\s+/);
  if (bits.length < 8 || bits[6] !== 'typ') throw new Error(`Not an SDP candidate: ${line}`);
  const c: JingleIceCandidate = {
    component: Number(bits[1]), foundation: bits[0]!, ip: bits[4]!, port: Number(bits[5]), priority: Number(bits[3]),
    protocol: bits[2]!.toLowerCase() as 'udp' | 'tcp', type: bits[7] as JingleIceCandidate['type'],
  };
  for (let i = 8; i + 1 < bits.length; i += 2) {
    const [k, v] = [bits[i], bits[i + 1]!];
    if (k === 'raddr') c.relatedAddress = v;
    else if (k === 'rport') c.relatedPort = Number(v);
    else if (k === 'tcptype') c.tcpType = v as JingleIceCandidate['tcpType'];
  }
  return completeCandidate(c, content, ufrag);
}

/**
 * XEP-0176 §5.2's REQUIRED generation, network and id (PROFILE.outgoing.candidateDefaults). The id
 * is derived from what makes the candidate unique in its session (content, ICE credentials,
 * foundation, component, transport, address), so the same description always gives the same
 * stanza. It starts with a letter: the schema types it as an NCName.
 */
export function completeCandidate(c: JingleIceCandidate, content = '', ufrag = ''): JingleIceCandidate {
  c.generation ??= PROFILE.outgoing.candidateDefaults.generation;
  c.network ??= PROFILE.outgoing.candidateDefaults.network;
  c.id ??= `c${fnv1a(`${content} ${ufrag} ${candidateToSdp(c)}`)}`;
  return c;
}

/** Completes every candidate of every ICE content (see completeCandidate). */
export function completeCandidates(contents: JingleContent[]): void {
  for (const content of contents) {
    const t = ice(content);
    for (const c of t?.candidates ?? []) completeCandidate(c, content.name, t?.usernameFragment);
  }
}

/**
 * Advertise only what peers can reach: candidates of the bound address when one is set, and the
 * public address instead of the bound one behind a 1:1 NAT (duplicates dropped).
 */
export function restrictCandidates(contents: JingleContent[], media: { bindAddress?: string; publicAddress?: string }): void {
  for (const content of contents) {
    const t = ice(content);
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

/** 32-bit FNV-1a, hex: a short stable digest without a crypto API (this module runs in browsers too). */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
