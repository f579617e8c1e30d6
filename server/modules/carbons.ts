// XEP-0280: Message Carbons — copies of chat messages to the user's other resources.
import { NS } from '../../xmpp/namespaces.js';
import { StanzaError } from '../../xmpp/errors.js';
import { childNs, withAttrs, x, type Element } from '../../xmpp/xml.js';
import type { XmppServer } from '../core/server.js';
import type { C2sSession } from '../session/c2s.js';

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

function wrap(kind: 'sent' | 'received', bare: string, to: C2sSession, stanza: Element): Element {
  // XEP-0297 §3: the forwarded stanza keeps its own namespace, written out inside <forwarded/>.
  const inner = withAttrs(stanza, { xmlns: NS.CLIENT });
  return x('message', { from: bare, to: to.jid!.full, type: 'chat' }, x(kind, { xmlns: NS.CARBONS }, x('forwarded', { xmlns: NS.FORWARD }, inner)));
}

export function registerCarbons(server: XmppServer): void {
  // <enable/> and <disable/> share the namespace (§4, §5); the feature is the server's (§3).
  server.iq.on('set', 'account', NS.CARBONS, ({ payload, session, from, to }) => {
    if (!session || from.bare !== to.bare) throw new StanzaError('not-allowed');
    if (payload.name !== 'enable' && payload.name !== 'disable') throw new StanzaError('bad-request');
    session.carbons = payload.name === 'enable';
    return undefined;
  });
  server.features.host.add(NS.CARBONS);

  server.hooks.on('message-delivered', ({ stanza, to, delivered }) => {
    if (!eligible(stanza)) return;
    for (const s of server.sessions.available(to.bare)) {
      if (s.carbons && !delivered.includes(s)) s.send(wrap('received', to.bare, s, stanza));
    }
  });

  server.hooks.on('message-sent', ({ stanza, session }) => {
    if (!eligible(stanza)) return;
    const bare = session.jid!.bare;
    for (const s of server.sessions.available(bare)) {
      if (s !== session && s.carbons) s.send(wrap('sent', bare, s, stanza));
    }
  });
}
