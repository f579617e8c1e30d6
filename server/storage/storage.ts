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
    put(user: string, item: RosterItem): number; // returns the new roster version
    remove(user: string, contact: string): number;
    version(user: string): number;
  };
  readonly offline: {
    push(user: string, xml: string, max: number): boolean; // false when the store is full
    take(user: string): string[]; // all stored, oldest first, removed from the store
  };
  /** Small per-user XML documents: vCard (XEP-0054), private XML (XEP-0049). */
  readonly documents: {
    get(user: string, key: string): string | undefined;
    set(user: string, key: string, xml: string | undefined): void;
  };
  close(): void;
}
