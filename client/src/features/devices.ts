// Cameras, microphones and speakers: what the browser lists (enumerateDevices), which one the
// user chose (kept in localStorage by deviceId, as browsers keep ids stable per origin), and
// switching a live call to another one. A switch replaces the track on the RTCRtpSender
// (replaceTrack), so the peer or the room sees the new picture or sound without renegotiation.
import { Store } from '../state/store.js';

export type DeviceKind = 'videoinput' | 'audioinput' | 'audiooutput';

export interface Device { id: string; label: string }

export interface DeviceState {
  videoinput: Device[];
  audioinput: Device[];
  audiooutput: Device[];
  /** The chosen deviceId per kind; absent = the browser's default. */
  chosen: Partial<Record<DeviceKind, string>>;
  /** Whether media elements can be sent to another speaker (HTMLMediaElement.setSinkId). */
  canPickSpeaker: boolean;
}

const KEY = (kind: DeviceKind) => `carillon.device.${kind}`;
const KINDS: DeviceKind[] = ['videoinput', 'audioinput', 'audiooutput'];

function stored(kind: DeviceKind): string | undefined {
  try { return localStorage.getItem(KEY(kind)) ?? undefined; } catch { return undefined; }
}

export const devices = new Store<DeviceState>({
  videoinput: [], audioinput: [], audiooutput: [],
  chosen: typeof localStorage === 'undefined' ? {} : Object.fromEntries(KINDS.map((k) => [k, stored(k)]).filter(([, v]) => v)),
  canPickSpeaker: typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype,
});

/** Reads the device list; labels are empty until the page was given camera or microphone once. */
export async function refreshDevices(): Promise<void> {
  if (!navigator.mediaDevices?.enumerateDevices) return;
  const list = await navigator.mediaDevices.enumerateDevices();
  const of = (kind: DeviceKind): Device[] => list.filter((d) => d.kind === kind && d.deviceId)
    .map((d, i) => ({ id: d.deviceId, label: d.label || `${kind === 'videoinput' ? 'Camera' : kind === 'audioinput' ? 'Microphone' : 'Speaker'} ${i + 1}` }));
  devices.set((s) => ({ ...s, videoinput: of('videoinput'), audioinput: of('audioinput'), audiooutput: of('audiooutput') }));
}

/**
 * getUserMedia constraints for a kind: the chosen device if any. Asked for as `exact` when the last
 * device list has it: Chromium (156 here) does not honour an `ideal` deviceId — it opened
 * fake_device_0 for an ideal fake_device_2, with and without audio. A device not in the list (gone,
 * or the list not read yet) is asked for as `ideal`, so that a missing one falls back to the default.
 */
export function constraintFor(kind: 'videoinput' | 'audioinput'): MediaTrackConstraints | true {
  const id = devices.value.chosen[kind];
  if (!id) return true;
  return devices.value[kind].some((d) => d.id === id) ? { deviceId: { exact: id } } : { deviceId: { ideal: id } };
}

export function mediaConstraints(video: boolean): MediaStreamConstraints {
  return { audio: constraintFor('audioinput'), video: video ? constraintFor('videoinput') : false };
}

export function remember(kind: DeviceKind, id: string | undefined): void {
  try {
    if (id) localStorage.setItem(KEY(kind), id);
    else localStorage.removeItem(KEY(kind));
  } catch { /* storage refused (private mode): the choice lasts for this page */ }
  devices.set((s) => {
    const chosen = { ...s.chosen };
    if (id) chosen[kind] = id;
    else delete chosen[kind];
    return { ...s, chosen };
  });
}

/** What a live call offers to the device picker. */
export interface LiveMedia {
  stream(): MediaStream | undefined;
  /** The senders carrying our camera and microphone (not a shared screen). */
  senders(): RTCRtpSender[];
  /** Tell the call its local stream changed (for its views). */
  changed(stream: MediaStream): void;
}

/** A camera whose track gives no picture a call can send; the call stays on the camera it had. */
export class UnsendableCamera extends Error {
  constructor(readonly label: string) {
    super(`${label || 'That camera'} gives no picture a call can send (a depth camera?); the call stays on the camera it had.`);
    this.name = 'UnsendableCamera';
  }
}

/** How long the first frame of a new camera is waited for before it is taken as it is. */
const FIRST_FRAME_MS = 3000;

interface FrameReader { read(): Promise<{ value?: { format: string | null; close(): void } }>; cancel(): Promise<void> }
type TrackProcessor = new (init: { track: MediaStreamTrack }) => { readable: { getReader(): FrameReader } };

/**
 * Whether the frames of a camera's track are pictures a video encoder takes. A depth camera (Y16
 * samples: a RealSense's depth node, and Chromium's second fake camera, `fake_device_1` of
 * --use-fake-device-for-media-stream) is listed as a videoinput and its track is live and unmuted,
 * but its frames have no colour pixel format: WebCodecs gives them `format` null (WebCodecs §9.4,
 * an opaque format), and Chromium's RTCRtpSender drops every one of them, so its encoder encodes
 * nothing and the others' picture of us freezes. One frame of a clone tells; where the browser
 * has no MediaStreamTrackProcessor, or gives no frame in time, the camera is taken as it is.
 */
async function sendsPictures(track: MediaStreamTrack): Promise<boolean> {
  const Processor = (globalThis as { MediaStreamTrackProcessor?: TrackProcessor }).MediaStreamTrackProcessor;
  if (!Processor || track.kind !== 'video') return true;
  const probe = track.clone();
  probe.enabled = true; // a camera turned off gives black frames of the usual format; its own format is asked
  try {
    const reader = new Processor({ track: probe }).readable.getReader();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), FIRST_FRAME_MS); });
    const first = await Promise.race([reader.read().then((r) => r.value), late]);
    clearTimeout(timer);
    void reader.cancel().catch(() => undefined);
    if (!first) return true;
    const format = first.format;
    first.close();
    return format !== null;
  } catch {
    return true;
  } finally {
    probe.stop();
  }
}

/**
 * Switches the live call's camera or microphone: a new track from the device, put on the sender
 * with replaceTrack (no renegotiation, RFC 8829 §3.7), the old one stopped. The new track keeps
 * the old one's enabled state, so a muted call stays muted. A camera whose frames cannot be sent
 * (sendsPictures) is refused with UnsendableCamera before it reaches the sender, and not
 * remembered: the call goes on with the camera it had.
 */
export async function switchInput(live: LiveMedia, kind: 'videoinput' | 'audioinput', id: string | undefined): Promise<void> {
  const stream = live.stream();
  const media = kind === 'videoinput' ? 'video' : 'audio';
  const old = stream?.getTracks().find((t) => t.kind === media);
  if (!stream || !old) return remember(kind, id); // no call, or an audio call: for the next one
  const got = await navigator.mediaDevices.getUserMedia({ [media]: id ? { deviceId: { exact: id } } : true });
  const track = got.getTracks().find((t) => t.kind === media);
  if (!track) return;
  if (!(await sendsPictures(track))) {
    track.stop();
    throw new UnsendableCamera(track.label);
  }
  remember(kind, id);
  track.enabled = old.enabled;
  for (const s of live.senders()) if (s.track === old) await s.replaceTrack(track);
  stream.removeTrack(old);
  stream.addTrack(track);
  old.stop();
  watchEnded(live, track);
  live.changed(stream);
  void refreshDevices();
}

/** A device unplugged ends its track: continue on the default device of that kind. */
export function watchEnded(live: LiveMedia, track: MediaStreamTrack): void {
  track.addEventListener('ended', () => {
    const stream = live.stream();
    if (!stream?.getTracks().includes(track)) return; // replaced or the call ended
    const kind = track.kind === 'video' ? 'videoinput' : 'audioinput';
    void refreshDevices().then(() => {
      const chosen = devices.value.chosen[kind];
      const still = devices.value[kind].some((d) => d.id === chosen);
      return switchInput(live, kind, still ? chosen : undefined);
    }).catch(() => undefined);
  });
}

/** Sends every media element of the page to the chosen speaker, where the browser allows it. */
export function applySpeaker(el: HTMLMediaElement): void {
  const id = devices.value.chosen.audiooutput;
  const sink = (el as HTMLMediaElement & { setSinkId?: (id: string) => Promise<void>; sinkId?: string });
  if (!sink.setSinkId || (sink.sinkId ?? '') === (id ?? '')) return;
  void sink.setSinkId(id ?? '').catch(() => undefined);
}

export function chooseSpeaker(id: string | undefined): void {
  remember('audiooutput', id);
  for (const el of document.querySelectorAll<HTMLMediaElement>('video, audio')) applySpeaker(el);
}

let watching = false;
/** Keeps the lists current when a device is plugged in or out. */
export function watchDevices(): void {
  if (watching || !navigator.mediaDevices) return;
  watching = true;
  navigator.mediaDevices.addEventListener('devicechange', () => void refreshDevices().catch(() => undefined));
  void refreshDevices().catch(() => undefined);
}
