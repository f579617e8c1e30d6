// The storage interface: everything the server keeps across restarts. SQLite implements it
// (sqlite.ts); another backend implements the same interface.
import type { Credentials } from '../sasl/credentials.js';

export type Subscription = 'none' | 'to' | 'from' | 'both';

/** A roster item with its RFC 6121 Appendix A subscription state. */
export interface RosterItem {
  jid: string; // bare JID of the contact
  name?: string;
  groups: string[];
  subscription: Subscription;
  /** We asked the contact for a subscription (the "Pending Out" of RFC 6121 §3). */
  ask: boolean;
  /** The contact asked us and we have not answered ("Pending In"); not shown to clients as a roster item state. */
  pendingIn: boolean;
  /** Pre-approved subscription (RFC 6121 §3.4). */
  approved: boolean;
  /** The user added the contact (or approved it); false for a bare pending-in request, which is not a roster item yet. */
  inRoster: boolean;
}

/** A personal eventing (XEP-0163) node of an account; `config` holds pubsub#* option values. */
export interface PepNode {
  node: string;
  config: Record<string, string>;
}

/** A published item: its id and the serialized `<item/>` payload element. */
export interface PepItem {
  id: string;
  xml: string;
}

/** One item of a module's archive store: time-ordered, with an id unique per (module, user). */
export interface ArchiveItem {
  id: string;
  /** Milliseconds since the epoch. */
  ts: number;
  /** The bare JID the item is with (the other party of a conversation). */
  with: string;
  xml: string;
}

/**
 * A query over one user's archive, in the shape of XEP-0313 §4 and XEP-0059: filters, then a page
 * after or before an item id (`before: ''` asks for the last page), at most `max` items.
 */
export interface ArchiveQuery {
  with?: string;
  start?: number;
  end?: number;
  ids?: string[];
  after?: string;
  before?: string;
  max: number;
}

export interface ArchivePage {
  items: ArchiveItem[];
  /** Items matching the filters, whatever the page (XEP-0059 <count/>). */
  count: number;
  /** The page reaches the end of the results in its direction (XEP-0313 <fin complete='true'/>). */
  complete: boolean;
  /** Position of the first item of the page among all results (XEP-0059 <first index=''/>). */
  index: number;
}

export interface Storage {
  readonly users: {
    exists(user: string): boolean;
    create(user: string, credentials: Credentials): boolean; // false when taken
    credentials(user: string): Credentials | undefined;
    setCredentials(user: string, credentials: Credentials): boolean;
    delete(user: string): boolean;
    count(): number;
  };
  readonly roster: {
    items(user: string): RosterItem[];
    item(user: string, contact: string): RosterItem | undefined;
    /** Rows kept for the user: roster items and contacts with only a pending request (limits.rosterItems). */
    count(user: string): number;
    put(user: string, item: RosterItem): number; // returns the new roster version
    remove(user: string, contact: string): number;
    version(user: string): number;
  };
  readonly offline: {
    push(user: string, xml: string, max: number): boolean; // false when the store is full
    take(user: string): string[]; // all stored, oldest first, removed from the store
    /** Messages stored for all users, and their serialized size. */
    total(): { messages: number; bytes: number };
    /** The most messages stored for any one user (0 when none are). */
    largestQueue(): number;
  };
  /** Small per-user XML documents: vCard (XEP-0054). */
  readonly documents: {
    get(user: string, key: string): string | undefined;
    set(user: string, key: string, xml: string | undefined): void;
  };
  /** XEP-0163 nodes and items of each account's PEP service. */
  readonly pep: {
    nodes(user: string): PepNode[];
    node(user: string, node: string): PepNode | undefined;
    putNode(user: string, node: PepNode): void;
    deleteNode(user: string, node: string): boolean;
    /** Items oldest first; with `max`, only the newest `max` of them. */
    items(user: string, node: string, max?: number): PepItem[];
    /** Stores an item as the newest (replacing one with the same id), then keeps only the newest `maxItems`. */
    publish(user: string, node: string, item: PepItem, maxItems: number): void;
    retract(user: string, node: string, id: string): boolean;
    /** Keeps only the newest `maxItems` items of a node. */
    trim(user: string, node: string, maxItems: number): void;
  };
  /** Generic stores for modules, so a module never edits this interface or a migration. */
  readonly modules: {
    /** Key-value documents per (module, user); `value` undefined deletes. */
    get(module: string, user: string, key: string): string | undefined;
    set(module: string, user: string, key: string, value: string | undefined): void;
    keys(module: string, user: string): string[];
    /**
     * Appends an item, written with the others of the same turn of the event loop; false when its
     * id is taken by an item not yet written (one already written wins over a later duplicate).
     */
    append(module: string, user: string, item: ArchiveItem): boolean;
    query(module: string, user: string, q: ArchiveQuery): ArchivePage;
    /** Removes items older than `ts` of every user; returns how many. */
    expire(module: string, ts: number): number;
    /** Removes all of one user's items and keys of a module. */
    clear(module: string, user: string): void;
  };
  /**
   * Commits what is still batched (archive appends wait for the end of the turn of the event loop):
   * called before the server acknowledges stanzas to a peer (XEP-0198 <a h/>), which must never
   * cover a stanza that is not yet stored.
   */
  flush(): void;
  close(): void;
}
