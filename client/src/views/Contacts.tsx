import { useState } from 'preact/hooks';
import type { JSX } from 'preact';
import type { App } from '../app.js';
import { localOf } from '../protocol/jid.js';
import { useStore } from '../state/use-store.js';
import { availability, byGroup, type Availability, type Contact } from '../features/roster.js';
import { consistentColour } from '../protocol/xep0392-colour.js';
import { Icon } from './icons.js';

const LABEL: Record<Availability, string> = { available: 'Available', away: 'Away', busy: 'Busy', offline: 'Offline' };
const ORDER: Record<Availability, number> = { available: 0, away: 1, busy: 2, offline: 3 };

export function displayName(c: Contact | undefined, jid: string): string {
  return c?.name || localOf(jid) || jid;
}

function initials(name: string): string {
  return name.slice(0, 2).toUpperCase();
}

/**
 * A person's picture (features/avatars.ts), else their initials on their XEP-0392 colour, computed
 * from `id` (a bare JID, or a nickname in a room, §4.1) or the name.
 */
export function Avatar({ name, presence, src, id }: { name: string; presence?: Availability; src?: string | undefined; id?: string }): JSX.Element {
  return (
    <span class={`avatar ${src ? 'picture' : ''}`} style={src ? undefined : { background: consistentColour(id ?? name) }} aria-hidden="true">
      {src ? <img src={src} alt="" width={40} height={40} decoding="async" /> : initials(name)}
      {presence && <span class={`dot ${presence}`} />}
    </span>
  );
}

export function Contacts({ app, onOpen }: { app: App; onOpen: (jid: string) => void }): JSX.Element {
  const roster = useStore(app.roster);
  const chat = useStore(app.chat);
  const [adding, setAdding] = useState(false);
  const [address, setAddress] = useState('');
  const [error, setError] = useState('');

  const contacts = Object.values(roster.contacts).sort((a, b) =>
    ORDER[availability(a)] - ORDER[availability(b)] || displayName(a, a.jid).localeCompare(displayName(b, b.jid)));

  const avatars = useStore(app.avatars);
  // contacts sorted into their roster groups as soon as one has a group (RFC 6121 §2.1.2.2)
  const grouped = contacts.some((c) => c.groups?.length);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const row = (c: Contact) => {
    const a = availability(c);
    const unread = chat.conversations[c.jid]?.unread ?? 0;
    const name = displayName(c, c.jid);
    const typing = chat.conversations[c.jid]?.peerState === 'composing';
    return (
      <li key={c.jid}>
        <button type="button" class={`contact ${chat.open === c.jid ? 'active' : ''}`} onClick={() => onOpen(c.jid)}
          aria-current={chat.open === c.jid ? 'true' : undefined}
          aria-label={`${name}, ${LABEL[a]}${unread ? `, ${unread} unread` : ''}`}>
          <Avatar name={name} presence={a} src={avatars[c.jid]} id={c.jid} />
          <span class="grow">
            <strong>{name}</strong>
            <small class={typing ? 'typing' : ''}>
              {typing ? 'typing…' : c.pending && c.subscription !== 'both' && c.subscription !== 'to' ? 'Request sent' : LABEL[a]}
            </small>
          </span>
          {unread > 0 && <span class="badge" aria-hidden="true">{unread}</span>}
        </button>
      </li>
    );
  };

  const add = async (e: Event) => {
    e.preventDefault();
    const jid = address.trim().toLowerCase();
    if (!/^[^@\s/]+@[^@\s/]+$/.test(jid)) {
      setError('Enter an address like name@example.org.');
      return;
    }
    setError('');
    try {
      await app.contacts?.add(jid);
      setAddress('');
      setAdding(false);
    } catch {
      setError('The server refused to add this contact.');
    }
  };

  return (
    <section class="contacts" aria-label="Contacts">
      <div class="section-head">
        <h2>Contacts</h2>
        <button type="button" class="icon-button" aria-expanded={adding} aria-controls="add-contact"
          onClick={() => setAdding(!adding)} title={adding ? 'Close' : 'Add contact'}>
          <Icon name={adding ? 'x' : 'plus'} /><span class="sr-only">{adding ? 'Close' : 'Add contact'}</span>
        </button>
      </div>
      {adding && (
        <form id="add-contact" class="add-contact" onSubmit={add}>
          <label>
            <span>Contact address</span>
            <input type="text" inputMode="email" autocapitalize="none" spellcheck={false} placeholder="friend@example.org"
              value={address} onInput={(e) => setAddress(e.currentTarget.value)} autoFocus />
          </label>
          {error && <p class="error" role="alert">{error}</p>}
          <button type="submit" class="primary">Send request</button>
        </form>
      )}
      {roster.requests.length > 0 && (
        <ul class="requests" aria-label="Contact requests">
          {roster.requests.map((jid) => (
            <li key={jid} class="request">
              <Avatar name={jid} />
              <span class="grow"><strong>{jid}</strong><small>wants to be your contact</small></span>
              <button type="button" class="small primary" aria-label={`Accept ${jid}`} onClick={() => app.contacts?.accept(jid)}>Accept</button>
              <button type="button" class="small" aria-label={`Deny ${jid}`} onClick={() => app.contacts?.deny(jid)}>Deny</button>
            </li>
          ))}
        </ul>
      )}
      <MessageRequests app={app} onOpen={onOpen} />
      {contacts.length === 0 && !adding && (
        <p class="empty muted">No contacts yet. Use <strong>+</strong> to add someone by their address.</p>
      )}
      {grouped
        ? byGroup(contacts).map(({ group, contacts: list }) => {
          const label = group || 'Other contacts';
          const isOpen = !collapsed.has(group);
          const id = `group-${label.replace(/[^a-z0-9]+/gi, '-')}`;
          return (
            <section key={group} class="contact-group" aria-label={`Group ${label}`}>
              <h3>
                <button type="button" class="group-toggle" aria-expanded={isOpen} aria-controls={id} onClick={() => {
                  const next = new Set(collapsed);
                  if (isOpen) next.add(group); else next.delete(group);
                  setCollapsed(next);
                }}>
                  <span class={`chevron ${isOpen ? 'open' : ''}`} aria-hidden="true">›</span>
                  <span class="grow">{label}</span>
                  <span class="muted count">{list.length}</span>
                </button>
              </h3>
              {isOpen && <ul class="contact-list" id={id}>{list.map(row)}</ul>}
            </section>
          );
        })
        : <ul class="contact-list">{contacts.map(row)}</ul>}
    </section>
  );
}

/**
 * Messages from people who are not contacts (and have not asked to be): shown apart, as
 * Conversations and Signal do, so that a stranger's first message is seen but cannot pass for a
 * contact's. Accept adds them (RFC 6121 §3 subscription both ways), Block asks the server to drop
 * everything from them (XEP-0191), Ignore hides the conversation.
 */
function MessageRequests({ app, onOpen }: { app: App; onOpen: (jid: string) => void }): JSX.Element | null {
  const roster = useStore(app.roster);
  const chat = useStore(app.chat);
  const [failed, setFailed] = useState('');
  const strangers = Object.entries(chat.conversations)
    .filter(([jid, c]) => !roster.contacts[jid] && !roster.requests.includes(jid) && c.messages.some((m) => m.dir === 'in' && m.kind !== 'call'))
    .map(([jid, c]) => ({ jid, last: [...c.messages].reverse().find((m) => m.dir === 'in')!, unread: c.unread }));
  if (strangers.length === 0) return null;
  return (
    <section class="requests message-requests" aria-label="Message requests">
      <div class="section-head"><h2>Requests</h2></div>
      {failed && <p class="error" role="alert">{failed}</p>}
      <ul>
        {strangers.map(({ jid, last, unread }) => (
          <li key={jid} class="request">
            <Avatar name={jid} />
            <button type="button" class="grow request-open" onClick={() => onOpen(jid)}
              aria-label={`Message from ${jid}${unread ? `, ${unread} unread` : ''}`}>
              <strong>{jid}</strong><small>{last.body}</small>
            </button>
            <span class="request-actions">
              <button type="button" class="small primary" aria-label={`Accept ${jid}`} onClick={() => {
                void app.contacts?.add(jid).then(() => onOpen(jid), () => setFailed(`Could not add ${jid}.`));
              }}>Accept</button>
              <button type="button" class="small" aria-label={`Block ${jid}`} onClick={() => {
                void app.contacts?.block(jid).then(() => app.messages?.forget(jid), () => setFailed(`Your server could not block ${jid}.`));
              }}>Block</button>
              <button type="button" class="small" aria-label={`Ignore ${jid}`} onClick={() => app.messages?.forget(jid)}>Ignore</button>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
