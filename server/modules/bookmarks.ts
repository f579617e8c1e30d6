// XEP-0402 (v1.2) PEP Native Bookmarks, unified with the XEP-0048 bookmarks of older clients
// (XEP-0402 §5.3): a client that keeps its bookmarks in private XML storage (XEP-0049, Gajim and
// older Converse.js), in the PEP node 'storage:bookmarks' (XEP-0048 v1.1 over XEP-0223) or in
// 'urn:xmpp:bookmarks:1' (one item per room) sees what the others stored, with name, autojoin,
// nick and password. The native node is the reference: a change there rebuilds the two old
// copies (§5.3.1); a replacement list written the old way is applied to it item by item, with
// notifications for what changed and for nothing else (§5.3.2).
//
// The server writes the PEP nodes as a XEP-0402 client would, through the PEP service with the
// publish-options the XEPs require, so that a node configured otherwise (say, readable by
// contacts) is never written into (XEP-0060 §7.1.5 precondition-not-met).
import { Jid } from '../../xmpp/jid.js';
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import { defineModule } from '../core/module.js';
import { PRIORITY } from '../core/events.js';
import type { XmppServer } from '../core/server.js';
import { afterResult, configOf, errorOf, itemsOf, publishAs, retractAs, watchPep, type PepChange } from './pep-client.js';
import { readPrivate, writePrivate } from './private.js';

/** XEP-0402 §3.3 (Example 7): the node holds many private, persistent items, none sent on presence. */
export const NATIVE_OPTIONS: Readonly<Record<string, string>> = {
  'pubsub#persist_items': 'true',
  'pubsub#max_items': 'max',
  'pubsub#send_last_published_item': 'never',
  'pubsub#access_model': 'whitelist',
};
/** XEP-0048 §3.3 and XEP-0223 §3: private, persistent storage for the one 'current' item. */
export const LEGACY_OPTIONS: Readonly<Record<string, string>> = {
  'pubsub#persist_items': 'true',
  'pubsub#access_model': 'whitelist',
};

export interface Bookmark {
  /** The room's JID, normalized. */
  jid: string;
  name?: string;
  autojoin: boolean;
  nick?: string;
  password?: string;
  /** XEP-0402 §2 <extensions/>: kept on the native item, which XEP-0048 cannot carry. */
  extensions?: Element;
}

/** xs:boolean (XEP-0402 §2, XEP-0048 §3.2): "true" or "1". */
const isTrue = (v: string | undefined): boolean => v === 'true' || v === '1';
const textOf = (el: Element, name: string): string | undefined => el.getChild(name)?.getText() || undefined;
const roomJid = (s: string | undefined): string | undefined => {
  const jid = Jid.tryParse(s);
  return jid?.isBare() && jid.local ? jid.bare : undefined;
};

/** A XEP-0402 item: the room JID is the item id (§2), the payload a <conference/>. */
export function fromNative(id: string, conference: Element): Bookmark | undefined {
  const jid = roomJid(id);
  if (!jid || conference.name !== 'conference' || conference.attrs.xmlns !== NS.BOOKMARKS2) return undefined;
  const extensions = conference.getChild('extensions');
  return { jid, name: conference.attrs.name, autojoin: isTrue(conference.attrs.autojoin), nick: textOf(conference, 'nick'), password: textOf(conference, 'password'), extensions };
}

export function toNative(b: Bookmark): Element {
  return x(
    'conference',
    { xmlns: NS.BOOKMARKS2, name: b.name, autojoin: b.autojoin ? 'true' : 'false' },
    b.nick !== undefined && x('nick', {}, b.nick),
    b.password !== undefined && x('password', {}, b.password),
    b.extensions,
  );
}

/** A XEP-0048 <storage/>: its conferences, and the rest (<url/> bookmarks) to keep as they are. */
export function fromLegacy(storage: Element | undefined): { bookmarks: Bookmark[]; rest: Element[] } {
  const byJid = new Map<string, Bookmark>();
  const rest: Element[] = [];
  for (const c of storage?.children ?? []) {
    if (typeof c === 'string') continue;
    if (c.name !== 'conference') {
      rest.push(c);
      continue;
    }
    const jid = roomJid(c.attrs.jid);
    // A repeated room: the last one wins, as it would in one item per room.
    if (jid) byJid.set(jid, { jid, name: c.attrs.name, autojoin: isTrue(c.attrs.autojoin), nick: textOf(c, 'nick'), password: textOf(c, 'password') });
  }
  return { bookmarks: [...byJid.values()], rest };
}

/** XEP-0402 §5.3.1: the items cast into 'storage:bookmarks', the jid attribute set to the item id. */
export function toLegacy(bookmarks: Bookmark[], rest: Element[] = []): Element {
  return x(
    'storage',
    { xmlns: NS.BOOKMARKS },
    bookmarks.map((b) =>
      x('conference', { jid: b.jid, name: b.name, autojoin: b.autojoin ? 'true' : 'false' }, b.nick !== undefined && x('nick', {}, b.nick), b.password !== undefined && x('password', {}, b.password)),
    ),
    rest,
  );
}

/** Whether two bookmarks say the same in what XEP-0048 can say (extensions aside). */
export function sameBookmark(a: Bookmark, b: Bookmark): boolean {
  return a.jid === b.jid && a.name === b.name && a.autojoin === b.autojoin && a.nick === b.nick && a.password === b.password;
}

class BookmarkSync {
  /** Per account, the sync under way: one at a time, each reading what the one before left. */
  private running = new Map<string, Promise<void>>();

  constructor(private server: XmppServer) {}

  /** Runs `fn` after the account's syncs before it. */
  queue(user: string, fn: () => Promise<void>): Promise<void> {
    const before = this.running.get(user) ?? Promise.resolve();
    const mine = before.then(fn).catch((err: unknown) => this.server.log.error({ err, user }, 'bookmark sync failed'));
    this.running.set(user, mine);
    void mine.then(() => {
      if (this.running.get(user) === mine) this.running.delete(user);
    });
    return mine;
  }

  /** The native items by room JID, with the item id they are stored under. */
  private native(user: string): Map<string, { id: string; bookmark: Bookmark }> {
    const out = new Map<string, { id: string; bookmark: Bookmark }>();
    for (const item of itemsOf(this.server, user, NS.BOOKMARKS2)) {
      const bookmark = fromNative(item.id, item.payload);
      if (bookmark) out.set(bookmark.jid, { id: item.id, bookmark });
    }
    return out;
  }

  /** §5.3.1: the native node changed; private storage and the XEP-0048 PEP item follow it. */
  async afterNative(user: string): Promise<void> {
    const bookmarks = [...this.native(user).values()].map((n) => n.bookmark);
    const { rest } = fromLegacy(readPrivate(this.server, user, 'storage', NS.BOOKMARKS));
    const storage = toLegacy(bookmarks, rest);
    writePrivate(this.server, user, storage);
    await this.publishLegacy(user, storage);
  }

  /**
   * §5.3.2: a replacement list written the old way, to private storage or to the XEP-0048 PEP
   * node: new and changed rooms are published, rooms no longer listed are retracted, unchanged
   * ones are left alone (no notification); then the other old copy gets the same list.
   */
  async afterLegacy(user: string, storage: Element, via: 'private' | 'pep'): Promise<void> {
    const { bookmarks } = fromLegacy(storage);
    const native = this.native(user);
    for (const b of bookmarks) {
      const before = native.get(b.jid);
      if (before && sameBookmark(before.bookmark, b)) continue;
      // Extensions a XEP-0402 client stored survive an edit by a client that cannot see them.
      const item = toNative({ ...b, extensions: before?.bookmark.extensions });
      const reply = await publishAs(this.server, user, NS.BOOKMARKS2, before?.id ?? b.jid, item, NATIVE_OPTIONS);
      if (errorOf(reply)) {
        this.server.log.warn({ user, error: errorOf(reply) }, 'bookmarks: the native node refused a publish; not synced');
        return;
      }
    }
    const listed = new Set(bookmarks.map((b) => b.jid));
    for (const [jid, { id }] of native) {
      if (listed.has(jid)) continue;
      const reply = await retractAs(this.server, user, NS.BOOKMARKS2, [id]);
      if (errorOf(reply)) this.server.log.warn({ user, error: errorOf(reply) }, 'bookmarks: could not retract a native item');
    }
    if (via === 'private') await this.publishLegacy(user, storage);
    else writePrivate(this.server, user, storage);
  }

  /**
   * Bookmarks stored the old way before this module ran (or by another server) have no native
   * copy yet; they get one before the account's first client can write to the native node, which
   * would otherwise replace them (as XEP-0411 §3 asks of a conversion).
   */
  async migrate(user: string): Promise<void> {
    if (configOf(this.server, user, NS.BOOKMARKS2)) return;
    const stored = readPrivate(this.server, user, 'storage', NS.BOOKMARKS);
    if (stored && fromLegacy(stored).bookmarks.length) return this.afterLegacy(user, stored, 'private');
    const current = itemsOf(this.server, user, NS.BOOKMARKS).find((i) => i.id === 'current')?.payload;
    if (current?.attrs.xmlns === NS.BOOKMARKS && fromLegacy(current).bookmarks.length) return this.afterLegacy(user, current, 'pep');
  }

  private async publishLegacy(user: string, storage: Element): Promise<void> {
    const reply = await publishAs(this.server, user, NS.BOOKMARKS, 'current', storage, LEGACY_OPTIONS);
    if (errorOf(reply)) this.server.log.warn({ user, error: errorOf(reply) }, 'bookmarks: the storage:bookmarks node refused a publish; not synced');
  }

  onPep(change: PepChange): Promise<void> | undefined {
    const { user } = change;
    if (change.node === NS.BOOKMARKS2) return this.queue(user, () => this.afterNative(user));
    // XEP-0048 §3.3: the whole list is the one item; retracting it or deleting the node is not a
    // way old clients clear their bookmarks, so only publishes are followed.
    if (change.kind === 'publish' && change.payload.name === 'storage' && change.payload.attrs.xmlns === NS.BOOKMARKS) {
      const storage = change.payload;
      return this.queue(user, () => this.afterLegacy(user, storage, 'pep'));
    }
    return undefined;
  }
}

export default defineModule({
  name: 'bookmarks',
  setup(m) {
    const { server } = m;
    const sync = new BookmarkSync(server);
    // XEP-0402 §5.3 and §6: unified with private storage (#compat) and with XEP-0048 in PEP (#compat-pep).
    m.feature('account', NS.BOOKMARKS2_COMPAT, NS.BOOKMARKS2_COMPAT_PEP);
    watchPep(server, [NS.BOOKMARKS2, NS.BOOKMARKS], (change) => sync.onPep(change));
    m.on('session-bound', ({ session }) => {
      const user = session.jid!.local;
      void sync.queue(user, () => sync.migrate(user));
    });
    m.on(`iq-set/bare/${NS.PRIVATE}`, (e) => {
      if (e.from.bare !== e.to.bare) return;
      const storage = e.payload.getChild('storage', NS.BOOKMARKS);
      if (storage) afterResult(server, e, () => sync.queue(e.to.local, () => sync.afterLegacy(e.to.local, storage, 'private')));
    }, PRIORITY.NORMAL + 1);
  },
});
