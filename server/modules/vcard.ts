// XEP-0054: vcard-temp — each user stores one vCard; anyone may read it.
import { StanzaError } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { parseXml, x } from '../../xmpp/xml.js';
import { defineModule } from '../core/module.js';

const MAX_VCARD = 64 * 1024;

export default defineModule({
  name: 'vcard',
  setup(m) {
    const { storage } = m.server;
    m.iq('get', 'bare', NS.VCARD, ({ to }) => {
      const stored = storage.documents.get(to.local, NS.VCARD);
      return stored ? parseXml(stored) : x('vCard', { xmlns: NS.VCARD });
    });
    m.iq('set', 'bare', NS.VCARD, ({ from, to, payload }) => {
      if (from.bare !== to.bare) throw new StanzaError('forbidden', 'only the owner changes a vCard');
      if (payload.name !== 'vCard') throw new StanzaError('bad-request');
      const xml = payload.toString();
      if (xml.length > MAX_VCARD) throw new StanzaError('not-acceptable', 'vCard too large');
      storage.documents.set(to.local, NS.VCARD, xml);
      return undefined;
    });
    m.feature('host', NS.VCARD);
  },
});
