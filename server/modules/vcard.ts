// XEP-0054: vcard-temp — each user stores one vCard; anyone may read it.
import { StanzaError } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { parseXml, x, type Element } from '../../xmpp/xml.js';
import { defineModule } from '../core/module.js';
import type { XmppServer } from '../core/server.js';

/** Characters of one stored vCard. */
export const MAX_VCARD = 64 * 1024;

/** The account's stored vCard, if it set one. */
export function readVcard(server: XmppServer, user: string): Element | undefined {
  const stored = server.storage.documents.get(user, NS.VCARD);
  return stored ? parseXml(stored) : undefined;
}

/** Replaces the account's vCard (for modules that keep it in step with another store, XEP-0398). */
export function writeVcard(server: XmppServer, user: string, vcard: Element): void {
  server.storage.documents.set(user, NS.VCARD, vcard.toString());
}

export default defineModule({
  name: 'vcard',
  setup(m) {
    const { server } = m;
    m.iq('get', 'bare', NS.VCARD, ({ to }) => readVcard(server, to.local) ?? x('vCard', { xmlns: NS.VCARD }));
    m.iq('set', 'bare', NS.VCARD, ({ from, to, payload }) => {
      if (from.bare !== to.bare) throw new StanzaError('forbidden', 'only the owner changes a vCard');
      if (payload.name !== 'vCard') throw new StanzaError('bad-request');
      if (payload.toString().length > MAX_VCARD) throw new StanzaError('not-acceptable', 'vCard too large');
      writeVcard(server, to.local, payload);
      return undefined;
    });
    m.feature('host', NS.VCARD);
  },
});
