// The rooms a user is in, as plain values: occupants (XEP-0045 §7.2.3 presence), the groupchat
// log with history (§7.2.15) and the subject. Pure functions, tested in Node; rooms.ts feeds them.
import { bare, resourceOf } from '../protocol/jid.js';

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
  id: string;
  nick: string;
  body: string;
  at: number;
  /** Sent before we joined (XEP-0203 delay on history). */
  history?: boolean;
  self?: boolean;
}

export interface Room {
  jid: string;
  nick: string;
  phase: 'joining' | 'joined' | 'failed' | 'left';
  error?: string;
  occupants: Record<string, Occupant>;
  messages: RoomMessage[];
  subject?: string;
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

/** Adds a groupchat message; our own echo (same id) and repeated history are not added twice. */
export function roomMessage(s: RoomsState, room: string, m: RoomMessage): RoomsState {
  return update(s, room, (r) => {
    if (m.id && r.messages.some((x) => x.id === m.id && x.nick === m.nick)) return r;
    const messages = [...r.messages, m];
    if (m.history) messages.sort((a, b) => a.at - b.at);
    return { ...r, messages };
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
