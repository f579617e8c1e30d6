// Service discovery (XEP-0030) for the server and for accounts: the identities and features are
// the ones modules declared next to their handlers; an account's items come from the
// 'disco-items/account' event, which modules fill in.
import { StanzaError } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import { defineModule } from '../core/module.js';
import type { DiscoIdentity, XmppServer } from '../core/server.js';

function info(identities: DiscoIdentity[], features: Set<string>): Element {
  return x(
    'query',
    { xmlns: NS.DISCO_INFO },
    identities.map((i) => x('identity', { category: i.category, type: i.type, name: i.name })),
    [...features].sort().map((f) => x('feature', { var: f })),
  );
}

/** The server's own disco#info <query/> (also the basis of its XEP-0115 caps, modules/caps.ts). */
export function hostInfo(server: XmppServer): Element {
  return info(server.identities.host, server.features.host);
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
    m.iq('get', 'host', NS.DISCO_INFO, ({ payload }) => (noNode(payload), hostInfo(server)), opts);
    m.iq('get', 'host', NS.DISCO_ITEMS, ({ payload }) => {
      noNode(payload);
      return x('query', { xmlns: NS.DISCO_ITEMS }, [...server.components.keys()].sort().map((jid) => x('item', { jid })));
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
