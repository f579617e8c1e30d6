// The room's messages and composer beside its call (below the tiles on a phone), so that the
// call need not be left to read or write in the room. Collapsed by default at phone width.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { useStore } from '../state/use-store.js';
import { Composer } from '../views/Composer.js';
import { MessageBody } from '../views/MessageBody.js';
import type { AppWithRooms } from './app-with-rooms.js';

const time = (t: number) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

export function RoomChat({ app, room }: { app: AppWithRooms; room: string }): JSX.Element | null {
  const state = useStore(app.rooms.state);
  const [draft, setDraft] = useState('');
  const log = useRef<HTMLOListElement>(null);
  const r = state.rooms[room];
  const count = r?.messages.length ?? 0;
  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [count]);
  if (!r) return null;
  return (
    <aside class="call-chat" aria-label="Chat in the call">
      <ol class="messages" ref={log} role="log" aria-label="Messages in the call" aria-live="polite">
        {count === 0 && <li class="empty muted">No messages yet.</li>}
        {r.messages.slice(-200).map((m) => (
          <li key={`${m.nick}${m.id}`} class={`bubble ${m.self ? 'out' : 'in'}`}>
            {!m.self && <span class="who">{m.nick}</span>}
            <MessageBody body={m.body} />
            <span class="meta">{time(m.at)}</span>
          </li>
        ))}
      </ol>
      <Composer label="Message to the call" placeholder="Message everyone" sendLabel="Send to the call" value={draft}
        disabled={r.phase !== 'joined'} onInput={setDraft} onSend={() => { app.rooms.send(room, draft); setDraft(''); }} />
    </aside>
  );
}
