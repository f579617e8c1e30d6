// The room's messages and composer beside its call (below the tiles on a phone), so that the
// call need not be left to read or write in the room. Collapsed by default at phone width.
import type { JSX } from 'preact';
import { useStore } from '../../state/use-store.js';
import type { AppWithRooms } from '../../rooms/app-with-rooms.js';
import { RoomLog } from './RoomLog.js';

export function RoomChat({ app, room }: { app: AppWithRooms; room: string }): JSX.Element | null {
  const state = useStore(app.rooms.state);
  const r = state.rooms[room];
  if (!r) return null;
  return (
    <aside class="call-chat" aria-label="Chat in the call">
      <RoomLog app={app} room={r} logLabel="Messages in the call" composerLabel="Message to the call" sendLabel="Send to the call"
        placeholder="Message everyone" empty="No messages yet." last={200} />
    </aside>
  );
}
