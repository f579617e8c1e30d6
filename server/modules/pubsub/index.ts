// XEP-0060: Publish-Subscribe — a generic pubsub service on a domain of its own (pubsub.<domain>,
// `m.service`), the second front end of the engine PEP uses (pep/engine.ts). Nodes, items,
// affiliations and subscriptions are kept in the module's stores (store.ts).
import type { Checks } from '../../../xmpp/config-checks.js';
import { normalizeDomain } from '../../../xmpp/jid.js';
import { x } from '../../../xmpp/xml.js';
import { PRIORITY } from '../../core/events.js';
import { defineModule } from '../../core/module.js';
import type { AdhocConfig } from '../adhoc.js';
import { PUBSUB, PUBSUB_OWNER, serviceProfile } from '../pep/config.js';
import { ownerGet, ownerSet } from './owner.js';
import { PubsubService } from './service.js';
import { ServiceStore } from './store.js';

export interface PubsubSettings {
  /** The service's domain; null: pubsub.<domain>. */
  domain: string | null;
  createNodes: 'users' | 'admins';
  /** The most items a node keeps, and what pubsub#max_items "max" means. */
  maxItems: number;
  maxNodesPerUser: number;
}

function parsePubsub(raw: unknown, c: Checks): PubsubSettings {
  const s = c.section('pubsub', raw);
  c.only('pubsub', s, ['domain', 'createNodes', 'maxItems', 'maxNodesPerUser']);
  let domain: string | null = null;
  if (s.domain !== undefined) {
    try {
      domain = normalizeDomain(c.str('pubsub.domain', s.domain, ''));
    } catch (e) {
      c.fail('pubsub.domain', `not a valid domain: ${(e as Error).message}`);
    }
  }
  const createNodes = c.str('pubsub.createNodes', s.createNodes, 'users');
  if (createNodes !== 'users' && createNodes !== 'admins') c.fail('pubsub.createNodes', 'must be "users" or "admins"');
  return {
    domain,
    createNodes: createNodes as PubsubSettings['createNodes'],
    maxItems: c.int('pubsub.maxItems', s.maxItems, 256, 1, 100_000),
    maxNodesPerUser: c.int('pubsub.maxNodesPerUser', s.maxNodesPerUser, 100, 0, 1_000_000),
  };
}

/** XEP-0060 §16.2 features of what the service implements, and nothing else. */
const FEATURES = [
  'access-open', 'access-presence', 'access-whitelist', 'config-node', 'config-node-max', 'create-and-configure', 'create-nodes',
  'delete-items', 'delete-nodes', 'instant-nodes', 'item-ids', 'manage-subscriptions', 'member-affiliation', 'meta-data',
  'modify-affiliations', 'multi-items', 'outcast-affiliation', 'persistent-items', 'publish', 'publish-options', 'publisher-affiliation',
  'purge-nodes', 'retract-items', 'retrieve-affiliations', 'retrieve-default', 'retrieve-items', 'retrieve-subscriptions', 'rsm', 'subscribe',
].map((f) => `${PUBSUB}#${f}`);

export default defineModule<PubsubSettings>({
  name: 'pubsub',
  config: { key: 'pubsub', parse: parsePubsub },
  setup(m) {
    const { server, config } = m;
    const domain = config.domain ?? `pubsub.${server.domain}`;
    const service = m.service(domain, { identity: { category: 'pubsub', type: 'service', name: 'Publish-Subscribe' } });
    const store = new ServiceStore({ nodes: m.store('nodes'), items: m.store('items'), affiliations: m.store('affiliations'), subscriptions: m.store('subscriptions') });
    // The `admins` key belongs to the ad-hoc commands module (adhoc.ts), which parses it.
    const admins = (server.config.modules.admins as AdhocConfig | undefined)?.admins ?? new Set<string>();
    const svc = new PubsubService(server, service, store, serviceProfile(config.maxItems), { createNodes: config.createNodes, admins, maxNodesPerUser: config.maxNodesPerUser });
    for (const f of FEATURES) service.features.add(f);
    service.iq('get', PUBSUB, ({ from, payload }) => svc.get(from, payload));
    service.iq('set', PUBSUB, ({ from, payload }) => svc.set(from, payload));
    service.iq('get', PUBSUB_OWNER, ({ from, payload }) => ownerGet(svc, from, payload), null);
    service.iq('set', PUBSUB_OWNER, ({ from, payload }) => ownerSet(svc, from, payload), null);

    // §5.3 / §5.4: a node's identity, feature and meta-data; §5.2 / §5.5: the nodes, a node's items.
    const visible = (name: string, from: Parameters<PubsubService['refusal']>[2]) => {
      const r = store.record(name);
      return r && !svc.refusal(name, r.config, from) ? r : undefined;
    };
    service.discoInfoNode = ({ from, to, node }) => {
      if (!node || !to.equals(service.jid)) return undefined;
      const r = svc.requireNode(node);
      const refused = svc.refusal(node, r.config, from);
      if (refused) throw refused;
      return { identities: [{ category: 'pubsub', type: 'leaf' }], features: [PUBSUB], extensions: [svc.metaData(node, r)] };
    };
    service.discoItems = ({ from, to, node }) => {
      if (!to.equals(service.jid)) return node ? undefined : [];
      if (!node) return store.names().filter((n) => visible(n, from)).map((n) => x('item', { jid: domain, node: n, name: store.record(n)!.config['pubsub#title'] || undefined }));
      const r = svc.requireNode(node);
      const refused = svc.refusal(node, r.config, from);
      if (refused) throw refused;
      return store.items(node).map((i) => x('item', { jid: domain, name: i.id }));
    };
    // Ahead of the other listeners: blocking.ts and mam.ts return Map#delete's result from theirs,
    // which ends the event for whoever comes after them when their cache held the account.
    m.on('account-deleted', ({ user }) => void svc.forget(`${user}@${server.domain}`), PRIORITY.NORMAL + 1);
    m.log.info({ domain, createNodes: config.createNodes }, 'publish-subscribe service (XEP-0060)');
  },
});
