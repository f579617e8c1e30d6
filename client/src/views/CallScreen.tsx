import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import type { App } from '../app.js';
import type { CallView } from '../features/calls.js';
import type { EndReason } from '../protocol/call-machine.js';
import { useStore } from '../state/use-store.js';
import { Avatar, displayName } from './Contacts.js';
import { Icon } from './icons.js';
import { Video } from './Video.js';
import { explanation } from '../features/call-words.js';
import { QualityBadge } from './Quality.js';
import { DevicesButton } from './DevicePicker.js';

const ENDED: Record<EndReason, string> = {
  'hangup': 'Call ended',
  'remote-hangup': 'Call ended',
  'declined': 'Call declined',
  'busy': 'Busy',
  'missed': 'Missed call',
  'cancelled': 'Call cancelled',
  'no-answer': 'No answer',
  'answered-elsewhere': 'Answered on another device',
  'failed': 'Call failed',
  'offline': 'Not available',
  'incapable': 'Cannot take calls',
};

function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}

function Duration({ since }: { since: number }): JSX.Element {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return <span class="duration" role="timer" aria-label="Call duration">{duration(now - since)}</span>;
}

/** Moves focus into a dialog when it opens, so keyboard users land on its first action. */
function useFocusFirst(dep: unknown) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('button')?.focus();
  }, [dep]);
  return ref;
}

function Incoming({ app, call, name }: { app: App; call: CallView; name: string }): JSX.Element {
  const ref = useFocusFirst(call.sid);
  return (
    <div class="call-screen incoming" role="dialog" aria-modal="true" aria-label="Incoming call" ref={ref}>
      <div class="call-who pulse">
        <Avatar name={name} />
        <h2>{name}</h2>
        <p>Incoming {call.media === 'video' ? 'video' : 'audio'} call</p>
        <small>{call.peer}</small>
      </div>
      <div class="call-actions">
        <button type="button" class="round accept" onClick={() => void app.calls?.accept()}>
          <Icon name={call.media === 'video' ? 'video' : 'phone'} size={26} /><span>Accept</span>
        </button>
        <button type="button" class="round hangup" onClick={() => app.calls?.decline()}>
          <Icon name="hangup" size={26} /><span>Decline</span>
        </button>
      </div>
    </div>
  );
}

function Controls({ app, call }: { app: App; call: CallView }): JSX.Element {
  const live = call.phase === 'active' || call.phase === 'connecting';
  return (
    <div class="call-controls" role="toolbar" aria-label="Call controls">
      <button type="button" class="round" aria-pressed={call.muted} onClick={() => app.calls?.toggleMute()} disabled={!call.local}>
        <Icon name={call.muted ? 'micOff' : 'mic'} /><span>{call.muted ? 'Unmute' : 'Mute'}</span>
      </button>
      {call.media === 'video' && (
        <button type="button" class="round" aria-pressed={call.cameraOff} onClick={() => app.calls?.toggleCamera()} disabled={!call.local}>
          <Icon name={call.cameraOff ? 'videoOff' : 'video'} /><span>{call.cameraOff ? 'Camera on' : 'Camera off'}</span>
        </button>
      )}
      {call.media === 'video' && 'getDisplayMedia' in (navigator.mediaDevices ?? {}) && (
        <button type="button" class="round" aria-pressed={call.sharing} disabled={!live}
          onClick={() => void app.calls?.toggleScreenShare().catch(() => undefined)}>
          <Icon name="screen" /><span>{call.sharing ? 'Stop sharing' : 'Share screen'}</span>
        </button>
      )}
      {call.media !== 'video' && call.phase === 'active' && (
        <button type="button" class="round" disabled={!!call.videoRequest} onClick={() => void app.calls?.addVideo()}>
          <Icon name="video" /><span>{call.videoRequest === 'outgoing' ? 'Asking…' : 'Turn on camera'}</span>
        </button>
      )}
      {call.local && <DevicesButton live={app.calls?.live} video={call.media === 'video'} />}
      <button type="button" class="round hangup" onClick={() => app.calls?.hangup()}>
        <Icon name="hangup" /><span>Hang up</span>
      </button>
    </div>
  );
}

function InCall({ app, call, name }: { app: App; call: CallView; name: string }): JSX.Element {
  const ref = useFocusFirst(call.phase === 'active');
  const stats = useCallback(() => app.calls?.stats() ?? Promise.resolve(undefined), [app.calls, call.sid]);
  const status = call.phase === 'active' && call.startedAt
    ? <>{<Duration since={call.startedAt} />} <QualityBadge stats={stats} /></>
    : <span>{call.checking ? `Looking for ${name}'s devices…` : call.phase === 'proposing' ? 'Calling…' : call.phase === 'ringing' ? 'Ringing…' : 'Connecting…'}</span>;
  const video = call.media === 'video';
  const cameraOff = video && (call.remoteCameraOff || call.remoteVideoStalled);
  const showVideo = video && call.remote && call.phase === 'active' && !cameraOff;
  return (
    <div class={`call-screen in-call ${video ? 'video' : 'audio'}`} role="dialog" aria-modal="true" aria-label={`Call with ${name}`} ref={ref}>
      {showVideo
        ? <Video stream={call.remote} label="Remote video" class="remote" />
        : (
          <div class="call-who">
            <Avatar name={name} />
            <h2>{name}</h2>
            <small>{video ? 'Video call' : 'Audio call'}</small>
            {status}
            {cameraOff && call.phase === 'active' && <p class="camera-off" role="status"><Icon name="videoOff" size={18} /> {name}'s camera is off</p>}
            {call.remote && <Video stream={call.remote} label="Remote video" class="remote hidden-media" />}
          </div>
        )}
      {showVideo && (
        <div class="call-top"><strong>{name}</strong> · {status}</div>
      )}
      {call.remoteMuted && call.phase === 'active' && (
        <p class="peer-muted" role="status"><Icon name="micOff" size={16} /> {name} is muted</p>
      )}
      {video && call.local && (
        <Video stream={call.local} muted label="Your camera" class={`local ${call.cameraOff ? 'off' : ''}`} />
      )}
      {call.videoRequest === 'incoming' && call.phase === 'active' && (
        <div class="video-request" role="alertdialog" aria-label="Video request">
          <p>{name} wants to turn on video</p>
          <button type="button" class="primary" onClick={() => void app.calls?.acceptVideo()}>Accept</button>
          <button type="button" onClick={() => app.calls?.declineVideo()}>Decline</button>
        </div>
      )}
      {call.videoDeclined && call.phase === 'active' && <p class="video-declined" role="status">{name} declined video</p>}
      <Controls app={app} call={call} />
    </div>
  );
}

function Ended({ app, call, name }: { app: App; call: CallView; name: string }): JSX.Element {
  const ref = useFocusFirst(call.sid);
  useEffect(() => {
    const t = setTimeout(() => app.calls?.dismiss(), 6000);
    return () => clearTimeout(t);
  }, [call.sid]);
  const reason = call.endReason ?? 'hangup';
  const text = reason === 'missed' ? `Missed call from ${name}` : explanation(call, name) ?? ENDED[reason];
  return (
    <div class="call-screen ended" role="dialog" aria-label="Call ended" ref={ref}>
      <div class="call-who">
        <Avatar name={name} />
        <h2>{name}</h2>
        <p class="end-reason" role="status">{text}</p>
        {call.error && <p class="error">{call.error}</p>}
      </div>
      <div class="call-actions">
        <button type="button" class="primary" onClick={() => app.calls?.dismiss()}>Close</button>
      </div>
    </div>
  );
}

export function CallScreen({ app }: { app: App }): JSX.Element | null {
  const call = useStore(app.call);
  const roster = useStore(app.roster);
  if (call.phase === 'idle' || !call.peer) return null;
  const name = displayName(roster.contacts[call.peer], call.peer);
  if (call.phase === 'ended') return <Ended app={app} call={call} name={name} />;
  if (call.direction === 'incoming' && call.phase === 'ringing') return <Incoming app={app} call={call} name={name} />;
  return <InCall app={app} call={call} name={name} />;
}
