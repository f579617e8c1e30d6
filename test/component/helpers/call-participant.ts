// A call participant: a WebRTC stack independent of the room's werift media (libwebrtc through
// @roamhq/wrtc in Node, or a headless Chromium page) that sends audio and video, negotiates with
// the room over Jingle, and counts the RTP packets it receives per forwarded source
// (owner occupant JID + kind).
import wrtc from '@roamhq/wrtc';
import type { Element } from 'ltx';
import { jingleElement, parseJingle, type Jingle, type JingleContent } from '../../../component/calls/jingle.js';
import { jingleToSdp, sdpToJingle } from '../../../xmpp/jingle-sdp/index.js';
import { User, xml } from './user.js';

const { RTCPeerConnection, MediaStream, nonstandard } = wrtc;
const JINGLE = 'urn:xmpp:jingle:1';

/** The WebRTC side of a participant, whatever runs it. */
export interface PeerAdapter {
  /** Add local audio+video, create the offer, wait for ICE gathering; the local SDP. */
  offer(): Promise<string>;
  setAnswer(sdp: string): Promise<void>;
  /** Apply a remote offer and return the local answer SDP. */
  answerOffer(sdp: string): Promise<string>;
  inbound(): Promise<Array<{ ssrc: number; packetsReceived: number }>>;
  /** Content name (mid) of the local audio track. */
  audioMid(): string | undefined;
  close(): void;
}

/** libwebrtc in Node (@roamhq/wrtc), sending synthetic audio and video distinct per seed. */
export class WrtcPeer implements PeerAdapter {
  readonly pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
  private timers: NodeJS.Timeout[] = [];
  constructor(readonly seed: number) {}

  async offer(): Promise<string> {
    const video = new nonstandard.RTCVideoSource();
    const audio = new nonstandard.RTCAudioSource();
    const vt = video.createTrack();
    const at = audio.createTrack();
    const stream = new MediaStream([at, vt]);
    this.pc.addTrack(at, stream);
    this.pc.addTrack(vt, stream);
    const w = 160, h = 120;
    const frame = new Uint8Array(w * h * 1.5).fill(this.seed * 40);
    let n = 0;
    this.timers.push(setInterval(() => { frame[n++ % frame.length] = n & 255; video.onFrame({ width: w, height: h, data: frame }); }, 50));
    const samples = new Int16Array(480);
    this.timers.push(setInterval(() => {
      for (let i = 0; i < samples.length; i++) samples[i] = Math.round(8000 * Math.sin((i * (this.seed + 1) * 2 * Math.PI) / 48));
      audio.onData({ samples, sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 });
    }, 10));
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await new Promise<void>((resolve) => {
      if (this.pc.iceGatheringState === 'complete') return resolve();
      this.pc.onicegatheringstatechange = () => { if (this.pc.iceGatheringState === 'complete') resolve(); };
    });
    return this.pc.localDescription!.sdp;
  }

  async setAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  async answerOffer(sdp: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.pc.localDescription!.sdp;
  }

  async inbound(): Promise<Array<{ ssrc: number; packetsReceived: number }>> {
    const out: Array<{ ssrc: number; packetsReceived: number }> = [];
    const stats = await this.pc.getStats();
    stats.forEach((s: { type: string; ssrc?: number; packetsReceived?: number }) => {
      if (s.type === 'inbound-rtp' && s.ssrc !== undefined) out.push({ ssrc: s.ssrc, packetsReceived: s.packetsReceived ?? 0 });
    });
    return out;
  }

  audioMid(): string | undefined {
    return this.pc.getTransceivers().find((t) => t.receiver.track.kind === 'audio')?.mid ?? undefined;
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.pc.close();
  }
}

export interface ReceivedSource { mid: string; owner: string; kind: string; ssrc: number; removed: boolean }

export class CallParticipant {
  readonly sid = `s${Math.random().toString(36).slice(2)}`;
  remote: JingleContent[] = [];
  groups: Jingle['groups'] = [];
  readonly received = new Map<string, ReceivedSource>(); // by mid
  readonly events: string[] = [];
  terminated?: string;
  /** Refuse what the room adds (content-reject) instead of accepting it. */
  rejectAdds = false;
  /** Send candidates in transport-info right behind session-initiate (XEP-0176 trickle) instead of inside it. */
  trickle = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly user: User, readonly room: string, readonly peer: PeerAdapter) {
    const prev = user.onStanza;
    user.onStanza = (el) => { prev?.(el); this.onStanza(el); };
  }

  private onStanza(el: Element): void {
    if (el.name !== 'iq' || el.attrs.type !== 'set' || el.attrs.from !== this.room) return;
    const jingle = el.getChild('jingle', JINGLE);
    if (!jingle || jingle.attrs.sid !== this.sid) return;
    void this.user.send(xml('iq', { type: 'result', to: el.attrs.from, id: el.attrs.id }));
    const j = parseJingle(el);
    this.events.push(j.action!);
    this.queue = this.queue.then(() => this.apply(j, jingle)).catch((e: Error) => { this.events.push(`error:${e.message}`); });
  }

  /** Resolves once every Jingle request received so far is dealt with (and our own requests for it answered). */
  async applied(): Promise<void> {
    await this.queue;
  }

  private async apply(j: Jingle, raw: Element): Promise<void> {
    switch (j.action) {
      case 'session-accept':
        this.remote = j.contents ?? [];
        this.groups = j.groups ?? [];
        await this.peer.setAnswer(jingleToSdp({ contents: this.remote, groups: this.groups }, 'responder'));
        break;
      case 'content-add': {
        const added = j.contents ?? [];
        for (const c of raw.getChildren('content')) {
          const source = c.getChild('description')?.getChild('source');
          const owner = source?.getChild('ssrc-info')?.attrs.owner as string;
          const kind = c.getChild('description')?.attrs.media as string;
          this.received.set(c.attrs.name as string, { mid: c.attrs.name as string, owner, kind, ssrc: Number(source?.attrs.ssrc), removed: false });
        }
        if (this.rejectAdds) {
          await this.user.iq('set', this.room, jingleElement({ action: 'content-reject', sid: this.sid,
            contents: added.map((c) => ({ creator: 'responder', name: c.name })) } as Jingle));
          break;
        }
        this.remote.push(...added);
        if (j.groups?.length) this.groups = j.groups;
        const local = sdpToJingle(await this.peer.answerOffer(jingleToSdp({ contents: this.remote, groups: this.groups }, 'responder')), 'initiator');
        const names = added.map((c) => c.name);
        const accepted = local.contents.filter((c) => names.includes(c.name)).map((c) => ({ ...c, creator: 'responder' as const }));
        await this.user.iq('set', this.room, jingleElement({ action: 'content-accept', sid: this.sid, contents: accepted } as Jingle));
        break;
      }
      case 'content-remove':
        for (const c of j.contents ?? []) {
          const r = this.received.get(c.name);
          if (r) r.removed = true;
        }
        break;
      case 'session-terminate':
        this.terminated = j.reason?.condition ?? 'unknown';
        break;
      default:
        break;
    }
  }

  /** Start sending audio and video, and initiate the session with the room. */
  async start(): Promise<Element> {
    const offer = await this.peer.offer();
    const { contents, groups } = sdpToJingle(offer, 'initiator');
    // Keep the test on loopback: drop host candidates of other interfaces.
    for (const c of contents) {
      const t = c.transport as { candidates?: Array<{ ip: string }> };
      if (t.candidates) t.candidates = t.candidates.filter((cand) => cand.ip === '127.0.0.1');
    }
    const trickled = this.trickle ? contents.map((c) => {
      const t = c.transport as { candidates?: unknown[] };
      const cands = t.candidates ?? [];
      t.candidates = [];
      return { name: c.name, cands };
    }) : [];
    const initiated = this.user.iq('set', this.room, jingleElement({
      action: 'session-initiate', sid: this.sid, initiator: this.user.jid as never, contents, groups,
    } as Jingle));
    // Like a browser client: candidates follow at once, without waiting for the acknowledgement.
    const infos = trickled.filter((t) => t.cands.length > 0).map((t) => {
      const content = contents.find((c) => c.name === t.name)!;
      return this.user.iq('set', this.room, jingleElement({ action: 'transport-info', sid: this.sid, contents: [{
        creator: 'initiator', name: t.name, transport: { ...(content.transport as object), candidates: t.cands } as never,
      }] } as Jingle));
    });
    const res = await initiated;
    for (const r of await Promise.all(infos)) if (r.attrs.type !== 'result') this.events.push(`transport-info refused: ${r.toString()}`);
    return res;
  }

  /** Inbound RTP packets per forwarded source, keyed "owner kind" (matched by the SSRC the room announced). */
  async packetsBySource(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const s of await this.peer.inbound()) {
      for (const src of this.received.values()) {
        if (src.ssrc !== s.ssrc) continue;
        const key = `${src.owner} ${src.kind}`;
        out.set(key, (out.get(key) ?? 0) + s.packetsReceived);
      }
    }
    return out;
  }

  async terminate(): Promise<void> {
    await this.user.iq('set', this.room, xml('jingle', { xmlns: JINGLE, action: 'session-terminate', sid: this.sid },
      xml('reason', {}, xml('success'))));
  }

  close(): void {
    this.peer.close();
  }
}
