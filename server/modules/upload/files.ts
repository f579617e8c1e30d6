// The uploads themselves: a record per slot in the module's key-value store (owner, name, size,
// type, times), the file at <dataDir>/upload/<slot id>, the HMAC that signs their URLs, quotas and
// expiry. Records live under the store's empty user (every slot, found by id from HTTP) with an
// index per owner for quotas; the per-owner rows go with the account, the records are found by owner.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyValueStore } from '../../core/module.js';

export interface UploadRecord {
  owner: string;
  filename: string;
  size: number;
  /** As the slot request gave it; null when it gave none. */
  type: string | null;
  /** Milliseconds since the epoch. */
  created: number;
  /** Seconds since the epoch: the PUT URL is valid before this. */
  putExpires: number;
  /** Seconds since the epoch: the file and its GET URL are valid before this; 0 for never. */
  expires: number;
  stored: boolean;
}

export type Method = 'PUT' | 'GET';

/** The time in whole seconds; a URL is valid while `now < expires`. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export class UploadFiles {
  readonly dir: string;
  /** Slots whose PUT is streaming right now (a second PUT meanwhile is refused). */
  readonly uploading = new Set<string>();
  private readonly secret: Buffer;

  constructor(
    dataDir: string,
    private readonly records: KeyValueStore<UploadRecord>,
    private readonly owned: KeyValueStore<number>,
    secrets: KeyValueStore<string>,
    private readonly settings: { expireDays: number; putSeconds: number },
  ) {
    this.dir = join(dataDir, 'upload');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // Made once and kept in the database: links stay valid across restarts.
    let secret = secrets.get('', 'hmac');
    if (!secret) secrets.set('', 'hmac', (secret = randomBytes(32).toString('base64')));
    this.secret = Buffer.from(secret, 'base64');
  }

  path(id: string): string {
    return join(this.dir, id);
  }

  get(id: string): UploadRecord | undefined {
    return this.records.get('', id);
  }

  /** A new slot for `owner`; the caller checked size and quota. */
  create(owner: string, filename: string, size: number, type: string | null): { id: string; record: UploadRecord } {
    const id = randomBytes(24).toString('base64url'); // 192 random bits: XEP-0363 §8 "impossible to guess"
    const now = Date.now();
    const days = this.settings.expireDays;
    const record: UploadRecord = {
      owner,
      filename,
      size,
      type,
      created: now,
      putExpires: Math.floor(now / 1000) + this.settings.putSeconds,
      expires: days > 0 ? Math.ceil((now + days * 86_400_000) / 1000) : 0,
      stored: false,
    };
    this.records.set('', id, record);
    this.owned.set(owner, id, size);
    return { id, record };
  }

  markStored(id: string, type: string | null): void {
    const r = this.get(id);
    if (r) this.records.set('', id, { ...r, type: r.type ?? type, stored: true });
  }

  /** The signature of one method on one slot until `expires` (in the URL's query, never the secret). */
  sign(method: Method, id: string, filename: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${method}\n${id}\n${filename}\n${expires}`).digest('base64url');
  }

  verify(method: Method, id: string, filename: string, expires: number, sig: string): boolean {
    const want = Buffer.from(this.sign(method, id, filename, expires));
    const got = Buffer.from(sig);
    return got.length === want.length && timingSafeEqual(got, want);
  }

  /** A slot that will never be filled: its PUT URL is past and no upload is running. */
  private abandoned(id: string, r: UploadRecord, now: number): boolean {
    return !r.stored && now >= r.putExpires && !this.uploading.has(id);
  }

  private expired(id: string, r: UploadRecord, now: number): boolean {
    return this.abandoned(id, r, now) || (r.stored && r.expires !== 0 && now >= r.expires);
  }

  /** Bytes `owner` holds: stored files and slots that may still be filled. */
  usage(owner: string, now = nowSeconds()): { used: number; live: UploadRecord[] } {
    const live: UploadRecord[] = [];
    for (const id of this.owned.keys(owner)) {
      const r = this.get(id);
      if (r && !this.expired(id, r, now)) live.push(r);
    }
    return { used: live.reduce((n, r) => n + r.size, 0), live };
  }

  remove(id: string): void {
    const r = this.get(id);
    rmSync(this.path(id), { force: true });
    rmSync(`${this.path(id)}.part`, { force: true });
    if (r) this.owned.set(r.owner, id, undefined);
    this.records.set('', id, undefined);
  }

  /**
   * Deletes expired files, abandoned slots and the files of accounts that are gone (`carillon
   * deluser` works on the database while the server is stopped, and fires no event); at start also
   * files that have no record.
   */
  sweep(atStart: boolean, userExists: (user: string) => boolean): number {
    const now = nowSeconds();
    let removed = 0;
    const ids = this.records.keys('');
    for (const id of ids) {
      const r = this.get(id);
      if (r && (this.expired(id, r, now) || !userExists(r.owner))) {
        this.remove(id);
        removed++;
      }
    }
    if (atStart) {
      const known = new Set(ids);
      for (const name of readdirSync(this.dir)) {
        // A .part left by a stop in mid-upload, or a file whose record is gone.
        const id = name.endsWith('.part') ? name.slice(0, -5) : name;
        if (name.endsWith('.part') || !known.has(id) || !this.get(id)?.stored) rmSync(join(this.dir, name), { force: true });
      }
    }
    return removed;
  }

  /** Every file of a deleted account (its per-owner index is already gone with the account). */
  removeOwner(owner: string): number {
    let removed = 0;
    for (const id of this.records.keys('')) {
      if (this.get(id)?.owner === owner) {
        this.remove(id);
        removed++;
      }
    }
    return removed;
  }
}
