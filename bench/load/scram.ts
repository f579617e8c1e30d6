// SCRAM-SHA-1 client side (RFC 5802 §3, §5). The salted password is cached per salt and
// iteration count, as real clients do, so that a login costs the generator a few HMACs and the
// figure measures the server.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

const saltedCache = new Map<string, Buffer>();

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha1', key).update(data).digest();
}

export class ScramSha1Client {
  private readonly clientFirstBare: string;
  private serverSignature: Buffer | null = null;

  constructor(
    private readonly user: string,
    private readonly password: string,
    private readonly clientNonce = randomBytes(12).toString('base64'),
  ) {
    this.clientFirstBare = `n=${user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${this.clientNonce}`;
  }

  /** client-first-message, base64 */
  first(): string {
    return Buffer.from(`n,,${this.clientFirstBare}`).toString('base64');
  }

  /** client-final-message for a base64 server-first-message, base64 */
  final(serverFirstB64: string): string {
    const serverFirst = Buffer.from(serverFirstB64, 'base64').toString();
    const fields = parseFields(serverFirst);
    const nonce = fields.get('r');
    const salt = fields.get('s');
    const iterations = Number(fields.get('i'));
    if (!nonce || !salt || !iterations || !nonce.startsWith(this.clientNonce)) {
      throw new Error(`bad SCRAM server-first: ${serverFirst}`);
    }
    const cacheKey = `${this.user}\0${salt}\0${iterations}`;
    let salted = saltedCache.get(cacheKey);
    if (!salted) {
      salted = pbkdf2Sync(this.password, Buffer.from(salt, 'base64'), iterations, 20, 'sha1');
      saltedCache.set(cacheKey, salted);
    }
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha1').update(clientKey).digest();
    const finalNoProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${finalNoProof}`;
    const signature = hmac(storedKey, authMessage);
    for (let k = 0; k < clientKey.length; k++) clientKey[k] ^= signature[k];
    this.serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return Buffer.from(`${finalNoProof},p=${clientKey.toString('base64')}`).toString('base64');
  }

  /** Checks the server-final-message (from <success/>) — RFC 5802 §5.1 `v=` */
  verify(serverFinalB64: string): boolean {
    const fields = parseFields(Buffer.from(serverFinalB64, 'base64').toString());
    const v = fields.get('v');
    return !!v && !!this.serverSignature && v === this.serverSignature.toString('base64');
  }
}

export function plainAuth(user: string, password: string): string {
  return Buffer.from(`\0${user}\0${password}`).toString('base64');
}

function parseFields(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of msg.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}
