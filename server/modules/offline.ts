// Offline messages (XEP-0160): stored when no resource can take them, delivered at the next
// available presence with a XEP-0203 delay stamp.
import { StanzaError } from '../../xmpp/errors.js';
import { onlyChatStates } from '../../xmpp/chat-states.js';
import { NS } from '../../xmpp/namespaces.js';
import { childNs, parseXml, withAttrs, x, type Element } from '../../xmpp/xml.js';
import { defineModule } from '../core/module.js';

export default defineModule({
  name: 'offline',
  setup(m) {
    const { server } = m;
    const max = server.config.limits.offlineMessages;
    m.feature('host', 'msgoffline');

    m.on('message/offline', ({ stanza, to }) => {
      const type = stanza.attrs.type ?? 'normal';
      if (type !== 'normal' && type !== 'chat') return true;
      if (childNs(stanza, NS.HINTS, 'no-store')) return true; // XEP-0334
      // XEP-0085 §5.5: a bare chat state notification is not worth keeping for later.
      if (!childNs(stanza, NS.HINTS, 'store') && onlyChatStates(stanza)) return true;
      const stamped = withAttrs(stanza, {});
      // A message that already has the server's delay (one re-delivered after its session ended
      // unacknowledged, XEP-0198) keeps it: the time it was first sent, and only one from us.
      const ours = stanza.children.some((c) => typeof c !== 'string' && c.name === 'delay' && c.attrs.xmlns === NS.DELAY && c.attrs.from === server.domain);
      stamped.children = ours ? [...stanza.children] : [...stanza.children, x('delay', { xmlns: NS.DELAY, from: server.domain, stamp: new Date().toISOString() }, 'Offline storage')];
      if (max === 0 || !server.storage.offline.push(to.local, stamped.toString(), max)) {
        server.bounce(stanza, new StanzaError('service-unavailable', 'the recipient is offline and cannot store more messages'));
      }
      return true;
    });

    m.on('session-available', ({ session, initial }) => {
      if (!initial || session.priority < 0) return;
      for (const xml of server.storage.offline.take(session.jid!.local)) {
        const el = parseXml(xml);
        el.attrs.to = session.jid!.full;
        session.send(el);
      }
    });
  },
});
