// XEP-0045 muc#owner: configuration (§10.2) and destruction (§10.9).
import { StanzaError } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import type { MucContext } from './context.js';
import { bareOf, type Room } from './room.js';
import { applyConfigForm, configForm } from './config-form.js';
import { leave, occupantPresence } from './presence.js';

/** Answers a muc#owner get (the configuration form) or set (an empty result). */
/** `callMax`: the call service's participant cap (0: none), bounding the room's own; absent without calls. */
export function handleOwner(ctx: MucContext, room: Room, iq: Element, callMax?: number): Element | undefined {
  if (room.affiliationOf(bareOf(iq.attrs.from as string)) !== 'owner') {
    throw new StanzaError('forbidden', 'Only owners may configure or destroy the room');
  }
  const query = iq.getChild('query', NS.MUC_OWNER)!;
  if (iq.attrs.type === 'get') return x('query', { xmlns: NS.MUC_OWNER }, configForm(room.config, { callMax }));
  const destroy = query.getChild('destroy');
  if (destroy) {
    destroyRoom(ctx, room, destroy);
    return undefined;
  }
  const form = query.getChild('x', NS.DATA);
  if (!form) throw new StanzaError('bad-request', 'Expected a form or destroy');
  if (form.attrs.type === 'cancel') return undefined;
  const before = room.config;
  room.config = applyConfigForm(room.config, form, { callMax });
  ctx.save(room);
  // §10.2: the owner's result goes first; then occupants hear that the configuration changed
  // (104), and about anonymity changes (172/173), and non-members leave a room gone members-only.
  const codes = [104];
  if (before.whois !== room.config.whois) codes.push(room.config.whois === 'anyone' ? 172 : 173);
  ctx.afterReply(() => {
    for (const o of room.occupants.values()) for (const jid of o.jids) {
      ctx.send(x('message', { from: room.jid, to: jid, type: 'groupchat', id: ctx.nextId() },
        x('x', { xmlns: NS.MUC_USER }, ...codes.map((c) => x('status', { code: c })))));
    }
    if (room.config.membersOnly && !before.membersOnly) {
      for (const o of [...room.occupants.values()]) {
        if (room.affiliationOf(o.bareJid) === 'none') leave(ctx, room, o, 'all', [322]);
      }
    }
    if (!room.config.persistent && room.occupants.size === 0) ctx.dropRoom(room);
  });
  return undefined;
}

/** §10.9: every occupant gets unavailable presence carrying the destroy element, then the room is gone. */
export function destroyRoom(ctx: MucContext, room: Room, destroy?: Element): void {
  const reason = destroy?.getChildText('reason') ?? undefined;
  const alt = destroy?.attrs.jid as string | undefined;
  for (const o of [...room.occupants.values()]) {
    for (const jid of o.jids) {
      const p = occupantPresence(room, o, jid, { type: 'unavailable', self: true });
      const mucX = p.getChild('x', NS.MUC_USER)!;
      mucX.children.push(x('destroy', { jid: alt }, reason ? x('reason', {}, reason) : undefined));
      ctx.send(p);
      ctx.occupantGone(room, o, jid);
    }
  }
  room.occupants.clear();
  room.destroyed = true;
  ctx.dropRoom(room);
}
