// The XEP-0060 service front end of the pubsub engine (pep/engine.ts), at pubsub.<domain>: who
// may do what (affiliations §4.1, access models §4.5, publish models), and the entity, subscriber
// and publisher use cases (§5.6, §5.7, §6, §7, and node creation §8.1). Owner use cases are in owner.ts.
import { randomBytes, randomUUID } from 'node:crypto';
import { StanzaError } from '../../../xmpp/errors.js';
import { Jid } from '../../../xmpp/jid.js';
import { NS } from '../../../xmpp/namespaces.js';
import { x, type Element } from '../../../xmpp/xml.js';
import type { LocalService } from '../../core/local-service.js';
import type { XmppServer } from '../../core/server.js';
import {
  META_DATA, PUBSUB,
  accessModel, applyConfigureForm, applyPublishOptions, maxItems, notifiesRetract, persistsItems, publishModel, pubsubError,
  type NodeConfig, type NodeProfile,
} from '../pep/config.js';
import { elements, eventMessage, nodeId, publishedEvent, readPublish, readRetract, retractedEvent, retrieveItems, unsupported } from '../pep/engine.js';
import type { NodeRecord, ServiceStore, Subscription } from './store.js';

export interface PubsubPolicy {
  /** Who may create nodes: every local account, or the `admins` only. */
  createNodes: 'users' | 'admins';
  admins: ReadonlySet<string>;
  /** Nodes one account may own. */
  maxNodesPerUser: number;
}

export class PubsubService {
  constructor(
    readonly server: XmppServer,
    readonly service: LocalService,
    readonly store: ServiceStore,
    readonly profile: NodeProfile,
    readonly policy: PubsubPolicy,
  ) {}

  /** The node, or §6.1.3.12 / §7.1.3.3 / §8.2.3.5's item-not-found. */
  requireNode(name: string): NodeRecord {
    const r = this.store.record(name);
    if (!r) throw new StanzaError('item-not-found');
    return r;
  }

  isOwner(name: string, who: Jid): boolean {
    return this.store.affiliation(name, who.bare) === 'owner';
  }

  /** §8: only an owner configures, deletes, purges and manages (Examples 144, 162, 168, 188, 201). */
  requireOwner(name: string, who: Jid): void {
    if (!this.isOwner(name, who)) throw new StanzaError('forbidden', 'only an owner of the node may do this');
  }

  /**
   * Why `who` may not subscribe to or read the node (undefined: it may): outcasts are blocked
   * (§4.1; §6.1.3.8 Example 41), affiliated entities are in, and otherwise the access model
   * decides (§4.5): presence wants a presence subscription from an owner (Example 35 / 93),
   * whitelist wants an affiliation (Example 37 / 95).
   */
  refusal(name: string, config: NodeConfig, who: Jid): StanzaError | undefined {
    const affiliation = this.store.affiliation(name, who.bare);
    if (affiliation === 'outcast') return new StanzaError('forbidden', 'you are banned from this node');
    if (affiliation !== 'none') return undefined;
    switch (accessModel(config)) {
      case 'open':
        return undefined;
      case 'presence':
        return this.ownersShareWith(name, who) ? undefined : pubsubError('not-authorized', 'presence-subscription-required');
      default:
        return pubsubError('not-allowed', 'closed-node');
    }
  }

  /** An owner on this server has `who` in the roster with a presence subscription from it (RFC 6121 'from' or 'both'). */
  private ownersShareWith(name: string, who: Jid): boolean {
    return this.store.affiliations(name).some(([jid, a]) => {
      if (a !== 'owner') return false;
      const owner = Jid.tryParse(jid);
      if (!owner || !this.server.isLocal(owner.domain)) return false;
      const s = this.server.storage.roster.item(owner.local, who.bare)?.subscription;
      return s === 'from' || s === 'both';
    });
  }

  private readable(name: string, who: Jid): NodeRecord {
    const r = this.requireNode(name);
    const refused = this.refusal(name, r.config, who);
    if (refused) throw refused;
    return r;
  }

  /** <pubsub xmlns='…pubsub'/> get: items (§6.5), subscriptions (§5.6), affiliations (§5.7). */
  get(from: Jid, pubsub: Element): Element {
    const items = pubsub.getChild('items');
    if (items) {
      const name = nodeId(items);
      const r = this.readable(name, from);
      if (!persistsItems(r.config)) throw unsupported('persistent-items'); // §6.5.9.4 Example 91
      return retrieveItems(this.store, pubsub, items, this.profile.maxItems);
    }
    const subs = pubsub.getChild('subscriptions');
    if (subs) {
      const names = this.scope(subs.attrs.node);
      const mine = names.flatMap((node) => this.store.subscriptions(node).filter((s) => Jid.tryParse(s.jid)?.bare === from.bare).map((s) => this.subscriptionElement(node, s)));
      return x('pubsub', { xmlns: PUBSUB }, x('subscriptions', { node: subs.attrs.node }, mine));
    }
    const affs = pubsub.getChild('affiliations');
    if (affs) {
      const names = this.scope(affs.attrs.node);
      const mine = names.flatMap((node) => {
        const a = this.store.affiliation(node, from.bare);
        return a === 'none' ? [] : [x('affiliation', { node, affiliation: a })];
      });
      return x('pubsub', { xmlns: PUBSUB }, x('affiliations', { node: affs.attrs.node }, mine));
    }
    throw unsupported(elements(pubsub)[0]?.name ?? 'retrieve-items');
  }

  /** All nodes, or the one named (which must exist). */
  private scope(node: string | undefined): string[] {
    if (node === undefined) return this.store.names();
    this.requireNode(node);
    return [node];
  }

  subscriptionElement(node: string | undefined, s: Subscription): Element {
    return x('subscription', { node, jid: s.jid, subid: s.subid, subscription: 'subscribed' });
  }

  /** <pubsub xmlns='…pubsub'/> set: create (§8.1), publish (§7.1), retract (§7.2), subscribe (§6.1), unsubscribe (§6.2). */
  set(from: Jid, pubsub: Element): Element | undefined {
    const create = pubsub.getChild('create');
    if (create) return this.create(from, create, pubsub.getChild('configure'));
    const publish = pubsub.getChild('publish');
    if (publish) return this.publish(from, publish, pubsub.getChild('publish-options')?.getChild('x', NS.DATA));
    const retract = pubsub.getChild('retract');
    if (retract) return this.retract(from, retract);
    const subscribe = pubsub.getChild('subscribe');
    if (subscribe) return this.subscribe(from, subscribe);
    const unsubscribe = pubsub.getChild('unsubscribe');
    if (unsubscribe) return this.unsubscribe(from, unsubscribe);
    const first = elements(pubsub)[0]?.name ?? 'unknown';
    // Subscription options (§6.3) are not offered.
    throw unsupported(first === 'options' ? 'subscription-options' : first);
  }

  private create(from: Jid, create: Element, configure: Element | undefined): Element | undefined {
    const allowed = this.policy.createNodes === 'admins'
      ? this.policy.admins.has(from.bare)
      : from.local !== '' && this.server.isLocal(from.domain) && this.server.storage.users.exists(from.local);
    // §8.1.1 Example 130.
    if (!allowed) throw new StanzaError('forbidden', this.policy.createNodes === 'admins' ? 'only the server\u2019s admins create nodes here' : 'only accounts of this server create nodes here');
    const instant = !create.attrs.node;
    const name = create.attrs.node || randomBytes(20).toString('hex'); // §8.1.1: an instant node gets a NodeID of ours
    if (this.store.record(name)) throw new StanzaError('conflict', 'the node exists'); // Example 131
    const owned = this.store.names().filter((n) => this.isOwner(n, from)).length;
    // RFC 6120 §8.3.3.12: a local policy (the node quota) refuses the request.
    if (owned >= this.policy.maxNodesPerUser) throw new StanzaError('policy-violation', `at most ${this.policy.maxNodesPerUser} nodes per account here`);
    const form = configure?.getChild('x', NS.DATA);
    const defaults = { ...this.profile.defaults };
    const config = form && form.attrs.type !== 'cancel' ? applyConfigureForm(defaults, form, this.profile) : defaults; // §8.1.3
    this.store.create(name, config, from.bare);
    return instant ? x('pubsub', { xmlns: PUBSUB }, x('create', { node: name })) : undefined; // Example 134
  }

  /** May `who` publish to the node? pubsub#publish_model: publishers, subscribers or open (§16.4.3). */
  private mayPublish(name: string, config: NodeConfig, who: Jid): boolean {
    const a = this.store.affiliation(name, who.bare);
    if (a === 'owner' || a === 'publisher') return true;
    if (a === 'outcast') return false;
    switch (publishModel(config)) {
      case 'open':
        return true;
      case 'subscribers':
        return this.store.subscriptions(name).some((s) => Jid.tryParse(s.jid)?.bare === who.bare);
      default:
        return false;
    }
  }

  private publish(from: Jid, publish: Element, options: Element | undefined): Element {
    const { node, item } = readPublish(publish);
    const r = this.requireNode(node); // §7.1.3.3 Example 109: no auto-create here
    if (!this.mayPublish(node, r.config, from)) throw new StanzaError('forbidden', 'you may not publish to this node'); // Example 107
    applyPublishOptions(r.config, options, this.profile); // §7.1.5: preconditions on the existing node
    // §7.1.2: a node that does not persist items only notifies.
    if (persistsItems(r.config)) this.store.publish(node, item, maxItems(r.config, this.profile.maxItems), from.bare);
    this.notify(node, r.config, publishedEvent(node, item, r.config));
    return x('pubsub', { xmlns: PUBSUB }, x('publish', { node }, x('item', { id: item.id })));
  }

  private retract(from: Jid, retract: Element): undefined {
    const { node, ids, notify } = readRetract(retract);
    const r = this.requireNode(node);
    if (!persistsItems(r.config)) throw unsupported('persistent-items'); // §7.2.3.5 Example 125
    const a = this.store.affiliation(node, from.bare);
    const privileged = a === 'owner' || a === 'publisher';
    for (const id of ids) {
      const publisher = this.store.publisherOf(node, id);
      if (publisher === undefined) throw new StanzaError('item-not-found'); // Example 122
      // §7.2.3.1: publishers and owners retract any item; others only what they published.
      if (!privileged && (publisher !== from.bare || a === 'outcast')) throw new StanzaError('forbidden', 'you may not retract this item');
    }
    for (const id of ids) this.store.retract(node, id);
    if (notify ?? notifiesRetract(r.config)) this.notify(node, r.config, retractedEvent(node, ids));
    return undefined;
  }

  /** The JID of a subscribe or unsubscribe request (§6.1.1): it must be there and parse. */
  private requestJid(el: Element): Jid {
    const jid = Jid.tryParse(el.attrs.jid);
    if (!jid) throw pubsubError('bad-request', 'invalid-jid', 'a subscription names a valid JID');
    return jid;
  }

  private subscribe(from: Jid, subscribe: Element): Element {
    const node = nodeId(subscribe);
    const jid = this.requestJid(subscribe);
    // §6.1.3.1 Example 34: only the bare JID of the requester, or one of its full JIDs.
    if (jid.bare !== from.bare) throw pubsubError('bad-request', 'invalid-jid', 'the JID to subscribe is not yours');
    this.readable(node, jid);
    const sub = this.store.subscription(node, jid.full) ?? { jid: jid.full, subid: randomUUID() };
    this.store.subscribe(node, sub);
    return x('pubsub', { xmlns: PUBSUB }, this.subscriptionElement(node, sub)); // Example 33
  }

  private unsubscribe(from: Jid, unsubscribe: Element): undefined {
    const node = nodeId(unsubscribe);
    const jid = this.requestJid(unsubscribe);
    // §6.2.3.3 Example 55: unsubscribing someone else takes an owner.
    if (jid.bare !== from.bare && !this.isOwner(node, from)) throw new StanzaError('forbidden', 'you may not unsubscribe this JID');
    this.requireNode(node); // Example 56
    const sub = this.store.subscription(node, jid.full);
    if (!sub) throw pubsubError('unexpected-request', 'not-subscribed', undefined, 'cancel'); // Example 54
    const subid = unsubscribe.attrs.subid;
    if (subid !== undefined && subid !== sub.subid) throw pubsubError('not-acceptable', 'invalid-subid'); // Example 57
    this.store.unsubscribe(node, jid.full);
    return undefined;
  }

  /** Drops subscriptions the node no longer allows (an affiliation or the access model changed). */
  sweep(name: string, config: NodeConfig): void {
    for (const s of this.store.subscriptions(name)) {
      const jid = Jid.tryParse(s.jid);
      if (!jid || this.refusal(name, config, jid)) this.store.unsubscribe(name, s.jid);
    }
  }

  /**
   * An account of this server was deleted: its subscriptions and affiliations go with it, and a
   * node left without an owner is deleted, its subscribers told so (§8.4.2).
   */
  forget(bare: string): void {
    for (const name of this.store.names()) {
      for (const s of this.store.subscriptions(name)) if (Jid.tryParse(s.jid)?.bare === bare) this.store.unsubscribe(name, s.jid);
      if (this.store.affiliation(name, bare) === 'none') continue;
      this.store.setAffiliation(name, bare, 'none');
      if (this.store.affiliations(name).some(([, a]) => a === 'owner')) continue;
      this.notify(name, this.requireNode(name).config, x('delete', { node: name }));
      this.store.deleteNode(name);
    }
  }

  /** An event notification to each subscriber still allowed to read the node (§7.1.2, §8.4.2, §8.5.2). */
  notify(name: string, config: NodeConfig, body: Element): void {
    for (const s of this.store.subscriptions(name)) {
      const jid = Jid.tryParse(s.jid);
      if (jid && !this.refusal(name, config, jid)) this.service.send(eventMessage(this.service.domain, s.jid, body));
    }
  }

  /** §5.4: the node's meta-data, as a form of type result in its disco#info. */
  metaData(name: string, r: NodeRecord): Element {
    const field = (v: string, type: string, values: string[]) => x('field', { var: v, type }, values.map((s) => x('value', {}, s)));
    const owners = this.store.affiliations(name).filter(([, a]) => a === 'owner').map(([j]) => j);
    const publishers = this.store.affiliations(name).filter(([, a]) => a === 'publisher').map(([j]) => j);
    return x(
      'x',
      { xmlns: NS.DATA, type: 'result' },
      field('FORM_TYPE', 'hidden', [META_DATA]),
      field('pubsub#creator', 'jid-single', [r.creator]),
      field('pubsub#creation_date', 'text-single', [r.created]),
      field('pubsub#title', 'text-single', [r.config['pubsub#title'] ?? '']),
      field('pubsub#access_model', 'list-single', [accessModel(r.config)]),
      field('pubsub#publish_model', 'list-single', [publishModel(r.config)]),
      field('pubsub#max_items', 'text-single', [r.config['pubsub#max_items'] ?? '']),
      field('pubsub#owner', 'jid-multi', owners),
      field('pubsub#publisher', 'jid-multi', publishers),
    );
  }
}
