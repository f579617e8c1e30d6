// What every part of one room's call shares (room-call.ts holds it): the room, its participants,
// the data plane behind the MediaRouter boundary, last-N, and the way a Jingle request goes out
// from the room to a participant. The parts (session-setup.ts, renegotiation.ts, own-contents.ts,
// ice-restart.ts, removal.ts) are functions over it, so that none of them imports RoomCall.
import { x, type Element } from '../../xmpp/xml.js';
import type { MucContext } from '../muc/context.js';
import type { Room } from '../muc/room.js';
import type { MediaOptions } from '../options.js';
import type { MediaRouter } from '../media/router.js';
import type { Participant } from './participant.js';
import type { LastNForwarding } from './last-n-call.js';
import { forwardingInfo } from './forwarding-info.js';

export interface CallContext {
  readonly ctx: MucContext;
  readonly room: Room;
  readonly router: MediaRouter;
  /** Where candidates may point (bound and public address): the SDP the data plane gives is rewritten. */
  readonly media: Pick<MediaOptions, 'bindAddress' | 'publicAddress'>;
  /** The most participants the service allows in a call (the room's own cap may be lower). */
  readonly max: number;
  readonly participants: Map<string, Participant>; // by real full JID
  readonly lastN: LastNForwarding;
  /** Tells the call manager which participant a media peer belongs to. */
  readonly track: (p: Participant, on: boolean) => void;
}

/** A Jingle request from the room to `to`: resolves with the result, rejects with the error reply. */
export function send(call: CallContext, to: string, jingle: Element): Promise<Element> {
  return call.ctx.request(x('iq', { from: call.room.jid, to, type: 'set', id: call.ctx.nextId() }, jingle));
}

/** The occupant JID that labels a participant's sources (follows nickname changes). */
export function ownerJid(call: CallContext, p: Participant): string {
  return call.room.occupantJid(call.room.occupantByJid(p.jid)?.nick ?? p.nick);
}

/** Last-N paused or resumed a video at q: told if q announced it takes it; its errors are ignored. */
export function tellForwarding(call: CallContext, q: Participant, mid: string, on: boolean): void {
  if (q.hearsForwarding && q.active && !q.closed) send(call, q.jid, forwardingInfo(q, mid, on)).catch(() => undefined);
}
