// Carillon's SFU driven as clients see it: each participant is an XMPP client (@xmpp/client over
// the server's WebSocket endpoint, RFC 7395) that enters a room of the call service (XEP-0045) and
// calls the room with Jingle (XEP-0166/0167, ICE-UDP XEP-0176, DTLS-SRTP XEP-0320); the room answers
// with session-accept and adds every other participant's sources with content-add, which the
// participant answers with content-accept. Media is werift sending the synthetic RTP.
import { client, xml, type XmppClient } from '@xmpp/client';
import type { Element } from 'ltx';
import { RTCPeerConnection } from 'werift';
import WebSocket from 'ws';
import { jingleElement, parseJingle, type Jingle, type JingleContent } from '../../component/calls/jingle.js';
import { jingleToSdp, sdpToJingle } from '../../xmpp/jingle-sdp/index.js';
import { LeanReceive } from './lean-receive.js';
import { audioLevelExtensions, audioLevelId, peerConfig, SyntheticSource, StreamCounter } from './synthetic.js';
import type { RoomLoad, RoomOptions } from './load-types.js';

// Node 20 has no global WebSocket; @xmpp/websocket expects one.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const NS_JINGLE = 'urn:xmpp:jingle:1';
const NS_MUC = 'http://jabber.org/protocol/muc';

export interface CarillonTarget {
  wsUrl: string;
  domain: string;
  callDomain: string;
  password: string;
  user: (i: number) => string;
}

/** Loopback only: our peers bind 127.0.0.1, other host candidates would be dead weight for ICE. */
function loopbackOnly(contents: JingleContent[]): JingleContent[] {
  for (const c of contents) {
    const t = c.transport as { candidates?: Array<{ ip: string }> } | undefined;
    if (t?.candidates) t.candidates = t.candidates.filter((k) => k.ip === '127.0.0.1');
  }
  return contents;
}

const timeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`timeout: ${what}`)), ms).unref())]);

class Participant {
  readonly sid = `b${Math.random().toString(36).slice(2)}`;
  readonly source = new SyntheticSource();
  pc!: RTCPeerConnection;
  private remote: JingleContent[] = [];
  private groups: Jingle['groups'] = [];
  private queue: Promise<void> = Promise.resolve();
  private waiters: Array<{ pred: (el: Element) => boolean; resolve: (el: Element) => void }> = [];
  private accepted!: Promise<void>;
  errors: string[] = [];
  onWire = 0;
  /** This participant's received streams (also in the room's `counters`). */
  readonly own: StreamCounter[] = [];

  constructor(readonly xmpp: XmppClient, readonly room: string, readonly o: RoomOptions, readonly counters: StreamCounter[], readonly level?: number) {
    // Jingle requests are ours to answer; the library's default reply is withheld.
    xmpp.iqCallee.set(NS_JINGLE, 'jingle', () => new Promise(() => undefined));
    xmpp.on('stanza', (el: Element) => this.onStanza(el));
  }

  private onStanza(el: Element): void {
    const i = this.waiters.findIndex((w) => w.pred(el));
    if (i >= 0) { this.waiters.splice(i, 1)[0].resolve(el); return; }
    if (el.name !== 'iq' || el.attrs.type !== 'set' || el.attrs.from !== this.room) return;
    const jingle = el.getChild('jingle', NS_JINGLE);
    if (!jingle || jingle.attrs.sid !== this.sid) return;
    void this.xmpp.send(xml('iq', { type: 'result', to: el.attrs.from as string, id: el.attrs.id as string }));
    const j = parseJingle(el as never);
    // Requests of one session are applied in order (XEP-0166 §7.3).
    this.queue = this.queue.then(() => this.apply(j)).catch((e: Error) => { this.errors.push(`${j.action}: ${e.message}`); });
  }

  private waitFor(pred: (el: Element) => boolean, ms: number, what: string): Promise<Element> {
    return timeout(new Promise<Element>((resolve) => this.waiters.push({ pred, resolve })), ms, what);
  }

  private async iq(payload: Element): Promise<Element> {
    const id = `q${Math.random().toString(36).slice(2)}`;
    const reply = this.waitFor((el) => el.name === 'iq' && el.attrs.id === id, 15_000, `reply to ${id}`);
    await this.xmpp.send(xml('iq', { type: 'set', to: this.room, id }, payload));
    return reply;
  }

  async enter(nick: string): Promise<void> {
    const self = this.waitFor((el) => el.name === 'presence' && el.attrs.from === `${this.room}/${nick}`
      && (el.getChild('x', `${NS_MUC}#user`)?.getChildren('status') ?? []).some((s) => s.attrs.code === '110'), 15_000, `enter as ${nick}`);
    await this.xmpp.send(xml('presence', { to: `${this.room}/${nick}` }, xml('x', { xmlns: NS_MUC })));
    await self;
  }

  private resolveAccepted!: () => void;

  async call(): Promise<void> {
    this.accepted = new Promise((r) => { this.resolveAccepted = r; });
    // With a level to send, the offer carries the RFC 6464 audio level extension, as browsers' do.
    const levels = this.level === undefined ? {} : { headerExtensions: audioLevelExtensions() };
    const pc = (this.pc = new RTCPeerConnection({ ...peerConfig(this.o.peerPorts), ...levels }));
    const at = pc.addTransceiver(this.source.audio, { direction: 'sendrecv' });
    const vt = pc.addTransceiver(this.source.video, { direction: 'sendrecv' });
    if (process.env.MEDIABENCH_DEBUG) {
      // How many packets leave through werift, against how many the source wrote.
      for (const t of [at, vt]) {
        const send = t.sender.sendRtp.bind(t.sender);
        t.sender.sendRtp = (rtp) => { this.onWire++; return send(rtp); };
      }
    }
    vt.sender.onPictureLossIndication.subscribe(() => { this.source.forceKey = true; });
    // Packets are counted as they arrive (bench/media/lean-receive.ts); werift decrypts samples.
    const lean = new LeanReceive(this.o.latency, (c) => { this.counters.push(c); this.own.push(c); });
    // werift announces a track again when a renegotiation touches its m-line: listen to each once.
    const seen = new WeakSet<object>();
    pc.onTrack.subscribe((track) => {
      lean.quietNacks(pc);
      if (seen.has(track)) return;
      seen.add(track);
      track.onReceiveRtp.subscribe((rtp) => lean.sampled(track.kind, rtp));
    });
    await pc.setLocalDescription(await pc.createOffer());
    lean.attach(pc);
    if (this.level !== undefined) {
      const id = audioLevelId(at);
      if (id === undefined) throw new Error('werift did not offer the audio level extension');
      this.source.levelId = id;
      this.source.level = this.level;
    }
    const { contents, groups } = sdpToJingle(pc.localDescription!.sdp, 'initiator');
    loopbackOnly(contents);
    const res = await this.iq(jingleElement({ action: 'session-initiate', sid: this.sid, initiator: String(this.xmpp.jid) as never, contents, groups } as Jingle) as never);
    if (res.attrs.type !== 'result') throw new Error(`session-initiate refused: ${res.toString()}`);
    await timeout(this.accepted, 60_000, 'session-accept');
    await timeout(new Promise<void>((res2, rej) => {
      if (pc.connectionState === 'connected') return res2();
      pc.connectionStateChange.subscribe((s) => { if (s === 'connected') res2(); if (s === 'failed') rej(new Error('ICE/DTLS failed')); });
    }), 60_000, 'connected');
  }

  private async apply(j: Jingle): Promise<void> {
    if (j.action === 'session-accept') {
      this.remote = j.contents ?? [];
      this.groups = j.groups ?? [];
      await this.pc.setRemoteDescription({ type: 'answer', sdp: jingleToSdp({ contents: this.remote, groups: this.groups }, 'responder') });
      this.resolveAccepted();
    } else if (j.action === 'content-add') {
      const added = j.contents ?? [];
      this.remote.push(...added);
      if (j.groups?.length) this.groups = j.groups;
      // The room's whole session as an offer; our answer's new contents go back in content-accept.
      await this.pc.setRemoteDescription({ type: 'offer', sdp: jingleToSdp({ contents: this.remote, groups: this.groups }, 'responder') });
      await this.pc.setLocalDescription(await this.pc.createAnswer());
      const local = sdpToJingle(this.pc.localDescription!.sdp, 'initiator');
      const names = new Set(added.map((c) => c.name));
      const accept = loopbackOnly(local.contents).filter((c) => names.has(c.name)).map((c) => ({ ...c, creator: 'responder' as const }));
      const r = await this.iq(jingleElement({ action: 'content-accept', sid: this.sid, contents: accept } as Jingle) as never);
      if (r.attrs.type !== 'result') this.errors.push(`content-accept refused: ${r.toString()}`);
    } else if (j.action === 'session-terminate') {
      this.errors.push(`session-terminate: ${j.reason?.condition ?? '?'}`);
    }
  }

  async hangUp(): Promise<void> {
    await timeout(this.iq(xml('jingle', { xmlns: NS_JINGLE, action: 'session-terminate', sid: this.sid }, xml('reason', {}, xml('success')))), 3000, 'terminate').catch(() => {});
    await this.pc.close().catch(() => {});
    await timeout(this.xmpp.stop(), 2000, 'stop').catch(() => {});
  }
}

export function carillonRoom(t: CarillonTarget, o: RoomOptions): RoomLoad {
  const room = o.room;
  const parts: Participant[] = [];
  const counters: StreamCounter[] = [];
  const errors = (): string => parts.flatMap((p) => p.errors).join('; ');
  return {
    counters,
    async publish() {
      const t0 = performance.now();
      try {
        for (const i of o.members) {
          const username = t.user(i);
          const xmpp = client({ service: t.wsUrl, domain: t.domain, resource: 'bench',
            credentials: (authenticate, mechanisms) => authenticate({ username, password: t.password }, mechanisms.includes('PLAIN') ? 'PLAIN' : mechanisms[0]) });
          xmpp.reconnect?.stop();
          xmpp.on('error', () => {});
          const p = new Participant(xmpp, room, o, counters, o.level?.(i));
          await timeout(xmpp.start(), 15_000, `sign-in of ${username}`);
          await p.enter(`p${i}`);
          // One peer at a time: werift finds a port by bind/close/bind, and parallel peers race for it.
          await p.call();
          p.source.begin(performance.now());
          o.sources.push(p.source);
          parts.push(p);
        }
      } catch (e) {
        throw new Error(`${(e as Error).message}; ${errors()}`);
      }
      const s = (performance.now() - t0) / 1000;
      o.log(`carillon: participants ${o.members[0]}-${o.members[o.members.length - 1]} in the call in ${s.toFixed(1)} s`);
      return s;
    },
    async subscribe() {
      // The room adds sources with content-add as they arrive; wait until each of ours has them all.
      const t1 = performance.now();
      const audioDue = o.participants - 1;
      const videoDue = o.videosPerReceiver;
      const due = o.members.length * (audioDue + videoDue);
      if (videoDue === o.participants - 1) {
        // All receiving all: every stream the room added is due.
        while (counters.filter((c) => c.received > 0).length < due) {
          if (performance.now() - t1 > 60_000) throw new Error(`only ${counters.filter((c) => c.received > 0).length}/${due} forwarded streams after 60 s; ${errors()}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      } else {
        // Last-N: every other's audio and exactly videoDue videos at each receiver. A video paused
        // since it started (the room went above the threshold, a speaker change) has packets but
        // none lately, so "flowing" is a packet in the last second, and the counts must hold for
        // longer than that, so that a stream paused just now has dropped out of them.
        const flowing = (p: Participant, kind: string, now: number): number => p.own.filter((c) => c.kind === kind && now - c.lastAt < 1000).length;
        const short = (): string[] => {
          const now = performance.timeOrigin + performance.now();
          return parts.flatMap((p, k) => {
            const a = flowing(p, 'audio', now), v = flowing(p, 'video', now);
            return a === audioDue && v === videoDue ? [] : [`p${o.members[k]}: audio ${a}/${audioDue}, video ${v}/${videoDue}`];
          });
        };
        let heldSince: number | undefined;
        for (;;) {
          const now = performance.now();
          if (short().length > 0) heldSince = undefined;
          else {
            heldSince ??= now;
            if (now - heldSince >= 1500) break;
          }
          if (now - t1 > 60_000) throw new Error(`streams flowing after 60 s not as due: ${short().join(', ') || 'unsteady'}; ${errors()}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const s = (performance.now() - t1) / 1000;
      o.log(`carillon: all ${due} forwarded streams of participants ${o.members[0]}-${o.members[o.members.length - 1]} flowing after ${s.toFixed(1)} s more${videoDue < o.participants - 1 ? ` (${videoDue} videos per receiver, last-N)` : ''}`);
      return s;
    },
    async close() {
      if (process.env.MEDIABENCH_DEBUG) for (const p of parts) o.log(`${p.sid}: source wrote ${p.source.sent}, werift sent ${p.onWire}`);
      for (const p of parts) await p.hangUp();
    },
  };
}
