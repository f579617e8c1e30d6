// The call service: routes every stanza addressed to the component by what it is and whom it
// addresses — the service domain, a room, or an occupant — and answers unknown requests with
// service-unavailable in one place (RFC 6120 §8.4).
import { randomBytes } from 'node:crypto';
import { NS, StanzaError, clone, errorReply, iqResult, x, type Element } from './xml.js';
import { parseJid } from './jid.js';
import type { Logger, MucContext } from './muc/context.js';
import { Room, type Occupant } from './muc/room.js';
import type { RoomStore } from './muc/store.js';
import { handlePresence } from './muc/presence.js';
import { handleMessage } from './muc/message.js';
import { handleAdmin } from './muc/admin.js';
import { handleOwner } from './muc/owner.js';
import { roomInfo } from './muc/disco.js';

/** The group call layer as the room service sees it. */
export interface CallHandler {
  features: string[];
  handleJingle(room: Room, occupant: Occupant, iq: Element): Promise<Element>;
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
}

/** An IQ relayed from one occupant to another: the original id and addresses, and who must answer. */
interface Relay { id: string; from: string; to: string; target: string; timer: NodeJS.Timeout }

const SERVICE_FEATURES = [NS.discoInfo, NS.discoItems, NS.muc, NS.ping, NS.sid];

export class CallService {
  /** Reject outstanding requests (on stop). */
  cancelRequests(): void {
    for (const [id, w] of this.pending) { clearTimeout(w.timer); w.reject(new Error('stopped')); this.pending.delete(id); }
    for (const r of this.relayed.values()) clearTimeout(r.timer);
    this.relayed.clear();
  }

  readonly rooms = new Map<string, Room>();
  readonly ctx: MucContext;
  calls?: CallHandler;
  private readonly pending = new Map<string, { resolve(el: Element): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  /** IQs relayed between occupants, by the id the room gave them. */
  private readonly relayed = new Map<string, Relay>();

  constructor(private readonly opts: ServiceOptions) {
    for (const p of opts.store.load()) this.rooms.set(p.local.toLowerCase(), Room.fromPersisted(p, opts.domain));
    this.ctx = {
      domain: opts.domain,
      send: (el) => opts.send(el),
      save: () => this.save(),
      dropRoom: (room) => {
        if (this.rooms.get(room.local.toLowerCase()) === room) this.rooms.delete(room.local.toLowerCase());
        this.calls?.roomGone(room);
        this.save();
      },
      occupantGone: (room, o, jid) => this.calls?.occupantGone(room, o, jid),
      nextId: () => randomBytes(9).toString('base64url'),
      request: (iq, timeoutMs = 10000) => new Promise<Element>((resolve, reject) => {
        const id = (iq.attrs.id as string | undefined) ?? this.ctx.nextId();
        iq.attrs.id = id;
        const timer = setTimeout(() => { this.pending.delete(id); reject(new Error(`no reply to ${id}`)); }, timeoutMs);
        this.pending.set(id, { resolve, reject, timer });
        opts.send(iq);
      }),
      log: opts.log,
    };
  }

  private save(): void {
    const persistent = [...this.rooms.values()].filter((r) => r.config.persistent && !r.destroyed);
    this.opts.store.save(persistent.map((r) => r.toPersisted()));
  }

  /** Handle one stanza; never throws (a failure becomes an error reply or a log line). */
  async receive(stanza: Element): Promise<void> {
    try {
      await this.route(stanza);
    } catch (e) {
      const err = e instanceof StanzaError ? e : new StanzaError('cancel', 'internal-server-error');
      if (!(e instanceof StanzaError)) this.opts.log.error({ err: e, stanza: stanza.toString() }, 'stanza handler failed');
      if (stanza.attrs.type !== 'error' && stanza.attrs.type !== 'result') this.ctx.send(errorReply(stanza, err));
    }
  }

  private async route(stanza: Element): Promise<void> {
    const to = parseJid(stanza.attrs.to);
    const from = parseJid(stanza.attrs.from);
    if (!to || !from) return;
    const isIq = stanza.name === 'iq';
    if (isIq && (stanza.attrs.type === 'result' || stanza.attrs.type === 'error')) {
      const relay = this.relayed.get(stanza.attrs.id as string);
      if (relay) return this.relayReply(stanza, relay);
      const waiter = this.pending.get(stanza.attrs.id as string);
      if (!waiter) return;
      this.pending.delete(stanza.attrs.id as string);
      clearTimeout(waiter.timer);
      if (stanza.attrs.type === 'result') waiter.resolve(stanza);
      else waiter.reject(Object.assign(new Error(`error reply: ${stanza.toString()}`), { stanza }));
      return;
    }
    if (!to.local) return this.toService(stanza);
    const key = to.local.toLowerCase();
    let room = this.rooms.get(key);
    if (stanza.name === 'presence') {
      if (!to.resource) {
        if (!stanza.attrs.type) throw new StanzaError('modify', 'jid-malformed', 'Join with a nickname: room@service/nick');
        return;
      }
      let created = false;
      if (!room) {
        if (stanza.attrs.type) return;
        room = new Room(to.local, `${to.local}@${this.opts.domain}`);
        this.rooms.set(key, room);
        created = true;
      }
      return handlePresence(this.ctx, room, stanza, to.resource, created);
    }
    if (!room) throw new StanzaError('cancel', 'item-not-found', 'No such room');
    if (stanza.name === 'message') return handleMessage(this.ctx, room, stanza, to.resource || undefined);
    if (!isIq) return;
    if (to.resource) return this.toOccupant(room, stanza, to.resource);
    this.ctx.send(await this.roomIq(room, stanza));
  }

  private async roomIq(room: Room, iq: Element): Promise<Element> {
    const payload = iq.getChildElements()[0];
    const ns = payload?.attrs.xmlns as string | undefined;
    const get = iq.attrs.type === 'get';
    if (get && payload?.is('query', NS.discoInfo)) {
      if (payload.attrs.node) throw new StanzaError('cancel', 'item-not-found');
      return iqResult(iq, x('query', { xmlns: NS.discoInfo }, ...roomInfo(room, this.calls?.features ?? [])));
    }
    if (get && payload?.is('query', NS.discoItems)) return iqResult(iq, x('query', { xmlns: NS.discoItems }));
    if (get && payload?.is('ping', NS.ping)) return iqResult(iq);
    if (ns === NS.mucAdmin && payload.name === 'query') return handleAdmin(this.ctx, room, iq);
    if (ns === NS.mucOwner && payload.name === 'query') return handleOwner(this.ctx, room, iq);
    if (ns === NS.jingle && payload.name === 'jingle' && iq.attrs.type === 'set' && this.calls) {
      const occupant = room.occupantByJid(iq.attrs.from as string);
      if (!occupant) throw new StanzaError('auth', 'forbidden', 'Join the room before joining its call');
      return this.calls.handleJingle(room, occupant, iq);
    }
    throw new StanzaError('cancel', 'service-unavailable');
  }

  private toOccupant(room: Room, iq: Element, nick: string): void {
    const sender = room.occupantByJid(iq.attrs.from as string);
    if (!sender) throw new StanzaError('modify', 'not-acceptable', 'Not joined under that nickname');
    // XEP-0410 self-ping: a joined client pinging its own occupant JID gets a result.
    if (iq.getChild('ping', NS.ping) && iq.attrs.type === 'get' && sender.nick === nick) {
      this.ctx.send(iqResult(iq));
      return;
    }
    const target = room.occupants.get(nick);
    if (!target) throw new StanzaError('cancel', 'item-not-found', 'No such occupant');
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

  private toService(stanza: Element): void {
    if (stanza.name !== 'iq') {
      if (stanza.name === 'message' && stanza.attrs.type !== 'error') throw new StanzaError('cancel', 'service-unavailable');
      return;
    }
    const payload = stanza.getChildElements()[0];
    const get = stanza.attrs.type === 'get';
    if (get && payload?.is('query', NS.discoInfo) && !payload.attrs.node) {
      return this.ctx.send(iqResult(stanza, x('query', { xmlns: NS.discoInfo },
        x('identity', { category: 'conference', type: 'text', name: this.opts.name ?? 'Rooms and calls' }),
        ...[...SERVICE_FEATURES, ...(this.calls?.features ?? [])].map((f) => x('feature', { var: f })))));
    }
    if (get && payload?.is('query', NS.discoItems) && !payload.attrs.node) {
      const rooms = [...this.rooms.values()].filter((r) => r.config.public && !r.config.password && !r.destroyed);
      return this.ctx.send(iqResult(stanza, x('query', { xmlns: NS.discoItems },
        ...rooms.map((r) => x('item', { jid: r.jid, name: r.config.name || r.local })))));
    }
    if (get && payload?.is('ping', NS.ping)) return this.ctx.send(iqResult(stanza));
    throw new StanzaError('cancel', 'service-unavailable');
  }
}
