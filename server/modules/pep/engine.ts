// The pubsub engine shared by the two front ends, PEP (service.ts, a service per account,
// XEP-0163) and the pubsub service (modules/pubsub/, XEP-0060 at pubsub.<domain>): where a
// service keeps its nodes and items (NodeStore), and the XEP-0060 steps that do not depend on
// who is asking — reading a publish or retract request, storing the item with max_items
// trimming, answering items retrieval (§6.5), and building event notifications (§7.1.2).
import { randomUUID } from 'node:crypto';
import { StanzaError } from '../../../xmpp/errors.js';
import { paginate, rsmRequestIn, rsmResponse } from '../../../xmpp/rsm.js';
import { parseXml, x, type Element } from '../../../xmpp/xml.js';
import type { PepItem, PepNode, Storage } from '../../storage/storage.js';
import { PUBSUB, PUBSUB_ERRORS, PUBSUB_EVENT, deliversPayloads, pubsubError, type NodeConfig } from './config.js';

/** The nodes and items of one pubsub service (one account's PEP service, or pubsub.<domain>). */
export interface NodeStore {
  nodes(): PepNode[];
  node(name: string): PepNode | undefined;
  putNode(node: PepNode): void;
  /** Removes the node and its items. */
  deleteNode(name: string): void;
  /** Items oldest first; with `max`, only the newest `max` of them. */
  items(name: string, max?: number): PepItem[];
  /** Stores an item as the newest (replacing one with the same id), then keeps only the newest `maxItems`. */
  publish(name: string, item: PepItem, maxItems: number): void;
  retract(name: string, id: string): boolean;
  /** Keeps only the newest `maxItems` items of a node (0: none, a purge). */
  trim(name: string, maxItems: number): void;
}

/** An account's PEP nodes in the server's pep tables. */
export function pepStore(storage: Storage, user: string): NodeStore {
  const { pep } = storage;
  return {
    nodes: () => pep.nodes(user),
    node: (name) => pep.node(user, name),
    putNode: (n) => pep.putNode(user, n),
    deleteNode: (name) => void pep.deleteNode(user, name),
    items: (name, max) => pep.items(user, name, max),
    publish: (name, item, max) => pep.publish(user, name, item, max),
    retract: (name, id) => pep.retract(user, name, id),
    trim: (name, max) => pep.trim(user, name, max),
  };
}

export function unsupported(feature: string): StanzaError {
  return new StanzaError('feature-not-implemented', undefined, undefined, [x('unsupported', { xmlns: PUBSUB_ERRORS, feature })]);
}

export function elements(el: Element): Element[] {
  return el.children.filter((c): c is Element => typeof c !== 'string');
}

/** The NodeID of a request, or §7.2.3.3 / §8.2.3.3's <nodeid-required/>. */
export function nodeId(el: Element): string {
  const node = el.attrs.node;
  if (!node) throw pubsubError('bad-request', 'nodeid-required');
  return node;
}

/** A §7.1.1 publish request: one item with one payload (§7.1.3.6, §7.1.3.7); the id generated when absent (§7.1.1). */
export function readPublish(publish: Element): { node: string; item: PepItem } {
  const node = nodeId(publish);
  const items = publish.getChildren('item');
  if (items.length !== 1) throw pubsubError('bad-request', items.length ? 'invalid-payload' : 'item-required');
  const payload = elements(items[0]!);
  if (payload.length !== 1) throw pubsubError('bad-request', payload.length ? 'invalid-payload' : 'payload-required');
  const id = items[0]!.attrs.id || randomUUID();
  return { node, item: { id, xml: x('item', { id }, payload[0]).toString() } };
}

/** A §7.2.1 retract request: its item ids (§7.2.3.4 item-required) and the `notify` flag if given. */
export function readRetract(retract: Element): { node: string; ids: string[]; notify?: boolean } {
  const node = nodeId(retract);
  const ids = retract.getChildren('item').map((i) => i.attrs.id);
  if (ids.length === 0 || ids.some((id) => !id)) throw pubsubError('bad-request', 'item-required');
  const asked = retract.attrs.notify;
  return { node, ids: ids as string[], notify: asked === undefined ? undefined : asked === 'true' || asked === '1' };
}

export function itemElement(item: PepItem): Element {
  return parseXml(item.xml);
}

/**
 * §6.5 items retrieval of an existing node the asker may read: all items (§6.5.2), the newest
 * `max_items` (§6.5.7), particular ids (§6.5.8, absent ones left out: Example 99), or an RSM page
 * (§6.5.4, XEP-0059) over the items oldest first.
 */
export function retrieveItems(store: NodeStore, pubsub: Element, items: Element, limit: number): Element {
  const node = nodeId(items);
  const wanted = items.getChildren('item').map((i) => i.attrs.id).filter((id): id is string => !!id);
  const rawMax = items.attrs.max_items;
  const max = rawMax !== undefined && /^\d+$/.test(rawMax) ? Number(rawMax) : undefined;
  if (rawMax !== undefined && max === undefined) throw new StanzaError('bad-request', 'max_items must be a number');
  if (wanted.length) {
    const stored = store.items(node).filter((i) => wanted.includes(i.id));
    return x('pubsub', { xmlns: PUBSUB }, x('items', { node }, stored.map(itemElement)));
  }
  const rsm = rsmRequestIn(pubsub); // the <set/> is a sibling of <items/> (§6.5.4 Example 80)
  if (!rsm) return x('pubsub', { xmlns: PUBSUB }, x('items', { node }, store.items(node, max).map(itemElement)));
  const all = store.items(node, max);
  const page = paginate(all.map((i) => i.id), rsm, limit);
  return x('pubsub', { xmlns: PUBSUB }, x('items', { node }, all.slice(page.start, page.end).map(itemElement)), rsmResponse(page.response));
}

/** §7.1.2.1 / §7.1.2.2: the <items/> of a notification, with the payload or only the item id. */
export function publishedEvent(node: string, item: PepItem, config: NodeConfig): Element {
  return x('items', { node }, deliversPayloads(config) ? itemElement(item) : x('item', { id: item.id }));
}

/** §7.2.2.1: the <items/> of a retraction notification. */
export function retractedEvent(node: string, ids: string[]): Element {
  return x('items', { node }, ids.map((id) => x('retract', { id })));
}

/** An event notification message (§7.1.2): type headline, the pubsub#notification_type default. */
export function eventMessage(from: string, to: string, body: Element): Element {
  return x('message', { from, to, type: 'headline', id: randomUUID() }, x('event', { xmlns: PUBSUB_EVENT }, body));
}
