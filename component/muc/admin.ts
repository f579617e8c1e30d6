// XEP-0045 muc#admin: kicking, granting and revoking voice, banning, member/admin/owner lists
// and moderator grants (the moderator, admin and owner use cases).
import { StanzaError } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import type { MucContext } from './context.js';
import { Room, affiliationRank, bareOf, type Affiliation, type Role } from './room.js';
import { broadcastPresence, leave } from './presence.js';

const AFFILIATIONS: Affiliation[] = ['owner', 'admin', 'member', 'none', 'outcast'];
const ROLES: Role[] = ['moderator', 'participant', 'visitor', 'none'];

/** Answers a muc#admin get (the result payload) or set (an empty result). */
export function handleAdmin(ctx: MucContext, room: Room, iq: Element): Element | undefined {
  const query = iq.getChild('query', NS.MUC_ADMIN)!;
  const actorJid = iq.attrs.from as string;
  const actorAff = room.affiliationOf(bareOf(actorJid));
  const actor = room.occupantByJid(actorJid);
  const items = query.getChildren('item');
  if (items.length === 0) throw new StanzaError('bad-request', 'No item');
  if (iq.attrs.type === 'get') {
    const wanted = items[0].attrs.affiliation as Affiliation | undefined;
    const role = items[0].attrs.role as Role | undefined;
    if (wanted && AFFILIATIONS.includes(wanted)) {
      if (affiliationRank(actorAff) < 2 && actor?.role !== 'moderator') throw new StanzaError('forbidden');
      const list = [...room.affiliations].filter(([, a]) => a === wanted);
      return x('query', { xmlns: NS.MUC_ADMIN }, ...list.map(([jid, a]) => x('item', { affiliation: a, jid })));
    }
    if (role && ROLES.includes(role)) {
      if (actor?.role !== 'moderator') throw new StanzaError('forbidden');
      const list = [...room.occupants.values()].filter((o) => o.role === role);
      return x('query', { xmlns: NS.MUC_ADMIN }, ...list.map((o) => x('item', {
        role: o.role, nick: o.nick, affiliation: room.affiliationOf(o.bareJid), jid: o.jids[0] })));
    }
    throw new StanzaError('bad-request', 'Ask for an affiliation or a role');
  }
  for (const item of items) {
    const reason = item.getChildText('reason') ?? undefined;
    if (item.attrs.role !== undefined) setRole(ctx, room, actorJid, item.attrs.nick as string, item.attrs.role as Role, reason);
    else if (item.attrs.affiliation !== undefined) setAffiliation(ctx, room, actorJid, item.attrs.jid as string, item.attrs.affiliation as Affiliation, reason);
    else throw new StanzaError('bad-request', 'An item needs a role or an affiliation');
  }
  return undefined;
}

function setRole(ctx: MucContext, room: Room, actorJid: string, nick: string, role: Role, reason?: string): void {
  const actor = room.occupantByJid(actorJid);
  const actorAff = room.affiliationOf(bareOf(actorJid));
  if (!ROLES.includes(role)) throw new StanzaError('bad-request', 'Unknown role');
  if (!actor || actor.role !== 'moderator') throw new StanzaError('forbidden', 'Only moderators may change roles');
  const target = nick ? room.occupants.get(nick) : undefined;
  if (!target) throw new StanzaError('item-not-found', 'No such occupant');
  const targetAff = room.affiliationOf(target.bareJid);
  // A moderator cannot kick or silence someone of higher affiliation; granting moderator needs an admin.
  if ((role === 'none' || role === 'visitor') && affiliationRank(targetAff) > affiliationRank(actorAff)) {
    throw new StanzaError('not-allowed', 'You cannot do that to someone with a higher affiliation');
  }
  if ((role === 'none' || role === 'visitor') && affiliationRank(targetAff) >= 2 && affiliationRank(actorAff) < 3) {
    throw new StanzaError('not-allowed', 'Admins and owners cannot be kicked or silenced');
  }
  if ((role === 'moderator' || target.role === 'moderator') && affiliationRank(actorAff) < 2) {
    throw new StanzaError('forbidden', 'Only admins may grant or revoke moderator');
  }
  if (role === 'none') {
    leave(ctx, room, target, 'all', [307], { nick: actor.nick, reason });
    return;
  }
  target.role = role;
  broadcastPresence(ctx, room, target, { actor: actor.nick, reason });
}

function setAffiliation(ctx: MucContext, room: Room, actorJid: string, jid: string, aff: Affiliation, reason?: string): void {
  if (!AFFILIATIONS.includes(aff)) throw new StanzaError('bad-request', 'Unknown affiliation');
  if (!jid) throw new StanzaError('bad-request', 'An affiliation change needs a jid');
  const actorAff = room.affiliationOf(bareOf(actorJid));
  const targetBare = bareOf(jid);
  const targetAff = room.affiliationOf(targetBare);
  if (actorAff !== 'owner' && actorAff !== 'admin') throw new StanzaError('forbidden', 'Only admins and owners may change affiliations');
  // Only owners grant or revoke owner/admin; admins manage members and outcasts below them.
  if (actorAff === 'admin' && (affiliationRank(targetAff) >= 2 || aff === 'owner' || aff === 'admin')) {
    throw new StanzaError('not-allowed', 'Only owners may change admins and owners');
  }
  if (targetAff === 'owner' && aff !== 'owner' && [...room.affiliations.values()].filter((a) => a === 'owner').length === 1) {
    throw new StanzaError('conflict', 'The room needs at least one owner');
  }
  room.setAffiliation(targetBare, aff);
  ctx.save(room);
  const actor = room.occupantByJid(actorJid);
  for (const o of room.occupantsOf(targetBare)) {
    if (aff === 'outcast') { leave(ctx, room, o, 'all', [301], { nick: actor?.nick, reason }); continue; }
    if (aff === 'none' && room.config.membersOnly) { leave(ctx, room, o, 'all', [321], { nick: actor?.nick, reason }); continue; }
    o.role = Room.defaultRole(aff, room.config.moderated);
    broadcastPresence(ctx, room, o, { actor: actor?.nick, reason });
  }
}
