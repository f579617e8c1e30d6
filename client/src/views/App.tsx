import type { JSX } from 'preact';
import type { App as AppModel } from '../app.js';
import { localOf } from '../protocol/jid.js';
import { useStore } from '../state/use-store.js';
import { SignIn } from './SignIn.js';
import { Contacts, Avatar } from './Contacts.js';
import { Chat } from './Chat.js';
import { CallScreen } from './CallScreen.js';
import { RoomsButton, RoomsView } from '../rooms/RoomsView.js';
import { useState } from 'preact/hooks';
import { askNotificationPermission, notificationPermission } from '../features/attention.js';
import { Icon } from './icons.js';

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
  // behind a call screen nothing can be focused or read (the dialog is modal)
  const covered = call.phase !== 'idle';
  if (!me) return <SignIn app={app} />;
  const open = chat.open;
  return (
    <div class={`shell ${open ? 'has-open' : ''}`}>
      <aside class="sidebar" inert={covered}>
        <header class="me">
          <Avatar name={localOf(me) || me} presence="available" />
          <div class="grow">
            <strong>{localOf(me) || me}</strong>
            <small class="muted">{me}</small>
          </div>
          <NotifyToggle />
          <RoomsButton app={app} />
          <button type="button" class="small" onClick={() => void app.signOut()}>Sign out</button>
        </header>
        <Contacts app={app} onOpen={(jid) => app.messages?.open(jid)} />
      </aside>
      <main class="main" inert={covered}>
        {open
          ? <Chat app={app} peer={open} onBack={() => app.messages?.open(undefined)} />
          : <div class="placeholder muted"><p>Choose a contact to chat or call.</p></div>}
      </main>
      <Banner app={app} />
      <CallScreen app={app} />
      <RoomsView app={app} />
    </div>
  );
}
