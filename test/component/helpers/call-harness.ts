// The call control plane (component/calls/) with a MediaRouter that has no media
// (fake-media.ts): the room service and its calls, and scripted Jingle clients that acknowledge
// every request and answer content-add with content-accept (XEP-0166 §6.2, §7).
import assert from 'node:assert/strict';
import { CallService } from '../../../component/service.js';
import { CallManager } from '../../../component/calls/manager.js';
import type { LastNSettings } from '../../../component/calls/last-n.js';
import { sqliteStore } from '../../../component/muc/store.js';
import type { Logger } from '../../../component/muc/context.js';
import { jingleElement, parseJingle, type Jingle, type JingleContent } from '../../../component/calls/jingle.js';
import { sdpToJingle } from '../../../xmpp/jingle-sdp/index.js';
import { x, type Element } from '../../../xmpp/xml.js';
import { FakeRouter, participantLines, sdpOf } from './fake-media.js';

export const J = 'urn:xmpp:jingle:1';
export const ROOM = 'team@call.test';
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface Client { jid: string; nick: string; sid: string; own: JingleContent[]; reject: boolean }

export class Harness {
  readonly router = new FakeRouter();
  readonly sent: Element[] = [];
  readonly service: CallService;
  readonly calls: CallManager;
  readonly clients = new Map<string, Client>();
  private waiters: Array<{ test: (el: Element) => boolean; resolve: (el: Element) => void }> = [];

  constructor(maxParticipants = 0, lastN?: LastNSettings) {
    this.service = new CallService({ domain: 'call.test', store: sqliteStore(undefined, silent), send: (el) => this.out(el), log: silent });
    this.calls = new CallManager({ ctx: this.service.ctx, router: this.router, media: {}, maxParticipants, ...(lastN ? { lastN } : {}) });
    this.service.calls = this.calls;
  }

  private out(el: Element): void {
    this.sent.push(el);
    for (const w of [...this.waiters]) if (w.test(el)) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(el); }
    const c = this.clients.get(el.attrs.to as string);
    const jingle = el.getChild('jingle', J);
    if (!c || el.name !== 'iq' || el.attrs.type !== 'set' || !jingle) return;
    // The client acknowledges, then (for content-add) accepts or rejects, as a real one does.
    setImmediate(() => {
      void this.service.receive(x('iq', { type: 'result', id: el.attrs.id as string, from: c.jid, to: ROOM })).then(() => {
        if (jingle.attrs.action !== 'content-add') return;
        const added = parseJingle(el).contents ?? [];
        const contents = c.reject
          ? added.map((a) => ({ creator: 'responder', name: a.name }))
          : added.map((a) => ({ ...a, creator: 'responder', transport: { ...c.own[0].transport, candidates: [] } }));
        return this.request(c, { action: c.reject ? 'content-reject' : 'content-accept', sid: c.sid, contents } as Jingle);
      });
    });
  }

  /** Resolves with the first stanza sent from now on that passes `test`. */
  next(test: (el: Element) => boolean): Promise<Element> {
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  /** The next Jingle request of `action` to the client. */
  jingleTo(c: Client, action: string): Promise<Element> {
    return this.next((el) => el.attrs.to === c.jid && el.getChild('jingle', J)?.attrs.action === action);
  }

  async enter(name: string, nick: string): Promise<Client> {
    const c: Client = { jid: `${name}@test/r`, nick, sid: `sid-${name}`, own: [], reject: false };
    this.clients.set(c.jid, c);
    await this.service.receive(x('presence', { from: c.jid, to: `${ROOM}/${nick}` }, x('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    return c;
  }

  /** A Jingle request from the client; resolves with the room's reply. */
  async request(c: Client, j: Jingle): Promise<Element> {
    const id = `q${Math.random().toString(36).slice(2)}`;
    const reply = this.next((el) => el.attrs.id === id && el.attrs.to === c.jid);
    await this.service.receive(x('iq', { type: 'set', id, from: c.jid, to: ROOM }, jingleElement(j)));
    return reply;
  }

  /** session-initiate with audio and video; resolves once the room's session-accept was acknowledged. */
  async initiate(c: Client): Promise<Element> {
    const { contents, groups } = sdpToJingle(sdpOf(participantLines(), { ufrag: c.nick, pwd: `${c.nick}-password-long-enough`, setup: 'actpass', port: 50000 }), 'initiator');
    c.own = contents;
    const accepted = this.jingleTo(c, 'session-accept');
    const res = await this.request(c, { action: 'session-initiate', sid: c.sid, initiator: c.jid, contents, groups } as Jingle);
    assert.equal(res.attrs.type, 'result', res.toString());
    const el = await accepted;
    // The client's acknowledgement goes out on the next turn of the event loop; once it is taken
    // in, the participant is active (its sources are offered to it from then on).
    await turn();
    await turn();
    return el;
  }

  peerOf(c: Client): string {
    const p = this.calls['calls' as keyof CallManager] as unknown as Map<unknown, { participants: Map<string, { peerId: string }> }>;
    for (const call of p.values()) { const q = call.participants.get(c.jid); if (q) return q.peerId; }
    throw new Error(`${c.nick} is in no call`);
  }

  /** The data plane reports the client's audio and video (mids 0 and 1). */
  sources(c: Client): void {
    const peerId = this.peerOf(c);
    this.router.emit({ type: 'source', peerId, kind: 'audio', mid: '0' });
    this.router.emit({ type: 'source', peerId, kind: 'video', mid: '1' });
  }
}

export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
