import { useEffect, useRef } from 'preact/hooks';
import type { JSX } from 'preact';
import { applySpeaker } from '../features/devices.js';

/** A <video> bound to a MediaStream (srcObject cannot be set as an attribute). */
export function Video({ stream, muted, label, class: cls }: { stream?: MediaStream; muted?: boolean; label: string; class?: string }): JSX.Element {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const v = ref.current;
    if (!v) return;
    if (v.srcObject !== (stream ?? null)) v.srcObject = stream ?? null;
    if (!muted) applySpeaker(v); // the speaker chosen in the device picker
    if (stream) void v.play().catch(() => undefined);
  });
  return <video ref={ref} class={cls} autoplay playsInline muted={muted} aria-label={label} />;
}
