// The account's rooms as XEP-0402 bookmarks, kept in step with its other clients: read at sign-in
// (§3.2, autojoin rooms joined), published when a room is joined (§3.3) and retracted when it is
// left (§3.4), and changed live by the PEP notifications of our other clients' changes (§4,
// `urn:xmpp:bookmarks:1+notify` in our caps). The protocol is protocol/xep0402-bookmarks.ts; this
// binds it to a store.
import type { Agent } from 'stanza';
import type { ReceivedMessage } from 'stanza/protocol/index.js';
import { Store } from '../state/store.js';
import type { RoomsState } from './room-state.js';
import {
  BookmarksProtocol, NS_BOOKMARKS_NOTIFY, bookmarkChanges, fetchBookmarks, publishBookmark, retractBookmark, type Bookmark,
} from '../protocol/xep0402-bookmarks.js';

/** What the bookmarks need of the rooms. */
export interface BookmarkedRooms {
  rooms(): RoomsState['rooms'];
  join(room: string, nick: string): void;
  /** Leaves a room without touching its bookmark. */
  leave(room: string): void;
}

const without = (m: Record<string, Bookmark>, room: string) => Object.fromEntries(Object.entries(m).filter(([r]) => r !== room));

export class RoomBookmarks {
  /** By room JID. */
  readonly store = new Store<Record<string, Bookmark>>({});
  #client?: Agent;

  constructor(private readonly host: BookmarkedRooms) {}

  attach(client: Agent): void {
    this.#client = client;
    this.store.set({});
    client.stanzas.define(BookmarksProtocol);
    client.disco.addFeature(NS_BOOKMARKS_NOTIFY);
    client.on('session:started', () => {
      fetchBookmarks(client).then((list) => {
        if (this.#client !== client) return;
        this.store.set(Object.fromEntries(list.map((b) => [b.room, b])));
        for (const b of list) if (b.autojoin && !this.host.rooms()[b.room]) this.host.join(b.room, b.nick ?? '');
      }).catch(() => undefined); // no bookmarks node yet, or no PEP: nothing to join
    });
    const changed = (msg: ReceivedMessage) => {
      if (this.#client === client) for (const c of bookmarkChanges(msg, client.jid)) this.#changed(c.room, c.bookmark);
    };
    client.on('pubsub:published', changed);
    client.on('pubsub:retracted', changed);
  }

  /**
   * Once in a room, it follows the account to its other clients and next sign-ins (§3.3); a room
   * that refused us is not kept. Unchanged bookmarks are not published again.
   */
  joined(room: string, nick: string): void {
    const client = this.#client;
    const had = this.store.value[room];
    if (!client || (had?.autojoin && had.nick === nick)) return;
    const b: Bookmark = { ...had, room, autojoin: true, nick };
    this.store.set((m) => ({ ...m, [room]: b }));
    publishBookmark(client, b).catch(() => undefined); // the room is joined all the same
  }

  /** Leaving is for good: our other clients leave too, and the next sign-in does not join (§3.4). */
  left(room: string): void {
    if (!this.store.value[room] || !this.#client) return;
    this.store.set((m) => without(m, room));
    retractBookmark(this.#client, room).catch(() => undefined);
  }

  /**
   * A bookmark changed elsewhere: listed, or no more. An autojoin bookmark of a room we are not in
   * is joined (in the background); a removed one, or one no longer autojoin, is left here too, as
   * the other client left it. Our own publishes and retractions come back and change nothing.
   */
  #changed(room: string, b: Bookmark | undefined): void {
    const r = this.host.rooms()[room];
    if (b) {
      this.store.set((m) => ({ ...m, [room]: b }));
      if (b.autojoin && (!r || r.phase === 'left' || r.phase === 'failed')) this.host.join(room, b.nick ?? '');
      else if (!b.autojoin && r?.phase === 'joined') this.host.leave(room);
      return;
    }
    if (!this.store.value[room]) return;
    this.store.set((m) => without(m, room));
    if (r && r.phase !== 'failed') this.host.leave(room);
  }
}
