import { StanzaError, type Element } from '../xml.js';
import type { MucContext } from '../muc/context.js';
import type { Occupant, Room } from '../muc/room.js';
import type { CallHandler } from '../service.js';
import type { MediaOptions } from '../index.js';

export class CallManager implements CallHandler {
  features: string[] = [];
  constructor(readonly opts: { ctx: MucContext; media: MediaOptions; maxParticipants: number }) {}
  async handleJingle(_room: Room, _o: Occupant, _iq: Element): Promise<Element> {
    throw new StanzaError('cancel', 'feature-not-implemented');
  }
  occupantGone(): void {}
  roomGone(): void {}
  async stop(): Promise<void> {}
}
