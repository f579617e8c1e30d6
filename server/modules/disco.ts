// Service discovery (XEP-0030) for the server and for accounts; the features listed are the ones
// that modules registered next to their handlers.
import { StanzaError } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { x } from '../../xmpp/xml.js';
import type { XmppServer } from '../core/server.js';

export function registerDisco(server: XmppServer): void {
  server.features.host.add(NS.DISCO_INFO).add(NS.DISCO_ITEMS);
  server.features.account.add(NS.DISCO_INFO).add(NS.DISCO_ITEMS);

  server.handleIq('get', 'host', NS.DISCO_INFO, ({ payload }) => {
    if (payload.attrs.node) throw new StanzaError('item-not-found');
    return x(
      'query',
      { xmlns: NS.DISCO_INFO },
      server.identities.map((i) => x('identity', { category: i.category, type: i.type, name: i.name })),
      [...server.features.host].sort().map((f) => x('feature', { var: f })),
    );
  }, null);

  server.handleIq('get', 'host', NS.DISCO_ITEMS, ({ payload }) => {
    if (payload.attrs.node) throw new StanzaError('item-not-found');
    return x('query', { xmlns: NS.DISCO_ITEMS }, [...server.components.keys()].sort().map((jid) => x('item', { jid })));
  }, null);

  server.handleIq('get', 'account', NS.DISCO_INFO, ({ payload }) => {
    if (payload.attrs.node) throw new StanzaError('item-not-found');
    return x(
      'query',
      { xmlns: NS.DISCO_INFO },
      x('identity', { category: 'account', type: 'registered' }),
      [...server.features.account].sort().map((f) => x('feature', { var: f })),
    );
  }, null);

  server.handleIq('get', 'account', NS.DISCO_ITEMS, ({ payload }) => {
    if (payload.attrs.node) throw new StanzaError('item-not-found');
    return x('query', { xmlns: NS.DISCO_ITEMS });
  }, null);
}
