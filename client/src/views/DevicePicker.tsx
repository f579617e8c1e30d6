// Camera, microphone and speaker choice: in Settings (for the next call) and during a call, where
// a change switches the live track at once (features/devices.ts).
import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { useStore } from '../state/use-store.js';
import { Icon } from './icons.js';
import { UnsendableCamera, chooseSpeaker, devices, refreshDevices, remember, switchInput, watchDevices, type Device, type DeviceKind, type LiveMedia } from '../features/devices.js';

function Select({ label, kind, list, value, onChange }: { label: string; kind: DeviceKind; list: Device[]; value?: string; onChange(id: string | undefined): void }): JSX.Element {
  const known = list.some((d) => d.id === value);
  return (
    <label class="device-select">
      <span>{label}</span>
      <select name={kind} value={known ? value : ''} onChange={(e) => onChange(e.currentTarget.value || undefined)}>
        <option value="">Default</option>
        {list.map((d) => <option key={d.id} value={d.id}>{d.label}</option>)}
      </select>
    </label>
  );
}

/**
 * The three pickers. With `live`, a change applies to the call now; without, it is remembered for
 * the next one. `video` hides the camera in an audio call.
 */
export function DevicePicker({ live, video = true }: { live?: LiveMedia; video?: boolean }): JSX.Element {
  const state = useStore(devices);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => { watchDevices(); void refreshDevices().catch(() => undefined); }, []);
  const input = (kind: 'videoinput' | 'audioinput') => (id: string | undefined) => {
    setError(undefined);
    if (!live) return remember(kind, id);
    switchInput(live, kind, id).catch((err: unknown) => setError(err instanceof UnsendableCamera ? err.message
      : `Could not switch to that ${kind === 'videoinput' ? 'camera' : 'microphone'}.`));
  };
  // the track in use tells which device is live (the choice may be the default, or gone)
  const inUse = (kind: 'video' | 'audio') => live?.stream()?.getTracks().find((t) => t.kind === kind)?.getSettings().deviceId;
  return (
    <div class="device-picker">
      {video && <Select label="Camera" kind="videoinput" list={state.videoinput} value={inUse('video') ?? state.chosen.videoinput} onChange={input('videoinput')} />}
      <Select label="Microphone" kind="audioinput" list={state.audioinput} value={inUse('audio') ?? state.chosen.audioinput} onChange={input('audioinput')} />
      {state.canPickSpeaker && state.audiooutput.length > 0 && (
        <Select label="Speaker" kind="audiooutput" list={state.audiooutput} value={state.chosen.audiooutput} onChange={chooseSpeaker} />
      )}
      {error && <p class="error" role="alert">{error}</p>}
    </div>
  );
}

/** The call screens' "Devices" button and its panel (placed above the call controls). */
export function DevicesButton({ live, video }: { live?: LiveMedia; video: boolean }): JSX.Element {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (!open) return;
    const esc = (e: KeyboardEvent) => { if (e.key === 'Escape') { e.stopPropagation(); setOpen(false); } };
    addEventListener('keydown', esc, true);
    return () => removeEventListener('keydown', esc, true);
  }, [open]);
  return (
    <>
      <button type="button" class="round" aria-expanded={open} aria-controls="call-devices" onClick={() => setOpen(!open)}>
        <Icon name="sliders" /><span>Devices</span>
      </button>
      {open && (
        <div id="call-devices" class="devices-panel" role="group" aria-label="Devices">
          <DevicePicker live={live} video={video} />
          <button type="button" class="small" onClick={() => setOpen(false)}>Done</button>
        </div>
      )}
    </>
  );
}
