// Service discovery (XEP-0030) for the server and for accounts: the identities and features are
// the ones modules declared next to their handlers; the server's data forms (XEP-0128) come from
// the 'disco-info/host' event, its nodes from 'disco-node/host' and 'disco-items/host', an
// account's items from 'disco-items/account', which modules fill in.
import { StanzaError } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import { defineModule } from '../core/module.js';
import type { DiscoIdentity, XmppServer } from '../core/server.js';

function info(identities: DiscoIdentity[], features: Iterable<string>, node?: string, extensions: Element[] = []): Element {
  return x(
    'query',
    { xmlns: NS.DISCO_INFO, node },
    identities.map((i) => x('identity', { category: i.category, type: i.type, name: i.name })),
    [...features].sort().map((f) => x('feature', { var: f })),
    extensions,
  );
}

/**
 * The server's own disco#info <query/> (also the basis of its XEP-0115 caps, modules/caps.ts), with
 * the XEP-0128 data forms modules add on 'disco-info/host'.
 */
export function hostInfo(server: XmppServer): Element {
  const extensions: Element[] = [];
  server.events.fire('disco-info/host', { extensions });
  return info(server.identities.host, server.features.host, undefined, extensions);
}

export default defineModule({
  name: 'disco',
  setup(m) {
    const { server } = m;
    m.feature('host', NS.DISCO_INFO, NS.DISCO_ITEMS);
    m.feature('account', NS.DISCO_INFO, NS.DISCO_ITEMS);
    const noNode = (payload: Element): void => {
      if (payload.attrs.node) throw new StanzaError('item-not-found');
    };
    const opts = { feature: null };
    m.iq('get', 'host', NS.DISCO_INFO, ({ payload, from }) => {
      const node = payload.attrs.node || undefined;
      if (!node) return hostInfo(server);
      const e = { from, node, identities: [] as DiscoIdentity[], features: [] as string[] };
      if (!server.events.fire('disco-node/host', e)) throw new StanzaError('item-not-found');
      return info(e.identities, new Set(e.features), node);
    }, opts);
    m.iq('get', 'host', NS.DISCO_ITEMS, ({ payload, from }) => {
      const node = payload.attrs.node || undefined;
      const items = node ? [] : [...server.components.keys()].sort().map((jid) => x('item', { jid }));
      if (!server.events.fire('disco-items/host', { from, node, items }) && node) throw new StanzaError('item-not-found');
      return x('query', { xmlns: NS.DISCO_ITEMS, node }, items);
    }, opts);
    m.iq('get', 'bare', NS.DISCO_INFO, ({ payload }) => (noNode(payload), info(server.identities.account, server.features.account)), opts);
    m.iq('get', 'bare', NS.DISCO_ITEMS, ({ payload, to, from }) => {
      noNode(payload);
      const items: Element[] = [];
      server.events.fire('disco-items/account', { to, from, items });
      return x('query', { xmlns: NS.DISCO_ITEMS }, items);
    }, opts);
  },
});
