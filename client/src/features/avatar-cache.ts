// Avatars by hash (XEP-0084 §4.2 id, XEP-0153 photo hash: the SHA-1 of the image bytes), kept
// so that a contact's picture is fetched once, not at every presence or page load. In memory,
// and in localStorage when there is one: bounded in entries and in size, least recently used first out.
import { sha1Hex } from '../protocol/sha1.js';

export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const PREFIX = 'carillon.avatar.';
const INDEX = 'carillon.avatars';

/** Whether `bytes` are the image named by `id` (a hex SHA-1; XEP-0084 §4.2, XEP-0153 §4.3). */
export function matchesHash(bytes: Uint8Array, id: string): boolean {
  return sha1Hex(bytes) === id.trim().toLowerCase();
}

export function dataUrl(bytes: Uint8Array, type: string): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:${type};base64,${btoa(s)}`;
}

export class AvatarCache {
  readonly #memory = new Map<string, string>();
  readonly #storage: KeyValue | undefined;
  readonly #limit: number;
  readonly #maxChars: number;

  /** `limit` entries at most; a picture longer than `maxChars` as a data URL stays in memory only. */
  constructor(storage?: KeyValue, limit = 100, maxChars = 96 * 1024) {
    this.#storage = storage;
    this.#limit = limit;
    this.#maxChars = maxChars;
  }

  #index(): string[] {
    try {
      const v = JSON.parse(this.#storage?.getItem(INDEX) ?? '[]') as unknown;
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  }

  #writeIndex(list: string[]): void {
    try { this.#storage?.setItem(INDEX, JSON.stringify(list)); } catch { /* full: the memory copy still works */ }
  }

  get(hash: string): string | undefined {
    const h = hash.toLowerCase();
    const hit = this.#memory.get(h) ?? this.#storage?.getItem(PREFIX + h) ?? undefined;
    if (hit) this.#touch(h, hit);
    return hit;
  }

  put(hash: string, url: string): void {
    const h = hash.toLowerCase();
    this.#touch(h, url);
    if (!this.#storage || url.length > this.#maxChars) return;
    const list = [h, ...this.#index().filter((x) => x !== h)];
    while (list.length > this.#limit) this.#storage.removeItem(PREFIX + list.pop()!);
    for (;;) {
      try {
        this.#storage.setItem(PREFIX + h, url);
        break;
      } catch {
        // storage full: drop the oldest until it fits, or give up on storing this one
        const old = list.length > 1 ? list.pop() : undefined;
        if (!old) { list.shift(); break; }
        this.#storage.removeItem(PREFIX + old);
      }
    }
    this.#writeIndex(list);
  }

  #touch(h: string, url: string): void {
    this.#memory.delete(h);
    this.#memory.set(h, url);
    while (this.#memory.size > this.#limit) this.#memory.delete(this.#memory.keys().next().value!);
  }

  /** Number of pictures kept in storage. */
  get stored(): number {
    return this.#index().length;
  }

  clear(): void {
    for (const h of this.#index()) this.#storage?.removeItem(PREFIX + h);
    this.#storage?.removeItem(INDEX);
    this.#memory.clear();
  }
}
