// Presence (RFC 6121 §3 subscriptions, §4 exchange): broadcast, probes, directed presence and
// the subscription state machine applied to stored roster items.
import { Jid } from '../../xmpp/jid.js';
import { parseXml, x, withAttrs, type Element } from '../../xmpp/xml.js';
import { defineModule, type KeyValueStore } from '../core/module.js';
import { PRIORITY, type StanzaEvent } from '../core/events.js';
import { isSubscriptionType, type XmppServer } from '../core/server.js';
import type { ClientSession } from '../core/session.js';
import type { RosterItem } from '../storage/storage.js';
import { pushRosterItem } from './roster-push.js';
import { transition, type SubscriptionType } from './subscription-states.js';

/** Full or bare JIDs that got directed presence from a session, to be sent unavailable at the end (§4.6). */
const DIRECTED = 'presence:directed';

function directed(session: ClientSession): Set<string> {
  let set = session.data.get(DIRECTED) as Set<string> | undefined;
  if (!set) session.data.set(DIRECTED, (set = new Set()));
  return set;
}

/**
 * Subscription requests waiting for the user's answer, as they arrived: a request delivered again
 * at the next login (§3.1.3) keeps its extensions (a XEP-0172 nick, a XEP-0379 preauth token).
 */
interface Ctx {
  server: XmppServer;
  pending: KeyValueStore<string>;
}

function emptyItem(jid: string): RosterItem {
  return { jid, groups: [], subscription: 'none', ask: false, pendingIn: false, approved: false, inRoster: false };
}

/**
 * Routes a subscription presence from a user's bare JID (RFC 6121 §3.1.2: stamped with the bare
 * JID) without touching the roster (the roster module has already changed it, §2.5.2).
 */
export function sendSubscription(server: XmppServer, from: Jid, to: Jid, type: SubscriptionType): void {
  server.route(x('presence', { from: from.bare, to: to.bare, type }));
}

/** Sends `presence` of every available resource of `user` to `to` (RFC 6121 §4.3.2, §3.1.5). */
export function sendCurrentPresence(server: XmppServer, user: Jid, to: string): void {
  for (const s of server.sessions.available(user.bare)) {
    if (s.presence) server.route(withAttrs(s.presence, { from: s.jid!.full, to }));
  }
}

/** Unavailable presence from each available resource of `user` to `to` (RFC 6121 §2.5.2, §3.2.2). */
export function sendUnavailableFromAll(server: XmppServer, user: Jid, to: string): void {
  const sessions = server.sessions.available(user.bare);
  for (const s of sessions) server.route(x('presence', { from: s.jid!.full, to, type: 'unavailable' }));
}

/** A subscription presence sent by the user (RFC 6121 §3, Appendix A.2). */
function outboundSubscription(ctx: Ctx, user: Jid, contact: Jid, stanza: Element): void {
  const { server } = ctx;
  const type = stanza.attrs.type as SubscriptionType;
  const { storage } = server;
  const before = storage.roster.item(user.local, contact.bare);
  const item = before ?? emptyItem(contact.bare);
  const t = transition({ subscription: item.subscription, pendingOut: item.ask, pendingIn: item.pendingIn }, 'out', type);
  const next: RosterItem = { ...item, subscription: t.state.subscription, ask: t.state.pendingOut, pendingIn: t.state.pendingIn };
  let route = t.changed;
  let push = t.changed;
  switch (type) {
    case 'subscribe':
      // §3.1.2: the request is always routed; the item joins the roster if it was not there.
      route = true;
      if (!next.inRoster) push = true;
      next.inRoster = true;
      break;
    case 'unsubscribe':
      route = true;
      break;
    case 'subscribed':
      if (t.changed) {
        next.approved = false;
        next.inRoster = true;
      } else if (!['from', 'both'].includes(item.subscription) && !item.approved) {
        // §3.4: pre-approval of a subscription the contact has not asked for yet.
        next.approved = true;
        next.inRoster = true;
        push = true;
      }
      break;
    case 'unsubscribed':
      if (item.approved) {
        next.approved = false;
        push = true;
      }
      break;
  }
  if (!next.pendingIn) ctx.pending.set(user.local, contact.bare, undefined);
  if (push || t.changed) {
    storage.roster.put(user.local, next);
    if (next.inRoster) pushRosterItem(server, user.local, next);
  }
  if (route) {
    const out = withAttrs(stanza, { from: user.bare, to: contact.bare });
    server.route(out);
  }
  if (type === 'subscribed' && t.changed) sendCurrentPresence(server, user, contact.bare);
  if (type === 'unsubscribed' && t.changed && (item.subscription === 'from' || item.subscription === 'both')) {
    sendUnavailableFromAll(server, user, contact.bare);
  }
}

/** A subscription presence from a contact to a local user (RFC 6121 §3, Appendix A.3). */
function inboundSubscription(ctx: Ctx, user: Jid, contact: Jid, stanza: Element): void {
  const { server } = ctx;
  const type = stanza.attrs.type as SubscriptionType;
  const { storage } = server;
  const item = storage.roster.item(user.local, contact.bare) ?? emptyItem(contact.bare);
  const state = { subscription: item.subscription, pendingOut: item.ask, pendingIn: item.pendingIn };
  const from = contact.bare;
  if (type === 'subscribe') {
    if (item.subscription === 'from' || item.subscription === 'both') {
      // §3.1.3: already subscribed — answer on the user's behalf.
      server.route(x('presence', { from: user.bare, to: from, type: 'subscribed' }));
      return;
    }
    if (item.approved) {
      // §3.4: pre-approved — approve now and let the user's clients see the new state.
      const approved = transition(transition(state, 'in', 'subscribe').state, 'out', 'subscribed').state;
      const next = { ...item, subscription: approved.subscription, ask: approved.pendingOut, pendingIn: false, approved: false, inRoster: true };
      ctx.pending.set(user.local, from, undefined);
      storage.roster.put(user.local, next);
      pushRosterItem(server, user.local, next);
      server.route(x('presence', { from: user.bare, to: from, type: 'subscribed' }));
      sendCurrentPresence(server, user, from);
      return;
    }
  }
  const t = transition(state, 'in', type);
  if (!t.changed) return;
  const next = { ...item, subscription: t.state.subscription, ask: t.state.pendingOut, pendingIn: t.state.pendingIn };
  if (type === 'subscribe' && next.pendingIn) ctx.pending.set(user.local, from, withAttrs(stanza, { from, to: user.bare }).toString());
  else if (!next.pendingIn) ctx.pending.set(user.local, from, undefined);
  if (next.subscription === 'none' && !next.ask && !next.pendingIn && !item.inRoster) storage.roster.remove(user.local, contact.bare);
  else storage.roster.put(user.local, next);
  if (type !== 'subscribe' && next.inRoster) pushRosterItem(server, user.local, next);
  // Deliver to every available resource; a pending request is delivered again at next login (§3.1.3).
  const out = withAttrs(stanza, { from, to: user.bare });
  const xml = out.toString();
  for (const s of server.sessions.available(user.bare)) s.sendXml(xml);
}

/** RFC 6121 §4.2: initial presence, §4.4: later broadcasts and §4.5: unavailable, from one session. */
function broadcast(ctx: Ctx, session: ClientSession, stanza: Element): void {
  const { server } = ctx;
  const user = session.jid!;
  const { storage } = server;
  const type = stanza.attrs.type;
  if (type !== undefined && type !== 'unavailable') return; // probes and errors without `to` mean nothing
  const initial = type === undefined && !session.available;
  const own = server.sessions.available(user.bare);
  if (type === 'unavailable') {
    if (!session.available) return;
    session.available = false;
    session.presence = undefined;
  } else {
    session.available = true;
    const p = Number.parseInt(stanza.getChildText('priority') ?? '0', 10);
    session.priority = Number.isFinite(p) ? Math.max(-128, Math.min(127, p)) : 0;
    session.presence = withAttrs(stanza, { from: undefined, to: undefined });
  }
  const items = storage.roster.items(user.local);
  const out = withAttrs(stanza, { from: user.full });
  // Each copy passes pre-presence, so that policy (blocking) sees it as any outbound stanza.
  const toContact = (copy: Element, contact: string): void => {
    const to = Jid.tryParse(contact);
    if (to) server.events.fire(`pre-presence/${to.isBare() ? 'bare' : 'full'}`, { stanza: copy, from: user, to, origin: session, broadcast: true });
  };
  for (const item of items) {
    if (item.subscription === 'from' || item.subscription === 'both') toContact(withAttrs(out, { to: item.jid }), item.jid);
  }
  // §4.2.2, §4.4.2, §4.5.2: the user's available resources see it, the sender included.
  if (initial && !own.includes(session)) own.push(session);
  for (const s of own) s.send(withAttrs(out, { to: s.jid!.full }));
  const sent = directed(session);
  if (type === 'unavailable') {
    for (const to of sent) toContact(withAttrs(out, { to }), to);
    sent.clear();
  }
  if (initial) {
    // §4.3: probe the contacts we are subscribed to, and show the user what its other resources are.
    for (const item of items) {
      if (item.subscription === 'to' || item.subscription === 'both') {
        toContact(x('presence', { from: user.full, to: item.jid, type: 'probe' }), item.jid);
      }
    }
    for (const s of own) {
      if (s !== session && s.presence) session.send(withAttrs(s.presence, { from: s.jid!.full, to: user.full }));
    }
    // §3.1.3: pending subscription requests are delivered again, as they arrived.
    for (const item of items) {
      if (!item.pendingIn) continue;
      const stored = ctx.pending.get(user.local, item.jid);
      session.send(stored ? withAttrs(parseXml(stored), { to: user.bare }) : x('presence', { from: item.jid, to: user.bare, type: 'subscribe' }));
    }
    server.events.fire('session-available', { session, initial: true });
  } else if (type === undefined) {
    server.events.fire('session-available', { session, initial: false });
  }
}

/** RFC 6121 §4.3.2: answer a probe with the presence of each available resource. */
function answerProbe(server: XmppServer, user: Jid, prober: Jid): void {
  const item = server.storage.roster.item(user.local, prober.bare);
  if (!item || (item.subscription !== 'from' && item.subscription !== 'both')) return;
  const sessions = server.sessions.available(user.bare);
  if (sessions.length === 0) {
    server.route(x('presence', { from: user.bare, to: prober.full, type: 'unavailable' }));
    return;
  }
  if (user.isBare()) {
    for (const s of sessions) if (s.presence) server.route(withAttrs(s.presence, { from: s.jid!.full, to: prober.full }));
  } else {
    const s = server.sessions.get(user.bare, user.resource);
    if (s?.presence) server.route(withAttrs(s.presence, { from: s.jid!.full, to: prober.full }));
  }
}

/** A presence from one of the user's sessions: broadcast, subscription management or directed. */
function outbound(ctx: Ctx, { stanza, origin, to, broadcast: copy }: StanzaEvent): boolean | void {
  const { server } = ctx;
  if (!origin || copy) return;
  const type = stanza.attrs.type;
  if (stanza.attrs.to === undefined) {
    broadcast(ctx, origin, stanza);
    return true;
  }
  if (isSubscriptionType(type)) {
    // §3.1.2: subscriptions are between bare JIDs, whatever the client addressed.
    if (to.bare !== origin.jid!.bare) outboundSubscription(ctx, origin.jid!.toBare(), to.toBare(), stanza);
    return true;
  }
  // §4.6: directed presence is remembered for the unavailable at the end, and routed as it is.
  if (type === 'unavailable') directed(origin).delete(to.full);
  else if (type === undefined) directed(origin).add(to.full);
}

/** Presence for a local account or resource, from anywhere (§3 inbound, §4.3 probes, §4.4 delivery). */
function inbound(ctx: Ctx, { stanza, to, from }: StanzaEvent): true {
  const { server } = ctx;
  const type = stanza.attrs.type;
  switch (type) {
    case 'subscribe':
    case 'subscribed':
    case 'unsubscribe':
    case 'unsubscribed':
      inboundSubscription(ctx, to.toBare(), from, stanza);
      return true;
    case 'probe':
      answerProbe(server, to, from);
      return true;
  }
  // Available, unavailable or error presence: to the addressed resource, or to all (§4.4.2, §8.5.2.1.2).
  if (!to.isBare()) {
    server.sessions.get(to.bare, to.resource)?.send(stanza);
    return true;
  }
  const xml = stanza.toString();
  for (const s of server.sessions.available(to.bare)) s.sendXml(xml);
  return true;
}

export default defineModule({
  name: 'presence',
  setup(m) {
    const { server } = m;
    const ctx: Ctx = { server, pending: m.store<string>('pending-in') };
    for (const t of ['host', 'bare', 'full'] as const) m.on(`pre-presence/${t}`, (e) => outbound(ctx, e));
    m.on('presence/bare', (e) => inbound(ctx, e));
    m.on('presence/full', (e) => inbound(ctx, e));
    m.on('session-closed', ({ session }) => {
      // RFC 6121 §4.6.1: a vanished session's contacts see it go unavailable.
      if (session.available) broadcast(ctx, session, x('presence', { type: 'unavailable' }));
    }, PRIORITY.NORMAL);
  },
});
