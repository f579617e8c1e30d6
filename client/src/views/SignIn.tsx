import { useState } from 'preact/hooks';
import type { JSX } from 'preact';
import type { App } from '../app.js';
import { useStore } from '../state/use-store.js';
import { Icon } from './icons.js';

const LAST = 'carillon.lastAddress';
const WS = 'carillon.websocketUrl';

export function SignIn({ app }: { app: App }): JSX.Element {
  const status = useStore(app.status);
  const [jid, setJid] = useState(() => localStorage.getItem(LAST) ?? '');
  const [password, setPassword] = useState('');
  const [ws, setWs] = useState(() => localStorage.getItem(WS) ?? '');
  const [keep, setKeep] = useState(false);
  const [creating, setCreating] = useState(false);
  const busy = status.kind === 'connecting';

  const submit = (e: Event) => {
    e.preventDefault();
    localStorage.setItem(LAST, jid.trim());
    if (ws.trim()) localStorage.setItem(WS, ws.trim());
    else localStorage.removeItem(WS);
    const form = { jid, password, keep, ...(ws.trim() ? { websocketUrl: ws.trim() } : {}) };
    void (creating ? app.register(form) : app.signIn(form));
  };

  return (
    <main class="signin">
      <form class="card signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div class="brand" aria-hidden="true"><span class="bell"><Icon name="bell" size={34} /></span></div>
        <h1 id="signin-title">{creating ? 'Create an account' : 'Carillon'}</h1>
        <p class="muted">{creating ? 'Choose your address on a server that lets you sign up.' : 'Calls and messages with anyone on XMPP.'}</p>
        <label>
          <span>Address</span>
          <input type="text" inputMode="email" autocapitalize="none" spellcheck={false} name="jid" autocomplete="username" placeholder="you@example.org" required
            value={jid} onInput={(e) => setJid(e.currentTarget.value)} />
        </label>
        <label>
          <span>Password</span>
          <input type="password" name="password" autocomplete={creating ? 'new-password' : 'current-password'} required minLength={creating ? 8 : undefined}
            value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <label class="check">
          <input type="checkbox" name="keep" checked={keep} onChange={(e) => setKeep(e.currentTarget.checked)} />
          <span>Keep me signed in</span>
        </label>
        <details class="advanced">
          <summary>Connection settings</summary>
          <label>
            <span>WebSocket URL</span>
            <input type="url" name="websocket" placeholder="found automatically" inputMode="url"
              value={ws} onInput={(e) => setWs(e.currentTarget.value)} />
          </label>
        </details>
        {status.kind === 'failed' && <p class="error" role="alert">{status.message}</p>}
        <button type="submit" class="primary" disabled={busy}>{busy ? (creating ? 'Creating…' : 'Signing in…') : creating ? 'Create account' : 'Sign in'}</button>
        <p class="switch muted">
          {creating ? 'Already have an account?' : 'New here?'}{' '}
          <button type="button" class="link" onClick={() => setCreating(!creating)}>{creating ? 'Sign in instead' : 'Create account'}</button>
        </p>
      </form>
    </main>
  );
}
