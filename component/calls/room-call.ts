// The control plane of one room's call (XEP-0166 with XEP-0167/0176/0320/0338/0339): every
// participant holds one Jingle session with the room. The room answers session-initiate, then adds
// every other participant's sources to the session with content-add (labelled with the owner's
// occupant JID), and removes them with content-remove when their owner leaves. See docs/calls.md.
import { StanzaError } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import type { MucContext } from '../muc/context.js';
import type { Room } from '../muc/room.js';
import type { MediaOptions } from '../options.js';
import {
  candidateToSdp, jingleElement, jingleError, jingleToSdp, labelSources, parseJingle, rewriteCandidates, sdpToJingle,
  transportCandidates, type Jingle, type JingleContent,
} from './jingle-sdp.js';
import { MediaPeer, type IncomingSource } from './media-peer.js';
import { Participant } from './participant.js';
import { completeAnswer } from './answer.js';

export class RoomCall {
  readonly participants = new Map<string, Participant>(); // by real full JID

  constructor(private readonly ctx: MucContext, readonly room: Room, private readonly media: MediaOptions, private readonly max: number) {}

  /** Handles one Jingle request from a participant; returning means an empty IQ result. */
  async handle(iq: Element, nick: string): Promise<void> {
    const j = parseJingle(iq);
    const from = iq.attrs.from as string;
    if (j.action === 'session-initiate') return this.initiate(j, from, nick);
    const p = this.participants.get(from);
    if (!p || p.sid !== j.sid) throw jingleError('item-not-found', 'unknown-session');
    switch (j.action) {
      case 'transport-info':
        for (const c of j.contents ?? []) {
          for (const cand of transportCandidates(c)) await p.peer.addCandidate(candidateToSdp(cand), c.name);
        }
        return;
      case 'content-accept':
      case 'content-reject':
        if (!p.pending) throw jingleError('unexpected-request', 'out-of-order', undefined, 'cancel');
        p.pending.settle(j.action === 'content-accept' ? j.contents ?? [] : 'rejected');
        return;
      case 'session-info':
        this.relayInfo(p, iq);
        return;
      case 'session-terminate':
        setImmediate(() => this.remove(p, undefined));
        return;
      case 'session-accept':
        // The room is the responder of every session: it never sends session-initiate.
        throw jingleError('unexpected-request', 'out-of-order', undefined, 'cancel');
      default:
        throw new StanzaError('feature-not-implemented', `${j.action} is not supported by this call service`);
    }
  }

  private initiate(j: Jingle, from: string, nick: string): void {
    const contents = j.contents ?? [];
    if (contents.length === 0) throw jingleError('bad-request', undefined, 'session-initiate without contents');
    for (const c of contents) {
      if (!c.name || !c.application || !c.transport) throw jingleError('bad-request', undefined, 'Each content needs a name, a description and a transport');
      const codecs = (c.application as { codecs?: Array<{ id: string }> }).codecs ?? [];
      if (codecs.some((pt) => !/^\d{1,3}$/.test(pt.id) || Number(pt.id) > 127)) throw jingleError('bad-request', undefined, 'Payload type ids are 0-127');
    }
    const existing = this.participants.get(from);
    if (existing?.sid === j.sid) throw jingleError('unexpected-request', 'out-of-order', 'Session already initiated', 'cancel');
    const others = [...this.participants.values()].filter((p) => p.jid !== from).length;
    if (this.max > 0 && others >= this.max) {
      throw new StanzaError('resource-constraint', `The call is full (${this.max} participants)`);
    }
    const bad = contents.find((c) => c.application?.applicationType !== NS.JINGLE_RTP);
    const badTransport = contents.find((c) => c.transport?.transportType !== NS.JINGLE_ICE);
    const noDtls = contents.find((c) => !(c.transport as { fingerprints?: unknown[] } | undefined)?.fingerprints?.length);
    // Translate now so that malformed descriptions are refused in the IQ reply, not later.
    let offerSdp = '';
    if (!bad && !badTransport && !noDtls) {
      try {
        offerSdp = jingleToSdp(contents, j.groups, 'initiator');
      } catch (e) {
        throw jingleError('bad-request', undefined, `Cannot use this description: ${(e as Error).message}`);
      }
    }
    if (existing) this.remove(existing, 'success');
    if (bad || badTransport || noDtls) {
      setImmediate(() => {
        // XEP-0166 responder rules: acknowledge first, then refuse what cannot be used with a session-terminate.
        if (bad) return this.terminate(from, j.sid, 'unsupported-applications');
        if (badTransport) return this.terminate(from, j.sid, 'unsupported-transports');
        return this.terminate(from, j.sid, 'security-error', 'DTLS-SRTP (XEP-0320) is required');
      });
      return;
    }
    // Known from now on, so that trickled candidates (transport-info) right behind are not refused.
    const peer = new MediaPeer(this.media);
    const p = new Participant(from, nick, j.sid, peer);
    p.own = contents;
    this.participants.set(from, p);
    peer.onSource = (s) => this.sourceAdded(p, s);
    peer.onGone = (why) => { this.ctx.log.info({ room: this.room.jid, nick: p.nick, why }, 'call participant vanished'); this.remove(p, 'connectivity-error'); };
    setImmediate(() => void this.accept(p, j, offerSdp));
  }

  private async accept(p: Participant, j: Jingle, offerSdp: string): Promise<void> {
    const { peer, jid: from } = p;
    if (p.closed) return;
    try {
      const answer = await peer.answer(offerSdp);
      if (p.closed) return;
      const { contents, groups } = sdpToJingle(answer, 'responder');
      rewriteCandidates(contents, this.media);
      const accept = jingleElement({ action: 'session-accept', sid: j.sid, responder: this.room.jid as never, contents, groups } as Jingle);
      await this.ctx.request(this.iq(from, accept));
      p.active = true;
      for (const s of peer.sources.values()) requestKeyframes(s);
      void this.renegotiate(p);
    } catch (e) {
      this.ctx.log.warn({ err: (e as Error).message, room: this.room.jid }, 'session-accept failed');
      this.remove(p, 'failed-application');
    }
  }

  private sourceAdded(owner: Participant, _s: IncomingSource): void {
    for (const q of this.participants.values()) if (q !== owner) void this.renegotiate(q);
  }

  /** Bring q's session up to date with every other participant's sources, one content-add at a time. */
  private async renegotiate(q: Participant): Promise<void> {
    if (!q.active || q.closed) return;
    if (q.negotiating) { q.dirty = true; return; }
    const wanted: Array<{ owner: Participant; source: IncomingSource }> = [];
    for (const owner of this.participants.values()) {
      if (owner === q || owner.closed) continue;
      for (const source of owner.peer.sources.values()) if (!q.receives(source)) wanted.push({ owner, source });
    }
    if (wanted.length === 0) return;
    q.negotiating = true;
    q.dirty = false;
    try {
      const transceivers = q.peer.addSenders(wanted.map((w) => w.source.kind));
      transceivers.forEach((t, i) => { t.sender.streamId = wanted[i].owner.streamId; });
      const { contents, groups } = sdpToJingle(await q.peer.offer(), 'responder');
      rewriteCandidates(contents, this.media);
      const names = transceivers.map((t) => t.mid!);
      const owners = new Map(wanted.map((w, i) => [names[i], this.ownerJid(w.owner)]));
      const added = contents.filter((c) => names.includes(c.name)).map((c) => ({ ...c, creator: 'responder' as const }));
      const settled = new Promise<JingleContent[] | 'rejected'>((resolve) => {
        q.pending = {
          names, offered: { contents, groups },
          entries: wanted.map((w, i) => ({ ...w, transceiver: transceivers[i] })),
          settle: resolve,
        };
      });
      const el = jingleElement({ action: 'content-add', sid: q.sid, contents: added, groups } as Jingle);
      this.ctx.log.debug({ to: q.nick, names, wanted: wanted.map((w) => w.owner.nick + ':' + w.source.mid) }, 'content-add');
      labelSources(el, owners);
      await this.ctx.request(this.iq(q.jid, el));
      const answer = await withTimeout(settled, 15000);
      await this.applyAnswer(q, answer);
    } catch (e) {
      this.ctx.log.warn({ err: (e as Error).message, room: this.room.jid, nick: q.nick }, 'content-add failed');
      q.pending = undefined;
      q.negotiating = false;
      this.remove(q, 'failed-application');
      return;
    }
    q.negotiating = false;
    if (q.dirty) void this.renegotiate(q);
  }

  /** Complete our offer with the participant's answer: its own contents plus what it accepted. */
  private async applyAnswer(q: Participant, answer: JingleContent[] | 'rejected'): Promise<void> {
    const pending = q.pending!;
    q.pending = undefined;
    if (answer !== 'rejected') for (const c of answer) q.accepted.set(c.name, c);
    const transport = (answer !== 'rejected' ? answer[0]?.transport : undefined) ?? [...q.accepted.values()][0]?.transport ?? q.own[0]?.transport;
    const contents = completeAnswer({ offered: pending.offered.contents, own: q.own, accepted: q.accepted, transport });
    await q.peer.applyAnswer(jingleToSdp(contents, pending.offered.groups, 'initiator'));
    if (answer === 'rejected') {
      for (const e of pending.entries) q.declined.add(e.source);
      return;
    }
    const departed: string[] = [];
    for (const e of pending.entries) {
      const name = e.transceiver.mid!;
      if (!q.accepted.has(name)) continue;
      // Its owner left while this content-add was under way: remove it again at once.
      if (e.owner.closed) { departed.push(name); continue; }
      const stop = q.peer.forward(e.source, e.transceiver);
      q.subscriptions.set(name, { owner: e.owner, source: e.source, transceiver: e.transceiver, stop, removed: false });
      requestKeyframes(e.source);
    }
    if (departed.length > 0) this.contentRemove(q, departed, 'a participant left the call');
  }

  /** XEP-0167 §7 informational messages (mute/unmute) are relayed to those who receive the source. */
  private relayInfo(p: Participant, iq: Element): void {
    const infos = iq.getChild('jingle', NS.JINGLE)!.getChildElements().filter((c) => c.attrs.xmlns === NS.JINGLE_RTP_INFO && (c.name === 'mute' || c.name === 'unmute'));
    for (const info of infos) {
      const mids = info.attrs.name ? [info.attrs.name as string] : p.own.map((c) => c.name);
      for (const q of this.participants.values()) {
        if (q === p || !q.active) continue;
        for (const [name, sub] of q.subscriptions) {
          if (sub.owner !== p || sub.removed || !mids.includes(sub.source.mid)) continue;
          const el = x('jingle', { xmlns: NS.JINGLE, action: 'session-info', sid: q.sid },
            x(info.name, { xmlns: NS.JINGLE_RTP_INFO, creator: 'responder', name }));
          this.ctx.request(this.iq(q.jid, el)).catch(() => undefined);
        }
      }
    }
  }

  /** Remove a participant: end its session (with a reason unless it ended it) and update the others. */
  remove(p: Participant, reason: string | undefined): void {
    if (p.closed) return;
    p.closed = true;
    if (this.participants.get(p.jid) === p) this.participants.delete(p.jid);
    p.pending?.settle('rejected');
    for (const s of p.subscriptions.values()) s.stop();
    if (reason) this.terminate(p.jid, p.sid, reason);
    void p.peer.close();
    for (const q of this.participants.values()) {
      const names: string[] = [];
      for (const [name, sub] of q.subscriptions) {
        if (sub.owner !== p || sub.removed) continue;
        sub.stop();
        sub.removed = true;
        names.push(name);
      }
      if (names.length === 0 || !q.active) continue;
      this.contentRemove(q, names, `${this.ownerJid(p)} left the call`);
    }
  }

  private contentRemove(q: Participant, names: string[], text: string): void {
    const el = x('jingle', { xmlns: NS.JINGLE, action: 'content-remove', sid: q.sid },
      ...names.map((name) => x('content', { creator: 'responder', name })),
      x('reason', {}, x('gone'), x('text', {}, text)));
    this.ctx.request(this.iq(q.jid, el)).catch(() => undefined);
  }

  private terminate(to: string, sid: string, reason: string, text?: string): void {
    const el = x('jingle', { xmlns: NS.JINGLE, action: 'session-terminate', sid },
      x('reason', {}, x(reason), text ? x('text', {}, text) : undefined));
    this.ctx.request(this.iq(to, el)).catch(() => undefined);
  }

  /** The occupant JID that labels a participant's sources (follows nickname changes). */
  private ownerJid(p: Participant): string {
    return this.room.occupantJid(this.room.occupantByJid(p.jid)?.nick ?? p.nick);
  }

  private iq(to: string, jingle: Element): Element {
    return x('iq', { from: this.room.jid, to, type: 'set', id: this.ctx.nextId() }, jingle);
  }

  async stop(): Promise<void> {
    for (const p of [...this.participants.values()]) this.remove(p, 'success');
  }
}

function requestKeyframes(s: IncomingSource): void {
  for (const ms of [200, 800, 2000]) setTimeout(() => s.requestKeyframe(), ms).unref();
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no answer to content-add')), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e as Error); });
  });
}
