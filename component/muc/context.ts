// What room handlers need from the service that hosts them.
import type { Element } from '../../xmpp/xml.js';
import type { Occupant, Room } from './room.js';
import type { RoomStore } from './store.js';

export interface Logger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export interface MucContext {
  domain: string;
  send(el: Element): void;
  /** Persist a room whose configuration, affiliations or subject changed (if it is persistent). */
  save(room: Room): void;
  /** Rooms and their message archives. */
  store: RoomStore;
  /**
   * Run `fn` once the reply to the IQ being answered has gone out: notifications that XEP-0045
   * orders after the result (§10.2: status 104 follows the owner's result).
   */
  afterReply(fn: () => void): void;
  /** Forget a room (empty temporary room, or destroyed). */
  dropRoom(room: Room): void;
  /** Called when an occupant's last session leaves or is removed, so calls can end its media. */
  occupantGone(room: Room, occupant: Occupant, realJid: string): void;
  nextId(): string;
  /** Send an IQ get/set and resolve with the result (rejects with the error reply or on timeout). */
  request(iq: Element, timeoutMs?: number): Promise<Element>;
  log: Logger;
}
