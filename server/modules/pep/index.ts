// XEP-0163: Personal Eventing Protocol — wiring the PEP service (service.ts) into the server:
// pubsub IQs to accounts, disco of the account (§6), and presence that tells the service who
// is available and interested (§4).
import { NS } from '../../../xmpp/namespaces.js';
import { Jid } from '../../../xmpp/jid.js';
import { x } from '../../../xmpp/xml.js';
import { defineModule } from '../../core/module.js';
import { PRIORITY, type StanzaEvent } from '../../core/events.js';
import { PUBSUB, PUBSUB_OWNER } from './config.js';
import { PepService } from './service.js';

/** XEP-0060 §16.2 features of the subset offered (XEP-0163 §6.1). */
const FEATURES = [
  'publish', 'auto-create', 'publish-options', 'create-nodes', 'access-open', 'access-presence', 'access-whitelist',
  'retract-items', 'retrieve-items', 'delete-nodes', 'config-node', 'last-published', 'persistent-items', 'filtered-notifications', 'rsm',
].map((f) => `${PUBSUB}#${f}`);

export default defineModule({
  name: 'pep',
  setup(m) {
    const { server } = m;
    const pep = new PepService(server, server.config.limits.pepItems);
    m.feature('account', PUBSUB, ...FEATURES);
    // XEP-0163 §6.1: the account is a PEP service.
    m.identity('account', { category: 'pubsub', type: 'pep' });
    const account = { feature: null };
    m.iq('get', 'bare', PUBSUB, ({ to, from, payload }) => pep.get(to, from, payload), account);
    m.iq('set', 'bare', PUBSUB, ({ to, from, payload }) => pep.set(to, from, payload), account);
    m.iq('get', 'bare', PUBSUB_OWNER, ({ to, from, payload }) => pep.ownerGet(to, from, payload), account);
    m.iq('set', 'bare', PUBSUB_OWNER, ({ to, from, payload }) => pep.ownerSet(to, from, payload), account);

    // disco#info and disco#items of a node (XEP-0060 §5.3, §5.5); the account's own go to disco.
    m.on(`iq-get/bare/${NS.DISCO_INFO}`, (e) => {
      const node = e.payload.attrs.node;
      if (!node) return;
      return server.answer(e, ({ to, from }) => {
        pep.visibleNode(to, from.full, node);
        return x('query', { xmlns: NS.DISCO_INFO, node }, x('identity', { category: 'pubsub', type: 'leaf' }), x('feature', { var: PUBSUB }));
      });
    }, PRIORITY.NORMAL + 1);
    m.on(`iq-get/bare/${NS.DISCO_ITEMS}`, (e) => {
      const node = e.payload.attrs.node;
      if (!node) return;
      return server.answer(e, ({ to, from }) => {
        pep.visibleNode(to, from.full, node);
        return x('query', { xmlns: NS.DISCO_ITEMS, node }, pep.store(to).items(node).map((i) => x('item', { jid: to.bare, name: i.id })));
      });
    }, PRIORITY.NORMAL + 1);
    // The nodes among the account's disco#items (XEP-0060 §5.2), those the asker may see.
    m.on('disco-items/account', ({ to, from, items }) => {
      for (const node of pep.visibleNodes(to, from.full)) items.push(x('item', { jid: to.bare, node }));
    });

    // Contacts' presence reaches the account whether or not the owner is online (XEP-0163 §4).
    const watch = ({ stanza, to, from }: StanzaEvent): void => {
      if (from.isBare() || from.bare === to.bare) return;
      const type = stanza.attrs.type;
      if (type === undefined) pep.interest.available(to.bare, from.full, stanza);
      else if (type === 'unavailable' || type === 'error') pep.interest.unavailable(to.bare, from.full);
    };
    m.on('presence/bare', watch, PRIORITY.NORMAL + 1);
    m.on('presence/full', watch, PRIORITY.NORMAL + 1);
    // The owner's own resources (§4, "all of the account owner's available resources").
    m.on('session-available', ({ session }) => {
      if (session.presence) pep.interest.available(session.jid!.bare, session.jid!.full, session.presence);
    });
    m.on('pre-presence/bare', ({ stanza, origin }) => {
      if (origin && stanza.attrs.to === undefined && stanza.attrs.type === 'unavailable') pep.interest.unavailable(origin.jid!.bare, origin.jid!.full);
    }, PRIORITY.NORMAL + 1);
    m.on('session-closed', ({ session }) => {
      if (session.jid) pep.interest.unavailable(session.jid.bare, session.jid.full);
    });
    m.on('account-deleted', ({ user }) => void pep.interest.forget(new Jid(user, server.domain, '', true).bare));
  },
});
