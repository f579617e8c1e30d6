// Roster management (RFC 6121 §2): get, set, remove, and pushes to interested resources.
import { StanzaError } from '../../xmpp/errors.js';
import { Jid } from '../../xmpp/jid.js';
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import type { XmppServer } from '../core/server.js';
import type { RosterItem } from '../storage/storage.js';
import { sendSubscription, sendUnavailableFromAll } from './presence.js';

export function rosterItemElement(item: RosterItem, removed = false): Element {
  return x(
    'item',
    {
      jid: item.jid,
      name: removed ? undefined : item.name,
      subscription: removed ? 'remove' : item.subscription,
      ask: !removed && item.ask ? 'subscribe' : undefined,
      approved: !removed && item.approved ? 'true' : undefined,
    },
    removed ? [] : item.groups.map((g) => x('group', null, g)),
  );
}

let pushCounter = 0;

/** RFC 6121 §2.1.6: a roster push to every resource that requested the roster. */
export function pushRosterItem(server: XmppServer, user: string, item: RosterItem, removed = false): void {
  const bare = `${user}@${server.domain}`;
  const resources = server.sessions.resources(bare);
  if (!resources) return;
  for (const s of resources.values()) {
    if (!s.interested) continue;
    s.send(x('iq', { type: 'set', id: `push${++pushCounter}`, to: s.jid!.full }, x('query', { xmlns: NS.ROSTER }, rosterItemElement(item, removed))));
  }
}

export function registerRoster(server: XmppServer): void {
  const { storage } = server;

  server.handleIq('get', 'account', NS.ROSTER, ({ from, to, session }) => {
    if (from.bare !== to.bare) throw new StanzaError('forbidden', 'a roster is read by its owner only');
    if (session) session.interested = true;
    const items = storage.roster.items(to.local).filter((i) => i.inRoster);
    return x('query', { xmlns: NS.ROSTER }, items.map((i) => rosterItemElement(i)));
  });

  server.handleIq('set', 'account', NS.ROSTER, ({ from, to, payload }) => {
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
        sendSubscription(server, to.toBare(), contact, 'unsubscribe', false);
      }
      if (existing.subscription === 'from' || existing.subscription === 'both' || existing.pendingIn) {
        sendSubscription(server, to.toBare(), contact, 'unsubscribed', false);
      }
      if (existing.subscription === 'from' || existing.subscription === 'both') sendUnavailableFromAll(server, to.toBare(), contact.bare);
      storage.roster.remove(user, contact.bare);
      pushRosterItem(server, user, existing, true);
      return;
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
    storage.roster.put(user, item);
    pushRosterItem(server, user, item);
  });
}
