// A room's messages and its composer, in the rooms view and beside the room's call: corrections
// (XEP-0308: Up arrow in an empty field or *Edit* on our last message, *edited* on a corrected
// one) and replies (XEP-0461: *Reply* quotes the message above the field, a reply shows what it
// answers), and files (attached, pasted or dropped on the log; rooms/room-files.ts), as in a 1:1
// conversation (views/Chat.tsx).
import { useEffect, useRef } from 'preact/hooks';
import type { JSX } from 'preact';
import { Composer } from '../Composer.js';
import { MessageBody } from '../MessageBody.js';
import { FileView } from '../FileView.js';
import { useStore } from '../../state/use-store.js';
import { Icon } from '../icons.js';
import { ComposingAbout, Quote, useCompose } from '../use-compose.js';
import { useFileDrop } from '../use-file-drop.js';
import type { AppWithRooms } from '../../rooms/app-with-rooms.js';
import { lastOwnRoomMessage, type Room, type RoomMessage } from '../../rooms/room-state.js';

const time = (t: number) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
/** The time, with the date for a message of another day. */
const when = (t: number) => (new Date(t).toDateString() === new Date().toDateString() ? '' : `${new Date(t).toLocaleDateString()} `) + time(t);

export interface RoomLogProps {
  app: AppWithRooms;
  room: Room;
  /** The log's and the composer's accessible names. */
  logLabel: string;
  composerLabel: string;
  sendLabel: string;
  placeholder: string;
  empty: string;
  /** At most this many of the latest messages. */
  last?: number;
}

export function RoomLog({ app, room, logLabel, composerLabel, sendLabel, placeholder, empty, last }: RoomLogProps): JSX.Element {
  const compose = useCompose<RoomMessage>(room.jid, (body, about) => app.rooms.send(room.jid, body, about));
  const log = useRef<HTMLOListElement>(null);
  const newest = room.messages[room.messages.length - 1];
  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [newest?.stanzaId ?? newest?.id, newest?.body, room.jid]); // (not when older pages come in above)
  const mine = lastOwnRoomMessage(room);
  // XEP-0461 §3: in a room a reply names the room's stanza-id; some clients send the message id
  const answered = (id: string) => room.messages.find((x) => x.stanzaId === id) ?? room.messages.find((x) => x.id === id);
  const joined = room.phase === 'joined';
  const shown = last ? room.messages.slice(-last) : room.messages;
  const uploads = useStore(app.rooms.files.state)[room.jid] ?? [];
  const files = useFileDrop((f) => app.rooms.files.send(room.jid, f), { enabled: joined, before: () => app.rooms.files.dismissFailed(room.jid) });
  useEffect(() => { files.clearError(); }, [room.jid]);
  return (
    <>
      <ol class={`messages ${files.dragging ? 'dragging' : ''}`} ref={log} role="log" aria-label={logLabel} aria-live="polite" {...files.dropTarget}>
        {!last && room.archive && !room.archive.complete && room.messages.length > 0 && (
          <li class="older">
            <button type="button" class="small" disabled={room.archive.loading} onClick={() => void app.rooms.loadOlder(room.jid)}>
              {room.archive.loading ? 'Loading…' : 'Load earlier messages'}
            </button>
          </li>
        )}
        {room.messages.length === 0 && <li class="empty muted">{joined ? empty : ''}</li>}
        {shown.map((m) => (
          <li key={`${m.nick}${m.id}`} class={`bubble ${m.self ? 'out' : 'in'} ${m.history ? 'history' : ''}`}>
            {!m.self && <span class="who">{m.nick}</span>}
            {m.reply && <Quote text={answered(m.reply.id)?.body ?? m.reply.fallback} />}
            {m.file ? <FileView m={m} /> : <MessageBody body={m.body} />}
            <span class="meta">
              {joined && <button type="button" class="link-button" aria-label="Reply" title="Reply"
                onClick={() => compose.reply(m)}>↩</button>}
              {joined && m === mine && !m.file && <button type="button" class="link-button" aria-label="Edit" title="Edit (Up arrow)" onClick={() => compose.edit(m)}><Icon name="edit" size={12} /></button>}
              {m.edited && <span class="edited">edited · </span>}
              {when(m.at)}
            </span>
          </li>
        ))}
        {uploads.map((u) => (
          <li key={`upload ${u.id}`} class="bubble out">
            <FileView m={u.upload.state === 'sent' ? { file: u.file } : { file: u.file, upload: { progress: u.upload.progress, state: u.upload.state } }} onCancel={() => app.rooms.files.cancel(u.id)} />
          </li>
        ))}
      </ol>
      {files.error && <p class="error file-error" role="alert">{files.error}</p>}
      <ComposingAbout compose={compose} />
      <Composer label={composerLabel} placeholder={placeholder} sendLabel={sendLabel} value={compose.draft}
        disabled={!joined} onInput={compose.setDraft} onSend={compose.submit} onFiles={files.sendFiles} onEditLast={() => compose.edit(mine)} onCancel={compose.cancel} />
    </>
  );
}
