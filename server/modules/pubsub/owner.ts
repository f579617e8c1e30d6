// XEP-0060 §8 owner use cases of the pubsub service: configure (§8.2), default configuration
// (§8.3), delete (§8.4), purge (§8.5), manage subscriptions (§8.8) and affiliations (§8.9).
import { randomUUID } from 'node:crypto';
import { StanzaError } from '../../../xmpp/errors.js';
import { Jid } from '../../../xmpp/jid.js';
import { NS } from '../../../xmpp/namespaces.js';
import { x, type Element } from '../../../xmpp/xml.js';
import { PUBSUB_OWNER, applyConfigureForm, configForm, maxItems, persistsItems } from '../pep/config.js';
import { elements, nodeId, unsupported } from '../pep/engine.js';
import type { PubsubService } from './service.js';
import { AFFILIATIONS, type Affiliation } from './store.js';

const owner = (...children: Element[]) => x('pubsub', { xmlns: PUBSUB_OWNER }, children);

/** <pubsub xmlns='…pubsub#owner'/> get. */
export function ownerGet(svc: PubsubService, from: Jid, pubsub: Element): Element {
  const { store } = svc;
  const def = pubsub.getChild('default');
  if (def) return owner(x('default', {}, configForm({ ...svc.profile.defaults }, svc.profile))); // §8.3.2 Example 155
  const el = pubsub.getChild('configure') ?? pubsub.getChild('subscriptions') ?? pubsub.getChild('affiliations');
  if (!el) throw unsupported(elements(pubsub)[0]?.name ?? 'config-node');
  const node = nodeId(el); // Example 145
  const r = svc.requireNode(node); // Example 147
  svc.requireOwner(node, from); // Example 144
  if (el.name === 'configure') return owner(x('configure', { node }, configForm(r.config, svc.profile))); // §8.2.2 Example 142
  if (el.name === 'subscriptions') {
    // §8.8.1.2 Example 186
    return owner(x('subscriptions', { node }, store.subscriptions(node).map((s) => svc.subscriptionElement(undefined, s))));
  }
  // §8.9.1.2 Example 199
  return owner(x('affiliations', { node }, store.affiliations(node).map(([jid, affiliation]) => x('affiliation', { jid, affiliation }))));
}

/** <pubsub xmlns='…pubsub#owner'/> set. */
export function ownerSet(svc: PubsubService, from: Jid, pubsub: Element): undefined {
  const el = pubsub.getChild('configure') ?? pubsub.getChild('delete') ?? pubsub.getChild('purge') ?? pubsub.getChild('subscriptions') ?? pubsub.getChild('affiliations');
  if (!el) throw unsupported(elements(pubsub)[0]?.name ?? 'config-node');
  const node = nodeId(el);
  const r = svc.requireNode(node);
  svc.requireOwner(node, from);
  const { store } = svc;
  switch (el.name) {
    case 'configure': {
      const form = el.getChild('x', NS.DATA);
      if (!form) throw new StanzaError('bad-request', 'a configuration form is required');
      if (form.attrs.type === 'cancel') return undefined; // §8.2.4 Example 149
      const config = applyConfigureForm(r.config, form, svc.profile);
      store.putNode({ node, config });
      store.trim(node, persistsItems(config) ? maxItems(config, svc.profile.maxItems) : 0);
      svc.sweep(node, config);
      return undefined;
    }
    case 'delete':
      svc.notify(node, r.config, x('delete', { node })); // §8.4.2 Example 161
      store.deleteNode(node);
      return undefined;
    case 'purge':
      if (!persistsItems(r.config)) throw unsupported('persistent-items'); // §8.5.3.3 Example 169
      store.trim(node, 0);
      svc.notify(node, r.config, x('purge', { node })); // §8.5.2 Example 166
      return undefined;
    case 'subscriptions':
      return modifySubscriptions(svc, node, el);
    default:
      return modifyAffiliations(svc, node, el);
  }
}

/** A bare JID of a §8.8.2 / §8.9.2 entry; a bad one makes the whole request not-acceptable (Example 196, 210). */
function entryJid(e: Element): Jid {
  const jid = Jid.tryParse(e.attrs.jid);
  if (!jid) throw new StanzaError('not-acceptable', `not a JID: ${e.attrs.jid ?? '(none)'}`);
  return jid;
}

/** §8.8.2: the owner sets subscriptions to subscribed or none; all entries are checked before any applies. */
function modifySubscriptions(svc: PubsubService, node: string, el: Element): undefined {
  const { store } = svc;
  const changes = el.getChildren('subscription').map((e) => {
    const jid = entryJid(e);
    const state = e.attrs.subscription;
    if (state !== 'subscribed' && state !== 'none') throw new StanzaError('not-acceptable', `subscription state ${state ?? '(none)'} is not offered`);
    if (state === 'subscribed' && store.affiliation(node, jid.bare) === 'outcast') throw new StanzaError('not-acceptable', `${jid.bare} is an outcast`);
    return { jid, state };
  });
  for (const { jid, state } of changes) {
    if (state === 'none') store.unsubscribe(node, jid.full);
    else if (!store.subscription(node, jid.full)) store.subscribe(node, { jid: jid.full, subid: randomUUID() });
  }
  return undefined;
}

/** §8.9.2: the owner sets affiliations, all or none (§8.9.2.4); a change that would leave the node without an owner is refused. */
function modifyAffiliations(svc: PubsubService, node: string, el: Element): undefined {
  const { store } = svc;
  const changes = el.getChildren('affiliation').map((e) => {
    const jid = entryJid(e);
    const affiliation = e.attrs.affiliation ?? '';
    if (!AFFILIATIONS.includes(affiliation)) throw new StanzaError('not-acceptable', `affiliation ${affiliation || '(none)'} is not one of ${AFFILIATIONS.join(', ')}`);
    return { jid: jid.bare, affiliation: affiliation as Affiliation | 'none' };
  });
  const after = new Map(store.affiliations(node));
  for (const c of changes) {
    if (c.affiliation === 'none') after.delete(c.jid);
    else after.set(c.jid, c.affiliation);
  }
  if (![...after.values()].includes('owner')) throw new StanzaError('not-acceptable', 'the node would have no owner');
  for (const c of changes) store.setAffiliation(node, c.jid, c.affiliation);
  // §4.1: an outcast is not subscribed; on a whitelist node, neither is someone no longer affiliated.
  svc.sweep(node, svc.requireNode(node).config);
  return undefined;
}
