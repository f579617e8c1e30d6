// Stored SCRAM credentials (RFC 5802 §3, RFC 7677): the server keeps StoredKey and ServerKey per
// hash, never the password. Key derivation runs in libuv's thread pool (crypto.pbkdf2), off the
// event loop.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import saslprep from 'saslprep';

const pbkdf2Async = promisify(pbkdf2);

export type ScramHash = 'sha1' | 'sha256';
export const SCRAM_HASHES: readonly ScramHash[] = ['sha1', 'sha256'];
const KEY_LENGTH: Record<ScramHash, number> = { sha1: 20, sha256: 32 };
export const DEFAULT_ITERATIONS = 4096; // RFC 7677 §4: at least 4096

export interface ScramCredential {
  salt: string; // base64
  iterations: number;
  storedKey: string; // base64
  serverKey: string; // base64
}

export type Credentials = Record<ScramHash, ScramCredential>;

export function hmac(hash: ScramHash, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(hash, key).update(data).digest();
}

export function h(hash: ScramHash, data: Buffer): Buffer {
  return createHash(hash).update(data).digest();
}

/** SaslPrep (RFC 4013) the password; throws on prohibited characters. */
export function preparePassword(password: string): string {
  return saslprep(password);
}

export async function saltedPassword(hash: ScramHash, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return pbkdf2Async(preparePassword(password), salt, iterations, KEY_LENGTH[hash], hash);
}

/** The stored form of a password for one hash (RFC 5802 §3). */
export async function makeCredential(hash: ScramHash, password: string, salt: Buffer, iterations: number): Promise<ScramCredential> {
  const salted = await saltedPassword(hash, password, salt, iterations);
  const clientKey = hmac(hash, salted, 'Client Key');
  return {
    salt: salt.toString('base64'),
    iterations,
    storedKey: h(hash, clientKey).toString('base64'),
    serverKey: hmac(hash, salted, 'Server Key').toString('base64'),
  };
}

export async function deriveCredentials(password: string, iterations = DEFAULT_ITERATIONS): Promise<Credentials> {
  const [sha1, sha256] = await Promise.all(SCRAM_HASHES.map((hash) => makeCredential(hash, password, randomBytes(16), iterations)));
  return { sha1: sha1!, sha256: sha256! };
}

/** Checks a plaintext password (SASL PLAIN, XEP-0077 changes) against stored credentials. */
export async function verifyPassword(cred: ScramCredential, hash: ScramHash, password: string): Promise<boolean> {
  let salted: Buffer;
  try {
    salted = await saltedPassword(hash, password, Buffer.from(cred.salt, 'base64'), cred.iterations);
  } catch {
    return false; // prohibited characters cannot match
  }
  const stored = h(hash, hmac(hash, salted, 'Client Key'));
  const expected = Buffer.from(cred.storedKey, 'base64');
  return stored.length === expected.length && timingSafeEqual(stored, expected);
}
