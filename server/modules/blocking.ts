// XEP-0191: Blocking Command — the user's blocklist (get, block, unblock, unblock all), pushes to
// the resources that asked for it, and the block itself: nothing from a blocked JID reaches the
// user (§3.3: presence dropped, messages and IQ get/set answered service-unavailable) and nothing
// the user sends reaches it (not-acceptable with <blocked/>). Matching as in §4 (XEP-0016).
import { randomBytes } from 'node:crypto';
import { StanzaError, errorReply } from '../../xmpp/errors.js';
import { Jid } from '../../xmpp/jid.js';
import { x, type Element } from '../../xmpp/xml.js';
import { PRIORITY, type StanzaEvent } from '../core/events.js';
import { defineModule } from '../core/module.js';
import type { ClientSession } from '../core/session.js';
import { sendCurrentPresence, sendUnavailableFromAll } from './presence.js';

export const NS_BLOCKING = 'urn:xmpp:blocking';
export const NS_BLOCKING_ERRORS = 'urn:xmpp:blocking:errors';

const INTERESTED = 'blocking:interested';
/** Blocklists kept in memory, by user; the oldest is forgotten past this many. */
const CACHE_USERS = 10_000;

/** §4: full JID, bare JID, domain/resource, then the domain and the domains above it. */
function matches(list: ReadonlySet<string>, who: Jid): boolean {
  if (list.size === 0) return false;
  if (list.has(who.full) || list.has(who.bare)) return true;
  if (who.resource && list.has(`${who.domain}/${who.resource}`)) return true;
  for (let d = who.domain; d; d = d.slice(d.indexOf('.') + 1)) {
    if (list.has(d)) return true;
    if (!d.includes('.')) break;
  }
  return false;
}

function items(jids: Iterable<string>): Element[] {
  return [...jids].map((jid) => x('item', { jid }));
}

/** The item JIDs of a <block/> or <unblock/>, normalized; jid-malformed for one that is not a JID. */
function itemJids(payload: Element): string[] {
  return (payload.getChildren('item') as Element[]).map((item) => {
    const j = Jid.tryParse(item.attrs.jid);
    if (!j) throw new StanzaError('jid-malformed', `not a JID: ${item.attrs.jid ?? '(none)'}`);
    return j.full;
  });
}

export default defineModule({
  name: 'blocking',
  setup(m) {
    const { server } = m;
    const store = m.store<string[]>();
    const cache = new Map<string, Set<string>>();

    const listOf = (user: string): Set<string> => {
      let list = cache.get(user);
      if (!list) {
        list = new Set(store.get(user, 'list') ?? []);
        if (cache.size >= CACHE_USERS) cache.delete(cache.keys().next().value!);
        cache.set(user, list);
      }
      return list;
    };
    const save = (user: string, list: Set<string>): void => {
      store.set(user, 'list', list.size ? [...list] : undefined);
      cache.set(user, list);
    };
    /** §3.3, §3.4: pushes to every resource of the user that requested the blocklist. */
    const push = (bare: string, payload: () => Element): void => {
      for (const s of server.sessions.resources(bare)?.values() ?? []) {
        if (s.data.get(INTERESTED) === true) s.send(x('iq', { type: 'set', id: `block-${randomBytes(6).toString('base64url')}`, to: s.jid!.full }, payload()));
      }
    };
    const subscribedFrom = (user: string, contact: string): boolean => {
      const sub = server.storage.roster.item(user, contact)?.subscription;
      return sub === 'from' || sub === 'both';
    };
    const owner = (from: Jid, to: Jid): void => {
      if (from.bare !== to.bare) throw new StanzaError('forbidden', 'a blocklist is the business of its owner only');
    };

    m.iq('get', 'bare', NS_BLOCKING, ({ from, to, origin, payload }) => {
      owner(from, to);
      if (payload.name !== 'blocklist') throw new StanzaError('bad-request');
      origin?.data.set(INTERESTED, true);
      return x('blocklist', { xmlns: NS_BLOCKING }, items(listOf(to.local)));
    });

    m.iq('set', 'bare', NS_BLOCKING, ({ from, to, payload }) => {
      owner(from, to);
      const user = to.local;
      const list = new Set(listOf(user));
      const jids = itemJids(payload);
      if (payload.name === 'block') {
        if (jids.length === 0) throw new StanzaError('bad-request', 'a block names at least one JID');
        const added = jids.filter((j) => !list.has(j));
        for (const j of added) list.add(j);
        save(user, list);
        push(to.bare, () => x('block', { xmlns: NS_BLOCKING }, items(jids)));
        // §3.3: the contact sees the user go offline, if it was allowed to see the user at all.
        for (const j of added) if (subscribedFrom(user, j)) sendUnavailableFromAll(server, to.toBare(), j);
        return undefined;
      }
      if (payload.name === 'unblock') {
        // §3.5: an empty unblock unblocks everyone.
        const removed = jids.length === 0 ? [...list] : jids.filter((j) => list.has(j));
        if (jids.length === 0) list.clear();
        else for (const j of jids) list.delete(j);
        save(user, list);
        push(to.bare, () => x('unblock', { xmlns: NS_BLOCKING }, items(jids)));
        // §3.4: and sees the user's presence again.
        for (const j of removed) if (subscribedFrom(user, j)) sendCurrentPresence(server, to.toBare(), j);
        return undefined;
      }
      throw new StanzaError('bad-request', `unknown blocking command <${payload.name}/>`);
    });

    /** §3.3: a stanza from a JID the addressee blocked. */
    const inbound = ({ stanza, from, to }: StanzaEvent): boolean | void => {
      if (from.bare === to.bare || !matches(listOf(to.local), from)) return;
      const type = stanza.attrs.type;
      if (stanza.name === 'message' && type !== 'error') server.bounce(stanza, new StanzaError('service-unavailable'));
      if (stanza.name === 'iq' && (type === 'get' || type === 'set')) server.bounce(stanza, new StanzaError('service-unavailable'));
      return true; // presence, and anything else, is dropped without a word
    };
    /** §3.3: a stanza from the user to a JID it blocked. */
    const outbound = ({ stanza, to, origin, broadcast }: StanzaEvent): boolean | void => {
      if (!origin?.jid || to.bare === origin.jid.bare || !matches(listOf(origin.jid.local), to)) return;
      const type = stanza.attrs.type;
      if (broadcast || type === 'error' || type === 'result') return true;
      sendBlocked(origin, stanza);
      return true;
    };
    for (const kind of ['message', 'presence', 'iq'] as const) {
      for (const t of ['bare', 'full'] as const) {
        m.on(`${kind}/${t}`, inbound, PRIORITY.POLICY);
        m.on(`pre-${kind}/${t}`, outbound, PRIORITY.POLICY);
      }
      m.on(`pre-${kind}/host`, outbound, PRIORITY.POLICY);
    }
    m.on('account-deleted', ({ user }) => void cache.delete(user)); // void: a handler returning true would consume the event
  },
});

/** The error of XEP-0191 §3.3 ("Error: contact is blocked"), back to the sending session. */
function sendBlocked(origin: ClientSession, stanza: Element): void {
  origin.send(errorReply(stanza, new StanzaError('not-acceptable', undefined, 'cancel', [x('blocked', { xmlns: NS_BLOCKING_ERRORS })])));
}
