// A participant built the way a StanzaJS web client would: StanzaJS's Jingle SessionManager and
// MediaSession (libwebrtc through @roamhq/wrtc in place of the browser's RTCPeerConnection), with
// content-add / content-remove handled by a MediaSession subclass — the part StanzaJS leaves out.
// Its stanzas travel through an @xmpp/client connection (User).
import wrtc from '@roamhq/wrtc';
import * as stanza from 'stanza';
import { importFromSDP, exportToSDP } from 'stanza/jingle/sdp/Intermediate.js';
import { convertIntermediateToRequest, convertRequestToIntermediate } from 'stanza/jingle/sdp/Protocol.js';
import type { Jingle, JingleContent } from 'stanza/protocol/index.js';
import type { Element } from 'ltx';
import { parseXml } from '../../../xmpp/xml.js';
import type { User } from './user.js';

const { RTCPeerConnection, MediaStream, nonstandard } = wrtc;
const registry = new stanza.JXT.Registry();
registry.define(stanza.Stanzas.default);

type Cb = (err?: unknown) => void;

/** MediaSession plus the two actions a room call needs. */
class RoomCallSession extends stanza.Jingle.MediaSession {
  remote: JingleContent[] = [];
  groups: Jingle['groups'] = [];
  owners = new Map<string, { owner: string; kind: string; ssrc: number; removed: boolean }>();

  override async onSessionAccept(changes: Jingle, cb: Cb): Promise<void> {
    this.remote = [...(changes.contents ?? [])];
    this.groups = changes.groups ?? [];
    return super.onSessionAccept(changes, cb);
  }

  override async onContentAdd(changes: Jingle, cb: Cb): Promise<void> {
    cb(); // acknowledge, then answer with content-accept
    const added = changes.contents ?? [];
    for (const c of added) {
      const app = c.application as { media?: string; sources?: Array<{ ssrc: string; parameters?: Record<string, string> }> };
      const src = app.sources?.[0];
      this.owners.set(c.name, { owner: src?.parameters?.owner ?? '', kind: app.media ?? '', ssrc: Number(src?.ssrc), removed: false });
    }
    this.remote.push(...added);
    if (changes.groups?.length) this.groups = changes.groups;
    const offer = exportToSDP(convertRequestToIntermediate({ sid: this.sid, contents: this.remote, groups: this.groups } as Jingle, this.peerRole));
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    const local = convertIntermediateToRequest(importFromSDP(answer.sdp!), this.role, this.transportType);
    const names = added.map((c) => c.name);
    this.send('content-accept', { contents: (local.contents ?? []).filter((c) => names.includes(c.name)).map((c) => ({ ...c, creator: 'responder' })) });
  }

  override onContentRemove(changes: Jingle, cb: Cb): void {
    for (const c of changes.contents ?? []) { const o = this.owners.get(c.name); if (o) o.removed = true; }
    cb();
  }
}

export class StanzaParticipant {
  readonly manager: stanza.Jingle.SessionManager;
  session?: RoomCallSession;
  private sids = new Map<string, string>(); // IQ id -> sid, to hand results back to the manager
  private timers: NodeJS.Timeout[] = [];
  errors: string[] = [];

  constructor(readonly user: User, readonly room: string, opts: { vanilla?: boolean } = {}) {
    this.vanilla = !!opts.vanilla;
    this.manager = new stanza.Jingle.SessionManager({
      selfID: user.jid,
      hasRTCPeerConnection: true,
      createPeerConnection: (_s: unknown, o: RTCConfiguration) => new RTCPeerConnection({ ...o, bundlePolicy: 'max-bundle' }) as unknown as RTCPeerConnection,
      iceServers: [],
    } as never);
    this.manager.on('send', (data: { id?: string; to: string; type: string; jingle?: Jingle }) => {
      const id = data.id ?? `j${Math.random().toString(36).slice(2)}`;
      if (data.jingle) this.sids.set(id, data.jingle.sid);
      const xml = registry.export('iq', { ...data, id } as never)!.toString();
      const el = parseXml(xml);
      delete el.attrs.xmlns;
      if (process.env.CALL_DEBUG) console.log('ST SEND', el.toString().slice(0, 400));
      void user.send(el as unknown as Element);
    });
    this.manager.on('log:error', (...a: unknown[]) => this.errors.push(JSON.stringify(a).slice(0, 300)));
    const prev = user.onStanza;
    user.onStanza = (el) => { prev?.(el); this.onStanza(el); };
  }
  private vanilla: boolean;

  private onStanza(el: Element): void {
    if (el.name !== 'iq' || el.attrs.from !== this.room) return;
    if (process.env.CALL_DEBUG) console.log('ST RECV', el.toString().slice(0, 400));
    const copy = parseXml(el.toString());
    copy.attrs.xmlns = 'jabber:client';
    const iq = registry.import(stanza.JXT.parse(copy.toString())) as { type: string; id: string; jingle?: Jingle } | undefined;
    if (!iq) return;
    if ((iq.type === 'result' || iq.type === 'error') && !iq.jingle) {
      const sid = this.sids.get(iq.id);
      if (!sid) return;
      iq.jingle = { sid } as Jingle;
    } else if (!iq.jingle) return;
    this.manager.process(iq as never);
  }

  async start(): Promise<void> {
    const video = new nonstandard.RTCVideoSource();
    const audio = new nonstandard.RTCAudioSource();
    const stream = new MediaStream([audio.createTrack(), video.createTrack()]);
    const frame = new Uint8Array(160 * 120 * 1.5).fill(200);
    this.timers.push(setInterval(() => video.onFrame({ width: 160, height: 120, data: frame }), 50));
    const samples = new Int16Array(480).fill(1000);
    this.timers.push(setInterval(() => audio.onData({ samples, sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 }), 10));
    const opts = {
      config: {}, constraints: {}, iceServers: [], initiator: true, parent: this.manager, peerID: this.room,
      sid: `st${Math.random().toString(36).slice(2)}`, stream,
    };
    const session = this.vanilla ? new stanza.Jingle.MediaSession(opts as never) as RoomCallSession : new RoomCallSession(opts as never);
    this.session = session;
    this.manager.addSession(session);
    await session.start();
  }

  /** Inbound packets per owner and kind (by the SSRCs the room announced). */
  async packetsBySource(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const stats = await (this.session!.pc as unknown as { getStats(): Promise<Map<string, { type: string; ssrc?: number; packetsReceived?: number }>> }).getStats();
    stats.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      for (const o of this.session!.owners?.values() ?? []) if (o.ssrc === s.ssrc) out.set(`${o.owner} ${o.kind}`, s.packetsReceived ?? 0);
    });
    return out;
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    try { this.session?.pc.close(); } catch { /* closed */ }
  }
}
