// One participant's Jingle session with a room (docs/calls.md, "For a client"): StanzaJS's
// MediaSession does session-initiate/accept, trickled candidates, mute and terminate; the room's
// content-add (a newcomer's sources, as a new remote offer) and content-remove (someone left) are
// handled here, which MediaSession leaves out (XEP-0166 §6.7 content-add, §6.9 content-remove).
import { Jingle as JingleSessions } from 'stanza';
import type { Jingle, JingleContent, JingleRtpDescription } from 'stanza/protocol/index.js';
import { jingleToSdp, sdpToJingle, sourceOwner } from '../../../xmpp/jingle-sdp/index.js';
import { attachIceRestart, type IceRestart } from '../features/ice-restart.js';

type Cb = (err?: { condition: string; text?: string }) => void;

/** A forwarded source: the content name (= BUNDLE mid) and its owner's occupant JID. */
export interface RemoteSource {
  name: string;
  owner: string;
  kind: 'audio' | 'video';
}

export interface RoomCallEvents {
  added(sources: RemoteSource[]): void;
  removed(names: string[]): void;
  track(name: string, track: MediaStreamTrack): void;
}

/** The owner label of an added content: XEP-0339 `owner` parameter, else Jitsi's ssrc-info. */
export function sourceOf(content: JingleContent): RemoteSource | undefined {
  const app = content.application as JingleRtpDescription | undefined;
  if (!app || (app.media !== 'audio' && app.media !== 'video')) return undefined;
  return { name: content.name, owner: sourceOwner(content) ?? '', kind: app.media };
}

type MediaSessionOpts = ConstructorParameters<typeof JingleSessions.MediaSession>[0];

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

  override onContentRemove(changes: Jingle, cb: Cb): void {
    // the room stops forwarding; nothing to renegotiate (docs/calls.md, step 6)
    this.events?.removed((changes.contents ?? []).map((c) => c.name));
    cb();
  }

  /** Our own content name (mid) for a track kind, for session-info mute (XEP-0167 §7). */
  localContent(kind: 'audio' | 'video'): string | undefined {
    return this.pc.getTransceivers().find((t) => t.sender.track?.kind === kind && t.mid)?.mid ?? undefined;
  }
}
