// Which domains a peer certificate names (RFC 6125 DNS-IDs, as Node's checkServerIdentity applies them).
import assert from 'node:assert/strict';
import type { PeerCertificate } from 'node:tls';
import { certificateMatches } from '../../federation/certificates.js';

const cert = (cn: string, san?: string) => ({ subject: { CN: cn }, subjectaltname: san }) as unknown as PeerCertificate;

describe('peer certificate names', () => {
  const table: [string, PeerCertificate | undefined, string, boolean][] = [
    ['the domain itself', cert('example.org', 'DNS:example.org, DNS:*.example.org'), 'example.org', true],
    ['a subdomain under the wildcard', cert('example.org', 'DNS:example.org, DNS:*.example.org'), 'call.example.org', true],
    ['not two levels under the wildcard', cert('example.org', 'DNS:*.example.org'), 'a.b.example.org', false],
    ['another domain', cert('example.org', 'DNS:example.org'), 'example.net', false],
    ['a CN that the SAN list overrides', cert('example.org', 'DNS:other.example'), 'example.org', false],
    ['no certificate', undefined, 'example.org', false],
  ];
  for (const [name, c, domain, want] of table) {
    it(`${want ? 'accepts' : 'rejects'} ${name}`, () => assert.equal(certificateMatches(c, domain), want));
  }
});
