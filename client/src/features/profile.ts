// The person's own profile: presence (RFC 6121 §4.7: show and status text), nickname (XEP-0172,
// published with PEP) and password (XEP-0077 §3.3). The presence here is what every broadcast of
// this client carries, initial presence included (features/roster.ts sends that one).
import type { Agent } from 'stanza';
import type { Presence } from 'stanza/protocol/index.js';
import { Store } from '../state/store.js';
import { bare, localOf } from '../protocol/jid.js';

export type Show = 'available' | 'away' | 'dnd';

export interface Profile {
  show: Show;
  status: string;
  nick: string;
}

export const DEFAULT_PROFILE: Profile = { show: 'available', status: '', nick: '' };

/** The presence fields for a profile: RFC 6121 §4.7.2.1 has no show for "available". */
export function presenceFields(p: Profile): Pick<Presence, 'show' | 'status'> {
  return { ...(p.show !== 'available' ? { show: p.show } : {}), ...(p.status.trim() ? { status: p.status.trim() } : {}) };
}

export interface ProfileActions {
  setPresence(show: Show, status: string): void;
  setNick(nick: string): Promise<void>;
  changePassword(password: string): Promise<void>;
}

export function bindProfile(client: Agent, store: Store<Profile>): ProfileActions {
  const caps = () => {
    const c = client.disco.getCaps();
    return c ? { legacyCapabilities: c } : {};
  };
  return {
    setPresence(show, status) {
      store.set((p) => ({ ...p, show, status }));
      client.sendPresence({ ...presenceFields(store.value), ...caps() });
    },
    async setNick(nick) {
      await client.publishNick(nick.trim());
      store.set((p) => ({ ...p, nick: nick.trim() }));
    },
    async changePassword(password) {
      // §3.3: the username and the new password, to our own server
      await client.updateAccount('', { username: localOf(bare(client.jid)), password });
    },
  };
}
