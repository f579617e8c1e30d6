// Peer certificates on s2s streams (RFC 6120 §13.7.2, RFC 6125): a certificate authenticates a
// domain when it chains to a trusted root and names that domain (DNS-ID, wildcards allowed one level).
import { rootCertificates, checkServerIdentity, createSecureContext, type PeerCertificate, type SecureContext } from 'node:tls';
import type { TlsMaterial } from '../server/tls.js';

/** Whether a (chain-verified) certificate is valid for `domain`. */
export function certificateMatches(cert: PeerCertificate | undefined, domain: string): boolean {
  if (!cert || !cert.subject) return false;
  return checkServerIdentity(domain, cert) === undefined;
}

/** Our certificate, presented on both sides, and the roots we trust for peers (the system's plus extra). */
export function s2sContext(material: TlsMaterial, extraCa: string[] = []): { context: SecureContext; ca: string[] } {
  const ca = [...rootCertificates, ...extraCa];
  return { context: createSecureContext({ cert: material.cert, key: material.key, ca }), ca };
}
