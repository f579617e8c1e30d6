// XEP-0163: Personal Eventing Protocol — wiring the PEP service (service.ts) into the server:
// pubsub IQs to accounts, disco of the account (§6), and presence that tells the service who
// is available and interested (§4).
import { StanzaError } from '../../../xmpp/errors.js';
import { NS } from '../../../xmpp/namespaces.js';
import { Jid } from '../../../xmpp/jid.js';
import { x, type Element } from '../../../xmpp/xml.js';
import type { XmppServer } from '../../core/server.js';
import type { IqRequest } from '../../core/iq.js';
import { PUBSUB, PUBSUB_OWNER } from './config.js';
import { PepService } from './service.js';

/** XEP-0060 §16.2 features of the subset offered (XEP-0163 §6.1). */
const FEATURES = [
  'publish', 'auto-create', 'publish-options', 'create-nodes', 'access-open', 'access-presence', 'access-whitelist',
  'retract-items', 'retrieve-items', 'delete-nodes', 'config-node', 'last-published', 'persistent-items', 'filtered-notifications',
].map((f) => `${PUBSUB}#${f}`);

/**
 * Extends the account's disco#info (identity pubsub/pep, XEP-0163 §6.1) and disco#items (its
 * nodes, XEP-0060 §5.2), and answers both for a node (§5.3, §5.5).
 */
function extendDisco(server: XmppServer, pep: PepService): void {
  const wrap = (ns: string, forNode: (req: IqRequest, node: string) => Element, add: (q: Element, req: IqRequest) => void): void => {
    const base = server.iq.find('get', 'account', ns);
    server.iq.on('get', 'account', ns, async (req) => {
      if (req.payload.attrs.node) return forNode(req, req.payload.attrs.node);
      if (!base) throw new StanzaError('service-unavailable');
      const q = await base(req);
      if (q) add(q, req);
      return q;
    });
  };
  wrap(
    NS.DISCO_INFO,
    ({ to, from }, node) => {
      pep.visibleNode(to, from.full, node);
      return x('query', { xmlns: NS.DISCO_INFO, node }, x('identity', { category: 'pubsub', type: 'leaf' }), x('feature', { var: PUBSUB }));
    },
    (q) => {
      const identity = q.getChild('identity');
      const at = identity ? q.children.indexOf(identity) + 1 : 0;
      q.children.splice(at, 0, x('identity', { category: 'pubsub', type: 'pep' }));
    },
  );
  wrap(
    NS.DISCO_ITEMS,
    ({ to, from }, node) => {
      pep.visibleNode(to, from.full, node);
      return x('query', { xmlns: NS.DISCO_ITEMS, node }, server.storage.pep.items(to.local, node).map((i) => x('item', { jid: to.bare, name: i.id })));
    },
    (q, { to, from }) => {
      for (const node of pep.visibleNodes(to, from.full)) q.cnode(x('item', { jid: to.bare, node }));
    },
  );
}

export function registerPep(server: XmppServer): void {
  const pep = new PepService(server);
  for (const f of FEATURES) server.features.account.add(f);
  server.features.account.add(PUBSUB);

  server.iq.on('get', 'account', PUBSUB, ({ to, from, payload }) => pep.get(to, from, payload));
  server.iq.on('set', 'account', PUBSUB, ({ to, from, payload }) => pep.set(to, from, payload));
  server.iq.on('get', 'account', PUBSUB_OWNER, ({ to, from, payload }) => pep.ownerGet(to, from, payload));
  server.iq.on('set', 'account', PUBSUB_OWNER, ({ to, from, payload }) => pep.ownerSet(to, from, payload));
  extendDisco(server, pep);

  // Contacts' presence reaches the account whether or not the owner is online (XEP-0163 §4).
  server.hooks.on('presence-in', ({ stanza, to, from }) => {
    if (from.isBare() || from.bare === to.bare) return;
    const type = stanza.attrs.type;
    if (type === undefined) pep.interest.available(to.bare, from.full, stanza);
    else if (type === 'unavailable' || type === 'error') pep.interest.unavailable(to.bare, from.full);
  });
  // The owner's own resources (§4, "all of the account owner's available resources").
  server.hooks.on('session-available', ({ session }) => {
    if (session.presence) pep.interest.available(session.jid!.bare, session.jid!.full, session.presence);
  });
  server.hooks.on('presence-out', ({ session, stanza }) => {
    if (stanza.attrs.to === undefined && stanza.attrs.type === 'unavailable') pep.interest.unavailable(session.jid!.bare, session.jid!.full);
  });
  server.hooks.on('session-closed', ({ session }) => {
    if (session.jid) pep.interest.unavailable(session.jid.bare, session.jid.full);
  });
  server.hooks.on('account-deleted', ({ user }) => pep.interest.forget(new Jid(user, server.domain, '', true).bare));
}
