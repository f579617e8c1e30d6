import { useEffect, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import type { App } from '../app.js';
import { useStore } from '../state/use-store.js';
import { availability } from '../features/roster.js';
import { Avatar, displayName } from './Contacts.js';
import { Icon } from './icons.js';
import { Composer } from './Composer.js';
import { MessageBody } from './MessageBody.js';
import { FileView } from './FileView.js';
import { lastOwnMessage, type ChatMessage } from '../features/chat.js';
import { GroupsEditor } from './GroupsEditor.js';
import { ComposingAbout, Quote, useCompose } from './use-compose.js';
import { useFileDrop } from './use-file-drop.js';

const time = (t: number) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

export function Chat({ app, peer, onBack }: { app: App; peer: string; onBack: () => void }): JSX.Element {
  const roster = useStore(app.roster);
  const chat = useStore(app.chat);
  const call = useStore(app.call);
  const [confirming, setConfirming] = useState(false);
  const [renaming, setRenaming] = useState<string | undefined>();
  const [grouping, setGrouping] = useState(false);
  const avatars = useStore(app.avatars);
  // a correction (XEP-0308) or a reply (XEP-0461) being written, one at a time
  const compose = useCompose<ChatMessage>(peer, (body, about) => app.messages?.send(peer, body, about));
  const files = useFileDrop((f) => app.files?.send(peer, f) ?? Promise.resolve());
  const log = useRef<HTMLOListElement>(null);
  const conv = chat.conversations[peer];
  const contact = roster.contacts[peer];
  const name = displayName(contact, peer);
  const presence = availability(contact);
  const inCall = call.phase !== 'idle' && call.phase !== 'ended';

  // follow the newest message; older pages from the archive are added above without jumping
  const newest = conv?.messages[conv.messages.length - 1];
  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [newest?.id, newest?.at, peer]);
  // the first time a conversation opens, what the archive has of it (XEP-0313)
  useEffect(() => {
    if (!conv?.history) void app.messages?.loadOlder(peer);
  }, [peer]);
  const onScroll = (e: Event) => {
    if ((e.currentTarget as HTMLElement).scrollTop < 40 && conv?.history && !conv.history.complete) void app.messages?.loadOlder(peer);
  };

  const last = lastOwnMessage(conv);
  const byId = (id: string) => conv?.messages.find((x) => x.id === id && x.kind !== 'call');

  return (
    <section class={`chat ${files.dragging ? 'dragging' : ''}`} aria-label={`Conversation with ${name}`} {...files.dropTarget}>
      <header class="chat-head">
        <button type="button" class="icon-button back" onClick={onBack} aria-label="Back to contacts"><Icon name="back" /></button>
        <Avatar name={name} presence={presence} src={avatars[peer]} id={peer} />
        <div class="grow">
          <h2>{name}</h2>
          <small class="muted">{peer}</small>
        </div>
        <button type="button" class="icon-button call" aria-label="Audio call" title="Audio call" disabled={inCall}
          onClick={() => void app.calls?.call(peer, 'audio')}><Icon name="phone" /></button>
        <button type="button" class="icon-button call" aria-label="Video call" title="Video call" disabled={inCall}
          onClick={() => void app.calls?.call(peer, 'video')}><Icon name="video" /></button>
        {contact && <button type="button" class="icon-button" aria-label="Rename contact" title="Rename contact" aria-expanded={renaming !== undefined}
          onClick={() => setRenaming(renaming === undefined ? contact.name ?? '' : undefined)}><Icon name="edit" /></button>}
        {contact && <button type="button" class="icon-button" aria-label="Edit groups" title="Edit groups" aria-expanded={grouping}
          onClick={() => setGrouping(!grouping)}><Icon name="folder" /></button>}
        <button type="button" class="icon-button" aria-label="Remove contact" title="Remove contact" aria-expanded={confirming}
          onClick={() => setConfirming(!confirming)}><Icon name="trash" /></button>
      </header>
      {renaming !== undefined && (
        <form class="confirm rename" aria-label="Rename contact" onSubmit={(e) => {
          e.preventDefault();
          app.contacts?.rename(peer, renaming).catch(() => undefined); // the roster push shows the new name
          setRenaming(undefined);
        }}>
          <label class="grow">
            <span class="sr-only">Name</span>
            <input type="text" value={renaming} placeholder={peer} maxLength={100} autoFocus onInput={(e) => setRenaming(e.currentTarget.value)} />
          </label>
          <button type="submit" class="small primary">Save</button>
          <button type="button" class="small" onClick={() => setRenaming(undefined)}>Cancel</button>
        </form>
      )}
      {grouping && contact && <GroupsEditor app={app} contact={contact} onDone={() => setGrouping(false)} />}
      {confirming && (
        <div class="confirm" role="group" aria-label="Remove contact">
          <span class="grow">Remove {name} from your contacts? You will no longer see each other's presence.</span>
          <button type="button" class="small danger" onClick={() => {
            setConfirming(false);
            app.messages?.open(undefined);
            void app.contacts?.remove(peer);
          }}>Remove</button>
          <button type="button" class="small" onClick={() => setConfirming(false)}>Cancel</button>
        </div>
      )}
      <ol class="messages" ref={log} role="log" aria-label="Messages" aria-live="polite" onScroll={onScroll}>
        {conv?.history && !conv.history.complete && (conv.messages.length > 0) && (
          <li class="older">
            <button type="button" class="small" disabled={conv.history.loading} onClick={() => void app.messages?.loadOlder(peer)}>
              {conv.history.loading ? 'Loading…' : 'Load earlier messages'}
            </button>
          </li>
        )}
        {(conv?.messages ?? []).length === 0 && <li class="empty muted">{conv?.history?.loading ? 'Loading history…' : `Say hello to ${name}.`}</li>}
        {(conv?.messages ?? []).map((m) => m.kind === 'call' ? (
          <li key={`${m.id}${m.at}`} class={`call-line ${m.dir}`}><Icon name={m.body.startsWith('Video') || m.body.includes('video') ? 'video' : 'phone'} size={14} /> {m.body} · {time(m.at)}</li>
        ) : (
          <li key={`${m.dir}${m.id}${m.at}`} class={`bubble ${m.dir}`}>
            {m.reply && <Quote text={byId(m.reply.id)?.body ?? m.reply.fallback} />}
            {m.file ? <FileView m={m} onCancel={() => app.files?.cancel(peer, m.id)} /> : <MessageBody body={m.body} />}
            <span class="meta">
              {m.id && !m.file && !m.upload && (
                <button type="button" class="link-button" aria-label="Reply" title="Reply" onClick={() => compose.reply(m)}>↩</button>
              )}
              {m === last && <button type="button" class="link-button" aria-label="Edit" title="Edit (Up arrow)" onClick={() => compose.edit(m)}><Icon name="edit" size={12} /></button>}
              {m.edited && <span class="edited">edited · </span>}
              {time(m.at)}
              {m.dir === 'out' && (
                <span class={`receipt ${m.status}`} title={m.status === 'delivered' ? 'Delivered' : 'Sent'}
                  aria-label={m.status === 'delivered' ? 'Delivered' : 'Sent'}>{m.status === 'delivered' ? '✓✓' : '✓'}</span>
              )}
            </span>
          </li>
        ))}
      </ol>
      <p class="typing-line" aria-live="polite">{conv?.peerState === 'composing' ? `${name} is typing…` : ''}</p>
      {files.error && <p class="error file-error" role="alert">{files.error}</p>}
      <ComposingAbout compose={compose} />
      <Composer label="Message" placeholder={`Message ${name}`} sendLabel="Send" value={compose.draft}
        onInput={(v) => { compose.setDraft(v); app.messages?.typing(peer); }} onSend={compose.submit} onFiles={files.sendFiles}
        onEditLast={() => compose.edit(last)} onCancel={compose.cancel} />
    </section>
  );
}
