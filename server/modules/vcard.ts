// XEP-0054: vcard-temp — each user stores one vCard; anyone may read it.
import { StanzaError } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { parseXml, x } from '../../xmpp/xml.js';
import type { XmppServer } from '../core/server.js';

const MAX_VCARD = 64 * 1024;

export function registerVcard(server: XmppServer): void {
  server.handleIq('get', 'account', NS.VCARD, ({ to }) => {
    const stored = server.storage.documents.get(to.local, NS.VCARD);
    return stored ? parseXml(stored) : x('vCard', { xmlns: NS.VCARD });
  });
  server.handleIq('set', 'account', NS.VCARD, ({ from, to, payload }) => {
    if (from.bare !== to.bare) throw new StanzaError('forbidden', 'only the owner changes a vCard');
    if (payload.name !== 'vCard') throw new StanzaError('bad-request');
    const xml = payload.toString();
    if (xml.length > MAX_VCARD) throw new StanzaError('not-acceptable', 'vCard too large');
    server.storage.documents.set(to.local, NS.VCARD, xml);
    return undefined;
  });
  server.features.host.add(NS.VCARD);
}
