// Group calls of all rooms: routes Jingle requests to the room's call, follows occupants, and
// hands the data plane's events (by media peer id) to the participant they concern.
import { NS } from '../../xmpp/namespaces.js';
import type { Element } from '../../xmpp/xml.js';
import type { MucContext } from '../muc/context.js';
import type { Occupant, Room } from '../muc/room.js';
import type { CallHandler } from '../service.js';
import type { MediaOptions } from '../options.js';
import type { MediaEvent, MediaRouter } from '../media/router.js';
import type { Participant } from './participant.js';
import { RoomCall } from './room-call.js';
import { LAST_N_DEFAULT, type LastNSettings } from './last-n.js';

export class CallManager implements CallHandler {
  readonly features = [
    NS.JINGLE, NS.JINGLE_RTP, NS.JINGLE_AUDIO, NS.JINGLE_VIDEO, NS.JINGLE_ICE, NS.JINGLE_DTLS,
    NS.GROUPING, NS.SSMA, NS.JINGLE_RTP_INFO, NS.CALL_INVITES,
  ];
  private readonly calls = new Map<Room, RoomCall>();
  /** Participants by their media peer id, for the data plane's events. */
  private readonly peers = new Map<string, { call: RoomCall; p: Participant }>();
  private readonly unlisten: () => void;

  constructor(private readonly opts: {
    ctx: MucContext; router: MediaRouter; media: Pick<MediaOptions, 'bindAddress' | 'publicAddress'>; maxParticipants: number;
    /** Last-N video (last-n.ts); LAST_N_DEFAULT when absent. */
    lastN?: LastNSettings;
  }) {
    this.unlisten = opts.router.on((e) => this.mediaEvent(e));
  }

  get maxParticipants(): number {
    return this.opts.maxParticipants;
  }

  private mediaEvent(e: MediaEvent): void {
    if (e.type === 'stats') return;
    if (e.type === 'speakers') {
      for (const [room, call] of this.calls) if (room.jid === e.roomId) call.speakers(e.sources);
      return;
    }
    const entry = this.peers.get(e.peerId);
    if (!entry || entry.p.closed) return;
    if (e.type === 'source') entry.call.sourceAdded(entry.p, e.kind, e.mid);
    else if (e.type === 'source-gone') entry.call.sourceGone(entry.p, e.mid);
    else if (e.type === 'peer-failed') entry.call.peerFailed(entry.p, e.reason, e.text);
  }

  /** Rooms with a call going on, and the people in those calls (for the operator's metrics). */
  get stats(): { calls: number; participants: number } {
    let calls = 0;
    let participants = 0;
    for (const c of this.calls.values()) {
      if (c.participants.size === 0) continue;
      calls++;
      participants += c.participants.size;
    }
    return { calls, participants };
  }

  handleJingle(room: Room, occupant: Occupant, iq: Element): Promise<void> {
    let call = this.calls.get(room);
    if (!call) {
      const c: RoomCall = new RoomCall(this.opts.ctx, room, this.opts.router, this.opts.media, this.opts.maxParticipants, (p, on) => {
        if (on) this.peers.set(p.peerId, { call: c, p });
        else if (this.peers.get(p.peerId)?.p === p) this.peers.delete(p.peerId);
      }, this.opts.lastN ?? LAST_N_DEFAULT);
      call = c;
      this.calls.set(room, call);
    }
    return call.handle(iq, occupant.nick);
  }

  /** Leaving the room (unavailable, kick, ban, destroy) ends the call session of that client. */
  occupantGone(room: Room, _o: Occupant, realJid: string): void {
    const call = this.calls.get(room);
    const p = call?.participants.get(realJid);
    if (call && p) call.remove(p, 'gone');
  }

  roomGone(room: Room): void {
    const call = this.calls.get(room);
    if (!call) return;
    this.calls.delete(room);
    void call.stop();
  }

  async stop(): Promise<void> {
    for (const call of this.calls.values()) await call.stop();
    this.calls.clear();
    this.unlisten();
  }
}
