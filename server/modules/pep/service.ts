// The PEP front end of the pubsub engine (engine.ts): every account is a pubsub service at its
// bare JID (XEP-0163 §2.1) offering the XEP-0060 subset personal eventing uses — publish with
// auto-create and publish-options, retract, items retrieval, node deletion and configuration.
import { randomUUID } from 'node:crypto';
import { StanzaError } from '../../../xmpp/errors.js';
import { x, type Element } from '../../../xmpp/xml.js';
import { Jid } from '../../../xmpp/jid.js';
import type { XmppServer } from '../../core/server.js';
import {
  PUBSUB, PUBSUB_EVENT, PUBSUB_OWNER,
  accessModel, applyConfigureForm, notifiesRetract, applyPublishOptions, configForm, maxItems, pepProfile, pubsubError, sendsLastOnPresence,
  type NodeConfig, type NodeProfile,
} from './config.js';
import { elements, itemElement, pepStore, publishedEvent, readPublish, readRetract, retractedEvent, retrieveItems, unsupported, type NodeStore } from './engine.js';
import { InterestTracker } from './interest.js';

/** Nodes per account: personal eventing needs a few dozen (one per OMEMO device bundle). */
const MAX_NODES = 1000;

export class PepService {
  readonly interest: InterestTracker;
  /** PEP's node options, its items cap being `limits.pepItems`. */
  readonly profile: NodeProfile;

  /** `itemsLimit`: the most items a node keeps (limits.pepItems). */
  constructor(private server: XmppServer, itemsLimit?: number) {
    this.profile = pepProfile(itemsLimit);
    this.interest = new InterestTracker(server, (owner, jid, nodes) => this.sendLast(owner, jid, nodes));
  }

  /** XEP-0060 §4.5 access models as PEP uses them (XEP-0163 §4): may `who` see `owner`'s node? */
  canAccess(owner: Jid, who: string, config: NodeConfig): boolean {
    const bare = who.split('/')[0]!;
    if (bare === owner.bare) return true;
    switch (accessModel(config)) {
      case 'open':
        return true;
      case 'presence': {
        const s = this.server.storage.roster.item(owner.local, bare)?.subscription;
        return s === 'from' || s === 'both';
      }
      default:
        return false; // whitelist: the owner alone (no whitelist management)
    }
  }

  /** The account's nodes and items (engine.ts). */
  store(owner: Jid): NodeStore {
    return pepStore(this.server.storage, owner.local);
  }

  private node(owner: Jid, node: string | undefined, who: string): NodeConfig {
    if (!node) throw pubsubError('bad-request', 'nodeid-required');
    const n = this.store(owner).node(node);
    if (!n) throw new StanzaError('item-not-found');
    if (!this.canAccess(owner, who, n.config)) {
      // XEP-0060 §6.5.9.6 (presence) and §6.5.9.8 (whitelist).
      throw accessModel(n.config) === 'presence'
        ? pubsubError('not-authorized', 'presence-subscription-required')
        : pubsubError('not-allowed', 'closed-node');
    }
    return n.config;
  }

  private requireOwner(owner: Jid, from: Jid): void {
    if (from.bare !== owner.bare) throw new StanzaError('forbidden', 'only the account owner publishes and manages its nodes');
  }

  /** <pubsub xmlns='…pubsub'/> get: items retrieval (XEP-0060 §6.5). */
  get(owner: Jid, from: Jid, pubsub: Element): Element {
    const items = pubsub.getChild('items');
    if (!items) throw unsupported(elements(pubsub)[0]?.name ?? 'retrieve-items');
    this.node(owner, items.attrs.node, from.full);
    return retrieveItems(this.store(owner), pubsub, items, this.profile.maxItems);
  }

  /** <pubsub xmlns='…pubsub'/> set: publish (§7.1), retract (§7.2), create (§8.1). */
  set(owner: Jid, from: Jid, pubsub: Element): Element | undefined {
    this.requireOwner(owner, from);
    const publish = pubsub.getChild('publish');
    if (publish) return this.publish(owner, from, publish, pubsub.getChild('publish-options')?.getChild('x'));
    const retract = pubsub.getChild('retract');
    if (retract) return this.retract(owner, retract);
    const create = pubsub.getChild('create');
    if (create) return this.create(owner, create, pubsub.getChild('configure')?.getChild('x'));
    const first = elements(pubsub)[0]?.name ?? 'unknown';
    // XEP-0163 subscriptions are implied by presence (§4.1); explicit ones are not offered.
    throw unsupported(first === 'unsubscribe' ? 'subscribe' : first);
  }

  private publish(owner: Jid, from: Jid, publish: Element, options: Element | undefined): Element {
    const { node, item } = readPublish(publish);
    const store = this.store(owner);
    const existing = store.node(node);
    const config = applyPublishOptions(existing?.config, options, this.profile);
    if (!existing) {
      if (store.nodes().length >= MAX_NODES) throw new StanzaError('resource-constraint', 'too many nodes');
      store.putNode({ node, config });
    }
    store.publish(node, item, maxItems(config, this.profile.maxItems));
    this.notify(owner, node, config, publishedEvent(node, item, config));
    return x('pubsub', { xmlns: PUBSUB }, x('publish', { node }, x('item', { id: item.id })));
  }

  private retract(owner: Jid, retract: Element): undefined {
    const { node, ids, notify } = readRetract(retract);
    const config = this.node(owner, node, owner.bare);
    const store = this.store(owner);
    for (const id of ids) if (!store.retract(node, id)) throw new StanzaError('item-not-found');
    // §7.2.2.1: notify of the retraction when asked to or when the node says so (XEP-0402 §3.5 relies on it).
    if (notify ?? notifiesRetract(config)) this.notify(owner, node, config, retractedEvent(node, ids));
    return undefined;
  }

  private create(owner: Jid, create: Element, form: Element | undefined): Element | undefined {
    const node = create.attrs.node;
    if (!node) throw pubsubError('not-acceptable', 'nodeid-required');
    const store = this.store(owner);
    if (store.node(node)) throw new StanzaError('conflict', 'the node exists');
    if (store.nodes().length >= MAX_NODES) throw new StanzaError('resource-constraint', 'too many nodes');
    const defaults = { ...this.profile.defaults };
    store.putNode({ node, config: form ? applyConfigureForm(defaults, form, this.profile) : defaults });
    return undefined;
  }

  /** <pubsub xmlns='…pubsub#owner'/> get: the configuration form (§8.2.1). */
  ownerGet(owner: Jid, from: Jid, pubsub: Element): Element {
    this.requireOwner(owner, from);
    const configure = pubsub.getChild('configure');
    if (!configure) throw unsupported(elements(pubsub)[0]?.name ?? 'config-node');
    const config = this.node(owner, configure.attrs.node, from.full);
    return x('pubsub', { xmlns: PUBSUB_OWNER }, x('configure', { node: configure.attrs.node }, configForm(config, this.profile)));
  }

  /** <pubsub xmlns='…pubsub#owner'/> set: configure (§8.2.4) or delete (§8.4). */
  ownerSet(owner: Jid, from: Jid, pubsub: Element): undefined {
    this.requireOwner(owner, from);
    const store = this.store(owner);
    const configure = pubsub.getChild('configure');
    if (configure) {
      const node = configure.attrs.node;
      const current = this.node(owner, node, from.full);
      const form = configure.getChild('x');
      if (!form) throw new StanzaError('bad-request', 'a configuration form is required');
      if (form.attrs.type === 'cancel') return undefined;
      const config = applyConfigureForm(current, form, this.profile);
      store.putNode({ node: node!, config });
      store.trim(node!, maxItems(config, this.profile.maxItems));
      return undefined;
    }
    const del = pubsub.getChild('delete');
    if (del) {
      const node = del.attrs.node;
      const config = this.node(owner, node, from.full);
      // §8.4.2: subscribers learn of the deletion.
      this.notify(owner, node!, config, x('delete', { node }));
      store.deleteNode(node!);
      return undefined;
    }
    throw unsupported(elements(pubsub)[0]?.name ?? 'config-node');
  }

  /** Throws unless `node` exists and `who` may see it. */
  visibleNode(owner: Jid, who: string, node: string): void {
    this.node(owner, node, who);
  }

  /** Nodes `who` may see, for disco#items on the account (XEP-0060 §5.2). */
  visibleNodes(owner: Jid, who: string): string[] {
    return this.store(owner).nodes().filter((n) => this.canAccess(owner, who, n.config)).map((n) => n.node);
  }

  /** XEP-0163 §4.3: an event to each interested, authorised resource, from the owner's bare JID. */
  private notify(owner: Jid, node: string, config: NodeConfig, body: Element): void {
    for (const { jid } of this.interest.interested(owner.bare, node)) {
      if (!this.canAccess(owner, jid, config)) continue;
      this.server.route(x('message', { from: owner.bare, to: jid, type: 'headline', id: randomUUID() }, x('event', { xmlns: PUBSUB_EVENT }, body)));
    }
  }

  /** XEP-0163 §4.3.4: the last published item of each node a resource just became interested in. */
  private sendLast(ownerBare: string, jid: string, nodes: Set<string>): void {
    const owner = Jid.parse(ownerBare);
    for (const node of nodes) {
      const store = this.store(owner);
      const n = store.node(node);
      if (!n || !sendsLastOnPresence(n.config) || !this.canAccess(owner, jid, n.config)) continue;
      const last = store.items(node, 1)[0];
      if (!last) continue;
      const event = x('event', { xmlns: PUBSUB_EVENT }, x('items', { node }, itemElement(last)));
      this.server.route(x('message', { from: owner.bare, to: jid, type: 'headline', id: randomUUID() }, event));
    }
  }
}
