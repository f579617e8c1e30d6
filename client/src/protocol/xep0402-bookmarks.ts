// XEP-0402: PEP Native Bookmarks (v1.2): the rooms an account is in, kept on its server as items
// of the PEP node `urn:xmpp:bookmarks:1` (item id = room JID), so that every client of the account
// joins the same rooms. StanzaJS 12.22 only knows the older XEP-0048 storage, so the
// <conference/> payload is defined here with its JXT as a pubsub item content.
import { JXT } from 'stanza';
import type { Agent } from 'stanza';
import type { DataForm } from 'stanza/protocol/index.js';
import { bare } from './jid.js';

export const NS_BOOKMARKS = 'urn:xmpp:bookmarks:1';

/** `<conference xmlns='urn:xmpp:bookmarks:1' autojoin='…' name='…'><nick>…</nick></conference>` (§3). */
export interface Conference {
  itemType: typeof NS_BOOKMARKS;
  autojoin?: boolean;
  name?: string;
  nick?: string;
  password?: string;
}

export interface Bookmark {
  room: string;
  autojoin: boolean;
  name?: string;
  nick?: string;
}

const { attribute, childText } = JXT;

/**
 * `autojoin` is an xs:boolean: read 'true' and '1' alike, write 'true' as the XEP's examples do
 * (JXT's booleanAttribute writes '1').
 */
const autojoin: JXT.FieldDefinition<boolean> = {
  importer: (xml) => {
    const v = xml.getAttribute('autojoin');
    return v === 'true' || v === '1';
  },
  exporter: (xml, value) => {
    xml.setAttribute('autojoin', value ? 'true' : 'false');
  },
};

export const BookmarksProtocol: JXT.DefinitionOptions[] = [{
  aliases: JXT.pubsubItemContentAliases(),
  element: 'conference',
  fields: { autojoin, name: attribute('name'), nick: childText(null, 'nick'), password: childText(null, 'password') },
  namespace: NS_BOOKMARKS,
  type: NS_BOOKMARKS,
  typeField: 'itemType',
}];

/**
 * §3.3: the node must keep every item, privately; a server that cannot apply these
 * options refuses the publish (XEP-0060 §7.1.5 precondition-not-met) rather than leak the list.
 */
export const PUBLISH_OPTIONS: DataForm = {
  type: 'submit',
  fields: [
    { name: 'FORM_TYPE', type: 'hidden', value: 'http://jabber.org/protocol/pubsub#publish-options' },
    { name: 'pubsub#persist_items', value: 'true' }, // as in the XEP (JXT writes a boolean as '1')
    { name: 'pubsub#max_items', value: 'max' },
    { name: 'pubsub#send_last_published_item', value: 'never' },
    { name: 'pubsub#access_model', value: 'whitelist' },
  ],
};

/** Adds or updates the bookmark of a room (§3.3). */
export async function publishBookmark(client: Agent, b: Bookmark): Promise<void> {
  const content: Conference = { itemType: NS_BOOKMARKS, autojoin: b.autojoin, ...(b.name ? { name: b.name } : {}), ...(b.nick ? { nick: b.nick } : {}) };
  await client.sendIQ({
    type: 'set',
    pubsub: { context: 'user', publish: { node: NS_BOOKMARKS, item: { id: b.room, content } }, publishOptions: PUBLISH_OPTIONS },
  });
}

/** Removes a room's bookmark (§3.4), notifying our other clients. */
export async function retractBookmark(client: Agent, room: string): Promise<void> {
  await client.retract(bare(client.jid), NS_BOOKMARKS, room, true);
}

/** The account's bookmarks (§3.2); none when the node does not exist yet. */
export async function fetchBookmarks(client: Agent): Promise<Bookmark[]> {
  const res = await client.getItems<Conference>(bare(client.jid), NS_BOOKMARKS);
  return (res.items ?? []).flatMap((it): Bookmark[] => {
    const c = it.content as Conference | undefined;
    if (!it.id || c?.itemType !== NS_BOOKMARKS) return [];
    return [{ room: bare(it.id), autojoin: !!c.autojoin, ...(c.name ? { name: c.name } : {}), ...(c.nick ? { nick: c.nick } : {}) }];
  });
}

/** `+notify` for the node (XEP-0115 caps): our server then tells us of changes made elsewhere (§4). */
export const NS_BOOKMARKS_NOTIFY = `${NS_BOOKMARKS}+notify`;

/** A change of one bookmark as a PEP notification tells it: published (added or changed) or retracted. */
export type BookmarkChange = { room: string; bookmark?: Bookmark };

/**
 * The bookmark changes in a PEP event message (XEP-0060 §7.1.2.1 items, §7.2.2.1 retract), when it
 * is for our own bookmarks node and from our own account (a notification from anyone else is not ours).
 */
export function bookmarkChanges(msg: { from?: string; pubsub?: unknown }, me: string): BookmarkChange[] {
  const ev = msg.pubsub as { items?: { node?: string; published?: Array<{ id?: string; content?: unknown }>; retracted?: string[] } } | undefined;
  if (!ev?.items || ev.items.node !== NS_BOOKMARKS) return [];
  if (msg.from && bare(msg.from) !== bare(me)) return [];
  const out: BookmarkChange[] = [];
  for (const it of ev.items.published ?? []) {
    const c = it.content as Conference | undefined;
    if (!it.id || c?.itemType !== NS_BOOKMARKS) continue;
    out.push({ room: bare(it.id), bookmark: { room: bare(it.id), autojoin: !!c.autojoin, ...(c.name ? { name: c.name } : {}), ...(c.nick ? { nick: c.nick } : {}) } });
  }
  for (const id of ev.items.retracted ?? []) if (id) out.push({ room: bare(id) });
  return out;
}
