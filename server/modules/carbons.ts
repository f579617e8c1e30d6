// XEP-0280: Message Carbons — copies of chat messages to the user's other resources.
import { NS } from '../../xmpp/namespaces.js';
import { StanzaError } from '../../xmpp/errors.js';
import { childNs, withAttrs, x, type Element } from '../../xmpp/xml.js';
import { defineModule } from '../core/module.js';
import { PRIORITY } from '../core/events.js';
import type { ClientSession } from '../core/session.js';

const ENABLED = 'carbons:enabled';

function eligible(stanza: Element): boolean {
  // §6: chat messages, unless marked private (§7) or no-copy (XEP-0334), and never carbons of carbons.
  return (
    stanza.attrs.type === 'chat' &&
    !childNs(stanza, NS.CARBONS, 'private') &&
    !childNs(stanza, NS.HINTS, 'no-copy') &&
    !childNs(stanza, NS.CARBONS, 'received') &&
    !childNs(stanza, NS.CARBONS, 'sent')
  );
}

function wrap(kind: 'sent' | 'received', bare: string, to: ClientSession, stanza: Element): Element {
  // XEP-0297 §3: the forwarded stanza keeps its own namespace, written out inside <forwarded/>.
  const inner = withAttrs(stanza, { xmlns: NS.CLIENT });
  return x('message', { from: bare, to: to.jid!.full, type: 'chat' }, x(kind, { xmlns: NS.CARBONS }, x('forwarded', { xmlns: NS.FORWARD }, inner)));
}

export default defineModule({
  name: 'carbons',
  setup(m) {
    const { server } = m;
    // <enable/> and <disable/> share the namespace (§4, §5); the feature is the server's (§3).
    m.iq('set', 'bare', NS.CARBONS, ({ payload, origin, from, to }) => {
      if (!origin || from.bare !== to.bare) throw new StanzaError('not-allowed');
      if (payload.name !== 'enable' && payload.name !== 'disable') throw new StanzaError('bad-request');
      origin.data.set(ENABLED, payload.name === 'enable');
      return undefined;
    });

    m.on('message-delivered', ({ stanza, to, delivered }) => {
      if (!eligible(stanza)) return;
      for (const s of server.sessions.available(to.bare)) {
        if (s.data.get(ENABLED) === true && !delivered.includes(s)) s.send(wrap('received', to.bare, s, stanza));
      }
    });

    // Sent copies: after policy (a blocked message is not copied), before routing.
    for (const t of ['host', 'bare', 'full'] as const) {
      m.on(`pre-message/${t}`, ({ stanza, origin }) => {
        if (!origin || !eligible(stanza)) return;
        const bare = origin.jid!.bare;
        for (const s of server.sessions.available(bare)) {
          if (s !== origin && s.data.get(ENABLED) === true) s.send(wrap('sent', bare, s, stanza));
        }
      }, PRIORITY.OBSERVE);
    }
  },
});
