// XEP-0012: Last Activity — the server's uptime (§5, to the domain), and for an account (§3, to
// its bare JID) 0 while it has an available resource, else the seconds since it last went offline
// with the status of its last unavailable presence. Only the owner and contacts with a presence
// subscription may ask (§3, §8: forbidden otherwise). A query to a full JID is the client's to
// answer (§4); the router delivers it.
import { StanzaError } from '../../xmpp/errors.js';
import { x } from '../../xmpp/xml.js';
import { PRIORITY } from '../core/events.js';
import { defineModule } from '../core/module.js';

const NS_LAST = 'jabber:iq:last';
/** The status of the unavailable presence a session sent, for the record written when it closes. */
const STATUS = 'last:status';

interface LastLogout {
  /** When the user last went offline (ms since the epoch). */
  at: number;
  status?: string;
}

const secondsSince = (t: number): number => Math.max(0, Math.floor((Date.now() - t) / 1000));

export default defineModule({
  name: 'last',
  setup(m) {
    const { server } = m;
    const store = m.store<LastLogout>();

    m.iq('get', 'host', NS_LAST, () => x('query', { xmlns: NS_LAST, seconds: secondsSince(server.startedAt) }));

    m.iq('get', 'bare', NS_LAST, ({ from, to }) => {
      if (from.bare !== to.bare) {
        const item = server.storage.roster.item(to.local, from.bare);
        if (item?.subscription !== 'from' && item?.subscription !== 'both') throw new StanzaError('forbidden', 'last activity is for contacts with a presence subscription');
      }
      // §3: online, the answer is 0 and no text.
      if (server.sessions.available(to.bare).length > 0) return x('query', { xmlns: NS_LAST, seconds: 0 });
      const last = store.get(to.local, 'logout');
      if (!last) throw new StanzaError('item-not-found', 'no last activity recorded');
      return x('query', { xmlns: NS_LAST, seconds: secondsSince(last.at) }, last.status);
    }, { feature: null });

    // A session's unavailable broadcast (a presence without `to`), seen before the presence module
    // takes it, while the session still counts as available.
    m.on('pre-presence/bare', ({ stanza, origin }) => {
      if (!origin?.available || stanza.attrs.to !== undefined || stanza.attrs.type !== 'unavailable') return;
      const status = stanza.getChildText('status') || undefined;
      origin.data.set(STATUS, status);
      store.set(origin.jid!.local, 'logout', { at: Date.now(), status });
    }, PRIORITY.NORMAL + 1);
    m.on('session-available', ({ session }) => void session.data.delete(STATUS));
    // The end of a session is the logout; it keeps the status of an unavailable it sent before.
    m.on('session-closed', ({ session }) => {
      const jid = session.jid;
      if (!jid || !server.storage.users.exists(jid.local)) return;
      const status = session.available ? undefined : (session.data.get(STATUS) as string | undefined);
      store.set(jid.local, 'logout', { at: Date.now(), status });
    }, PRIORITY.NORMAL + 1);
  },
});
