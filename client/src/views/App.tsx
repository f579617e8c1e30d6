import type { JSX } from 'preact';
import type { App as AppModel } from '../app.js';
import { localOf } from '../protocol/jid.js';
import { useStore } from '../state/use-store.js';
import { SignIn } from './SignIn.js';
import { Contacts, Avatar } from './Contacts.js';
import { Chat } from './Chat.js';
import { CallScreen } from './CallScreen.js';
import { RoomsButton, RoomsView } from './rooms/RoomsView.js';
import { InvitationNotice } from './rooms/InviteCard.js';
import { useState } from 'preact/hooks';
import { askNotificationPermission, notificationPermission } from '../features/attention.js';
import { Icon } from './icons.js';
import { Settings } from './Settings.js';

/** Offers desktop notifications once, on a click, while the browser has not been asked yet. */
function NotifyToggle(): JSX.Element | null {
  const [permission, setPermission] = useState(notificationPermission());
  if (permission !== 'default') return null;
  return (
    <button type="button" class="icon-button notify-toggle" aria-label="Turn on notifications" title="Turn on notifications"
      onClick={() => void askNotificationPermission().then(setPermission)}><Icon name="bell" /></button>
  );
}

function Banner({ app }: { app: AppModel }): JSX.Element | null {
  const status = useStore(app.status);
  if (status.kind === 'reconnecting') {
    return <div class="banner warn" role="status">Connection lost. Reconnecting{status.attempt > 1 ? ` (attempt ${status.attempt})` : ''}…</div>;
  }
  if (status.kind === 'failed') return <div class="banner error" role="alert">{status.message}</div>;
  return null;
}

export function App({ app }: { app: AppModel }): JSX.Element {
  const me = useStore(app.me);
  const chat = useStore(app.chat);
  const call = useStore(app.call);
  const settings = useStore(app.settingsOpen);
  const profile = useStore(app.profile);
  const avatars = useStore(app.avatars);
  // behind a call screen nothing can be focused or read (the dialog is modal)
  const covered = call.phase !== 'idle';
  if (!me) return <SignIn app={app} />;
  const open = chat.open;
  const showing = settings ? 'settings' : open ? 'chat' : undefined;
  const presence = profile.show === 'away' ? 'away' : profile.show === 'dnd' ? 'busy' : 'available';
  return (
    <div class={`shell ${showing ? 'has-open' : ''}`}>
      <aside class="sidebar" inert={covered}>
        <header class="me">
          <button type="button" class="me-button grow" aria-label="Settings" title="Your status and settings" aria-expanded={settings}
            onClick={() => app.settingsOpen.set(!settings)}>
            <Avatar name={profile.nick || localOf(me) || me} presence={presence} src={avatars[me]} id={me} />
            <span class="grow">
              <strong>{profile.nick || localOf(me) || me}</strong>
              <small class="muted">{profile.status || me}</small>
            </span>
          </button>
          <NotifyToggle />
          <RoomsButton app={app} />
          <button type="button" class="small" onClick={() => void app.signOut()}>Sign out</button>
        </header>
        <Contacts app={app} onOpen={(jid) => { app.settingsOpen.set(false); app.messages?.open(jid); }} />
      </aside>
      <main class="main" inert={covered}>
        {settings
          ? <Settings app={app} onClose={() => app.settingsOpen.set(false)} />
          : open
          ? <Chat app={app} peer={open} onBack={() => app.messages?.open(undefined)} />
          : <div class="placeholder muted"><p>Choose a contact to chat or call.</p></div>}
      </main>
      <Banner app={app} />
      {!covered && <InvitationNotice app={app} />}
      <CallScreen app={app} />
      <RoomsView app={app} />
    </div>
  );
}
