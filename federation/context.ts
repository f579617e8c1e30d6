// What the incoming and outgoing streams share: the server, our keys and certificate, the policy.
import type { SecureContext } from 'node:tls';
import type { XmppServer } from '../server/core/server.js';
import type { Logger } from '../server/log.js';
import type { RateLimit } from '../server/transport/rate-limit.js';
import type { DialbackKeys } from './dialback.js';
import type { ResolveOptions } from './resolve.js';

export type VerifyOutcome = 'valid' | 'invalid' | 'timeout' | 'unreachable';

export interface FederationContext {
  server: XmppServer;
  log: Logger;
  keys: DialbackKeys;
  tls: { context: SecureContext; ca: string[]; cert: string; key: string };
  /** Like Prosody's s2s_secure_auth: peers must present a certificate valid for their domain. */
  requireValidCertificates: boolean;
  /** Close streams without traffic for this long (ms). */
  idleMs: number;
  /** Connecting plus authenticating an outgoing stream; waiting for a dialback answer (ms). */
  timeouts: { connect: number; dialback: number };
  resolve: ResolveOptions;
  maxStanzaBytes: number;
  /** The limit on an incoming stream until the peer has verified a domain (SASL EXTERNAL or dialback). */
  maxStanzaBytesPreAuth: number;
  /** Reading from incoming streams (limits.s2s), unless the peer's domain is exempt. */
  rateLimit?: RateLimit;
  /** Whether a verified peer domain is in limits.unlimitedJids. */
  isUnlimited(domain: string): boolean;
  /** An incoming stream that has not verified a domain in this time is closed (limits.negotiationSeconds). */
  negotiationMs: number;
  /** Our own domain or one of our components' domains: the domains we authenticate as and accept for. */
  isOurDomain(domain: string): boolean;
  /** The receiving role's question to the authoritative server (XEP-0220 §2.3), over our outgoing stream. */
  verify(receiving: string, originating: string, streamId: string, key: string): Promise<VerifyOutcome>;
}
