// XEP-0045 messages: groupchat with stanza-ids (XEP-0359) and history and subject ("Entering a Room"),
// private messages ("Sending a Private Message"), and invitations (mediated, delivered with a XEP-0249 direct invite too).
import { StanzaError, errorReply } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { childNs, clone, parseXml, x, type Element } from '../../xmpp/xml.js';
import type { MucContext } from './context.js';
import { HISTORY_DEFAULT, bareOf, type Room } from './room.js';

export function handleMessage(ctx: MucContext, room: Room, stanza: Element, nick: string | undefined): void {
  if (stanza.attrs.type === 'error') return;
  try {
    if (nick === undefined) {
      if (stanza.attrs.type === 'groupchat') return groupchat(ctx, room, stanza);
      const invite = stanza.getChild('x', NS.MUC_USER)?.getChild('invite');
      if (invite) return mediatedInvite(ctx, room, stanza, invite);
      throw new StanzaError('bad-request', 'Send groupchat messages to the room');
    }
    if (stanza.attrs.type === 'groupchat') throw new StanzaError('bad-request', 'Groupchat goes to the room address');
    return privateMessage(ctx, room, stanza, nick);
  } catch (e) {
    if (!(e instanceof StanzaError)) throw e;
    ctx.send(errorReply(stanza, e));
  }
}

function groupchat(ctx: MucContext, room: Room, stanza: Element): void {
  const from = stanza.attrs.from as string;
  const o = room.occupantByJid(from);
  if (!o) throw new StanzaError('not-acceptable', 'You are not in this room');
  if (o.role === 'visitor') throw new StanzaError('forbidden', 'You have no voice in this room');
  const subject = stanza.getChild('subject');
  const body = stanza.getChild('body');
  if (subject && !body) {
    const mayChange = o.role === 'moderator' || room.config.changeSubject;
    if (!mayChange) throw new StanzaError('forbidden', 'Only moderators may change the subject');
    room.subject = { text: subject.getText(), nick: o.nick };
    ctx.save(room);
  }
  // Payload: everything the sender put in, minus ids that only the room may assign (XEP-0359: a stanza-id "by" the room is the room's alone).
  const payload = stanza.children.filter((c): c is Element => typeof c !== 'string'
    && !(c.name === 'stanza-id' && c.attrs.xmlns === NS.SID && c.attrs.by === room.jid));
  // XEP-0359 §3: the stanza-id names the message in the room's archive (XEP-0313), so only an
  // archived message carries one; a client pages the archive from the last one it saw.
  let stanzaId: string | undefined;
  if (worthArchiving(stanza)) {
    stanzaId = ctx.nextId();
    ctx.store.append(room.local, {
      id: stanzaId, ts: Date.now(), nick: o.nick, jid: o.bareJid, history: !!body,
      ...(stanza.attrs.id ? { messageId: stanza.attrs.id as string } : {}),
      // XEP-0313 "MUC message spoofing": a muc#user <x/> of the sender's is not archived (the
      // archive adds its own, naming the real sender, to those who may know it).
      xml: payload.filter((c) => !(c.name === 'x' && c.attrs.xmlns === NS.MUC_USER)).map((c) => c.toString()).join(''),
    });
  }
  for (const r of room.occupants.values()) {
    for (const jid of r.jids) {
      ctx.send(x('message', { from: room.occupantJid(o.nick), to: jid, type: 'groupchat', id: stanza.attrs.id },
        ...payload.map(clone), stanzaId ? x('stanza-id', { xmlns: NS.SID, id: stanzaId, by: room.jid }) : undefined));
    }
  }
}

const KEPT_NS = [
  'eu.siacs.conversations.axolotl', 'urn:xmpp:omemo:2', // XEP-0384
  'urn:xmpp:reactions:0', // XEP-0444
  'urn:xmpp:message-retract:1', // XEP-0424
  'urn:xmpp:message-moderate:1', // XEP-0425
  'urn:xmpp:eme:0', // XEP-0380
];

/**
 * What the room archives (XEP-0313 "MUC Archives"): groupchat messages with a body, subject changes,
 * encrypted messages, reactions and retractions; not chat states or markers alone, and nothing
 * hinted <no-store/> or <no-permanent-store/> (XEP-0334); anything hinted <store/>.
 */
export function worthArchiving(stanza: Element): boolean {
  if (childNs(stanza, NS.HINTS, 'no-store') || childNs(stanza, NS.HINTS, 'no-permanent-store')) return false;
  if (childNs(stanza, NS.HINTS, 'store')) return true;
  for (const c of stanza.children) {
    if (typeof c === 'string') continue;
    const ns = c.attrs.xmlns;
    if ((c.name === 'body' || c.name === 'subject') && (ns === undefined || ns === NS.CLIENT)) return true;
    if (ns && KEPT_NS.includes(ns)) return true;
  }
  return false;
}

function privateMessage(ctx: MucContext, room: Room, stanza: Element, nick: string): void {
  const o = room.occupantByJid(stanza.attrs.from as string);
  if (!o) throw new StanzaError('not-acceptable', 'Only occupants may send private messages');
  const target = room.occupants.get(nick);
  if (!target) throw new StanzaError('item-not-found', 'No such occupant');
  for (const jid of target.jids) {
    const m = clone(stanza);
    m.attrs.from = room.occupantJid(o.nick);
    m.attrs.to = jid;
    // XEP-0045 private messages: mark it as coming through the room so clients do not mistake it for a direct chat.
    m.children.push(x('x', { xmlns: NS.MUC_USER }));
    ctx.send(m);
  }
}

/**
 * XEP-0045 §7.2.15 "Managing Discussion History" on entering, from the archive: the last HISTORY_DEFAULT
 * messages unless the occupant asks for fewer (maxstanzas), fewer characters of XML (maxchars),
 * or those of the last seconds or since a time. All limits apply together.
 */
export function sendHistory(ctx: MucContext, room: Room, to: string, history: Element | undefined): void {
  const num = (name: string): number | undefined => {
    const v = history?.attrs[name] as string | undefined;
    return v !== undefined && /^\d{1,9}$/.test(v) ? Number(v) : undefined;
  };
  const maxstanzas = Math.min(num('maxstanzas') ?? HISTORY_DEFAULT, HISTORY_DEFAULT);
  const maxchars = num('maxchars');
  const seconds = num('seconds');
  if (maxstanzas === 0 || maxchars === 0) return;
  let start = seconds !== undefined ? Date.now() - seconds * 1000 : undefined;
  const since = history?.attrs.since ? Date.parse(history.attrs.since as string) : NaN;
  if (!Number.isNaN(since)) start = Math.max(start ?? since, since);
  const page = ctx.store.page(room.local, { max: maxstanzas, before: '', history: true, ...(start !== undefined ? { start } : {}) });
  const stanzas = page.items.map((e) => {
    const wrapper = parseXml(`<w>${e.xml}</w>`);
    return x('message', { from: room.occupantJid(e.nick), to, type: 'groupchat', id: e.messageId },
      ...wrapper.children.filter((c): c is Element => typeof c !== 'string'),
      x('delay', { xmlns: NS.DELAY, from: room.jid, stamp: new Date(e.ts).toISOString() }),
      x('stanza-id', { xmlns: NS.SID, id: e.id, by: room.jid }));
  });
  // maxchars counts whole stanzas, newest first (a stanza that does not fit ends the history).
  let first = 0;
  if (maxchars !== undefined) {
    let chars = 0;
    first = stanzas.length;
    while (first > 0 && chars + stanzas[first - 1]!.toString().length <= maxchars) chars += stanzas[--first]!.toString().length;
  }
  for (const m of stanzas.slice(first)) ctx.send(m);
}

/** XEP-0045 "Room Subject" on entering: always sent, empty if none, after the history. */
export function sendSubject(ctx: MucContext, room: Room, to: string): void {
  const from = room.subject.nick ? room.occupantJid(room.subject.nick) : room.jid;
  ctx.send(x('message', { from, to, type: 'groupchat', id: ctx.nextId() }, x('subject', {}, room.subject.text)));
}

function mediatedInvite(ctx: MucContext, room: Room, stanza: Element, invite: Element): void {
  const from = stanza.attrs.from as string;
  const o = room.occupantByJid(from);
  if (!o) throw new StanzaError('forbidden', 'Only occupants may invite');
  const to = invite.attrs.to as string | undefined;
  if (!to) throw new StanzaError('bad-request', 'The invitation names no invitee');
  if (room.config.membersOnly) {
    const aff = room.affiliationOf(o.bareJid);
    if (aff !== 'owner' && aff !== 'admin') throw new StanzaError('forbidden', 'Only admins may invite to a members-only room');
    if (room.affiliationOf(bareOf(to)) === 'none') { room.setAffiliation(bareOf(to), 'member'); ctx.save(room); }
  }
  const reason = invite.getChildText('reason') ?? undefined;
  ctx.send(x('message', { from: room.jid, to, id: ctx.nextId() },
    x('x', { xmlns: NS.MUC_USER },
      x('invite', { from: bareOf(from) }, reason ? x('reason', {}, reason) : undefined),
      room.config.password ? x('password', {}, room.config.password) : undefined),
    // XEP-0249 direct invitation, understood by clients that ignore mediated ones.
    x('x', { xmlns: NS.CONFERENCE, jid: room.jid, reason, password: room.config.password || undefined }),
    // XEP-0482: an invitation to the room's call travels along, pointing at the room's Jingle endpoint.
    callInvite(stanza, room)));
}

function callInvite(stanza: Element, room: Room): Element | undefined {
  const inv = stanza.getChild('invite', NS.CALL_INVITES);
  if (!inv) return undefined;
  return x('invite', { xmlns: NS.CALL_INVITES, audio: inv.attrs.audio ?? 'true', video: inv.attrs.video ?? 'false', id: inv.attrs.id },
    x('jingle', { jid: room.jid }));
}
