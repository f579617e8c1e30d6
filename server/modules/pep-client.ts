// The server as a client of an account's PEP service (XEP-0163), for modules that keep another
// store in step with a PEP node (XEP-0398 avatars, XEP-0402 bookmarks). It goes through the
// service's own pubsub IQs on the event bus, so access rules, publish-options preconditions and
// notifications are the PEP module's, and it learns of the owner's changes by watching those IQs
// succeed. Nothing here knows how the PEP module is built.
import { randomUUID } from 'node:crypto';
import { Jid } from '../../xmpp/jid.js';
import { NS } from '../../xmpp/namespaces.js';
import { parseXml, x, type Element } from '../../xmpp/xml.js';
import { PRIORITY, type IqEvent } from '../core/events.js';
import type { XmppServer } from '../core/server.js';

const PUBSUB = 'http://jabber.org/protocol/pubsub';
const PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
const PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';

/** Requests this file sent itself: their success is not an owner's change to echo back. */
const ours = new WeakSet<Element>();

/** A change the account's owner made to one of its nodes, after the PEP service accepted it. */
export type PepChange =
  | { kind: 'publish'; user: string; node: string; id: string; payload: Element }
  | { kind: 'retract'; user: string; node: string; ids: string[] }
  | { kind: 'delete'; user: string; node: string };

export interface PepItem {
  id: string;
  payload: Element;
}

function elements(el: Element): Element[] {
  return el.children.filter((c): c is Element => typeof c !== 'string');
}

/** What a pubsub set asks of `nodes`, when it is a publish, retract or delete the watcher cares about. */
function changeOf(e: IqEvent, nodes: ReadonlySet<string>): PepChange | undefined {
  const user = e.to.local;
  const { payload } = e;
  if (payload.attrs.xmlns === PUBSUB) {
    const publish = payload.getChild('publish');
    if (publish && nodes.has(publish.attrs.node ?? '')) {
      const item = publish.getChildren('item')[0];
      const body = item ? elements(item)[0] : undefined;
      if (item && body) return { kind: 'publish', user, node: publish.attrs.node!, id: item.attrs.id ?? '', payload: body };
    }
    const retract = payload.getChild('retract');
    if (retract && nodes.has(retract.attrs.node ?? '')) {
      return { kind: 'retract', user, node: retract.attrs.node!, ids: retract.getChildren('item').map((i) => i.attrs.id ?? '') };
    }
  } else {
    const del = payload.getChild('delete');
    if (del && nodes.has(del.attrs.node ?? '')) return { kind: 'delete', user, node: del.attrs.node! };
  }
  return undefined;
}

/**
 * Runs `fn` when the handler of `e` answers with a result, and sends that result once `fn` is done:
 * what `fn` writes is in place when the client hears of its success. Errors go through unchanged.
 */
export function afterResult(server: XmppServer, e: IqEvent, fn: () => void | Promise<void>): void {
  const reply = e.reply;
  // Whoever answers the IQ (the PEP module, vcard, private) replies through e.reply.
  e.reply = (r) => {
    if (r.attrs.type !== 'result') return reply(r);
    let done: Promise<void>;
    try {
      done = Promise.resolve(fn());
    } catch (err) {
      done = Promise.reject(err);
    }
    done.catch((err: unknown) => server.log.error({ err }, 'keeping a store in step with another failed')).finally(() => reply(r));
  };
}

/**
 * Calls `fn` once the PEP service has accepted a publish, retract or node deletion that the
 * account's owner sent for one of `nodes` (not those sent from here). A publish whose item id the
 * service chose has `id` ''.
 */
export function watchPep(server: XmppServer, nodes: readonly string[], fn: (change: PepChange) => void | Promise<void>): void {
  const wanted = new Set(nodes);
  const watch = (e: IqEvent): void => {
    if (ours.has(e.stanza) || e.from.bare !== e.to.bare || !e.origin) return;
    const change = changeOf(e, wanted);
    if (change) afterResult(server, e, () => fn(change));
  };
  server.events.on(`iq-set/bare/${PUBSUB}`, watch, PRIORITY.NORMAL + 1);
  server.events.on(`iq-set/bare/${PUBSUB_OWNER}`, watch, PRIORITY.NORMAL + 1);
}

function publishOptions(options: Record<string, string>): Element {
  return x(
    'publish-options',
    {},
    x(
      'x',
      { xmlns: NS.DATA, type: 'submit' },
      x('field', { var: 'FORM_TYPE', type: 'hidden' }, x('value', {}, PUBLISH_OPTIONS)),
      Object.entries(options).map(([k, v]) => x('field', { var: k }, x('value', {}, v))),
    ),
  );
}

/** Sends a pubsub set to `user`'s PEP service as the account itself; resolves with the reply. */
function request(server: XmppServer, user: string, pubsub: Element): Promise<Element> {
  const owner = new Jid(user, server.domain, '', true);
  const stanza = x('iq', { type: 'set', id: `sync-${randomUUID()}`, from: owner.bare, to: owner.bare }, pubsub);
  ours.add(stanza);
  return new Promise((resolve) => server.dispatchIq('bare', { stanza, from: owner, to: owner }, resolve));
}

/** Publishes one item on the account's behalf (with publish-options preconditions, XEP-0060 §7.1.5). */
export function publishAs(server: XmppServer, user: string, node: string, id: string | undefined, payload: Element, options?: Record<string, string>): Promise<Element> {
  return request(server, user, x('pubsub', { xmlns: PUBSUB }, x('publish', { node }, x('item', { id }, payload)), options && publishOptions(options)));
}

/** Retracts items on the account's behalf, notifying subscribers (XEP-0060 §7.2.2.1). */
export function retractAs(server: XmppServer, user: string, node: string, ids: string[]): Promise<Element> {
  return request(server, user, x('pubsub', { xmlns: PUBSUB }, x('retract', { node, notify: 'true' }, ids.map((id) => x('item', { id })))));
}

/** The node's items, oldest first, read from the server's storage (the owner may read them all). */
export function itemsOf(server: XmppServer, user: string, node: string): PepItem[] {
  const out: PepItem[] = [];
  for (const stored of server.storage.pep.items(user, node)) {
    const payload = elements(parseXml(stored.xml))[0];
    if (payload) out.push({ id: stored.id, payload });
  }
  return out;
}

/** The node's configuration, or undefined when the account has no such node. */
export function configOf(server: XmppServer, user: string, node: string): Readonly<Record<string, string>> | undefined {
  return server.storage.pep.node(user, node)?.config;
}

/** The condition of an error reply, for logs. */
export function errorOf(reply: Element): string | undefined {
  if (reply.attrs.type !== 'error') return undefined;
  const error = reply.getChild('error');
  return error ? elements(error).map((c) => c.name).join(' ') : 'error';
}
