// The group call: a tile per participant (the name from the owner label of their sources, their
// mute state), our own camera, and the controls: Mute, Camera, Invite, Leave call.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { localOf } from '../../protocol/jid.js';
import { useStore } from '../../state/use-store.js';
import { Avatar, displayName } from '../Contacts.js';
import { Icon } from '../icons.js';
import { Video } from '../Video.js';
import { QualityBadge } from '../Quality.js';
import { ownerOf, type Tile } from '../../rooms/group-call.js';
import { watchSpeaker } from '../../rooms/active-speaker.js';
import { RoomChat } from './RoomChat.js';
import { DevicesButton } from '../DevicePicker.js';
import { useInert } from '../use-inert.js';
import type { AppWithRooms } from '../../rooms/app-with-rooms.js';

function RemoteTile({ tile, stream, speaking }: { tile: Tile; stream?: MediaStream; speaking: boolean }): JSX.Element {
  if (tile.screen) {
    // a shared screen: shown whole (contain), never mirrored, no microphone state of its own
    return (
      <figure class="tile screen" aria-label={`${tile.nick}'s screen`}>
        <Video stream={stream} label={`${tile.nick}'s screen`} />
        <figcaption><Icon name="screen" size={14} /><span>{tile.nick}'s screen</span></figcaption>
      </figure>
    );
  }
  const hasVideo = Object.values(tile.contents).includes('video') && !tile.muted.video && !tile.paused;
  // last-N: the room forwards this video again once they speak (protocol/carillon-forwarding.ts)
  const paused = tile.paused && !tile.muted.video;
  const micOff = tile.muted.audio || !Object.values(tile.contents).includes('audio');
  return (
    <figure class={`tile ${hasVideo ? '' : 'no-video'} ${speaking ? 'speaking' : ''}`}
      aria-label={`${tile.nick}${speaking ? ', speaking' : ''}${micOff ? ', muted' : ''}${tile.muted.video ? ', camera off' : ''}${paused ? ', video paused' : ''}`}>
      <Video stream={stream} label={`Video of ${tile.nick}`} />
      {!hasVideo && <Avatar name={tile.nick} />}
      {paused && <p class="paused-note" role="note">Video paused — not speaking recently</p>}
      <figcaption>
        {micOff && <span class="muted-icon" title="Muted"><Icon name="micOff" size={14} /></span>}
        {tile.muted.video && <span class="muted-icon" title="Camera off"><Icon name="videoOff" size={14} /></span>}
        <span>{tile.nick}</span>
      </figcaption>
    </figure>
  );
}

function InvitePanel({ app, room, onClose }: { app: AppWithRooms; room: string; onClose: () => void }): JSX.Element {
  const roster = useStore(app.roster);
  const [address, setAddress] = useState('');
  const [sent, setSent] = useState<string[]>([]);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('input')?.focus();
    const esc = (e: KeyboardEvent) => { if (e.key === 'Escape') { e.stopPropagation(); onClose(); } };
    addEventListener('keydown', esc, true);
    return () => removeEventListener('keydown', esc, true);
  }, []);
  const invite = (jid: string) => {
    const to = jid.trim().toLowerCase();
    if (!/^[^@\s/]+@[^@\s/]+$/.test(to)) return;
    app.rooms.invite(room, to);
    setSent((s) => [...s, to]);
  };
  const contacts = Object.values(roster.contacts);
  return (
    <div class="invite-panel" role="dialog" aria-label="Invite to the call" ref={ref}>
      <h3>Invite to this call</h3>
      <form onSubmit={(e) => { e.preventDefault(); invite(address); setAddress(''); }}>
        <label class="grow"><span>Address</span>
          <input type="email" value={address} placeholder="name@example.org" autocomplete="off" onInput={(e) => setAddress(e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary" disabled={!address.includes('@')}>Send invite</button>
      </form>
      {contacts.length > 0 && <ul class="room-list-items" aria-label="Contacts">
        {contacts.map((c) => (
          <li class="contact-row" key={c.jid}>
            <Avatar name={displayName(c, c.jid)} />
            <span class="grow"><strong>{displayName(c, c.jid)}</strong><small class="muted">{c.jid}</small></span>
            {sent.includes(c.jid)
              ? <span class="sent" role="status">Invited</span>
              : <button type="button" class="small" onClick={() => invite(c.jid)}>Invite {displayName(c, c.jid)}</button>}
          </li>
        ))}
      </ul>}
      {sent.filter((j) => !roster.contacts[j]).map((j) => <p class="sent" role="status" key={j}>Invitation sent to {j}</p>)}
      <button type="button" class="small" onClick={onClose}>Done</button>
    </div>
  );
}

export function GroupCallScreen({ app }: { app: AppWithRooms }): JSX.Element | null {
  const call = useStore(app.rooms.call);
  const media = useStore(app.rooms.media);
  const rooms = useStore(app.rooms.state);
  const screen = useStore(app.rooms.screen.local);
  const [inviting, setInviting] = useState(false);
  const [chatOpen, setChatOpen] = useState(() => typeof innerWidth === 'number' && innerWidth >= 760);
  const [speaker, setSpeaker] = useState<string | undefined>();
  const ref = useRef<HTMLDivElement>(null);
  const live = call.phase !== 'idle' && !!call.room;
  const stats = useCallback(() => app.rooms.stats(), [app.rooms, call.room]);
  // the highlight only: announcing every change to screen readers would talk over the call and
  // the chat; the tile's name says "speaking" for whoever looks (docs/client.md)
  useEffect(() => {
    if (call.phase !== 'active') return;
    return watchSpeaker(() => app.rooms.stats(), (mid) => ownerOf(app.rooms.call.value, mid), setSpeaker);
  }, [call.phase, call.sid]);
  useInert(live, '.shell > .sidebar, .shell > .main, .shell > .rooms-view');
  useEffect(() => {
    if (live) ref.current?.querySelector<HTMLElement>('.call-controls button')?.focus();
    else setInviting(false);
  }, [live]);
  if (!live) return null;
  const room = call.room!;
  const nick = rooms.rooms[room]?.nick ?? 'You';
  const tiles = Object.values(call.tiles).sort((a, b) => a.nick.localeCompare(b.nick));
  const people = tiles.filter((t) => !t.screen).length + 1;
  const n = tiles.length + 1 + (screen ? 1 : 0); // tiles on the grid
  const hasCamera = !!media.local?.getVideoTracks().length;
  const style = { '--cols-wide': String(n <= 1 ? 1 : n <= 4 ? 2 : 3), '--cols-narrow': String(n <= 3 ? 1 : 2) } as unknown as JSX.CSSProperties;
  return (
    <div class="call-screen group-call" role="dialog" aria-modal="true" aria-label={`Call in ${localOf(room) || room}`} ref={ref}>
      <div class="group-top">
        <span class="grow">
          <h2>{rooms.rooms[room]?.name || localOf(room) || room}</h2>
          <small role="status">{call.phase === 'connecting' ? 'Connecting…' : `${people} in the call`}</small>
          {/* the link to the room's forwarding unit: what every tile's media comes through */}
          {call.phase !== 'connecting' && <QualityBadge stats={stats} />}
          {call.error && <p class="error" role="alert">{call.error}</p>}
        </span>
      </div>
      <div class={`call-body ${chatOpen ? 'with-chat' : ''}`}>
      <div class="tiles" style={style}>
        {tiles.map((t) => <RemoteTile key={t.owner} tile={t} stream={media.remote[t.owner]} speaking={speaker === t.owner} />)}
        {screen && (
          <figure class="tile screen" aria-label="Your screen">
            <Video stream={screen} muted label="Your screen" />
            <figcaption><Icon name="screen" size={14} /><span>Your screen</span></figcaption>
          </figure>
        )}
        <figure class={`tile ${hasCamera && !call.cameraOff ? '' : 'no-video'}`} aria-label={`${nick} (you)${call.muted ? ', muted' : ''}`}>
          <Video stream={media.local} muted class="mirror" label="Your camera" />
          {(!hasCamera || call.cameraOff) && <Avatar name={nick} />}
          <figcaption>
            {call.muted && <span class="muted-icon" title="Muted"><Icon name="micOff" size={14} /></span>}
            <span>{nick} (you)</span>
          </figcaption>
        </figure>
        {tiles.length === 0 && call.phase === 'active' && (
          <div class="tile waiting"><p>Waiting for others to join.<br />Invite someone with the button below.</p></div>
        )}
      </div>
      {chatOpen && <RoomChat app={app} room={room} />}
      </div>
      {inviting && <InvitePanel app={app} room={room} onClose={() => setInviting(false)} />}
      <div class="call-controls" role="toolbar" aria-label="Call controls">
        <button type="button" class="round" aria-pressed={call.muted} title={call.muted ? 'Unmute' : 'Mute'} onClick={() => app.rooms.toggleMute()} disabled={!media.local}>
          <Icon name={call.muted ? 'micOff' : 'mic'} /><span>{call.muted ? 'Unmute' : 'Mute'}</span>
        </button>
        {hasCamera && (
          <button type="button" class="round" aria-pressed={call.cameraOff} title={call.cameraOff ? 'Camera on' : 'Camera off'} onClick={() => app.rooms.toggleCamera()}>
            <Icon name={call.cameraOff ? 'videoOff' : 'video'} /><span>{call.cameraOff ? 'Camera on' : 'Camera off'}</span>
          </button>
        )}
        {'getDisplayMedia' in (navigator.mediaDevices ?? {}) && (
          <button type="button" class="round" aria-pressed={!!screen} title={screen ? 'Stop sharing' : 'Share screen'} disabled={call.phase !== 'active'}
            onClick={() => void app.rooms.screen.toggle()}>
            <Icon name="screen" /><span>{screen ? 'Stop sharing' : 'Share screen'}</span>
          </button>
        )}
        <button type="button" class="round" aria-expanded={chatOpen} title="Chat" onClick={() => setChatOpen(!chatOpen)}>
          <Icon name="chat" /><span>Chat</span>
        </button>
        {media.local && <DevicesButton live={app.rooms.live} video={hasCamera} />}
        <button type="button" class="round" aria-expanded={inviting} title="Invite" onClick={() => setInviting(!inviting)}>
          <Icon name="plus" /><span>Invite</span>
        </button>
        <button type="button" class="round hangup" title="Leave call" onClick={() => app.rooms.leaveCall()}>
          <Icon name="hangup" /><span>Leave call</span>
        </button>
      </div>
    </div>
  );
}
