// Sharing the screen in a room call: getDisplayMedia, then the screen goes to the room as a new
// source of ours (content-add, room-call-session.ts), which the room forwards to the others as a
// tile of its own. "Stop sharing", or the browser's own stop button (the track ends), removes it
// again with content-remove. 1:1 calls share differently: the camera track is replaced
// (features/calls.ts).
import type { GroupCall } from './group-call.js';
import type { RoomCallSession } from './room-call-session.js';
import { Store } from '../state/store.js';

export interface ScreenHost {
  readonly call: Store<GroupCall>;
  callSession(): RoomCallSession | undefined;
}

export class RoomScreenShare {
  /** Our shared screen, for its own tile on our side. */
  readonly local = new Store<MediaStream | undefined>(undefined);
  #name?: string;
  #session?: RoomCallSession;
  #busy = false;

  constructor(private readonly host: ScreenHost) {
    host.call.subscribe((c) => {
      if (c.phase === 'idle' && this.local.value) this.#stopTracks();
    });
  }

  get sharing(): boolean {
    return !!this.local.value;
  }

  async toggle(): Promise<void> {
    if (this.#busy) return;
    if (this.local.value) return this.stop();
    const session = this.host.callSession();
    if (!session || this.host.call.value.phase !== 'active') return;
    this.#busy = true;
    try {
      const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      const track = display.getVideoTracks()[0];
      if (!track) return;
      track.contentHint = 'detail'; // legible text: lower the frame rate before the resolution
      this.local.set(display);
      this.host.call.set((c) => ({ ...c, sharing: true }));
      track.addEventListener('ended', () => { if (this.local.value === display) this.stop(); });
      try {
        this.#name = await session.addScreen(track, display);
        this.#session = session;
      } catch (err) {
        this.#stopTracks();
        this.host.call.set((c) => ({ ...c, error: `Could not share the screen: ${err instanceof Error ? err.message : String(err)}` }));
      }
    } finally {
      this.#busy = false;
    }
  }

  stop(): void {
    const session = this.#session;
    const name = this.#name;
    this.#stopTracks();
    if (session && name && session === this.host.callSession()) session.removeSource(name);
  }

  #stopTracks(): void {
    for (const t of this.local.value?.getTracks() ?? []) t.stop();
    this.local.set(undefined);
    this.#name = undefined;
    this.#session = undefined;
    if (this.host.call.value.sharing) this.host.call.set((c) => ({ ...c, sharing: false }));
  }
}
