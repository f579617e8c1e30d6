// Pictures of people: XEP-0084 User Avatar (PEP metadata + data, with `+notify`) first, the
// XEP-0153 vCard-based avatar (a hash in presence, the PHOTO of XEP-0054 vCard-temp) as the
// fallback, for contacts, room occupants and ourselves. Pictures are kept by hash (avatar-cache.ts),
// so a hash seen again, on any JID, costs nothing. Our own picture is published with XEP-0084
// §4.1/§4.2; Carillon mirrors it to the vCard (XEP-0398) for clients that only read vCards.
import { Platform, type Agent } from 'stanza';
import type { AvatarVersion } from 'stanza/protocol/index.js';
import { bare, resourceOf } from '../protocol/jid.js';
import { Store } from '../state/store.js';
import { AvatarCache, dataUrl, matchesHash } from './avatar-cache.js';
import { sha1Hex } from '../protocol/sha1.js';

/** Picture (a data URL) by JID: a bare JID for accounts, `room@service/nick` for room occupants. */
export type AvatarMap = Record<string, string>;

export interface AvatarImage {
  bytes: Uint8Array;
  type: string;
  width: number;
  height: number;
}

export interface AvatarActions {
  /** Publishes our picture (XEP-0084 §4.1 data, then §4.2 metadata). */
  publish(image: AvatarImage): Promise<void>;
  /** Removes it: metadata without <info/> (§4.5). */
  remove(): Promise<void>;
}

export interface AvatarOptions {
  cache: AvatarCache;
  /** Whether a bare JID is a room we are in: its occupants then have pictures of their own. */
  isRoom(jid: string): boolean;
  /** An occupant's real JID, when the room tells us (non-anonymous room, or we moderate it). */
  realJid(occupant: string): string | undefined;
}

/** XEP-0084 §4.2: the version to show is one we can fetch from PEP (no url), PNG preferred. */
export function pickVersion(versions: readonly AvatarVersion[]): AvatarVersion | undefined {
  const inline = versions.filter((v) => !v.uri && v.id);
  return inline.find((v) => v.mediaType === 'image/png') ?? inline[0];
}

/** RFC 4648 base64, line breaks allowed (XEP-0054 BINVAL); undefined when it is not base64. */
export function fromBase64(text: string): Uint8Array | undefined {
  const s = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  const bin = atob(s);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function bindAvatars(client: Agent, store: Store<AvatarMap>, opts: AvatarOptions): AvatarActions {
  // the hash each JID announced last, so that a late answer for an older one is dropped
  const wanted = new Map<string, string>();
  const inFlight = new Set<string>();
  const keyOf = (jid: string) => (opts.isRoom(bare(jid)) && resourceOf(jid) ? jid : bare(jid));

  const show = (key: string, url: string | undefined) => store.set((m) => {
    if (url === undefined) {
      if (!(key in m)) return m;
      const next = { ...m };
      delete next[key];
      return next;
    }
    return m[key] === url ? m : { ...m, [key]: url };
  });

  const fetchPep = async (owner: string, id: string, type: string): Promise<string | undefined> => {
    const item = await client.getAvatar(owner, id);
    const data = item.content?.data;
    if (!data || !matchesHash(data, id)) return undefined; // §4.2: the id is the SHA-1 of the data
    return dataUrl(data, type);
  };
  const fetchVcard = async (of: string, id: string): Promise<string | undefined> => {
    const vcard = await client.getVCard(of);
    // StanzaJS 12 gives BINVAL as its base64 text, whatever its typings say
    const photo = vcard.records?.find((r) => r.type === 'photo' && 'data' in r && r.data) as { data: Uint8Array | string; mediaType?: string } | undefined;
    if (!photo) return undefined;
    const bytes = typeof photo.data === 'string' ? fromBase64(photo.data) : photo.data;
    if (!bytes || !matchesHash(bytes, id)) return undefined; // XEP-0153 §4.3
    return dataUrl(bytes, photo.mediaType || 'image/png');
  };

  const want = (key: string, id: string, load: () => Promise<string | undefined>) => {
    wanted.set(key, id);
    if (!id) return show(key, undefined); // an empty hash: no picture (XEP-0153 §4.1, XEP-0084 §4.5)
    const hit = opts.cache.get(id);
    if (hit) return show(key, hit);
    const flight = `${key} ${id}`;
    if (inFlight.has(flight)) return;
    inFlight.add(flight);
    load().then((url) => {
      if (!url) return;
      opts.cache.put(id, url);
      if (wanted.get(key) === id) show(key, url);
    }, () => undefined).finally(() => inFlight.delete(flight)); // none to be had: initials stay
  };

  client.on('avatar', (ev) => {
    const key = keyOf(ev.jid);
    if (ev.source === 'pubsub') {
      const v = pickVersion(ev.avatars);
      return want(key, v?.id ?? '', () => fetchPep(bare(ev.jid), v!.id, v!.mediaType || 'image/png'));
    }
    const id = ev.avatars[0]?.id ?? '';
    // a hash in presence: PEP notifications, when the account has them, say the same first
    if (wanted.get(key) === id && store.value[key]) return;
    if (key.includes('/')) {
      // a room occupant (XEP-0045 §7.2 presence carries the update): ask the real account where
      // we know it, else the occupant JID, which services that forward vCard requests answer.
      // The real JID is in the same presence, read once every listener of it has run.
      return want(key, id, async () => {
        await Promise.resolve();
        const real = opts.realJid(key);
        return (real ? await fetchVcard(bare(real), id).catch(() => undefined) : undefined) ?? fetchVcard(key, id);
      });
    }
    want(key, id, () => fetchVcard(key, id));
  });

  return {
    async publish(image) {
      const id = sha1Hex(image.bytes);
      await client.publishAvatar(id, Platform.Buffer.from(image.bytes));
      await client.useAvatars([{ id, bytes: image.bytes.length, width: image.width, height: image.height, mediaType: image.type }]);
      const url = dataUrl(image.bytes, image.type);
      opts.cache.put(id, url);
      const me = bare(client.jid);
      wanted.set(me, id);
      show(me, url);
    },
    async remove() {
      await client.useAvatars([]);
      const me = bare(client.jid);
      wanted.set(me, '');
      show(me, undefined);
    },
  };
}
