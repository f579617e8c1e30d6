// XEP-0045 occupant presence: entering, changing nickname, changing availability status, exiting, and the presence broadcasts that carry roles, affiliations and status codes.
import { StanzaError, errorReply } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { clone, x, type Element } from '../../xmpp/xml.js';
import type { MucContext } from './context.js';
import { Room, bareOf, type Occupant } from './room.js';
import { sendHistory, sendSubject } from './message.js';

/** The occupant's presence as one recipient sees it (real JIDs to moderators, or to all in non-anonymous rooms). */
export function occupantPresence(room: Room, o: Occupant, to: string, opts: {
  type?: 'unavailable'; codes?: number[]; newNick?: string; self?: boolean; actor?: string; reason?: string;
} = {}): Element {
  const recipient = room.occupantByJid(to);
  const showJid = room.isNonAnonymous() || recipient?.role === 'moderator';
  const p = x('presence', { from: room.occupantJid(o.nick), to, type: opts.type });
  if (opts.type !== 'unavailable') {
    // Extensions (status, show, caps, XEP-0272 Muji, ...) travel untouched; only the MUC payload is ours.
    for (const c of o.presence.children) {
      if (typeof c === 'string') continue;
      if (c.attrs.xmlns === NS.MUC || c.attrs.xmlns === NS.MUC_USER) continue;
      p.children.push(clone(c));
    }
  }
  const item = x('item', {
    affiliation: room.affiliationOf(o.bareJid),
    role: opts.type === 'unavailable' && !opts.newNick ? 'none' : o.role,
    jid: showJid ? o.jids[0] : undefined,
    nick: opts.newNick,
  }, opts.actor ? x('actor', { nick: opts.actor }) : undefined, opts.reason ? x('reason', {}, opts.reason) : undefined);
  const codes = [...(opts.codes ?? [])];
  if (opts.self) codes.unshift(110);
  p.children.push(x('x', { xmlns: NS.MUC_USER }, item, ...codes.map((c) => x('status', { code: c }))));
  for (const c of p.children) if (typeof c !== 'string') c.parent = p;
  return p;
}

/** Send one occupant's presence to every occupant session (the occupant's own sessions get 110). */
export function broadcastPresence(ctx: MucContext, room: Room, o: Occupant, opts: Parameters<typeof occupantPresence>[3] = {}): void {
  for (const r of room.occupants.values()) {
    for (const jid of r.jids) {
      ctx.send(occupantPresence(room, o, jid, { ...opts, self: r === o }));
    }
  }
}

export function handlePresence(ctx: MucContext, room: Room, stanza: Element, nick: string, created: boolean): void {
  const from = stanza.attrs.from as string;
  const type = stanza.attrs.type as string | undefined;
  const current = room.occupantByJid(from);
  if (type === 'unavailable' || type === 'error') {
    if (current) leave(ctx, room, current, from, type === 'error' ? [333] : []);
    return;
  }
  if (type) return; // subscription types are meaningless to a room
  try {
    if (!current) join(ctx, room, stanza, nick, created);
    else if (current.nick !== nick) changeNick(ctx, room, current, stanza, nick);
    else {
      current.presence = stanza;
      broadcastPresence(ctx, room, current);
    }
  } catch (e) {
    if (!(e instanceof StanzaError)) throw e;
    const reply = errorReply(stanza, e);
    reply.attrs.from = room.occupantJid(nick);
    // Presence errors on entering echo only the (empty) MUC element of the request, as in XEP-0045
    // §7.2: not the password, history request or other extensions it carried.
    reply.children = reply.children.filter((c) => typeof c !== 'string' && c.name === 'error');
    if (stanza.getChild('x', NS.MUC)) reply.children.unshift(x('x', { xmlns: NS.MUC }));
    ctx.send(reply);
    if (created && room.occupants.size === 0) ctx.dropRoom(room);
  }
}

function join(ctx: MucContext, room: Room, stanza: Element, nick: string, created: boolean): void {
  const from = stanza.attrs.from as string;
  const bareJid = bareOf(from);
  if (created) room.setAffiliation(bareJid, 'owner'); // the creator of a room is its owner
  const aff = room.affiliationOf(bareJid);
  const mucX = stanza.getChild('x', NS.MUC);
  const privileged = aff === 'owner' || aff === 'admin';
  if (room.config.password && !privileged && mucX?.getChildText('password') !== room.config.password) {
    throw new StanzaError('not-authorized', 'A password is required to enter this room');
  }
  if (aff === 'outcast') throw new StanzaError('forbidden', 'You are banned from this room');
  if (room.config.membersOnly && aff === 'none') {
    throw new StanzaError('registration-required', 'This room is members-only');
  }
  const existing = room.occupants.get(nick);
  if (existing && existing.bareJid !== bareJid) {
    throw new StanzaError('conflict', 'That nickname is already in use');
  }
  const limit = room.config.maxUsers || Infinity;
  if (!existing && !privileged && room.occupants.size >= limit) {
    throw new StanzaError('service-unavailable', 'The room is full', 'wait');
  }
  if (existing) {
    // Another session of the same user under the same nick (multi-session nicks).
    existing.jids.push(from);
    for (const o of room.occupants.values()) if (o !== existing) ctx.send(occupantPresence(room, o, from));
    ctx.send(occupantPresence(room, existing, from, { self: true }));
    sendHistory(ctx, room, from, mucX?.getChild('history'));
    sendSubject(ctx, room, from);
  } else {
    const o: Occupant = { nick, jids: [from], bareJid, role: Room.defaultRole(aff, room.config.moderated), presence: stanza };
    const others = [...room.occupants.values()];
    // §7.2.3-§7.2.16: the newcomer's whole entry first (the others' presence, its own with 110,
    // the history, the subject, which tells it that it is in); only then do the others learn
    // that it came, so that nothing they say reaches it ahead of its own entry.
    for (const other of others) ctx.send(occupantPresence(room, other, from));
    room.occupants.set(nick, o);
    const codes = [
      ...(room.isNonAnonymous() ? [100] : []),
      ...(created ? [201] : []),
    ];
    ctx.send(occupantPresence(room, o, from, { self: true, codes }));
    sendHistory(ctx, room, from, mucX?.getChild('history'));
    sendSubject(ctx, room, from);
    for (const r of others) for (const jid of r.jids) ctx.send(occupantPresence(room, o, jid));
  }
  if (created) ctx.save(room);
}

function changeNick(ctx: MucContext, room: Room, o: Occupant, stanza: Element, nick: string): void {
  const taken = room.occupants.get(nick);
  if (taken && taken.bareJid !== o.bareJid) throw new StanzaError('conflict', 'That nickname is already in use');
  if (taken) throw new StanzaError('not-acceptable', 'You already use that nickname in another session', 'cancel');
  // Changing nickname: unavailable with 303 and the new nick, then available under the new nick.
  broadcastPresence(ctx, room, o, { type: 'unavailable', codes: [303], newNick: nick });
  room.occupants.delete(o.nick);
  const oldNick = o.nick;
  o.nick = nick;
  o.presence = stanza;
  room.occupants.set(nick, o);
  broadcastPresence(ctx, room, o);
  ctx.log.debug({ room: room.jid, from: oldNick, to: nick }, 'nick change');
}

/** An occupant session leaves (or is removed): exit, or kick (307) / ban (301) with codes. */
export function leave(ctx: MucContext, room: Room, o: Occupant, realJid: string | 'all', codes: number[] = [], actor?: { nick?: string; reason?: string }): void {
  const gone = realJid === 'all' ? o.jids.slice() : [realJid];
  const remaining = o.jids.filter((j) => !gone.includes(j));
  if (remaining.length > 0) {
    o.jids = remaining;
    for (const j of gone) {
      ctx.send(occupantPresence(room, o, j, { type: 'unavailable', self: true, codes }));
      ctx.occupantGone(room, o, j);
    }
    return;
  }
  const opts = { type: 'unavailable' as const, codes, actor: actor?.nick, reason: actor?.reason };
  for (const j of gone) ctx.send(occupantPresence(room, o, j, { ...opts, self: true }));
  room.occupants.delete(o.nick);
  for (const r of room.occupants.values()) for (const j of r.jids) ctx.send(occupantPresence(room, o, j, opts));
  for (const j of gone) ctx.occupantGone(room, o, j);
  if (room.occupants.size === 0 && !room.config.persistent) ctx.dropRoom(room);
}
