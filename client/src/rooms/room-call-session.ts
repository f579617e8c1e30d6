// One participant's Jingle session with a room (docs/calls.md, "For a client"): StanzaJS's
// MediaSession does session-initiate/accept, trickled candidates, mute and terminate; the room's
// content-add (a newcomer's sources, as a new remote offer) and content-remove (someone left) are
// handled here, which MediaSession leaves out (XEP-0166 §6.7 content-add, §6.9 content-remove).
import { Jingle as JingleSessions } from 'stanza';
import type { Jingle, JingleContent, JingleRtpDescription } from 'stanza/protocol/index.js';
import { SCREEN_PARAMETER, jingleToSdp, sdpToJingle, sourceOwner } from '../../../xmpp/jingle-sdp/index.js';
import { attachIceRestart, type IceRestart } from '../features/ice-restart.js';
import { forwardingChange } from '../protocol/carillon-forwarding.js';

type Cb = (err?: { condition: string; text?: string }) => void;

/** A forwarded source: the content name (= BUNDLE mid) and its owner's occupant JID. */
export interface RemoteSource {
  name: string;
  owner: string;
  kind: 'audio' | 'video';
  /** A shared screen (the room marks it, component/calls/participant-sources.ts). */
  screen?: boolean;
}

/** XEP-0339 source parameter marking a screen, after RFC 4796's a=content:slides. */
export { SCREEN_PARAMETER };

export interface RoomCallEvents {
  added(sources: RemoteSource[]): void;
  removed(names: string[]): void;
  track(name: string, track: MediaStreamTrack): void;
  /** The room paused or resumed forwarding one of its contents to us (last-N, protocol/carillon-forwarding.ts). */
  paused?(name: string, paused: boolean): void;
}

/** The owner label of an added content: XEP-0339 `owner` parameter, else Jitsi's ssrc-info. */
export function sourceOf(content: JingleContent): RemoteSource | undefined {
  const app = content.application as JingleRtpDescription | undefined;
  if (!app || (app.media !== 'audio' && app.media !== 'video')) return undefined;
  const owner = sourceOwner(content) ?? '';
  const sources = (app as { sources?: Array<{ parameters?: Record<string, string> }> }).sources;
  const screen = sources?.some((x) => x.parameters?.[SCREEN_PARAMETER.name] === SCREEN_PARAMETER.value);
  return { name: content.name, owner, kind: app.media, ...(screen ? { screen: true } : {}) };
}

type MediaSessionOpts = ConstructorParameters<typeof JingleSessions.MediaSession>[0];

/** A content the room offered, reused in an answer: the room is the DTLS client (RFC 5763 §5). */
function answerSetup(c: JingleContent): JingleContent {
  const t = c.transport as { fingerprints?: Array<{ setup?: string }> } | undefined;
  if (!t?.fingerprints?.some((f) => f.setup === 'actpass')) return c;
  return { ...c, transport: { ...t, fingerprints: t.fingerprints.map((f) => ({ ...f, setup: f.setup === 'actpass' ? 'active' : f.setup })) } as unknown as JingleContent['transport'] };
}

export class RoomCallSession extends JingleSessions.MediaSession {
  /** Every remote content so far, in order: the room's session-accept, then each content-add. */
  private remote: JingleContent[] = [];
  private groups: Jingle['groups'] = [];
  events?: RoomCallEvents;
  /** ICE restarts (XEP-0176 §2.4); the contents the room added are the responder's (XEP-0166 `creator`). */
  readonly iceRestart: IceRestart;

  constructor(opts: MediaSessionOpts) {
    super(opts);
    const added = (name: string) => this.remote.some((c) => c.name === name && c.creator === 'responder');
    this.iceRestart = attachIceRestart(this, { creatorOf: (name) => (added(name) ? 'responder' : 'initiator') });
    // ontrack's transceiver.mid is the content name, which carries the owner
    this.pc.addEventListener('track', (e: RTCTrackEvent) => {
      if (e.transceiver.mid) this.events?.track(e.transceiver.mid, e.track);
    });
  }

  override async onSessionAccept(changes: Jingle, cb: Cb): Promise<void> {
    this.remote = [...(changes.contents ?? [])];
    this.groups = changes.groups ?? [];
    return super.onSessionAccept(changes, cb);
  }

  override async onContentAdd(changes: Jingle, cb: Cb): Promise<void> {
    cb(); // acknowledge first; the answer is a content-accept
    const added = changes.contents ?? [];
    // Glare with our ICE restart offer: the room's content-add goes first (the room answers a
    // restart offer that crosses its content-add with <tie-break/>); the restart is offered again
    // once the content-add is answered.
    const restartLost = this.pc.signalingState === 'have-local-offer';
    try {
      if (restartLost) await this.pc.setLocalDescription({ type: 'rollback' });
      this.remote.push(...added);
      if (changes.groups?.length) this.groups = changes.groups;
      const sources = added.map(sourceOf).filter((s): s is RemoteSource => !!s);
      this.events?.added(sources);
      const offer = jingleToSdp({ contents: this.remote, groups: this.groups }, 'responder');
      await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      const local = sdpToJingle(answer.sdp!, this.role);
      const names = new Set(added.map((c) => c.name));
      this.send('content-accept', {
        contents: (local.contents ?? []).filter((c) => names.has(c.name)).map((c) => ({ ...c, creator: 'responder' as const })),
      });
      if (restartLost) this.iceRestart.again();
    } catch (err) {
      this._log('error', 'Could not apply content-add', err);
      this.send('content-reject', { contents: added.map((c) => ({ creator: 'responder' as const, name: c.name })) as JingleContent[] });
    }
  }

  override onSessionInfo(changes: Jingle, cb: Cb): void {
    const change = forwardingChange(changes.info as { infoType?: string; name?: string } | undefined);
    if (!change) return super.onSessionInfo(changes, cb);
    this.events?.paused?.(change.name, change.paused);
    cb();
  }

  override onContentRemove(changes: Jingle, cb: Cb): void {
    // the room stops forwarding; nothing to renegotiate (docs/calls.md, step 6)
    this.events?.removed((changes.contents ?? []).map((c) => c.name));
    cb();
  }

  /** Our content-add waiting for the room's content-accept. */
  private adding?: { name: string; content: JingleContent; done(err?: Error): void };

  /**
   * Sends a new source of ours to the room (XEP-0166 §6.7 content-add, creator 'initiator'), marked
   * as a screen; resolves with its content name once the room accepted it.
   */
  addScreen(track: MediaStreamTrack, stream: MediaStream): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      void this.processLocal('content-add', async () => {
        if (this.adding) throw new Error('A source is being added');
        const t = this.pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
        const offer = await this.pc.createOffer();
        await this.pc.setLocalDescription(offer);
        const local = sdpToJingle(offer.sdp!, this.role);
        const content = (local.contents ?? []).find((c) => c.name === t.mid);
        if (!content || !t.mid) throw new Error('The browser did not describe the new source');
        const app = content.application as JingleRtpDescription & { sources?: Array<{ ssrc: string; parameters?: Record<string, string> }> };
        for (const src of app.sources ?? []) src.parameters = { ...src.parameters, [SCREEN_PARAMETER.name]: SCREEN_PARAMETER.value };
        const name = t.mid;
        const timer = setTimeout(() => this.adding?.done(new Error('The room did not answer')), 15000);
        this.adding = {
          name, content,
          done: (err) => {
            clearTimeout(timer);
            this.adding = undefined;
            if (!err) return resolve(name);
            // give the offer up again (RFC 8829 §4.1.10 rollback): nothing is sent on the m-line
            const back = this.pc.signalingState === 'have-local-offer' ? this.pc.setLocalDescription({ type: 'rollback' }) : Promise.resolve();
            void back.catch(() => undefined).then(() => t.sender.replaceTrack(null)).catch(() => undefined);
            reject(err);
          },
        };
        this.send('content-add', { contents: [{ ...content, creator: 'initiator' }], groups: local.groups });
      }).catch(reject);
    });
  }

  /** Stops sending a source added with addScreen (XEP-0166 §6.9 content-remove). */
  removeSource(name: string): void {
    const t = this.pc.getTransceivers().find((x) => x.mid === name);
    void t?.sender.replaceTrack(null);
    // the m-line stays (later offers keep the order of m-lines), carrying nothing
    this.remote = this.remote.map((c) => (c.name === name ? { ...c, senders: 'none' } : c));
    if (this.state !== 'ended') this.send('content-remove', { contents: [{ creator: 'initiator', name }] as JingleContent[] });
  }

  override async onContentAccept(changes: Jingle, cb: Cb): Promise<void> {
    const adding = this.adding;
    const accepted = (changes.contents ?? []).find((c) => c.name === adding?.name);
    if (!adding || !accepted) return cb({ condition: 'unexpected-request' }); // out of order
    cb();
    try {
      // the answer for every m-line: what the room said before, then its answer for the new one
      this.remote.push({ ...accepted, creator: 'initiator' });
      // the BUNDLE group of the answer names the new content (the room's, else ours extended)
      if (changes.groups?.length) this.groups = changes.groups;
      else this.groups = (this.groups ?? []).map((g) => (g.semantics === 'BUNDLE' && !g.contents.includes(adding.name) ? { ...g, contents: [...g.contents, adding.name] } : g));
      const answer = jingleToSdp({ sid: this.sid, contents: this.remote.map((c) => answerSetup(c)), groups: this.groups } as Jingle, 'responder');
      await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
      adding.done();
    } catch (err) {
      this.remote = this.remote.filter((c) => c.name !== adding.name);
      adding.done(err instanceof Error ? err : new Error(String(err)));
    }
  }

  override onContentReject(changes: Jingle, cb: Cb): void {
    cb();
    if (this.adding && (changes.contents ?? []).some((c) => c.name === this.adding?.name)) this.adding.done(new Error('The room refused the source'));
  }

  /** Our own content name (mid) for a track kind, for session-info mute (XEP-0167 §7). */
  localContent(kind: 'audio' | 'video'): string | undefined {
    return this.pc.getTransceivers().find((t) => t.sender.track?.kind === kind && t.mid)?.mid ?? undefined;
  }
}
