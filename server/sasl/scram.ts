// The server side of SCRAM (RFC 5802 §5, §7; RFC 7677), as a pure exchange over stored keys.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { h, hmac, type ScramCredential, type ScramHash } from './credentials.js';

export class SaslFailure extends Error {
  /** condition: an RFC 6120 §6.5 SASL failure condition. */
  constructor(
    readonly condition: 'malformed-request' | 'incorrect-encoding' | 'not-authorized' | 'invalid-authzid' | 'encryption-required' | 'aborted' | 'temporary-auth-failure' | 'invalid-mechanism',
    message?: string,
  ) {
    super(message ?? condition);
  }
}

function parseAttributes(s: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) throw new SaslFailure('malformed-request', `bad attribute "${part}"`);
    out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** RFC 5802 §5.1: "=2C" and "=3D" encode ',' and '=' in saslname. */
export function decodeSaslName(s: string): string {
  if (/=(?!2C|3D)/.test(s)) throw new SaslFailure('malformed-request', 'bad saslname encoding');
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export interface ScramClientFirst {
  username: string;
  authzid?: string;
  gs2Header: string;
  clientNonce: string;
  bare: string;
}

export function parseClientFirst(message: string): ScramClientFirst {
  // gs2-header: gs2-cbind-flag "," [ authzid ] ","
  const m = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(message);
  if (!m) throw new SaslFailure('malformed-request', 'bad GS2 header');
  if (m[1]!.startsWith('p=')) throw new SaslFailure('malformed-request', 'channel binding is not supported');
  const bare = m[3]!;
  const attrs = parseAttributes(bare);
  const n = attrs.get('n');
  const r = attrs.get('r');
  if (!n || !r) throw new SaslFailure('malformed-request', 'missing username or nonce');
  if (attrs.has('m')) throw new SaslFailure('malformed-request', 'unsupported mandatory extension');
  return {
    username: decodeSaslName(n),
    authzid: m[2] ? decodeSaslName(m[2].slice(2)) : undefined,
    gs2Header: `${m[1]},${m[2] ?? ''},`,
    clientNonce: r,
    bare,
  };
}

/** One SCRAM exchange after the client-first message; the credential is the user's (or a decoy). */
export class ScramExchange {
  readonly serverFirst: string;
  private readonly nonce: string;

  constructor(
    readonly hash: ScramHash,
    readonly first: ScramClientFirst,
    private readonly cred: ScramCredential,
    serverNonce = randomBytes(18).toString('base64'),
  ) {
    this.nonce = first.clientNonce + serverNonce;
    this.serverFirst = `r=${this.nonce},s=${cred.salt},i=${cred.iterations}`;
  }

  /** Verifies client-final; returns server-final ("v=…") or throws SaslFailure. */
  finish(clientFinal: string): string {
    const cut = clientFinal.lastIndexOf(',p=');
    if (cut === -1) throw new SaslFailure('malformed-request', 'missing proof');
    const withoutProof = clientFinal.slice(0, cut);
    const attrs = parseAttributes(withoutProof);
    const proof = Buffer.from(clientFinal.slice(cut + 3), 'base64');
    if (attrs.get('r') !== this.nonce) throw new SaslFailure('malformed-request', 'nonce mismatch');
    const cbind = Buffer.from(attrs.get('c') ?? '', 'base64').toString('latin1');
    if (cbind !== this.first.gs2Header) throw new SaslFailure('malformed-request', 'channel binding mismatch');
    const authMessage = `${this.first.bare},${this.serverFirst},${withoutProof}`;
    const storedKey = Buffer.from(this.cred.storedKey, 'base64');
    const clientSignature = hmac(this.hash, storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new SaslFailure('not-authorized');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    if (!timingSafeEqual(h(this.hash, clientKey), storedKey)) throw new SaslFailure('not-authorized');
    const serverSignature = hmac(this.hash, Buffer.from(this.cred.serverKey, 'base64'), authMessage);
    return `v=${serverSignature.toString('base64')}`;
  }
}
