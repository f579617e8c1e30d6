import { useState } from 'preact/hooks';
import type { JSX } from 'preact';
import type { App } from '../app.js';
import { useStore } from '../state/use-store.js';
import type { Show } from '../features/profile.js';
import { Icon } from './icons.js';
import { Avatar } from './Contacts.js';
import { scaleAvatar } from '../features/avatar-image.js';
import { DevicePicker } from './DevicePicker.js';

const SHOWS: { value: Show; label: string }[] = [
  { value: 'available', label: 'Available' },
  { value: 'away', label: 'Away' },
  { value: 'dnd', label: 'Busy' },
];

/** Your status, nickname and password. */
export function Settings({ app, onClose }: { app: App; onClose: () => void }): JSX.Element {
  const profile = useStore(app.profile);
  const me = useStore(app.me);
  const [status, setStatus] = useState(profile.status);
  const [nick, setNick] = useState(profile.nick);
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [note, setNote] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>();
  const avatars = useStore(app.avatars);
  const [busy, setBusy] = useState(false);
  const choosePicture = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    try {
      const image = await scaleAvatar(file);
      await app.avatar?.publish(image);
      setNote({ kind: 'ok', text: 'Picture saved. Your contacts see it now.' });
    } catch (e) {
      setNote({ kind: 'error', text: e instanceof Error && !('error' in e) ? e.message : 'Your server did not save the picture.' });
    } finally {
      setBusy(false);
    }
  };
  const removePicture = async () => {
    try {
      await app.avatar?.remove();
      setNote({ kind: 'ok', text: 'Picture removed.' });
    } catch {
      setNote({ kind: 'error', text: 'Your server did not remove the picture.' });
    }
  };

  const saveStatus = (e: Event) => {
    e.preventDefault();
    app.account?.setPresence(profile.show, status);
    setNote({ kind: 'ok', text: 'Status updated.' });
  };
  const saveNick = async (e: Event) => {
    e.preventDefault();
    try {
      await app.account?.setNick(nick);
      setNote({ kind: 'ok', text: 'Nickname saved.' });
    } catch {
      setNote({ kind: 'error', text: 'Your server did not save the nickname.' });
    }
  };
  const savePassword = async (e: Event) => {
    e.preventDefault();
    if (password.length < 8) return setNote({ kind: 'error', text: 'Choose a password of at least 8 characters.' });
    if (password !== again) return setNote({ kind: 'error', text: 'The two passwords differ.' });
    try {
      await app.account?.changePassword(password);
      setPassword('');
      setAgain('');
      setNote({ kind: 'ok', text: 'Password changed. Your other devices need the new password to sign in.' });
    } catch {
      setNote({ kind: 'error', text: 'Your server did not change the password.' });
    }
  };

  return (
    <section class="settings" aria-label="Settings">
      <header class="chat-head">
        <button type="button" class="icon-button back" onClick={onClose} aria-label="Back to contacts"><Icon name="back" /></button>
        <h2 class="grow">Settings</h2>
        <button type="button" class="icon-button" onClick={onClose} aria-label="Close settings" title="Close settings"><Icon name="x" /></button>
      </header>
      <div class="settings-body">
        {note && <p class={note.kind === 'ok' ? 'note ok' : 'error'} role={note.kind === 'ok' ? 'status' : 'alert'}>{note.text}</p>}
        <section class="card settings-card" aria-label="Picture">
          <h3>Picture</h3>
          <div class="picture-row">
            <Avatar name={profile.nick || me?.split('@')[0] || ''} id={me ?? ''} src={me ? avatars[me] : undefined} />
            <label class="button small file-pick">
              <span>{busy ? 'Saving…' : 'Choose a picture'}</span>
              <input type="file" accept="image/*" class="sr-only" disabled={busy}
                onChange={(e) => { const f = e.currentTarget.files?.[0]; e.currentTarget.value = ''; void choosePicture(f); }} />
            </label>
            {me && avatars[me] && <button type="button" class="small" onClick={() => void removePicture()}>Remove picture</button>}
          </div>
          <p class="hint muted">Scaled to 192 pixels and shown to your contacts and in rooms.</p>
        </section>
        <form class="card settings-card" onSubmit={saveStatus} aria-label="Status">
          <h3>Status</h3>
          <div class="segmented" role="radiogroup" aria-label="Availability">
            {SHOWS.map((s) => (
              <label key={s.value} class={profile.show === s.value ? 'on' : ''}>
                <input type="radio" name="show" value={s.value} checked={profile.show === s.value}
                  onChange={() => app.account?.setPresence(s.value, status)} />
                <span>{s.label}</span>
              </label>
            ))}
          </div>
          <label>
            <span>Status message</span>
            <input type="text" maxLength={200} placeholder="In a meeting until 3" value={status} onInput={(e) => setStatus(e.currentTarget.value)} />
          </label>
          <button type="submit" class="small">Save status</button>
        </form>
        <form class="card settings-card" onSubmit={saveNick} aria-label="Nickname">
          <h3>Nickname</h3>
          <label>
            <span>Nickname</span>
            <input type="text" maxLength={64} placeholder={me?.split('@')[0] ?? ''} value={nick} onInput={(e) => setNick(e.currentTarget.value)} />
          </label>
          <button type="submit" class="small">Save nickname</button>
        </form>
        <section class="card settings-card" aria-label="Calls">
          <h3>Camera, microphone and speaker</h3>
          <DevicePicker />
        </section>
        <form class="card settings-card" onSubmit={savePassword} aria-label="Password">
          <h3>Password</h3>
          <input type="text" name="username" autocomplete="username" value={me ?? ''} hidden readOnly />
          <label>
            <span>New password</span>
            <input type="password" autocomplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          </label>
          <label>
            <span>New password again</span>
            <input type="password" autocomplete="new-password" value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
          </label>
          <button type="submit" class="small">Change password</button>
        </form>
      </div>
    </section>
  );
}
