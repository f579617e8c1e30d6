// Contacts and presence (RFC 6121 §2 roster, §3 subscriptions, §4 presence). The reducers are pure;
// bindRoster() connects them to a client.
import type { Agent } from 'stanza';
import type { RosterItem, ReceivedPresence } from 'stanza/protocol/index.js';
import { bare } from '../protocol/jid.js';
import { Store } from '../state/store.js';

export type Availability = 'available' | 'away' | 'busy' | 'offline';

export interface Contact {
  jid: string;
  name?: string;
  /** Roster groups (RFC 6121 §2.1.2.2), sorted; none means "not in a group". */
  groups?: string[];
  subscription: RosterItem['subscription'];
  /** We asked to see their presence and wait for an answer. */
  pending: boolean;
  /** Online resources (full JID → show). */
  resources: Record<string, { show?: string; priority: number }>;
}

export interface RosterState {
  contacts: Record<string, Contact>;
  /** Bare JIDs asking to see our presence. */
  requests: string[];
}

export const EMPTY_ROSTER: RosterState = { contacts: {}, requests: [] };

export function availability(c: Contact | undefined): Availability {
  const shows = Object.values(c?.resources ?? {}).map((r) => r.show);
  if (shows.length === 0) return 'offline';
  if (shows.some((s) => !s || s === 'chat')) return 'available';
  if (shows.some((s) => s === 'away' || s === 'xa')) return 'away';
  return 'busy';
}

/** Roster result or push (RFC 6121 §2.1.6): `remove` drops the item. */
export function applyRosterItems(s: RosterState, items: readonly RosterItem[], replace: boolean): RosterState {
  const contacts: Record<string, Contact> = replace ? {} : { ...s.contacts };
  for (const item of items) {
    const jid = bare(item.jid);
    if (item.subscription === 'remove') {
      delete contacts[jid];
      continue;
    }
    const prev = s.contacts[jid];
    contacts[jid] = {
      jid,
      ...(item.name ? { name: item.name } : {}),
      ...(item.groups?.length ? { groups: [...new Set(item.groups)].sort((a, b) => a.localeCompare(b)) } : {}),
      subscription: item.subscription,
      pending: item.pending === 'subscribe' || !!item.ask,
      // without a subscription to them (RFC 6121 §3) we no longer learn their presence
      resources: item.subscription === 'to' || item.subscription === 'both' ? prev?.resources ?? {} : {},
    };
  }
  return { ...s, contacts };
}

export function applyPresence(s: RosterState, from: string, type: 'available' | 'unavailable', show?: string, priority = 0): RosterState {
  const jid = bare(from);
  const c = s.contacts[jid];
  if (!c) return s;
  const resources = { ...c.resources };
  if (type === 'available') resources[from] = { ...(show ? { show } : {}), priority };
  else if (from.includes('/')) delete resources[from];
  else for (const k of Object.keys(resources)) delete resources[k];
  return { ...s, contacts: { ...s.contacts, [jid]: { ...c, resources } } };
}

/** Contacts by roster group, groups in alphabetical order; contacts in no group come last (''). */
export function byGroup(contacts: readonly Contact[]): Array<{ group: string; contacts: Contact[] }> {
  const groups = new Map<string, Contact[]>();
  for (const c of contacts) {
    for (const g of c.groups?.length ? c.groups : ['']) groups.set(g, [...(groups.get(g) ?? []), c]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b)))
    .map(([group, list]) => ({ group, contacts: list }));
}

/** Every group name used in the roster, for suggestions. */
export function groupNames(s: RosterState): string[] {
  return [...new Set(Object.values(s.contacts).flatMap((c) => c.groups ?? []))].sort((a, b) => a.localeCompare(b));
}

export function addRequest(s: RosterState, from: string): RosterState {
  const jid = bare(from);
  return s.requests.includes(jid) ? s : { ...s, requests: [...s.requests, jid] };
}

export function dropRequest(s: RosterState, jid: string): RosterState {
  return { ...s, requests: s.requests.filter((r) => r !== bare(jid)) };
}

export function withoutPresence(s: RosterState): RosterState {
  const contacts: Record<string, Contact> = {};
  for (const [k, c] of Object.entries(s.contacts)) contacts[k] = { ...c, resources: {} };
  return { ...s, contacts };
}

/** Whether a subscribe from this contact answers one of ours, so it can be approved at once. */
export function expectsMutual(c: Contact | undefined): boolean {
  return !!c && (c.pending || c.subscription === 'to');
}

export interface RosterActions {
  add(jid: string, name?: string): Promise<void>;
  accept(jid: string): void;
  deny(jid: string): void;
  remove(jid: string): Promise<void>;
  /** Renames the contact (RFC 6121 §2.1.2.2: the roster item's name). */
  rename(jid: string, name: string): Promise<void>;
  /** Puts the contact in exactly these groups (RFC 6121 §2.1.2.2: a set replaces the whole item). */
  setGroups(jid: string, groups: string[]): Promise<void>;
  /** XEP-0191: the server drops everything from `jid` (and our presence to it) until unblocked. */
  block(jid: string): Promise<void>;
}

export function bindRoster(client: Agent, store: Store<RosterState>, myPresence: () => Partial<Pick<ReceivedPresence, 'show' | 'status'>> = () => ({})): RosterActions {
  client.on('session:started', async () => {
    // a new session (not a resumed one): presence is sent to us again after our initial presence
    store.set(withoutPresence);
    try {
      const roster = await client.getRoster();
      store.set((s) => applyRosterItems(s, roster.items ?? [], true));
    } finally {
      // initial presence after the roster (RFC 6121 §2.2), with XEP-0115 caps so that other
      // clients see we take Jingle calls
      client.updateCaps();
      const caps = client.disco.getCaps();
      client.sendPresence({ ...myPresence(), ...(caps ? { legacyCapabilities: caps } : {}) });
    }
  });
  client.on('roster:update', (iq) => {
    store.set((s) => applyRosterItems(s, iq.roster.items ?? [], false));
  });
  const onPresence = (p: ReceivedPresence) => {
    const type = p.type === 'unavailable' ? 'unavailable' : 'available';
    store.set((s) => applyPresence(s, p.from, type, p.show, p.priority ?? 0));
  };
  client.on('available', onPresence);
  client.on('unavailable', onPresence);
  client.on('subscribe', (p) => {
    if (expectsMutual(store.value.contacts[bare(p.from)])) client.acceptSubscription(bare(p.from));
    else store.set((s) => addRequest(s, p.from));
  });
  client.on('unsubscribe', (p) => store.set((s) => dropRequest(s, p.from)));

  return {
    async add(jid, name) {
      const contact = bare(jid);
      await client.updateRosterItem({ jid: contact, ...(name ? { name } : {}), subscription: 'none' });
      client.subscribe(contact);
      // they asked first: approving them is part of adding them
      if (store.value.requests.includes(contact)) this.accept(contact);
    },
    accept(jid) {
      const contact = bare(jid);
      client.acceptSubscription(contact);
      const c = store.value.contacts[contact];
      if (!c || (c.subscription !== 'to' && c.subscription !== 'both' && !c.pending)) client.subscribe(contact);
      store.set((s) => dropRequest(s, contact));
    },
    deny(jid) {
      client.denySubscription(bare(jid));
      store.set((s) => dropRequest(s, jid));
    },
    async remove(jid) {
      await client.removeRosterItem(bare(jid));
    },
    async rename(jid, name) {
      // RFC 6121 §2.1.2.2: the subscription is the server's to say; a set carries none, and it
      // replaces the item, so the groups it had go with it
      const groups = store.value.contacts[bare(jid)]?.groups ?? [];
      await client.updateRosterItem({ jid: bare(jid), ...(name.trim() ? { name: name.trim() } : {}), groups, subscription: 'none' });
    },
    async setGroups(jid, groups) {
      const name = store.value.contacts[bare(jid)]?.name;
      const clean = [...new Set(groups.map((g) => g.trim()).filter(Boolean))];
      await client.updateRosterItem({ jid: bare(jid), ...(name ? { name } : {}), groups: clean, subscription: 'none' });
    },
    async block(jid) {
      await client.block(bare(jid));
      store.set((s) => dropRequest(s, jid));
    },
  };
}
