// The owner's and moderators' controls of a room: its settings (the muc#roomconfig form exactly
// as the room sends it, XEP-0045 §10.2), its subject (§8.1) and each occupant's menu (kick, ban,
// voice, moderator: §8.2–§9.7). Each is shown only where room-permissions.ts allows it.
import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import type { DataFormField } from 'stanza/protocol/index.js';
import type { AppWithRooms } from '../../rooms/app-with-rooms.js';
import type { Occupant, Room } from '../../rooms/room-state.js';
import { anyAction, occupantActions } from '../../rooms/room-permissions.js';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

function Field({ field, onChange }: { field: DataFormField; onChange: (value: DataFormField['value']) => void }): JSX.Element | null {
  const label = field.label || field.name || '';
  const id = `cfg-${(field.name ?? '').replace(/[^a-z0-9]+/gi, '-')}`;
  switch (field.type) {
    case 'hidden': return null;
    case 'fixed': return <p class="muted hint">{String(field.value ?? '')}</p>;
    case 'boolean':
      return (
        <label class="check" for={id}>
          <input id={id} type="checkbox" checked={!!field.value} onChange={(e) => onChange(e.currentTarget.checked)} />
          <span>{label}</span>
        </label>
      );
    case 'list-single':
      return (
        <label for={id}><span>{label}</span>
          <select id={id} value={String(field.value ?? '')} onChange={(e) => onChange(e.currentTarget.value)}>
            {(field.options ?? []).map((o) => <option key={String(o.value)} value={String(o.value)}>{o.label || String(o.value)}</option>)}
          </select>
        </label>
      );
    case 'text-multi':
      return (
        <label for={id}><span>{label}</span>
          <textarea id={id} rows={3} value={(field.value as string[] | undefined)?.join('\n') ?? ''} onInput={(e) => onChange(e.currentTarget.value.split('\n'))} />
        </label>
      );
    case 'list-multi': case 'jid-multi': return null; // not sent by rooms we host; left as they are
    default:
      return (
        <label for={id}><span>{label}</span>
          <input id={id} type={field.type === 'text-private' ? 'password' : 'text'} autocomplete="off" value={String(field.value ?? '')}
            onInput={(e) => onChange(e.currentTarget.value)} />
        </label>
      );
  }
}

export function RoomSettings({ app, room, onClose }: { app: AppWithRooms; room: Room; onClose: () => void }): JSX.Element {
  const [fields, setFields] = useState<DataFormField[] | undefined>();
  const [title, setTitle] = useState('');
  const [error, setError] = useState('');
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    app.rooms.admin.config(room.jid).then((form) => {
      setTitle(form.title ?? '');
      setFields(form.fields ?? []);
    }, (e: unknown) => setError(message(e)));
  }, [room.jid]);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!fields) return;
    setSaving(true);
    setError('');
    try {
      await app.rooms.admin.configure(room.jid, fields);
      onClose();
    } catch (err) {
      setError(message(err));
    } finally {
      setSaving(false);
    }
  };
  return (
    <form class="card room-settings" aria-label="Room settings" onSubmit={submit}>
      <h3>{title || 'Room settings'}</h3>
      {!fields && !error && <p class="muted" role="status">Loading the room's settings…</p>}
      {fields?.map((f, i) => (
        <Field key={f.name ?? i} field={f} onChange={(value) => setFields(fields.map((g, j) => (j === i ? { ...g, value } as DataFormField : g)))} />
      ))}
      {error && <p class="error" role="alert">{error}</p>}
      <div class="row-actions">
        <button type="submit" class="small primary" disabled={!fields || saving}>{saving ? 'Saving…' : 'Save settings'}</button>
        <button type="button" class="small" onClick={onClose}>Cancel</button>
      </div>
    </form>
  );
}

export function SubjectEditor({ app, room, onClose }: { app: AppWithRooms; room: Room; onClose: () => void }): JSX.Element {
  const [text, setText] = useState(room.subject ?? '');
  const [error, setError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await app.rooms.admin.setSubject(room.jid, text.trim());
      onClose();
    } catch (err) {
      setError(message(err));
    }
  };
  return (
    <form class="confirm rename" aria-label="Change subject" onSubmit={submit}>
      <label class="grow"><span class="sr-only">Subject</span>
        <input type="text" value={text} maxLength={500} placeholder="What this room is about" autoFocus onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      <button type="submit" class="small primary">Save subject</button>
      <button type="button" class="small" onClick={onClose}>Cancel</button>
      {error && <p class="error" role="alert">{error}</p>}
    </form>
  );
}

/** An occupant's menu of what we may do to them; nothing at all when we may do nothing. */
export function OccupantMenu({ app, room, occupant, onError }: { app: AppWithRooms; room: Room; occupant: Occupant; onError: (text: string) => void }): JSX.Element | null {
  const [open, setOpen] = useState(false);
  const allowed = occupantActions(room.occupants[room.nick], occupant);
  if (!anyAction(allowed)) return null;
  const act = (p: Promise<void>) => {
    setOpen(false);
    p.catch((e: unknown) => onError(message(e)));
  };
  const admin = app.rooms.admin;
  const nick = occupant.nick;
  return (
    <span class="occupant-menu">
      <button type="button" class="icon-button small-icon" aria-label={`Actions for ${nick}`} aria-expanded={open} onClick={() => setOpen(!open)}>⋯</button>
      {open && (
        <span class="menu" role="group" aria-label={`Moderate ${nick}`}>
          {allowed.grantVoice && <button type="button" class="small" onClick={() => act(admin.setRole(room.jid, nick, 'participant'))}>Give voice</button>}
          {allowed.revokeVoice && <button type="button" class="small" onClick={() => act(admin.setRole(room.jid, nick, 'visitor'))}>Take voice</button>}
          {allowed.grantModerator && <button type="button" class="small" onClick={() => act(admin.setRole(room.jid, nick, 'moderator'))}>Make moderator</button>}
          {allowed.revokeModerator && <button type="button" class="small" onClick={() => act(admin.setRole(room.jid, nick, 'participant'))}>Remove moderator</button>}
          {allowed.kick && <button type="button" class="small danger" onClick={() => act(admin.kick(room.jid, nick))}>Kick {nick}</button>}
          {allowed.ban && occupant.jid && <button type="button" class="small danger" onClick={() => act(admin.ban(room.jid, occupant.jid!))}>Ban {nick}</button>}
        </span>
      )}
    </span>
  );
}
