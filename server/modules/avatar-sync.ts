// XEP-0398 (built against the 0.2.1 text): User Avatar to vCard-Based Avatars Conversion. An
// avatar published with XEP-0084 becomes the account's vCard PHOTO (§3.1), a vCard PHOTO set by an
// older client is published to the XEP-0084 nodes (§3.2), and the server puts the XEP-0153 hash in
// the account's available presence (§4), so that PEP-only clients, vCard-only clients and MUC
// occupants all see the same picture.
//
// Loops: the server's own PEP publishes are not reported back to it (pep-client.ts), and vCard
// writes from here go to storage, not through the vCard IQ; on top of that a change to the hash
// the account already has does nothing, so neither direction can start the other twice.
import { createHash } from 'node:crypto';
import { NS } from '../../xmpp/namespaces.js';
import { clone, x, type Element } from '../../xmpp/xml.js';
import { defineModule, type KeyValueStore } from '../core/module.js';
import { PRIORITY, type StanzaEvent } from '../core/events.js';
import type { XmppServer } from '../core/server.js';
import { afterResult, errorOf, itemsOf, publishAs, watchPep, type PepChange } from './pep-client.js';
import { MAX_VCARD, readVcard, writeVcard } from './vcard.js';

export interface ImageInfo {
  type?: string;
  width?: number;
  height?: number;
}

/** Content type, width and height from an image's header: PNG, GIF and JPEG say them in known places. */
export function imageInfo(b: Buffer): ImageInfo {
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.toString('latin1', 12, 16) === 'IHDR') {
    return { type: 'image/png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  }
  if (b.length >= 10 && (b.toString('latin1', 0, 6) === 'GIF87a' || b.toString('latin1', 0, 6) === 'GIF89a')) {
    return { type: 'image/gif', width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    // Walk the JPEG segments to the first start-of-frame (SOF0–SOF15 but DHT C4, JPG C8, DAC CC).
    let i = 2;
    while (i + 9 <= b.length && b[i] === 0xff) {
      const marker = b[i + 1]!;
      if (marker === 0xff) {
        i++;
        continue;
      }
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { type: 'image/jpeg', height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
      }
      if (marker === 0xd9 || marker === 0xda) break; // end of image, start of scan: no frame header before
      i += 2 + b.readUInt16BE(i + 2);
    }
    return { type: 'image/jpeg' };
  }
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return { type: 'image/webp' };
  return {};
}

/** Base64 of RFC 4648 §4, line breaks allowed (XEP-0084 §4.1); undefined when it is not. */
export function decodeBase64(text: string): Buffer | undefined {
  const s = text.replace(/\s+/g, '');
  if (s.length === 0 || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

export type VcardPhoto = { kind: 'none' } | { kind: 'image'; bytes: Buffer; type?: string } | { kind: 'other' };

/**
 * The vCard's PHOTO: none (absent, or empty as clients send to remove it), an image in BINVAL, or
 * something that cannot be converted (an EXTVAL URL, BINVAL that is not base64).
 */
export function vcardPhoto(vcard: Element | undefined): VcardPhoto {
  const photo = vcard?.getChild('PHOTO');
  if (!photo || photo.children.every((c) => typeof c === 'string')) return { kind: 'none' };
  const bytes = decodeBase64(photo.getChildText('BINVAL') ?? '');
  if (!bytes) return { kind: 'other' };
  return { kind: 'image', bytes, type: photo.getChildText('TYPE')?.trim() || undefined };
}

/** The vCard with its PHOTO replaced (or removed, for undefined). */
function withPhoto(vcard: Element | undefined, photo: Element | undefined): Element {
  const out = vcard ? clone(vcard) : x('vCard', { xmlns: NS.VCARD });
  out.children = out.children.filter((c) => typeof c === 'string' || c.name !== 'PHOTO');
  if (photo) out.cnode(photo);
  return out;
}

/**
 * XEP-0398 §4: the hash goes into available presence unless the client put an empty <photo/> there
 * itself; an <x/> without <photo/> is overwritten, and so (the MAY) is a hash that is not ours.
 * `hash` '' means the account removed its avatar: presence then says so with an empty <photo/>.
 */
export function injectHash(presence: Element, hash: string): void {
  const update = presence.getChild('x', NS.VCARD_UPDATE);
  const photo = update?.getChild('photo');
  if (photo && (photo.getText() === '' || photo.getText() === hash)) return;
  presence.children = presence.children.filter((c) => typeof c === 'string' || c.name !== 'x' || c.attrs.xmlns !== NS.VCARD_UPDATE);
  presence.cnode(x('x', { xmlns: NS.VCARD_UPDATE }, x('photo', {}, hash || undefined)));
}

class AvatarSync {
  /** Account → avatar hash; '' removed, null never had one. Kept while the account has sessions. */
  private known = new Map<string, string | null>();

  constructor(
    private server: XmppServer,
    private store: KeyValueStore<string>,
  ) {}

  /** The account's avatar hash, derived once from its vCard for accounts that had one before this module. */
  hash(user: string): string | null {
    const cached = this.known.get(user);
    if (cached !== undefined) return cached;
    let hash = this.store.get(user, 'hash') ?? null;
    if (hash === null) {
      const photo = vcardPhoto(readVcard(this.server, user));
      if (photo.kind === 'image') this.store.set(user, 'hash', (hash = sha1(photo.bytes)));
    }
    this.known.set(user, hash);
    return hash;
  }

  forget(user: string): void {
    this.known.delete(user);
  }

  /** Records a new hash and sends the account's presence again, so that contacts see it (§4). */
  private setHash(user: string, hash: string): void {
    if (this.hash(user) === hash) return;
    this.store.set(user, 'hash', hash);
    this.known.set(user, hash);
    const bare = `${user}@${this.server.domain}`;
    for (const s of this.server.sessions.available(bare)) {
      // As if the client had sent its last presence again: the presence module broadcasts it, and the hook below puts the new hash in.
      if (s.presence) this.server.fromClient(s, clone(s.presence));
    }
  }

  /** §3.2: a vCard the owner set; its photo goes to the XEP-0084 nodes, data first, then metadata. */
  async fromVcard(user: string, vcard: Element): Promise<void> {
    const photo = vcardPhoto(vcard);
    if (photo.kind === 'other') return;
    const current = this.hash(user);
    if (photo.kind === 'none') {
      if (!current) return;
      this.setHash(user, '');
      // XEP-0084 §4.5: an empty <metadata/> (no item id) tells subscribers the avatar is gone.
      const reply = await publishAs(this.server, user, NS.AVATAR_METADATA, undefined, x('metadata', { xmlns: NS.AVATAR_METADATA }));
      if (errorOf(reply)) this.server.log.warn({ user, error: errorOf(reply) }, 'could not publish the avatar removal');
      return;
    }
    const hash = sha1(photo.bytes);
    if (hash === current) return;
    const sniffed = imageInfo(photo.bytes);
    this.setHash(user, hash);
    const data = await publishAs(this.server, user, NS.AVATAR_DATA, hash, x('data', { xmlns: NS.AVATAR_DATA }, photo.bytes.toString('base64')));
    if (errorOf(data)) return this.server.log.warn({ user, error: errorOf(data) }, 'could not publish the vCard photo as avatar data');
    const info = x('info', { bytes: photo.bytes.length, id: hash, type: photo.type ?? sniffed.type ?? 'image/png', width: sniffed.width, height: sniffed.height });
    const meta = await publishAs(this.server, user, NS.AVATAR_METADATA, hash, x('metadata', { xmlns: NS.AVATAR_METADATA }, info));
    if (errorOf(meta)) this.server.log.warn({ user, error: errorOf(meta) }, 'could not publish the vCard photo as avatar metadata');
  }

  /** §3.1: the owner changed its avatar metadata; the image it points to becomes the vCard PHOTO. */
  fromPep(change: PepChange): void {
    const { user } = change;
    let metadata: Element | undefined;
    if (change.kind === 'publish') metadata = change.payload;
    else if (change.kind === 'retract') metadata = itemsOf(this.server, user, NS.AVATAR_METADATA).at(-1)?.payload;
    const infos = metadata?.attrs.xmlns === NS.AVATAR_METADATA ? metadata.getChildren('info') : [];
    if (infos.length === 0) {
      // An empty <metadata/> (XEP-0084 §4.5), the old <stop/>, or no metadata left: no avatar.
      if (!this.hash(user)) return;
      const vcard = readVcard(this.server, user);
      if (vcard?.getChild('PHOTO')) writeVcard(this.server, user, withPhoto(vcard, undefined));
      return this.setHash(user, '');
    }
    // §3.1: "MUST pick the info element that does not point to an external URL".
    const info = infos.find((i) => !i.attrs.url);
    const id = info?.attrs.id?.toLowerCase();
    if (!info || !id || id === this.hash(user)) return;
    const item = itemsOf(this.server, user, NS.AVATAR_DATA).find((i) => i.id.toLowerCase() === id);
    const bytes = item?.payload.attrs.xmlns === NS.AVATAR_DATA ? decodeBase64(item.payload.getText()) : undefined;
    // §3.1: "SHOULD verify that the SHA-1 hash of the image matches the id".
    if (!bytes || sha1(bytes) !== id) return this.server.log.info({ user, id }, 'avatar metadata without matching data: vCard left as it is');
    const photo = x('PHOTO', {}, x('TYPE', {}, info.attrs.type || imageInfo(bytes).type || 'image/png'), x('BINVAL', {}, bytes.toString('base64')));
    const vcard = withPhoto(readVcard(this.server, user), photo);
    if (vcard.toString().length > MAX_VCARD) return this.server.log.info({ user, id }, 'avatar too large for a vCard: vCard left as it is');
    writeVcard(this.server, user, vcard);
    this.setHash(user, id);
  }

  /** §4: available presence from one of the account's clients, broadcast or directed (MUC joins). */
  inject({ stanza, origin, broadcast }: StanzaEvent): void {
    // The copies the presence module makes for each contact were made from a presence already seen here.
    if (!origin?.jid || broadcast || stanza.attrs.type !== undefined) return;
    const hash = this.hash(origin.jid.local);
    if (hash !== null) injectHash(stanza, hash);
  }
}

export default defineModule({
  name: 'avatar-sync',
  setup(m) {
    const { server } = m;
    const sync = new AvatarSync(server, m.store<string>());
    // §2: announced on the account, since the conversion makes a PEP avatar public.
    m.feature('account', NS.PEP_VCARD_CONVERSION);
    watchPep(server, [NS.AVATAR_METADATA], (change) => sync.fromPep(change));
    m.on(`iq-set/bare/${NS.VCARD}`, (e) => {
      if (e.from.bare === e.to.bare && e.payload.name === 'vCard') afterResult(server, e, () => sync.fromVcard(e.to.local, e.payload));
    }, PRIORITY.NORMAL + 1);
    for (const t of ['host', 'bare', 'full'] as const) m.on(`pre-presence/${t}`, (e) => sync.inject(e), PRIORITY.NORMAL + 1);
    m.on('session-closed', ({ session }) => {
      if (session.jid && !server.sessions.resources(session.jid.bare)?.size) sync.forget(session.jid.local);
    });
    m.on('account-deleted', ({ user }) => sync.forget(user));
  },
});
