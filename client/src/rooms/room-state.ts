// The rooms a user is in, as plain values: occupants (XEP-0045 §7.2.3 presence), the groupchat
// log with history (§7.2.15) and the subject. Pure functions, tested in Node; rooms.ts feeds them.
import { bare, resourceOf } from '../protocol/jid.js';
import type { SharedFile } from '../features/shared-file.js';

export interface Occupant {
  nick: string;
  /** XEP-0045 §5: moderator, participant, visitor. */
  role?: string;
  affiliation?: string;
  /** The occupant's real JID, when the room shows it to us (XEP-0045 §7.2.3, §7.2.4). */
  jid?: string;
  /** RFC 6121 §4.7.2.1 show, or 'available'. */
  show: 'available' | 'away' | 'chat' | 'dnd' | 'xa';
  status?: string;
}

export interface RoomMessage {
  /** The sender's message id (what a XEP-0308 correction names), else the room's stanza-id. */
  id: string;
  /** The XEP-0359 stanza-id the room gave it (by = the room's JID): what a XEP-0461 reply names. */
  stanzaId?: string;
  nick: string;
  /** The sender's real JID when the room showed it to us then: a correction must come from it (XEP-0308 §5). */
  realJid?: string;
  body: string;
  at: number;
  /** Sent before we joined (XEP-0203 delay on history). */
  history?: boolean;
  self?: boolean;
  /** The text was replaced by a correction (XEP-0308). */
  edited?: boolean;
  /** The message this one answers (XEP-0461), and the quote of its fallback (XEP-0428). */
  reply?: { id: string; to?: string; fallback?: string };
  /** A shared file: the body is its link, also as XEP-0066 out-of-band data (room-files.ts). */
  file?: SharedFile;
}

export interface Room {
  jid: string;
  nick: string;
  phase: 'joining' | 'joined' | 'failed' | 'left';
  error?: string;
  occupants: Record<string, Occupant>;
  messages: RoomMessage[];
  subject?: string;
  /** The room's name from its disco#info identity (muc#roomconfig_roomname), when it has one. */
  name?: string;
  /** muc#roominfo_changesubject: participants may change the subject (XEP-0045 §6.4, §8.1). */
  participantsMayChangeSubject?: boolean;
  /** Paging back through the room's archive (XEP-0313, RSM XEP-0059 §2.5): where the next older page ends. */
  archive?: { oldest?: string; complete: boolean; loading: boolean };
}

export interface PendingInvite {
  room: string;
  from: string;
  reason?: string;
  /** A XEP-0482 call invite came with it. */
  call?: boolean;
}

export interface RoomsState {
  rooms: Record<string, Room>;
  /** The room shown in the rooms view. */
  open?: string;
  invites: PendingInvite[];
}

export const NO_ROOMS: RoomsState = { rooms: {}, invites: [] };


function update(s: RoomsState, room: string, fn: (r: Room) => Room): RoomsState {
  const r = s.rooms[room];
  return r ? { ...s, rooms: { ...s.rooms, [room]: fn(r) } } : s;
}

export function joining(s: RoomsState, room: string, nick: string): RoomsState {
  const prev = s.rooms[room];
  const next: Room = { jid: room, nick, phase: 'joining', occupants: {}, messages: prev?.phase === 'left' ? [] : prev?.messages ?? [] };
  return { ...s, rooms: { ...s.rooms, [room]: next }, open: room, invites: s.invites.filter((i) => i.room !== room) };
}

/** Presence errors when joining (XEP-0045 §7.2.6–§7.2.11), in words. */
const JOIN_ERRORS: Record<string, string> = {
  'conflict': 'That nickname is taken in this room. Choose another one.',
  'not-authorized': 'This room needs a password.',
  'registration-required': 'This room is for members only.',
  'forbidden': 'You are banned from this room.',
  'service-unavailable': 'This room is full.',
  'item-not-found': 'This room does not exist.',
  'not-allowed': 'Rooms cannot be created here.',
  'remote-server-not-found': 'The room\'s server cannot be reached.',
};

export function joinFailed(s: RoomsState, room: string, condition: string | undefined, text?: string): RoomsState {
  const error = JOIN_ERRORS[condition ?? ''] || text || `Could not join the room (${condition ?? 'error'}).`;
  return update(s, room, (r) => ({ ...r, phase: 'failed', error }));
}

export interface PresenceIn {
  from: string;
  type?: string;
  show?: string;
  status?: string;
  role?: string;
  affiliation?: string;
  statusCodes?: string[];
  /** New nickname on a 303 rename. */
  newNick?: string;
  /** Real JID in the item, where the room shows it. */
  jid?: string;
}

/** Applies an occupant presence (§7.2.3, §7.2.5 self-presence with 110, §7.6 nick change 303). */
export function occupantPresence(s: RoomsState, p: PresenceIn): RoomsState {
  const room = bare(p.from);
  const nick = resourceOf(p.from);
  if (!s.rooms[room] || !nick) return s;
  const self = p.statusCodes?.includes('110') ?? false;
  return update(s, room, (r) => {
    const occupants = { ...r.occupants };
    if (p.type === 'unavailable') {
      delete occupants[nick];
      if (p.statusCodes?.includes('303') && p.newNick) {
        return { ...r, occupants, ...(self ? { nick: p.newNick } : {}) };
      }
      if (self) return { ...r, occupants: {}, phase: 'left', ...(p.statusCodes?.includes('307') ? { error: 'You were removed from the room.' } : p.statusCodes?.includes('301') ? { error: 'You were banned from the room.' } : {}) };
      return { ...r, occupants };
    }
    const show = (['away', 'chat', 'dnd', 'xa'] as const).find((x) => x === p.show) ?? 'available';
    occupants[nick] = { nick, show, ...(p.status ? { status: p.status } : {}), ...(p.role ? { role: p.role } : {}), ...(p.affiliation ? { affiliation: p.affiliation } : {}), ...(p.jid ? { jid: p.jid } : {}) };
    return { ...r, occupants, ...(self ? { phase: 'joined' as const, nick } : {}) };
  });
}

/** The same message, however it came: the room's stanza-id, else the sender's id and nick. */
const sameMessage = (a: RoomMessage, b: RoomMessage): boolean =>
  (!!a.stanzaId && a.stanzaId === b.stanzaId) || (!!a.id && a.id === b.id && a.nick === b.nick);

/** Adds a groupchat message; our own echo (same id) and repeated history are not added twice. */
export function roomMessage(s: RoomsState, room: string, m: RoomMessage): RoomsState {
  return update(s, room, (r) => {
    if (r.messages.some((x) => sameMessage(x, m))) return r;
    const messages = [...r.messages, m];
    if (m.history) messages.sort((a, b) => a.at - b.at);
    return { ...r, messages };
  });
}

/** An older page of the room's archive, oldest first, above what is shown (none shown twice). */
export function olderRoomMessages(s: RoomsState, room: string, page: RoomMessage[]): RoomsState {
  return update(s, room, (r) => ({ ...r, messages: [...page.filter((m) => !r.messages.some((x) => sameMessage(x, m))), ...r.messages] }));
}

/** Where paging back through the room's archive stands. */
export function roomArchive(s: RoomsState, room: string, archive: NonNullable<Room['archive']>): RoomsState {
  return update(s, room, (r) => ({ ...r, archive }));
}

/**
 * Applies a XEP-0308 correction in a room: the message `replaces` names (the sender's id of the
 * original, §4) gets the new text, only when it comes from the same occupant (§5 business rules):
 * the same real JID when the room showed us both, else the same occupant JID (nickname). Returns
 * undefined when nothing fits, so that the caller shows it as a message of its own.
 */
export function correctRoomMessage(s: RoomsState, room: string, c: { replaces: string; nick: string; realJid?: string; body: string }): RoomsState | undefined {
  const r = s.rooms[room];
  const fits = (m: RoomMessage) => m.id === c.replaces
    && (m.realJid && c.realJid ? bare(m.realJid) === bare(c.realJid) : m.nick === c.nick);
  if (!r?.messages.some(fits)) return undefined;
  // a corrected file message is text from then on (its link was replaced)
  const corrected = (m: RoomMessage): RoomMessage => { const { file: _link, ...rest } = m; return { ...rest, body: c.body, edited: true }; };
  return update(s, room, (x) => ({ ...x, messages: x.messages.map((m) => (fits(m) ? corrected(m) : m)) }));
}

/** The last message we sent in a room that can still be corrected (text, not a file, as in a conversation). */
export function lastOwnRoomMessage(r: Room | undefined): RoomMessage | undefined {
  const own = (r?.messages ?? []).filter((m) => m.self && m.id && !m.file);
  return own[own.length - 1];
}

/** What the room's disco#info says of it (§6.4): its name and whether participants may change the subject. */
export function roomInfo(s: RoomsState, room: string, info: { name?: string; participantsMayChangeSubject?: boolean }): RoomsState {
  return update(s, room, (r) => {
    const next: Room = { ...r };
    if (info.name) next.name = info.name; else delete next.name;
    next.participantsMayChangeSubject = !!info.participantsMayChangeSubject;
    return next;
  });
}

export function subject(s: RoomsState, room: string, text: string): RoomsState {
  return update(s, room, (r) => ({ ...r, subject: text }));
}

export function left(s: RoomsState, room: string): RoomsState {
  const rooms = { ...s.rooms };
  delete rooms[room];
  const next: RoomsState = { ...s, rooms };
  if (s.open === room) delete next.open;
  return next;
}

export function invited(s: RoomsState, inv: PendingInvite): RoomsState {
  const rest = s.invites.filter((i) => i.room !== inv.room);
  const prev = s.invites.find((i) => i.room === inv.room);
  return { ...s, invites: [...rest, { ...prev, ...inv, call: !!(prev?.call || inv.call) }] };
}

export function dismissInvite(s: RoomsState, room: string): RoomsState {
  return { ...s, invites: s.invites.filter((i) => i.room !== room) };
}

/** A room address from what was typed: `name` alone gets the default service. */
export function roomAddress(input: string, defaultService: string): string | undefined {
  const v = input.trim().toLowerCase().replace(/^xmpp:/, '').split('?')[0]!;
  if (!v || /\s/.test(v)) return undefined;
  if (!v.includes('@')) return /^[^@/]+$/.test(v) ? `${v}@${defaultService}` : undefined;
  const [local, domain] = v.split('@');
  return local && domain && !domain.includes('/') ? v : undefined;
}
