// Roster management (RFC 6121 §2): get, set, remove, pushes to interested resources, and roster
// versioning (§2.6): the <ver/> stream feature, `ver` on results and pushes, and an empty result
// when the client's version is current. The size of a roster is limited (limits.rosterItems).
import { StanzaError, errorReply } from '../../xmpp/errors.js';
import { Jid } from '../../xmpp/jid.js';
import { NS } from '../../xmpp/namespaces.js';
import { withAttrs, x, type Element } from '../../xmpp/xml.js';
import { PRIORITY } from '../core/events.js';
import { defineModule } from '../core/module.js';
import type { RosterItem } from '../storage/storage.js';
import { sendSubscription, sendUnavailableFromAll } from './presence.js';
import { markInterested, pushRosterItem, rosterItemElement } from './roster-push.js';

const NS_ROSTERVER = 'urn:xmpp:features:rosterver';

export default defineModule({
  name: 'roster',
  setup(m) {
    const { server } = m;
    const { storage } = server;
    const max = server.config.limits.rosterItems;
    /**
     * Whether a new row for `contact` would take the user's roster over limits.rosterItems. Every
     * row counts, contacts with only a pending request too: otherwise a flood of subscription
     * requests from made-up JIDs would grow the roster table without bound.
     */
    const full = (user: string, contact: string): boolean => storage.roster.count(user) >= max && storage.roster.item(user, contact) === undefined;
    const refusal = () => new StanzaError('not-allowed', `a roster holds at most ${max} items (limits.rosterItems)`);

    // A subscription request from a contact not yet in a full roster is refused with a presence
    // error (RFC 6120 §8.3, §8.3.3.9 <not-allowed/>): the contact learns it did not get through,
    // and no row is stored. An <unsubscribed/> would tell the contact the user said no, which the
    // user never did; dropping it silently would leave the contact waiting forever.
    m.on('presence/bare', ({ stanza, from, to }) => {
      if (stanza.attrs.type !== 'subscribe' || to.local === '' || !full(to.local, from.bare)) return;
      server.route(errorReply(withAttrs(stanza, { from: from.bare, to: to.bare }), refusal()));
      return true;
    }, PRIORITY.NORMAL + 10);
    // The user's own subscribe (RFC 6121 §3.1.2) and pre-approval (§3.4) add an item to the
    // roster: in a full one they get the error of a roster set (§2.3.3), and go nowhere.
    m.on('pre-presence/bare', ({ stanza, origin, to }) => {
      const type = stanza.attrs.type;
      if ((type !== 'subscribe' && type !== 'subscribed') || !origin?.jid || !full(origin.jid.local, to.bare)) return;
      origin.send(errorReply(stanza, refusal()));
      return true;
    }, PRIORITY.NORMAL + 10);

    m.on('stream-features', ({ stage, features }) => {
      if (stage === 'bind') features.cnode(x('ver', { xmlns: NS_ROSTERVER }));
    });

    m.iq('get', 'bare', NS.ROSTER, ({ from, to, origin, payload }) => {
      if (from.bare !== to.bare) throw new StanzaError('forbidden', 'a roster is read by its owner only');
      if (origin) markInterested(origin);
      const ver = String(storage.roster.version(to.local));
      // §2.6.3: the client's copy is current — an empty result, and pushes from here on.
      if (payload.attrs.ver !== undefined && payload.attrs.ver === ver) return undefined;
      const items = storage.roster.items(to.local).filter((i) => i.inRoster);
      return x('query', { xmlns: NS.ROSTER, ver }, items.map((i) => rosterItemElement(i)));
    });

    m.iq('set', 'bare', NS.ROSTER, ({ from, to, payload }) => {
      if (from.bare !== to.bare) throw new StanzaError('forbidden', 'a roster is changed by its owner only');
      const items = payload.getChildren('item') as Element[];
      // RFC 6121 §2.3.3: exactly one item per set.
      if (items.length !== 1) throw new StanzaError('bad-request', 'a roster set carries exactly one item');
      const el = items[0]!;
      let contact: Jid;
      try {
        contact = Jid.parse(el.attrs.jid ?? '');
      } catch (e) {
        throw new StanzaError('jid-malformed', `invalid item JID: ${(e as Error).message}`);
      }
      if (!contact.isBare()) throw new StanzaError('bad-request', 'roster items are bare JIDs');
      const user = to.local;
      const existing = storage.roster.item(user, contact.bare);
      if (el.attrs.subscription === 'remove') {
        if (!existing || !existing.inRoster) throw new StanzaError('item-not-found');
        // RFC 6121 §2.5.2: cancel both directions of the subscription.
        if (existing.subscription === 'to' || existing.subscription === 'both' || existing.ask) {
          sendSubscription(server, to.toBare(), contact, 'unsubscribe');
        }
        if (existing.subscription === 'from' || existing.subscription === 'both' || existing.pendingIn) {
          sendSubscription(server, to.toBare(), contact, 'unsubscribed');
        }
        if (existing.subscription === 'from' || existing.subscription === 'both') sendUnavailableFromAll(server, to.toBare(), contact.bare);
        const ver = storage.roster.remove(user, contact.bare);
        pushRosterItem(server, user, existing, true, ver);
        return undefined;
      }
      if (el.attrs.subscription !== undefined && el.attrs.subscription !== 'none') {
        throw new StanzaError('bad-request', 'the subscription attribute is managed by the server');
      }
      const groups = (el.getChildren('group') as Element[]).map((g) => g.getText());
      if (new Set(groups).size !== groups.length) throw new StanzaError('bad-request', 'duplicate group');
      if (groups.some((g) => g === '')) throw new StanzaError('not-acceptable', 'empty group name');
      const item: RosterItem = {
        jid: contact.bare,
        name: el.attrs.name || undefined,
        groups,
        subscription: existing?.subscription ?? 'none',
        ask: existing?.ask ?? false,
        pendingIn: existing?.pendingIn ?? false,
        approved: existing?.approved ?? false,
        inRoster: true,
      };
      // RFC 6121 §2.3.3: a roster set that would exceed the server's roster size limit.
      if (!existing && full(user, contact.bare)) throw refusal();
      const ver = storage.roster.put(user, item);
      pushRosterItem(server, user, item, false, ver);
      return undefined;
    });
  },
});
