// Where the pubsub service keeps its nodes, items, affiliations and subscriptions: the module's
// key-value stores in the server's database (core/module.ts), so it survives restarts with no
// database of its own. The store's "user" column holds `node:<NodeID>` for per-node records — a
// ':' cannot be in an account's localpart (RFC 7622 §3.3), so deleting an account never touches
// them — and '' for the list of nodes.
import type { KeyValueStore } from '../../core/module.js';
import type { PepItem, PepNode } from '../../storage/storage.js';
import type { NodeStore } from '../pep/engine.js';
import type { NodeConfig } from '../pep/config.js';

/** XEP-0060 §4.1 affiliations; 'none' is the absence of a record. */
export type Affiliation = 'owner' | 'publisher' | 'member' | 'outcast';
export const AFFILIATIONS: readonly string[] = ['owner', 'publisher', 'member', 'none', 'outcast'];

export interface NodeRecord {
  config: NodeConfig;
  /** Bare JID of the creator (§5.4 pubsub#creator) and the creation time (ISO 8601). */
  creator: string;
  created: string;
  /** The next item's sequence number: items are ordered by it. */
  seq: number;
}

interface ItemRecord {
  seq: number;
  xml: string;
  /** Bare JID of the publisher (who may retract it under the open and subscribers models). */
  publisher: string;
}

/** A subscription (§6.1): the JID subscribed, as given (bare or full), and its SubID. */
export interface Subscription {
  jid: string;
  subid: string;
}

export interface Stores {
  nodes: KeyValueStore<NodeRecord>;
  items: KeyValueStore<ItemRecord>;
  affiliations: KeyValueStore<Affiliation>;
  subscriptions: KeyValueStore<Subscription>;
}

const scope = (node: string): string => `node:${node}`;

export class ServiceStore implements NodeStore {
  constructor(private readonly s: Stores) {}

  record(name: string): NodeRecord | undefined {
    return this.s.nodes.get('', name);
  }

  names(): string[] {
    return this.s.nodes.keys('');
  }

  nodes(): PepNode[] {
    return this.names().map((node) => ({ node, config: this.record(node)!.config }));
  }

  node(name: string): PepNode | undefined {
    const r = this.record(name);
    return r && { node: name, config: r.config };
  }

  create(name: string, config: NodeConfig, creator: string): void {
    this.s.nodes.set('', name, { config, creator, created: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), seq: 0 });
    this.s.affiliations.set(scope(name), creator, 'owner');
  }

  putNode(n: PepNode): void {
    const r = this.record(n.node);
    if (r) this.s.nodes.set('', n.node, { ...r, config: n.config });
  }

  deleteNode(name: string): void {
    const user = scope(name);
    for (const store of [this.s.items, this.s.affiliations, this.s.subscriptions] as KeyValueStore<unknown>[]) {
      for (const key of store.keys(user)) store.set(user, key, undefined);
    }
    this.s.nodes.set('', name, undefined);
  }

  private records(name: string): (ItemRecord & { id: string })[] {
    const user = scope(name);
    return this.s.items
      .keys(user)
      .map((id) => ({ id, ...this.s.items.get(user, id)! }))
      .sort((a, b) => a.seq - b.seq);
  }

  items(name: string, max?: number): PepItem[] {
    const all = this.records(name);
    return (max === undefined ? all : all.slice(Math.max(0, all.length - max))).map((r) => ({ id: r.id, xml: r.xml }));
  }

  publisherOf(name: string, id: string): string | undefined {
    return this.s.items.get(scope(name), id)?.publisher;
  }

  publish(name: string, item: PepItem, maxItems: number, publisher = ''): void {
    const r = this.record(name);
    if (!r) return;
    this.s.nodes.set('', name, { ...r, seq: r.seq + 1 });
    this.s.items.set(scope(name), item.id, { seq: r.seq, xml: item.xml, publisher });
    this.trim(name, maxItems);
  }

  retract(name: string, id: string): boolean {
    if (!this.s.items.get(scope(name), id)) return false;
    this.s.items.set(scope(name), id, undefined);
    return true;
  }

  trim(name: string, maxItems: number): void {
    const all = this.records(name);
    for (const r of all.slice(0, Math.max(0, all.length - maxItems))) this.s.items.set(scope(name), r.id, undefined);
  }

  affiliation(name: string, jid: string): Affiliation | 'none' {
    return this.s.affiliations.get(scope(name), jid) ?? 'none';
  }

  affiliations(name: string): [jid: string, affiliation: Affiliation][] {
    const user = scope(name);
    return this.s.affiliations.keys(user).map((jid) => [jid, this.s.affiliations.get(user, jid)!]);
  }

  setAffiliation(name: string, jid: string, affiliation: Affiliation | 'none'): void {
    this.s.affiliations.set(scope(name), jid, affiliation === 'none' ? undefined : affiliation);
  }

  subscriptions(name: string): Subscription[] {
    const user = scope(name);
    return this.s.subscriptions.keys(user).map((jid) => this.s.subscriptions.get(user, jid)!);
  }

  subscription(name: string, jid: string): Subscription | undefined {
    return this.s.subscriptions.get(scope(name), jid);
  }

  subscribe(name: string, sub: Subscription): void {
    this.s.subscriptions.set(scope(name), sub.jid, sub);
  }

  unsubscribe(name: string, jid: string): void {
    this.s.subscriptions.set(scope(name), jid, undefined);
  }
}
