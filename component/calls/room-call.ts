// The control plane of one room's call (XEP-0166 with XEP-0167/0176/0320/0338/0339): every
// participant holds one Jingle session with the room. The room answers session-initiate, then adds
// every other participant's sources to the session with content-add (labelled with the owner's
// occupant JID), and removes them with content-remove when their owner leaves. Media is the data
// plane's (a MediaRouter, in ids and SDP): nothing here touches RTP or a media library. See docs/calls.md.
import { StanzaError } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import type { MucContext } from '../muc/context.js';
import type { Room } from '../muc/room.js';
import type { MediaOptions } from '../options.js';
import type { FailureReason, Kind, MediaRouter, SpeakerLevel } from '../media/router.js';
import {
  candidateToSdp, completeAnswer, jingleToSdp, labelSources, restrictCandidates, sdpToJingle, transportCandidates,
} from '../../xmpp/jingle-sdp/index.js';
import { jingleElement, jingleError, parseJingle, type Jingle, type JingleContent } from './jingle.js';
import { Participant, type Source } from './participant.js';
import { isScreen, participantOffer, SCREEN_PARAMETER } from './participant-sources.js';
import { LastNForwarding } from './last-n-call.js';
import { isRestartOffer, relayedInfo, withTimeout } from './session-info.js';
import type { LastNSettings } from './last-n.js';
import { callCap } from './call-cap.js';
import { announcesForwarding, discoQuery, forwardingInfo } from './forwarding-info.js';

export class RoomCall {
  readonly participants = new Map<string, Participant>(); // by real full JID

  constructor(
    private readonly ctx: MucContext, readonly room: Room, private readonly router: MediaRouter,
    /** Where candidates may point (bound and public address): the SDP the data plane gives is rewritten. */
    private readonly media: Pick<MediaOptions, 'bindAddress' | 'publicAddress'>,
    private readonly max: number,
    /** Tells the call manager which participant a media peer belongs to. */
    private readonly track: (p: Participant, on: boolean) => void,
    lastN: LastNSettings,
  ) {
    this.lastN = new LastNForwarding(router, lastN, (q, mid, on) => this.tellForwarding(q, mid, on));
  }

  private readonly lastN: LastNForwarding;

  /** Handles one Jingle request from a participant; returning means an empty IQ result. */
  async handle(iq: Element, nick: string): Promise<void> {
    const j = parseJingle(iq);
    const from = iq.attrs.from as string;
    if (j.action === 'session-initiate') return this.initiate(j, from, nick);
    const p = this.participants.get(from);
    if (!p || p.sid !== j.sid) throw jingleError('item-not-found', 'unknown-session');
    switch (j.action) {
      case 'transport-info':
        if (isRestartOffer(j, p)) return this.restartIce(p, j);
        for (const c of j.contents ?? []) {
          for (const cand of transportCandidates(c)) {
            await p.created;
            await this.router.addCandidate(p.peerId, candidateToSdp(cand), c.name);
          }
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
      case 'content-add':
        return this.participantAdd(p, j);
      case 'content-remove':
        this.participantRemove(p, j.contents ?? []);
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
    const cap = callCap(this.max, this.room.config.callMaxParticipants);
    if (cap > 0 && others >= cap) {
      throw new StanzaError('resource-constraint', `The call is full (${cap} participants)`);
    }
    const bad = contents.find((c) => c.application?.applicationType !== NS.JINGLE_RTP);
    const badTransport = contents.find((c) => c.transport?.transportType !== NS.JINGLE_ICE);
    const noDtls = contents.find((c) => !(c.transport as { fingerprints?: unknown[] } | undefined)?.fingerprints?.length);
    // Translate now so that malformed descriptions are refused in the IQ reply, not later.
    let offerSdp = '';
    if (!bad && !badTransport && !noDtls) {
      try {
        offerSdp = jingleToSdp({ contents, groups: j.groups }, 'initiator');
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
    const p = new Participant(from, nick, j.sid);
    p.own = contents;
    this.participants.set(from, p);
    this.track(p, true);
    // Does it take forwarding session-info (forwarding-info.ts)? Asked once per session; errors mean no.
    this.ctx.request(discoQuery(this.room.jid, from, this.ctx.nextId())).then((r) => {
      p.hearsForwarding = announcesForwarding(r);
      // what was paused before the answer came
      for (const [mid, sub] of p.subscriptions) if (sub.paused && !sub.removed) this.tellForwarding(p, mid, false);
    }, () => undefined);
    this.lastN.join(p, this.participants.values());
    p.created = this.router.createPeer(this.room.jid, p.peerId);
    p.created.catch(() => undefined);
    setImmediate(() => void this.accept(p, j, offerSdp));
  }

  private async accept(p: Participant, j: Jingle, offerSdp: string): Promise<void> {
    const from = p.jid;
    if (p.closed) return;
    try {
      await p.created;
      const answer = await this.router.answer(p.peerId, offerSdp);
      p.localSdp = answer;
      // its sources came as events before the answer (one port, in order): offered to the others at once
      if (p.sources.size > 0) this.renegotiateOthers(p);
      if (p.closed) return;
      const { contents, groups } = sdpToJingle(answer, 'responder');
      restrictCandidates(contents, this.media);
      const accept = jingleElement({ action: 'session-accept', sid: j.sid, responder: this.room.jid as never, contents, groups } as Jingle);
      await this.ctx.request(this.iq(from, accept));
      p.active = true;
      for (const s of p.sources.values()) void this.router.requestKeyframe({ peerId: p.peerId, mid: s.mid }).catch(() => undefined);
      void this.renegotiate(p);
    } catch (e) {
      this.ctx.log.warn({ err: (e as Error).message, room: this.room.jid }, 'session-accept failed');
      this.remove(p, 'failed-application');
    }
  }

  /** The data plane saw a new source of a participant: offer it to everyone else. */
  sourceAdded(owner: Participant, kind: Kind, mid: string): void {
    if (owner.closed || owner.sources.has(mid)) return;
    owner.sources.set(mid, { owner, kind, mid });
    // A newcomer's sources (its audio and its video) are all seen while its offer is applied: the
    // others get them in one content-add once it is (accept), not one per source — a room of N
    // then renegotiates N − 1 sessions per join instead of 2(N − 1).
    if (!owner.localSdp) return;
    this.renegotiateOthers(owner);
  }

  private renegotiateOthers(owner: Participant): void {
    for (const q of this.participants.values()) if (q !== owner) void this.renegotiate(q);
  }

  /** The data plane's report of who speaks (RFC 6464 levels): last-N follows it. */
  speakers(sources: readonly SpeakerLevel[]): void {
    this.lastN.speakers(sources, this.participants.values());
  }

  /** A source went away: those who receive it get content-remove for it. */
  sourceGone(owner: Participant, mid: string): void {
    const source = owner.sources.get(mid);
    if (!source) return;
    owner.sources.delete(mid);
    owner.declined.delete(source);
    for (const q of this.participants.values()) {
      const names = this.unsubscribe(q, (sub) => sub.source === source);
      if (names.length === 0) continue;
      void Promise.all(names.map((mid) => this.router.unforward({ peerId: q.peerId, mid }).catch(() => undefined))).then(() => {
        if (q.active && !q.closed) this.contentRemove(q, names, `${this.ownerJid(owner)} stopped sending`);
      });
    }
  }

  /** The data plane lost the participant's media: end its session. */
  peerFailed(p: Participant, reason: FailureReason, text: string): void {
    this.ctx.log.info({ room: this.room.jid, nick: p.nick, why: text }, reason === 'media' ? 'call media failed' : 'call participant vanished');
    // XEP-0166 §7.4: connectivity-error when the peer cannot be reached, media-error when our media failed.
    this.remove(p, reason === 'media' ? 'media-error' : 'connectivity-error', reason === 'media' ? 'The call\'s media service stopped' : undefined);
  }

  /** Bring q's session up to date with every other participant's sources, one content-add at a time. */
  private async renegotiate(q: Participant): Promise<void> {
    if (!q.active || q.closed) return;
    if (q.negotiating) { q.dirty = true; return; }
    const wanted: Array<{ owner: Participant; source: Source }> = [];
    for (const owner of this.participants.values()) {
      if (owner === q || owner.closed) continue;
      for (const source of owner.sources.values()) if (!q.receives(source)) wanted.push({ owner, source });
    }
    if (wanted.length === 0) return;
    q.negotiating = true;
    q.dirty = false;
    try {
      // a screen is a stream of its own, so that receivers show it beside its owner's camera
      const screen = (w: { owner: Participant; source: Source }) => w.owner.screens.has(w.source.mid);
      const offer = await this.router.offerSenders(q.peerId, wanted.map((w) => ({ kind: w.source.kind, streamId: w.owner.streamId + (screen(w) ? '-screen' : '') })));
      q.localSdp = offer.sdp;
      const { contents, groups } = sdpToJingle(offer.sdp, 'responder');
      restrictCandidates(contents, this.media);
      const names = offer.mids;
      const owners = new Map(wanted.map((w, i) => [names[i], this.ownerJid(w.owner)]));
      const screens = new Set(names.filter((_, i) => screen(wanted[i])));
      const added = contents.filter((c) => names.includes(c.name))
        .map((c) => labelSources({ ...c, creator: 'responder' as const }, owners.get(c.name)!, screens.has(c.name)));
      const settled = new Promise<JingleContent[] | 'rejected'>((resolve) => {
        q.pending = {
          names, offered: { contents, groups },
          entries: wanted.map((w, i) => ({ ...w, mid: names[i] })),
          settle: resolve,
        };
      });
      const el = jingleElement({ action: 'content-add', sid: q.sid, contents: added, groups } as Jingle);
      this.ctx.log.debug({ to: q.nick, names, wanted: wanted.map((w) => w.owner.nick + ':' + w.source.mid) }, 'content-add');
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

  /**
   * A participant adds a source of its own (a shared screen): XEP-0166 §6.7. Acknowledged at once,
   * answered with content-accept; its media then reaches the others like any other source.
   */
  private participantAdd(p: Participant, j: Jingle): void {
    const added = j.contents ?? [];
    if (!p.active) throw jingleError('unexpected-request', 'out-of-order', undefined, 'cancel');
    // glare with a content-add of ours still unanswered: the room's goes first (§6.7, tie-break)
    if (p.negotiating || p.pending) throw jingleError('conflict', 'tie-break', 'A content-add to you is pending', 'cancel');
    const taken = new Set([...p.own.map((c) => c.name), ...p.accepted.keys(), ...p.subscriptions.keys()]);
    for (const c of added) {
      if (!c.name || !c.application || c.creator !== 'initiator') throw jingleError('bad-request', undefined, 'Each added content needs a name, a description and creator=initiator');
      if (c.application.applicationType !== NS.JINGLE_RTP) throw jingleError('feature-not-implemented', 'unsupported-info', 'Only RTP contents can be added');
      if (taken.has(c.name)) throw jingleError('conflict', undefined, `A content named ${c.name} exists`);
    }
    if (added.length === 0) throw jingleError('bad-request', undefined, 'content-add without contents');
    p.negotiating = true;
    setImmediate(() => void this.acceptAdd(p, j, added));
  }

  private async acceptAdd(p: Participant, j: Jingle, added: JingleContent[]): Promise<void> {
    try {
      const local = p.localSdp;
      const mids = [...local.matchAll(/^a=mid:(\S+)/gm)].map((m) => m[1]);
      const contents = participantOffer({ mids, own: p.own, accepted: p.accepted, room: sdpToJingle(local, 'responder').contents, added });
      const names = added.map((c) => c.name);
      // known before the media arrives: its first packets already make it a source for the others
      for (const c of added) if (isScreen(c)) p.screens.add(c.name);
      p.localSdp = await this.router.answerAgain(p.peerId, jingleToSdp({ contents, groups: j.groups }, 'initiator'), names);
      const answer = sdpToJingle(p.localSdp, 'responder');
      restrictCandidates(answer.contents, this.media);
      p.own.push(...added);
      // with the BUNDLE group, which now names the added contents too (XEP-0338)
      const el = jingleElement({ action: 'content-accept', sid: p.sid, contents: answer.contents.filter((c) => names.includes(c.name)).map((c) => ({ ...c, creator: 'initiator' as const })), groups: answer.groups } as Jingle);
      await this.ctx.request(this.iq(p.jid, el));
    } catch (e) {
      this.ctx.log.warn({ err: (e as Error).message, room: this.room.jid, nick: p.nick }, 'participant content-add failed');
      for (const c of added) p.screens.delete(c.name);
      p.negotiating = false;
      this.remove(p, 'failed-application');
      return;
    }
    p.negotiating = false;
    void this.renegotiate(p);
  }

  /** The participant stops one of its sources (§6.9): the others stop receiving it. */
  private participantRemove(p: Participant, removed: JingleContent[]): void {
    // only its own contents: the room's (forwarded to it) are not its to remove
    const names = removed.map((c) => c.name).filter((n) => p.own.some((c) => c.name === n));
    for (const name of names) {
      p.screens.delete(name);
      p.own = p.own.map((c) => (c.name === name ? { ...c, senders: 'none' } : c));
      this.sourceGone(p, name);
    }
  }

  /** Complete our offer with the participant's answer: its own contents plus what it accepted. */
  private async applyAnswer(q: Participant, answer: JingleContent[] | 'rejected'): Promise<void> {
    const pending = q.pending!;
    q.pending = undefined;
    if (answer !== 'rejected') for (const c of answer) q.accepted.set(c.name, c);
    const latest = (answer !== 'rejected' ? answer[0]?.transport : undefined) ?? [...q.accepted.values()][0]?.transport ?? q.own[0]?.transport;
    // after an ICE restart, the transports seen before carry credentials that would restart ICE again
    const transport = q.remoteIce && latest ? { ...latest, ...q.remoteIce } as typeof latest : latest;
    const contents = completeAnswer({ offered: pending.offered.contents, own: q.own, accepted: q.accepted, transport });
    await this.router.applyAnswer(q.peerId, jingleToSdp({ contents, groups: pending.offered.groups }, 'initiator'));
    if (answer === 'rejected') {
      for (const e of pending.entries) q.declined.add(e.source);
      return;
    }
    const departed: string[] = [];
    for (const e of pending.entries) {
      const name = e.mid;
      if (!q.accepted.has(name)) continue;
      // Its owner left (or its source went) while this content-add was under way: remove it again at once.
      if (e.owner.closed || e.owner.sources.get(e.source.mid) !== e.source) { departed.push(name); continue; }
      // last-N: a video the receiver is not to get now is set up paused
      const paused = !this.lastN.wanted(q, e);
      q.subscriptions.set(name, { owner: e.owner, source: e.source, removed: false, paused });
      if (paused) this.tellForwarding(q, name, false);
      try {
        await this.router.forward({ peerId: e.owner.peerId, mid: e.source.mid }, { peerId: q.peerId, mid: name }, paused ? { paused } : undefined);
      } catch {
        // The owner's peer closed in the meantime (it is being removed): nothing to forward.
        const sub = q.subscriptions.get(name);
        if (sub && !sub.removed) { sub.removed = true; departed.push(name); }
      }
    }
    if (departed.length > 0) this.contentRemove(q, departed, 'a participant left the call');
  }

  /** XEP-0167 §7 informational messages (mute/unmute) are relayed to those who receive the source. */
  /**
   * The participant restarts ICE (XEP-0176 §2.4; see client/src/protocol/ice-restart.ts for the
   * wire forms): new ufrag/pwd without candidates. Answered after the IQ result with our own new
   * ufrag/pwd and candidates in a transport-info, as Conversations does. A restart that crosses a
   * content-add of ours is refused with <tie-break/> (XEP-0166 §7.2.16): the participant takes
   * the content-add first and offers the restart again; a content-add that comes up while a
   * restart is applied waits behind it (renegotiate sees `negotiating`).
   */
  private restartIce(p: Participant, j: Jingle): void {
    if (p.negotiating || p.pending) throw jingleError('conflict', 'tie-break', 'A content-add is under way', 'cancel');
    const t = (j.contents ?? [])[0]!.transport as unknown as { usernameFragment: string; password: string };
    p.negotiating = true;
    p.remoteIce = { usernameFragment: t.usernameFragment, password: t.password };
    // started now, so that the candidates right behind the offer wait for it (addCandidate)
    const answer = p.created.then(() => this.router.restartIce(p.peerId, { ufrag: t.usernameFragment, pwd: t.password }));
    answer.catch(() => undefined); // awaited below, after the IQ result
    setImmediate(() => void (async () => {
      try {
        const sdp = await answer;
        p.localSdp = sdp;
        const { contents } = sdpToJingle(sdp, 'responder');
        if (p.closed) return;
        restrictCandidates(contents, this.media);
        const added = new Set(p.accepted.keys());
        const el = jingleElement({
          action: 'transport-info', sid: p.sid,
          contents: contents.map((c) => ({ creator: added.has(c.name) ? 'responder' : 'initiator', name: c.name, transport: c.transport })),
        } as Jingle);
        this.ctx.log.debug({ room: this.room.jid, nick: p.nick }, 'ICE restart answered');
        await this.ctx.request(this.iq(p.jid, el));
      } catch (e) {
        this.ctx.log.warn({ err: (e as Error).message, room: this.room.jid, nick: p.nick }, 'ICE restart failed');
        this.remove(p, 'failed-transport');
        return;
      } finally {
        p.negotiating = false;
      }
      if (p.dirty) void this.renegotiate(p);
    })());
  }

  /** XEP-0167 §7 mute/unmute of a participant: relayed to those who receive the contents it names. */
  private relayInfo(p: Participant, iq: Element): void {
    for (const { to, el } of relayedInfo(p, iq, this.participants.values())) this.ctx.request(this.iq(to.jid, el)).catch(() => undefined);
  }

  /** Remove a participant: end its session (with a reason unless it ended it) and update the others. */
  remove(p: Participant, reason: string | undefined, text?: string): void {
    if (p.closed) return;
    p.closed = true;
    if (this.participants.get(p.jid) === p) this.participants.delete(p.jid);
    this.lastN.leave(p, this.participants.values());
    p.pending?.settle('rejected');
    if (reason) this.terminate(p.jid, p.sid, reason, text);
    const removals: Array<{ q: Participant; names: string[] }> = [];
    for (const q of this.participants.values()) {
      const names = this.unsubscribe(q, (sub) => sub.owner === p);
      if (names.length > 0) removals.push({ q, names });
    }
    const left = `${this.ownerJid(p)} left the call`;
    // Closing the peer also stops whatever the data plane forwarded from it to the others; they are
    // told once it has (content-remove then means no more of that media arrives).
    void this.router.closePeer(p.peerId).catch(() => undefined).then(() => {
      this.track(p, false);
      for (const { q, names } of removals) if (q.active && !q.closed) this.contentRemove(q, names, left);
    });
  }

  /** Mark q's matching subscriptions removed; their names. */
  private unsubscribe(q: Participant, which: (sub: { owner: Participant; source: Source }) => boolean): string[] {
    const names: string[] = [];
    for (const [name, sub] of q.subscriptions) {
      if (sub.removed || !which(sub)) continue;
      sub.removed = true;
      names.push(name);
    }
    return names;
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

  /** Last-N paused or resumed a video at q: told if q announced it takes it; its errors are ignored. */
  private tellForwarding(q: Participant, mid: string, on: boolean): void {
    if (q.hearsForwarding && q.active && !q.closed) this.ctx.request(this.iq(q.jid, forwardingInfo(q, mid, on))).catch(() => undefined);
  }

  private iq(to: string, jingle: Element): Element {
    return x('iq', { from: this.room.jid, to, type: 'set', id: this.ctx.nextId() }, jingle);
  }

  async stop(): Promise<void> {
    for (const p of [...this.participants.values()]) this.remove(p, 'success');
  }
}
