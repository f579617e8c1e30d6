// XEP-0049: Private XML Storage — one private element per (user, namespace), readable and writable
// by the account's owner only. Clients still keep bookmarks (XEP-0048) and preferences here.
import { StanzaError } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { parseXml, x, type Element } from '../../xmpp/xml.js';
import { defineModule, type KeyValueStore } from '../core/module.js';
import type { XmppServer } from '../core/server.js';

/** Bytes one user may keep in private storage, all namespaces together. */
const MAX_BYTES_PER_USER = 1024 * 1024;

function children(payload: Element): Element[] {
  return payload.children.filter((c): c is Element => typeof c !== 'string');
}

/**
 * The key of a private element: its name and namespace, as Prosody keeps them. Reserved namespaces
 * (jabber:*) are accepted: refusing them is optional (§2.3, Example 5) and clients do store there.
 */
function keyOf(el: Element): string {
  const ns = el.attrs.xmlns;
  if (!ns) throw new StanzaError('not-acceptable', 'a private element must have its own namespace');
  return `${el.name} ${ns}`;
}

/** Each server's private store, for modules that keep an element in step with another store (XEP-0402 §5.3). */
const stores = new WeakMap<XmppServer, KeyValueStore<string>>();

/** The account's private element `name` in `ns`, if it stored one. */
export function readPrivate(server: XmppServer, user: string, name: string, ns: string): Element | undefined {
  const stored = stores.get(server)?.get(user, `${name} ${ns}`);
  return stored ? parseXml(stored) : undefined;
}

/** Stores `el` as the account's private element of its name and namespace, replacing the one before. */
export function writePrivate(server: XmppServer, user: string, el: Element): void {
  stores.get(server)?.set(user, keyOf(el), el.toString());
}

export default defineModule({
  name: 'private',
  setup(m) {
    const store = m.store<string>();
    stores.set(m.server, store);

    m.iq('get', 'bare', NS.PRIVATE, ({ from, to, payload }) => {
      // §2.3 Example 3: another user gets forbidden (the RFC's preferred condition).
      if (from.bare !== to.bare) throw new StanzaError('forbidden', 'private storage is its owner\u2019s only');
      const wanted = children(payload);
      // §2.3: "at least one child element … otherwise Not Acceptable"; a get asks for one namespace.
      if (wanted.length === 0) throw new StanzaError('not-acceptable', 'name the element to retrieve');
      if (wanted.length > 1) throw new StanzaError('bad-request', 'a get asks for one element at a time');
      const stored = store.get(to.local, keyOf(wanted[0]!));
      // What was never stored comes back as the empty element that was asked for, as in Prosody.
      return x('query', { xmlns: NS.PRIVATE }, stored ? parseXml(stored) : x(wanted[0]!.name, { xmlns: wanted[0]!.attrs.xmlns }));
    });

    m.iq('set', 'bare', NS.PRIVATE, ({ from, to, payload }) => {
      if (from.bare !== to.bare) throw new StanzaError('forbidden', 'private storage is its owner\u2019s only');
      const els = children(payload);
      if (els.length === 0) throw new StanzaError('not-acceptable', 'store at least one element (Example 4)');
      const writes = els.map((el) => [keyOf(el), el.toString()] as const);
      let total = 0;
      const replaced = new Set(writes.map(([k]) => k));
      for (const k of store.keys(to.local)) if (!replaced.has(k)) total += store.get(to.local, k)?.length ?? 0;
      for (const [, xml] of writes) total += xml.length;
      if (total > MAX_BYTES_PER_USER) throw new StanzaError('resource-constraint', `private storage holds at most ${MAX_BYTES_PER_USER} bytes`, 'wait');
      for (const [k, xml] of writes) store.set(to.local, k, xml);
      return undefined;
    });
  },
});
