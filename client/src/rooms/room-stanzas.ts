// Parsed stanzas as room-state inputs: an occupant presence (XEP-0045 §7.2.3), a groupchat
// message with its XEP-0203 delay (§7.2.15 history), and the invitations (XEP-0249 direct
// invite, XEP-0482 call invite). Pure functions; rooms.ts hands them what StanzaJS emits.
import type { ReceivedMessage, ReceivedPresence } from 'stanza/protocol/index.js';
import { bare, resourceOf } from '../protocol/jid.js';
import { stripReplyFallback } from '../protocol/xep0461-replies.js';
import { fileOf } from '../features/shared-file.js';
import type { PendingInvite, PresenceIn, RoomMessage } from './room-state.js';

/** A presence as StanzaJS's MUC plugin emits it (`muc:available`, `muc:unavailable`). */
export type MucPresence = ReceivedPresence & { muc?: { statusCodes?: string[]; role?: string; affiliation?: string; nick?: string; jid?: string } };

export function presenceIn(pres: MucPresence): PresenceIn {
  const m = pres.muc;
  return {
    from: pres.from, ...(pres.type ? { type: pres.type } : {}), ...(pres.show ? { show: pres.show } : {}),
    ...(pres.status ? { status: pres.status } : {}), ...(m?.role ? { role: m.role } : {}),
    ...(m?.affiliation ? { affiliation: m.affiliation } : {}), ...(m?.statusCodes ? { statusCodes: m.statusCodes.map(String) } : {}),
    ...(m?.nick ? { newNick: m.nick } : {}), ...(m?.jid ? { jid: String(m.jid) } : {}),
  };
}

/**
 * A groupchat message with a body as a room message; `ownNick` is our nickname in that room and
 * `realJid` the sender's real JID as the room shows it to us now (XEP-0045 §7.2.3), if it does.
 * Its time is the XEP-0203 delay stamp when there is one (then it is history), else `now`. A
 * correction (XEP-0308) comes back with `replaces`; a reply (XEP-0461) without its fallback quote.
 */
export function groupchatIn(msg: ReceivedMessage, ownNick: string | undefined, now: number, realJid?: string): { room: string; message: RoomMessage; replaces?: string } | undefined {
  if (!msg.body) return undefined;
  const room = bare(msg.from);
  const nick = resourceOf(msg.from);
  const at = msg.delay?.timestamp ? new Date(msg.delay.timestamp).getTime() : now;
  // XEP-0359 §3: only the room's own stanza-id (by = its bare JID) names the message in the room
  const stanzaId = msg.stanzaIds?.find((x) => x.by && bare(x.by) === room)?.id;
  const id = msg.id ?? stanzaId ?? `${nick}-${at}`;
  let body = msg.body;
  let reply: RoomMessage['reply'];
  if (msg.reply?.id) {
    const stripped = stripReplyFallback(body, msg.fallbacks);
    const quote = body.slice(0, body.length - stripped.length);
    const fallback = quote ? quote.replace(/\n$/, '').split('\n').map((l) => l.replace(/^> ?/, '')).join('\n') : undefined;
    reply = { id: msg.reply.id, ...(msg.reply.to ? { to: msg.reply.to } : {}), ...(fallback ? { fallback } : {}) };
    body = stripped;
  } else if (msg.replace) {
    body = stripReplyFallback(body, msg.fallbacks);
  }
  const file = reply || msg.replace ? undefined : fileOf(msg);
  const message: RoomMessage = {
    id, nick, body, at, ...(file ? { file } : {}), ...(stanzaId ? { stanzaId } : {}), ...(realJid ? { realJid } : {}),
    ...(msg.delay ? { history: true } : {}), ...(nick === ownNick ? { self: true } : {}), ...(reply ? { reply } : {}),
  };
  return { room, message, ...(msg.replace ? { replaces: msg.replace } : {}) };
}

/** StanzaJS's `muc:invite` event, for a XEP-0249 direct or a XEP-0045 §7.8.2 mediated invitation. */
export interface MucInviteEvent {
  room: string;
  from?: string;
  reason?: string;
}

export function inviteIn(inv: MucInviteEvent): PendingInvite {
  return { room: bare(inv.room), from: bare(inv.from ?? ''), ...(inv.reason ? { reason: inv.reason } : {}) };
}

/** A XEP-0482 invite to a room's call: the room is its Jingle endpoint; the inviter is the XEP-0249 sender. */
export function callInviteIn(msg: ReceivedMessage): PendingInvite | undefined {
  const jingle = msg.callInvite?.jingle;
  if (!jingle || msg.type === 'error' || msg.type === 'groupchat') return undefined;
  return { room: bare(jingle), from: bare((msg.muc && 'invite' in msg.muc ? msg.muc.invite?.[0]?.from : undefined) ?? msg.from), call: true };
}
