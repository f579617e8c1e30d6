// The composer's state shared by a 1:1 conversation (Chat.tsx) and a room (rooms/RoomLog.tsx): the
// draft, and at most one of a correction (XEP-0308) or a reply (XEP-0461) being written. Both belong
// to the conversation they were started in: a change of `scope` drops them.
import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';

export interface ComposedMessage { id: string; body: string }

export interface Compose<M extends ComposedMessage> {
  draft: string;
  setDraft(v: string): void;
  editing: M | undefined;
  replying: M | undefined;
  /** Correct m (XEP-0308): its text goes into the field. */
  edit(m: M | undefined): void;
  /** Answer m (XEP-0461): it is quoted above the field. */
  reply(m: M): void;
  /** Give the correction or reply up (a correction's text leaves the field with it). */
  cancel(): void;
  /** Hand the draft, with what it corrects or answers, to `send`; the field starts afresh. */
  submit(): void;
}

export function useCompose<M extends ComposedMessage>(
  scope: string, send: (body: string, about: { replace?: string; reply?: M }) => void,
): Compose<M> {
  const [draft, setDraft] = useState('');
  const [editing, setEditing] = useState<M | undefined>();
  const [replying, setReplying] = useState<M | undefined>();
  useEffect(() => { setEditing(undefined); setReplying(undefined); }, [scope]);
  return {
    draft, setDraft, editing, replying,
    edit(m) {
      if (!m) return;
      setReplying(undefined);
      setEditing(m);
      setDraft(m.body);
    },
    reply(m) {
      setEditing(undefined);
      setReplying(m);
    },
    cancel() {
      if (editing) setDraft('');
      setEditing(undefined);
      setReplying(undefined);
    },
    submit() {
      send(draft, { ...(editing ? { replace: editing.id } : {}), ...(replying ? { reply: replying } : {}) });
      setDraft('');
      setEditing(undefined);
      setReplying(undefined);
    },
  };
}

/** What the field is about, above it, with a way out: "Editing your message" or the quoted message. */
export function ComposingAbout<M extends ComposedMessage>({ compose }: { compose: Compose<M> }): JSX.Element | null {
  const { editing, replying } = compose;
  if (!editing && !replying) return null;
  return (
    <div class="composing-about" role="group" aria-label={editing ? 'Editing message' : 'Replying'}>
      {editing ? <span class="grow">Editing your message</span> : <span class="grow"><Quote text={replying?.body} /></span>}
      <button type="button" class="small" onClick={() => compose.cancel()}>Cancel</button>
    </div>
  );
}

/** The message a reply answers, quoted above it (XEP-0461); its first lines only. */
export function Quote({ text }: { text: string | undefined }): JSX.Element | null {
  if (text === undefined) return null;
  const lines = text.split('\n');
  return <blockquote class="reply-quote">{lines.slice(0, 3).join('\n')}{lines.length > 3 ? '…' : ''}</blockquote>;
}
