// The call screen's side of switching a 1:1 audio call to video (features/add-video.ts does the
// Jingle): our camera for the added content, the request shown to the user, and what the peer
// answered, in the call's store.
import type { MediaSession } from 'stanza/jingle/index.js';
import type { Media } from '../protocol/call-machine.js';
import type { Store } from '../state/store.js';
import { attachAddVideo, type AddVideo } from './add-video.js';
import { mediaConstraints } from './devices.js';

/** The fields of the call's view this file reads and writes. */
export interface VideoSwitchView {
  sid?: string;
  media?: Media;
  local?: MediaStream;
  cameraOff: boolean;
  error?: string;
  /** Adding video to an audio call (XEP-0166 §6.7): the peer asks us, or we wait for the peer. */
  videoRequest?: 'incoming' | 'outgoing';
  /** The peer declined our video. */
  videoDeclined?: boolean;
}

export interface VideoSwitchActions {
  /** Turns our camera on in an audio call (content-add); the peer is asked. */
  addVideo(): Promise<void>;
  /** Answers the peer's request to add video with content-accept (and our camera when we may have it). */
  acceptVideo(): Promise<void>;
  /** Answers it with content-reject. */
  declineVideo(): void;
}

export interface VideoSwitch {
  /** Takes a new session's content actions over; its creators go to ICE restarts. */
  watch(s: MediaSession): AddVideo;
  actions: VideoSwitchActions;
}

export function bindVideoSwitch<T extends VideoSwitchView>(
  store: Store<T>, session: () => MediaSession | undefined, onCamera: (track: MediaStreamTrack) => void,
): VideoSwitch {
  const videos = new Map<string, AddVideo>();
  const current = (): AddVideo | undefined => {
    const s = session();
    return s ? videos.get(s.sid) : undefined;
  };
  /** The camera, added to the call's local stream (its preview and the device picker use it). */
  const cameraTrack = async (): Promise<MediaStreamTrack> => {
    const got = await navigator.mediaDevices.getUserMedia({ video: mediaConstraints(true).video });
    const track = got.getVideoTracks()[0];
    if (!track) throw new Error('No camera');
    const local = store.value.local ?? new MediaStream();
    local.addTrack(track);
    onCamera(track);
    store.set((v) => ({ ...v, local }));
    return track;
  };
  const dropCamera = (track?: MediaStreamTrack) => {
    for (const t of track ? [track] : store.value.local?.getVideoTracks() ?? []) {
      t.stop();
      store.value.local?.removeTrack(t);
    }
  };

  return {
    watch(s) {
      const mine = (f: (v: T) => T) => { if (s.sid === store.value.sid) store.set(f); };
      const av = attachAddVideo(s, {
        onRequest: () => mine((v) => ({ ...v, videoRequest: 'incoming', videoDeclined: false })),
        onAnswer: (accepted) => {
          if (s.sid !== store.value.sid) return;
          if (!accepted) dropCamera(); // the call stays an audio call
          mine((v) => ({ ...v, videoRequest: undefined, videoDeclined: !accepted, ...(accepted ? { media: 'video' } : {}) }));
        },
      });
      videos.set(s.sid, av);
      if (videos.size > 8) videos.delete(videos.keys().next().value!);
      return av;
    },
    actions: {
      async addVideo() {
        const av = current();
        if (!av || store.value.media === 'video' || store.value.videoRequest) return;
        let track: MediaStreamTrack;
        try {
          track = await cameraTrack();
        } catch {
          store.set((v) => ({ ...v, error: 'Camera access was refused.' }));
          return;
        }
        store.set((v) => ({ ...v, videoRequest: 'outgoing', videoDeclined: false, cameraOff: false }));
        await av.offer(track, store.value.local!).catch(() => {
          dropCamera(track);
          store.set((v) => ({ ...v, videoRequest: undefined }));
        });
      },
      async acceptVideo() {
        const av = current();
        if (!av || store.value.videoRequest !== 'incoming') return;
        const track = await cameraTrack().catch(() => undefined); // else we only watch
        store.set((v) => ({ ...v, videoRequest: undefined, media: 'video', cameraOff: false }));
        await av.accept(track, store.value.local).catch((err: unknown) => {
          store.set((v) => ({ ...v, error: err instanceof Error ? err.message : String(err) }));
        });
      },
      declineVideo() {
        current()?.reject();
        store.set((v) => ({ ...v, videoRequest: undefined }));
      },
    },
  };
}
