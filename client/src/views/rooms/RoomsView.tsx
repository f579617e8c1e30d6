// The rooms view: join a room by address, the rooms joined, and one room's chat and occupants
// with "Join call". The group call itself is GroupCallScreen.tsx.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { localOf } from '../../protocol/jid.js';
import { useStore } from '../../state/use-store.js';
import { Avatar } from '../Contacts.js';
import { Icon } from '../icons.js';
import { useInert } from '../use-inert.js';
import { RoomLog } from './RoomLog.js';
import type { AppWithRooms } from '../../rooms/app-with-rooms.js';
import type { Room } from '../../rooms/room-state.js';
import { GroupCallScreen } from './GroupCallScreen.js';
import { PublicRooms } from './PublicRooms.js';
import { InviteCard } from './InviteCard.js';
import { OccupantMenu, RoomSettings, SubjectEditor } from './RoomAdminViews.js';
import { mayChangeSubject, mayConfigure } from '../../rooms/room-permissions.js';

const roomName = (jid: string) => localOf(jid) || jid;
/** What a room is called: its configured name (disco#info identity), else its address's local part. */
const titleOf = (r: Room) => r.name || roomName(r.jid);

export function UsersIcon({ size = 20 }: { size?: number }): JSX.Element {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"
      stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">
      <path d="M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2 M9 7a4 4 0 1 0 0 .01 M23 21v-2a4 4 0 0 0-3-3.9 M16 3.1a4 4 0 0 1 0 7.8" />
    </svg>
  );
}

/** The "Rooms" control of the app's header. */
export function RoomsButton({ app }: { app: AppWithRooms }): JSX.Element {
  const shown = useStore(app.rooms.shown);
  const state = useStore(app.rooms.state);
  const pending = state.invites.length;
  return (
    <button type="button" class="small rooms-toggle" aria-label="Rooms" aria-pressed={shown}
      title={pending ? `Rooms: ${pending} invitation${pending > 1 ? 's' : ''}` : 'Rooms'}
      onClick={() => app.rooms.show(!shown)}>
      <UsersIcon size={16} /><span aria-hidden="true">Rooms</span>
      {pending > 0 && <span class="badge" aria-hidden="true">{pending}</span>}
    </button>
  );
}

function JoinForm({ app }: { app: AppWithRooms }): JSX.Element {
  const [address, setAddress] = useState('');
  const [nick, setNick] = useState('');
  const [error, setError] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    const err = app.rooms.join(address, nick);
    setError(err ?? '');
    if (!err) setAddress('');
  };
  return (
    <form class="join-room" onSubmit={submit} aria-label="Join a room">
      <h3>Join or create a room</h3>
      <label><span>Room</span>
        <input type="text" value={address} placeholder={`team@${app.rooms.defaultService}`} autocomplete="off" required
          aria-describedby="room-hint" onInput={(e) => setAddress(e.currentTarget.value)} />
      </label>
      <p class="hint" id="room-hint">A room address, or just a name for a room on your server. New rooms are created for you.</p>
      <label><span>Nickname</span>
        <input type="text" value={nick} placeholder={app.me.value ? localOf(app.me.value) : ''} autocomplete="nickname"
          onInput={(e) => setNick(e.currentTarget.value)} />
      </label>
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit" class="primary">Join</button>
    </form>
  );
}

function RoomList({ app }: { app: AppWithRooms }): JSX.Element {
  const state = useStore(app.rooms.state);
  const call = useStore(app.rooms.call);
  const rooms = Object.values(state.rooms).sort((a, b) => a.jid.localeCompare(b.jid));
  const bookmarks = useStore(app.rooms.bookmarks);
  // bookmarks not joined at sign-in (no autojoin, XEP-0402 §3): one click away
  const saved = Object.values(bookmarks).filter((b) => !state.rooms[b.room]).sort((a, b) => a.room.localeCompare(b.room));
  return (
    <nav class="rooms-list" aria-label="Your rooms">
      {state.invites.length > 0 && (
        <section aria-label="Invitations" class="room-list-items">
          <h3>Invitations</h3>
          {state.invites.map((inv) => <InviteCard app={app} inv={inv} key={inv.room} />)}
        </section>
      )}
      <JoinForm app={app} />
      <PublicRooms app={app} />
      {saved.length > 0 && (
        <section class="room-list-items" aria-label="Saved rooms">
          <h3>Saved rooms</h3>
          <ul class="room-list-items">
            {saved.map((b) => (
              <li key={b.room}>
                <button type="button" class="room-entry" onClick={() => app.rooms.join(b.room, b.nick ?? '')}>
                  <span class="room-avatar" aria-hidden="true">#</span>
                  <span class="grow"><strong>{b.name || roomName(b.room)}</strong><small>{b.room}</small></span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      {rooms.length > 0 && (
        <section class="room-list-items" aria-label="Joined rooms">
          <h3>Your rooms</h3>
          <ul class="room-list-items">
            {rooms.map((r) => {
              const n = Object.keys(r.occupants).length;
              const live = call.room === r.jid && call.phase !== 'idle';
              return (
                <li key={r.jid}>
                  <button type="button" class={`room-entry ${state.open === r.jid ? 'active' : ''}`}
                    aria-current={state.open === r.jid ? 'true' : undefined} onClick={() => app.rooms.open(r.jid)}>
                    <span class="room-avatar" aria-hidden="true">#</span>
                    <span class="grow">
                      <strong>{titleOf(r)}</strong>
                      <small>{r.phase === 'joining' ? 'Joining…' : r.phase === 'failed' ? 'Could not join' : `${n} ${n === 1 ? 'person' : 'people'}${live ? ' · in call' : ''}`}</small>
                    </span>
                  </button>
                </li>
              );
            })}
          </ul>
        </section>
      )}
    </nav>
  );
}

function Occupants({ app, room, inCall }: { app: AppWithRooms; room: Room; inCall: Set<string> }): JSX.Element {
  const list = Object.values(room.occupants).sort((a, b) => a.nick.localeCompare(b.nick));
  const avatars = useStore(app.avatars);
  const [error, setError] = useState('');
  return (
    <aside class="occupants" aria-label="Occupants">
      <h3>People · {list.length}</h3>
      {error && <p class="error" role="alert">{error}</p>}
      <ul class="occupants-list" style={{ display: 'contents' }}>
        {list.map((o) => (
          <li class="occupant" key={o.nick}>
            <Avatar name={o.nick} id={o.nick} src={avatars[`${room.jid}/${o.nick}`] ?? (o.jid ? avatars[o.jid.split('/')[0]!] : undefined)}
              presence={o.show === 'available' || o.show === 'chat' ? 'available' : o.show === 'dnd' ? 'busy' : 'away'} />
            <span class="grow">{o.nick}{o.nick === room.nick ? ' (you)' : ''}</span>
            {o.role === 'moderator' && <span class="role">mod</span>}
            {o.role === 'visitor' && <span class="role">no voice</span>}
            {inCall.has(o.nick) && <span class="in-call" title="In the call" aria-label="in the call"><Icon name="video" size={14} /></span>}
            <OccupantMenu app={app} room={room} occupant={o} onError={setError} />
          </li>
        ))}
      </ul>
    </aside>
  );
}

/** A room that refused us, or that we were removed from: join again, maybe under another nickname. */
function Retry({ app, room }: { app: AppWithRooms; room: Room }): JSX.Element {
  const [nick, setNick] = useState(room.nick);
  return (
    <form class="room-retry" aria-label="Join again" onSubmit={(e) => { e.preventDefault(); app.rooms.join(room.jid, nick); }}>
      <label class="grow"><span>Nickname</span>
        <input type="text" value={nick} autocomplete="nickname" onInput={(e) => setNick(e.currentTarget.value)} />
      </label>
      <button type="submit" class="primary">Join again</button>
      <button type="button" onClick={() => app.rooms.leave(room.jid)}>Close</button>
    </form>
  );
}

function RoomPane({ app, room }: { app: AppWithRooms; room: Room }): JSX.Element {
  const call = useStore(app.rooms.call);
  const [panel, setPanel] = useState<'settings' | 'subject' | undefined>();
  const me = room.occupants[room.nick];
  const joined = room.phase === 'joined';
  const inThisCall = call.room === room.jid && call.phase !== 'idle';
  const inCall = new Set(inThisCall ? [room.nick, ...Object.values(call.tiles).map((t) => t.nick)] : []);
  return (
    <section class="room" aria-label={`Room ${roomName(room.jid)}`}>
      <header class="room-head">
        <button type="button" class="icon-button room-back" aria-label="All rooms" onClick={() => app.rooms.open(undefined)}><Icon name="back" /></button>
        <span class="room-avatar" aria-hidden="true">#</span>
        <div class="grow">
          <h2>{titleOf(room)}</h2>
          <small class="muted">{room.subject ? <span class="subject">{room.subject}</span> : room.jid}</small>
        </div>
        {(room.phase === 'joined' || room.phase === 'joining') && <div class="actions">
          <button type="button" class="primary" disabled={room.phase !== 'joined' || (call.phase !== 'idle' && !inThisCall)}
            onClick={() => void app.rooms.joinCall(room.jid)}>
            <Icon name="video" size={18} /><span>{inThisCall ? 'In call' : 'Join call'}</span>
          </button>
          {joined && mayChangeSubject(me, !!room.participantsMayChangeSubject) && <button type="button" class="small" aria-expanded={panel === 'subject'}
            onClick={() => setPanel(panel === 'subject' ? undefined : 'subject')}>Change subject</button>}
          {joined && mayConfigure(me) && <button type="button" class="icon-button" aria-label="Room settings" title="Room settings"
            aria-expanded={panel === 'settings'} onClick={() => setPanel(panel === 'settings' ? undefined : 'settings')}><Icon name="settings" /></button>}
          <button type="button" class="small" onClick={() => app.rooms.leave(room.jid)}>Leave room</button>
        </div>}
      </header>
      {joined && panel === 'subject' && <SubjectEditor app={app} room={room} onClose={() => setPanel(undefined)} />}
      {joined && panel === 'settings' && <RoomSettings app={app} room={room} onClose={() => setPanel(undefined)} />}
      {room.phase === 'joining' && <p class="room-status muted" role="status">Joining {room.jid} as {room.nick}…</p>}
      {room.error && <p class="room-status error" role="alert">{room.error}</p>}
      {(room.phase === 'failed' || room.phase === 'left') && <Retry app={app} room={room} />}
      {call.error && !inThisCall && <p class="room-status error" role="alert">{call.error}</p>}
      {room.phase !== 'failed' && <div class="room-main">
        <div class="room-chat">
          <RoomLog app={app} room={room} logLabel="Room messages" composerLabel="Message to the room" sendLabel="Send to room"
            placeholder={`Message #${roomName(room.jid)}`} empty="No messages yet. Say hello." />
        </div>
        <Occupants app={app} room={room} inCall={inCall} />
      </div>}
    </section>
  );
}

/** The rooms view (when shown) and the group call (when in one). */
export function RoomsView({ app }: { app: AppWithRooms }): JSX.Element | null {
  const shown = useStore(app.rooms.shown);
  const state = useStore(app.rooms.state);
  const call = useStore(app.rooms.call);
  const chat = useStore(app.chat);
  const ref = useRef<HTMLElement>(null);
  const room = state.open ? state.rooms[state.open] : undefined;
  // a conversation opened from the contact list comes to the front
  useEffect(() => {
    if (chat.open) app.rooms.show(false);
  }, [chat.open]);
  const wide = typeof matchMedia === 'function' && matchMedia('(min-width: 760px)').matches;
  useInert(shown && call.phase === 'idle', wide ? '.shell > .main' : '.shell > .main, .shell > .sidebar');
  useEffect(() => {
    if (shown) ref.current?.querySelector<HTMLElement>('input, button:not(.room-back)')?.focus();
  }, [shown]);
  useEffect(() => {
    const esc = (e: KeyboardEvent) => { if (e.key === 'Escape' && call.phase === 'idle') app.rooms.show(false); };
    if (shown) addEventListener('keydown', esc);
    return () => removeEventListener('keydown', esc);
  }, [shown, call.phase]);
  return (
    <>
      {shown && (
        <section ref={ref} class={`rooms-view ${room ? 'has-room' : ''}`} aria-label="Rooms view" role="region">
          <header class="rooms-head">
            <span class="room-avatar" aria-hidden="true"><UsersIcon /></span>
            <h2 class="grow">Rooms</h2>
            <button type="button" class="icon-button" aria-label="Close rooms" title="Close rooms" onClick={() => app.rooms.show(false)}><Icon name="x" /></button>
          </header>
          <div class="rooms-body">
            <RoomList app={app} />
            {room
              ? <RoomPane app={app} room={room} key={room.jid} />
              : <div class="rooms-empty muted"><p>Join a room to chat and call with several people at once.</p></div>}
          </div>
        </section>
      )}
      <GroupCallScreen app={app} />
    </>
  );
}
