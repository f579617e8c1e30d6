// RFC 6121 §2.1.6 roster pushes, shared by the roster and presence modules: a push goes to every
// resource of the account that requested the roster (its "interested" resources).
import { randomBytes } from 'node:crypto';
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import type { XmppServer } from '../core/server.js';
import type { ClientSession } from '../core/session.js';
import type { RosterItem } from '../storage/storage.js';

const INTERESTED = 'roster:interested';

export function markInterested(session: ClientSession): void {
  session.data.set(INTERESTED, true);
}

export function isInterested(session: ClientSession): boolean {
  return session.data.get(INTERESTED) === true;
}

export function rosterItemElement(item: RosterItem, removed = false): Element {
  return x(
    'item',
    {
      jid: item.jid,
      name: removed ? undefined : item.name,
      subscription: removed ? 'remove' : item.subscription,
      ask: !removed && item.ask ? 'subscribe' : undefined,
      approved: !removed && item.approved ? 'true' : undefined,
    },
    removed ? [] : item.groups.map((g) => x('group', null, g)),
  );
}

/** A roster push of `item` to every interested resource of `user`; `ver` per RFC 6121 §2.6.3. */
export function pushRosterItem(server: XmppServer, user: string, item: RosterItem, removed = false, ver?: number): void {
  const resources = server.sessions.resources(`${user}@${server.domain}`);
  if (!resources) return;
  const version = ver ?? server.storage.roster.version(user);
  for (const s of resources.values()) {
    if (!isInterested(s)) continue;
    const id = `push-${randomBytes(6).toString('base64url')}`;
    s.send(x('iq', { type: 'set', id, to: s.jid!.full }, x('query', { xmlns: NS.ROSTER, ver: String(version) }, rosterItemElement(item, removed))));
  }
}
