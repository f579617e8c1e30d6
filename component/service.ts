// The call service: routes every stanza addressed to the component by what it is and whom it
// addresses — the service domain, a room, or an occupant. IQ requests to the service and to rooms
// are answered through the shared IQ callee (one reply each, service-unavailable for unknown
// payloads, RFC 6120 §8.4); IQs to occupants are relayed; replies to our own requests settle them.
import { randomBytes } from 'node:crypto';
import { StanzaError, errorReply } from '../xmpp/errors.js';
import { EXTDISCO_NAMESPACES, answerExtdisco } from '../xmpp/extdisco.js';
import { answerIq, iqResult, type IqAnswer } from '../xmpp/iq-callee.js';
import { IqTracker } from '../xmpp/iq-tracker.js';
import { Jid } from '../xmpp/jid.js';
import { NS } from '../xmpp/namespaces.js';
import { turnServices, type TurnSettings } from '../xmpp/turn-credentials.js';
import { clone, x, type Element } from '../xmpp/xml.js';
import type { Logger, MucContext } from './muc/context.js';
import { Room, type Occupant } from './muc/room.js';
import type { RoomStore } from './muc/store.js';
import { handlePresence } from './muc/presence.js';
import { handleMessage } from './muc/message.js';
import { handleAdmin } from './muc/admin.js';
import { handleOwner } from './muc/owner.js';
import { roomInfo } from './muc/disco.js';
import { archiveMetadata, queryArchive, queryFields } from './muc/mam.js';
import { isVoiceRequest, voiceRequest } from './muc/voice.js';

/** The group call layer as the room service sees it. */
export interface CallHandler {
  features: string[];
  /** The service's cap on participants in one room's call (0: none); rooms may set a lower one. */
  maxParticipants: number;
  handleJingle(room: Room, occupant: Occupant, iq: Element): Promise<void>;
  occupantGone(room: Room, occupant: Occupant, realJid: string): void;
  roomGone(room: Room): void;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  domain: string;
  name?: string;
  store: RoomStore;
  send(el: Element): void;
  log: Logger;
  /** A STUN/TURN relay to announce for the service domain (XEP-0215). */
  turn?: TurnSettings;
  /** Rooms one user may own at a time (creating one more is refused); 0 for no limit. */
  maxRoomsPerUser?: number;
}

/** An IQ relayed from one occupant to another: the original id and addresses, and who must answer. */
interface Relay { id: string; from: string; to: string; target: string; timer: NodeJS.Timeout }

const SERVICE_FEATURES = [NS.DISCO_INFO, NS.DISCO_ITEMS, NS.MUC, NS.PING, NS.SID];

export class CallService {
  readonly rooms = new Map<string, Room>();
  readonly ctx: MucContext;
  calls?: CallHandler;
  /** Our own IQ requests (to participants) awaiting their replies. */
  private readonly requests = new IqTracker('call');
  /** IQs relayed between occupants, by the id the room gave them. */
  private readonly relayed = new Map<string, Relay>();
  /**
   * Work to do once the reply to the IQ being answered has been sent (MucContext.afterReply): the
   * list of the IQ whose handler runs now (handlers that defer work do so before they await).
   */
  private afterReply: Array<() => void> | undefined;

  constructor(private readonly opts: ServiceOptions) {
    // Room localparts compare case-insensitively: incoming addresses are normalised by Jid, and
    // rooms from older files are looked up by their lower-cased name.
    for (const p of opts.store.loadRooms()) this.rooms.set(p.local.toLowerCase(), Room.fromPersisted(p, opts.domain));
    this.ctx = {
      domain: opts.domain,
      send: (el) => opts.send(el),
      save: (room) => {
        if (room.destroyed) return;
        if (room.config.persistent) opts.store.saveRoom(room.toPersisted());
        else opts.store.unsaveRoom(room.local);
      },
      store: opts.store,
      afterReply: (fn) => {
        if (this.afterReply) this.afterReply.push(fn);
        else fn();
      },
      dropRoom: (room) => {
        if (this.rooms.get(room.local.toLowerCase()) === room) this.rooms.delete(room.local.toLowerCase());
        this.calls?.roomGone(room);
        opts.store.deleteRoom(room.local);
      },
      occupantGone: (room, o, jid) => this.calls?.occupantGone(room, o, jid),
      nextId: () => randomBytes(9).toString('base64url'),
      request: async (iq, timeoutMs = 10000) => {
        const reply = await this.requests.request(iq, opts.send, timeoutMs);
        if (reply.attrs.type === 'error') throw Object.assign(new Error(`error reply: ${reply.toString()}`), { stanza: reply });
        return reply;
      },
      log: opts.log,
    };
  }

  /** Reject outstanding requests (on stop). */
  cancelRequests(): void {
    this.requests.cancelAll('stopped');
    for (const r of this.relayed.values()) clearTimeout(r.timer);
    this.relayed.clear();
  }

  /** Handle one stanza; never throws (a failure becomes an error reply or a log line). */
  async receive(stanza: Element): Promise<void> {
    try {
      await this.route(stanza);
    } catch (e) {
      const err = e instanceof StanzaError ? e : new StanzaError('internal-server-error');
      if (!(e instanceof StanzaError)) this.opts.log.error({ err: e, stanza: stanza.toString() }, 'stanza handler failed');
      if (stanza.attrs.type !== 'error' && stanza.attrs.type !== 'result') this.ctx.send(errorReply(stanza, err));
    }
  }

  private async route(stanza: Element): Promise<void> {
    const to = Jid.tryParse(stanza.attrs.to);
    const from = Jid.tryParse(stanza.attrs.from);
    if (!to || !from) return;
    if (stanza.name === 'iq') return this.iq(stanza, to);
    if (!to.local) return this.toService(stanza);
    let room = this.rooms.get(to.local);
    if (stanza.name === 'presence') {
      if (!to.resource) {
        if (!stanza.attrs.type) throw new StanzaError('jid-malformed', 'Join with a nickname: room@service/nick');
        // Clients (Gajim, Converse.js) also leave by sending unavailable to the room's bare JID:
        // it is the occupant's exit all the same (XEP-0045 §7.14).
        const occupant = stanza.attrs.type === 'unavailable' ? room?.occupantByJid(from.full) : undefined;
        if (room && occupant) return handlePresence(this.ctx, room, stanza, occupant.nick, false);
        return;
      }
      let created = false;
      if (!room) {
        if (stanza.attrs.type) return;
        if (!this.mayCreate(stanza, from)) return;
        room = new Room(to.local, `${to.local}@${this.opts.domain}`);
        this.rooms.set(to.local, room);
        created = true;
        // Where several instances share one domain (docs/scaling.md), this line says which one holds the room.
        this.opts.log.info({ room: room.jid }, 'room created');
      }
      return handlePresence(this.ctx, room, stanza, to.resource, created);
    }
    if (!room) throw new StanzaError('item-not-found', 'No such room');
    if (stanza.name !== 'message') return;
    // XEP-0045 §8.6: a voice request (or a moderator's answer) is a form sent to the room.
    if (!to.resource && stanza.attrs.type !== 'groupchat' && stanza.attrs.type !== 'error' && isVoiceRequest(stanza)) return voiceRequest(this.ctx, room, stanza);
    return handleMessage(this.ctx, room, stanza, to.resource || undefined);
  }

  private async iq(iq: Element, to: Jid): Promise<void> {
    const type = iq.attrs.type;
    if (type === 'result' || type === 'error') {
      const relay = this.relayed.get(iq.attrs.id as string);
      if (relay) return this.relayReply(iq, relay);
      this.requests.settle(iq); // a reply to one of our requests, or to nothing: never answered
      return;
    }
    if (type !== 'get' && type !== 'set') throw new StanzaError('bad-request', 'An IQ is of type get, set, result or error');
    const room = to.local ? this.rooms.get(to.local) : undefined;
    if (to.local && !room) throw new StanzaError('item-not-found', 'No such room');
    if (room && to.resource) return this.toOccupant(room, iq, to.resource);
    const after: Array<() => void> = [];
    this.afterReply = after;
    const answered = answerIq(
      iq,
      (payload) => (room ? this.roomIq(room, iq, payload) : this.serviceIq(iq, payload)),
      (reply) => {
        this.ctx.send(reply);
        // What the handler left for after its reply (only a result lets it happen).
        if (reply.attrs.type === 'result') for (const fn of after) fn();
      },
      (err) => this.opts.log.error({ err, stanza: iq.toString() }, 'IQ handler failed'),
    );
    // answerIq has run the handler up to its first await: later deferrals belong to no IQ.
    this.afterReply = undefined;
    await answered;
  }

  /**
   * `maxRoomsPerUser`: someone who owns that many rooms creates no more. XEP-0045 §10.1.1: a
   * refused creation is <not-allowed/>, sent back as the presence error.
   */
  private mayCreate(stanza: Element, from: Jid): boolean {
    const limit = this.opts.maxRoomsPerUser ?? 0;
    if (limit === 0) return true;
    let owned = 0;
    for (const r of this.rooms.values()) if (r.affiliationOf(from.bare) === 'owner') owned++;
    if (owned < limit) return true;
    const reply = errorReply(stanza, new StanzaError('not-allowed', `You own ${owned} rooms here, the most one user may (${limit})`));
    // As every presence error on entering: the error and the empty MUC element only.
    reply.children = reply.children.filter((c) => typeof c !== 'string' && c.name === 'error');
    if (stanza.getChild('x', NS.MUC)) reply.children.unshift(x('x', { xmlns: NS.MUC }));
    this.ctx.send(reply);
    return false;
  }

  /** The handler of an IQ get/set to a room, by its payload. */
  private roomIq(room: Room, iq: Element, payload: Element): IqAnswer | undefined {
    const get = iq.attrs.type === 'get';
    if (get && payload.is('query', NS.DISCO_INFO)) {
      return () => {
        if (payload.attrs.node) throw new StanzaError('item-not-found');
        return x('query', { xmlns: NS.DISCO_INFO }, ...roomInfo(room, this.calls?.features ?? []));
      };
    }
    if (get && payload.is('query', NS.DISCO_ITEMS)) return () => x('query', { xmlns: NS.DISCO_ITEMS });
    if (get && payload.is('ping', NS.PING)) return () => undefined;
    if (payload.is('query', NS.MUC_ADMIN)) return () => handleAdmin(this.ctx, room, iq);
    if (payload.is('query', NS.MUC_OWNER)) return () => handleOwner(this.ctx, room, iq, this.calls?.maxParticipants);
    if (get && payload.is('query', NS.MAM)) return () => queryFields();
    if (get && payload.is('metadata', NS.MAM)) return () => archiveMetadata(this.ctx, room, iq);
    if (!get && payload.is('query', NS.MAM)) return () => queryArchive(this.ctx, room, iq, payload);
    const calls = this.calls;
    if (!get && payload.is('jingle', NS.JINGLE) && calls) {
      return async () => {
        const occupant = room.occupantByJid(iq.attrs.from as string);
        if (!occupant) throw new StanzaError('forbidden', 'Join the room before joining its call');
        await calls.handleJingle(room, occupant, iq);
      };
    }
    return undefined;
  }

  /** The handler of an IQ get/set to the service domain itself, by its payload. */
  private serviceIq(iq: Element, payload: Element): IqAnswer | undefined {
    if (iq.attrs.type !== 'get' || payload.attrs.node) return undefined;
    if (payload.is('query', NS.DISCO_INFO)) {
      return () => x('query', { xmlns: NS.DISCO_INFO },
        x('identity', { category: 'conference', type: 'text', name: this.opts.name ?? 'Rooms and calls' }),
        ...[...SERVICE_FEATURES, ...(this.opts.turn ? EXTDISCO_NAMESPACES : []), ...(this.calls?.features ?? [])].map((f) => x('feature', { var: f })));
    }
    if (payload.is('query', NS.DISCO_ITEMS)) {
      return () => {
        const rooms = [...this.rooms.values()].filter((r) => r.config.public && !r.config.password && !r.destroyed);
        return x('query', { xmlns: NS.DISCO_ITEMS }, ...rooms.map((r) => x('item', { jid: r.jid, name: r.config.name || r.local })));
      };
    }
    if (payload.is('ping', NS.PING)) return () => undefined;
    const turn = this.opts.turn;
    if (turn && (EXTDISCO_NAMESPACES as readonly string[]).includes(payload.attrs.xmlns as string)) {
      return () => {
        const from = Jid.parse(iq.attrs.from as string);
        if (!this.mayUseRelay(from)) throw new StanzaError('forbidden', 'the relay is for users of this server and participants in its rooms');
        return answerExtdisco(payload, () => turnServices(turn, from.bare));
      };
    }
    return undefined;
  }

  /**
   * Who gets relay credentials from the component: accounts of the server it is attached to — by
   * convention the service domain without its first label (call.example.org → example.org) — and
   * anyone who is in one of its rooms (a participant from another server joins calls too). An
   * open relay for the whole federation would not be.
   */
  private mayUseRelay(from: Jid): boolean {
    if (!from.local) return false;
    const host = this.opts.domain.slice(this.opts.domain.indexOf('.') + 1);
    if (from.domain === host) return true;
    for (const room of this.rooms.values()) if (room.occupantsOf(from.bare).length > 0) return true;
    return false;
  }

  private toOccupant(room: Room, iq: Element, nick: string): void {
    const sender = room.occupantByJid(iq.attrs.from as string);
    if (!sender) throw new StanzaError('not-acceptable', 'Not joined under that nickname');
    // XEP-0410 self-ping: a joined client pinging its own occupant JID gets a result.
    if (iq.getChild('ping', NS.PING) && iq.attrs.type === 'get' && sender.nick === nick) {
      this.ctx.send(iqResult(iq));
      return;
    }
    const target = room.occupants.get(nick);
    if (!target) throw new StanzaError('item-not-found', 'No such occupant');
    // XEP-0045: IQs to an occupant JID are relayed to one of its clients, replies come back the same way.
    const id = this.ctx.nextId();
    const timer = setTimeout(() => this.relayed.delete(id), 60000);
    timer.unref();
    this.relayed.set(id, { id: iq.attrs.id as string, from: iq.attrs.from as string, to: iq.attrs.to as string, target: target.jids[0], timer });
    const copy = clone(iq);
    Object.assign(copy.attrs, { from: room.occupantJid(sender.nick), to: target.jids[0], id });
    this.ctx.send(copy);
  }

  private relayReply(reply: Element, relay: Relay): void {
    if (reply.attrs.from !== relay.target) return;
    this.relayed.delete(reply.attrs.id as string);
    clearTimeout(relay.timer);
    const copy = clone(reply);
    Object.assign(copy.attrs, { from: relay.to, to: relay.from, id: relay.id });
    this.ctx.send(copy);
  }

  /** Messages and presence to the service domain: there is nobody to deliver them to. */
  private toService(stanza: Element): void {
    if (stanza.name === 'message' && stanza.attrs.type !== 'error') throw new StanzaError('service-unavailable');
  }
}
