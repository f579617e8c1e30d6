// The `upload` config section of XEP-0363 HTTP File Upload (docs/configuration.md, "File uploads").
import type { Checks } from '../../../xmpp/config-checks.js';
import { normalizeDomain } from '../../../xmpp/jid.js';

export interface UploadSettings {
  enabled: boolean;
  /** The service's domain; null: `upload.<server domain>`. */
  domain: string | null;
  /** The public base of the links (scheme, host, port); null: built from the domain and the listening port. */
  url: string | null;
  /** Largest file, in bytes (announced as XEP-0363 §3 max-file-size). */
  maxBytes: number;
  /** Bytes one user may keep, unexpired files and open slots together. */
  quotaBytes: number;
  /** Days a file (and its GET URL) lasts; 0 keeps files until the account is deleted. */
  expireDays: number;
  /** Seconds a PUT URL stays valid (XEP-0363 §7 recommends a short time); 0 makes them invalid at once. */
  putSeconds: number;
}

const MiB = 1024 * 1024;
const KEYS = ['enabled', 'domain', 'url', 'maxBytes', 'quotaBytes', 'expireDays', 'putSeconds'];

export function parseUploadSettings(raw: unknown, c: Checks): UploadSettings {
  const s = c.section('upload', raw);
  c.only('upload', s, KEYS);
  let domain: string | null = c.optStr('upload.domain', s.domain);
  if (domain !== null) {
    try {
      domain = normalizeDomain(domain);
    } catch (e) {
      c.fail('upload.domain', `not a valid domain: ${(e as Error).message}`);
    }
  }
  const url = c.optStr('upload.url', s.url);
  if (url !== null) {
    let u: URL | undefined;
    try {
      u = new URL(url);
    } catch {
      c.fail('upload.url', 'must be an absolute http:// or https:// URL');
    }
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) c.fail('upload.url', 'must be an http:// or https:// URL');
    if (u!.search || u!.hash || u!.username || u!.password) c.fail('upload.url', 'must have no query, fragment or credentials');
  }
  // Days may be fractional (a test can let files expire in a second); at most a century.
  const expireDays = s.expireDays === undefined ? 30 : s.expireDays;
  if (typeof expireDays !== 'number' || !Number.isFinite(expireDays) || expireDays < 0 || expireDays > 36_500) c.fail('upload.expireDays', 'must be a number of days from 0 to 36500');
  return {
    enabled: c.bool('upload.enabled', s.enabled, true),
    domain,
    url: url === null ? null : url.replace(/\/+$/, ''),
    maxBytes: c.int('upload.maxBytes', s.maxBytes, 100 * MiB, 0, Number.MAX_SAFE_INTEGER),
    quotaBytes: c.int('upload.quotaBytes', s.quotaBytes, 1024 * MiB, 0, Number.MAX_SAFE_INTEGER),
    expireDays: expireDays as number,
    putSeconds: c.int('upload.putSeconds', s.putSeconds, 300, 0, 86_400),
  };
}
