// Fixtures of the publish-subscribe tests (pubsub.test.ts, pubsub-settings.test.ts): XEP-0060 (1.25)
// examples — Hamlet's princely_musings node at pubsub.shakespeare.lit, the weblog entry of
// Example 100, the node configuration of Example 139 — and requests made with @xmpp/client.
import { xml, type XmppClient, type XmlElement } from './helpers.js';

export const PUBSUB = 'http://jabber.org/protocol/pubsub';
export const OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const EVENT = 'http://jabber.org/protocol/pubsub#event';
export const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
export const DATA = 'jabber:x:data';
export const DOMAIN = 'denmark.lit';
export const SVC = 'pubsub.shakespeare.lit';
export const NODE = 'princely_musings';
export const HAMLET = `hamlet@${DOMAIN}`;
export const FRANCISCO = `francisco@${DOMAIN}`;
export const BERNARDO = `bernardo@${DOMAIN}`;

export type AppError = { condition: string; application?: XmlElement };
export const fails = (condition: string, app?: string) => (e: AppError) => e.condition === condition && (app === undefined || e.application?.name === app);

// Example 100: the weblog entry Hamlet publishes.
export const entry = (title = 'Soliloquy') =>
  xml(
    'entry',
    { xmlns: 'http://www.w3.org/2005/Atom' },
    xml('title', {}, title),
    xml('summary', {}, 'To be, or not to be: that is the question'),
    xml('link', { rel: 'alternate', type: 'text/html', href: 'http://denmark.lit/2003/12/13/atom03' }),
    xml('id', {}, 'tag:denmark.lit,2003:entry-32397'),
    xml('published', {}, '2003-12-13T18:30:02Z'),
    xml('updated', {}, '2003-12-13T18:30:02Z'),
  );

export const form = (type: string, fields: Record<string, string>) =>
  xml('x', { xmlns: DATA, type: 'submit' }, xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, type)), ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))));
export const nodeConfig = (fields: Record<string, string>) => form(`${PUBSUB}#node_config`, fields);

// Example 139's configuration (pubsub#item_expire and the rest we do not offer are ignored).
export const EXAMPLE_139 = {
  'pubsub#title': 'Princely Musings (Atom)', 'pubsub#deliver_notifications': '1', 'pubsub#deliver_payloads': '1', 'pubsub#persist_items': '1',
  'pubsub#max_items': '10', 'pubsub#item_expire': '604800', 'pubsub#access_model': 'open', 'pubsub#publish_model': 'publishers',
  'pubsub#purge_offline': '0', 'pubsub#send_last_published_item': 'never', 'pubsub#presence_based_delivery': 'false',
  'pubsub#notification_type': 'headline', 'pubsub#notify_config': '0', 'pubsub#notify_delete': '0', 'pubsub#notify_retract': '0',
  'pubsub#notify_sub': '0', 'pubsub#max_payload_size': '1028', 'pubsub#type': 'http://www.w3.org/2005/Atom',
};

export const request = (c: XmppClient, type: 'get' | 'set', ns: string, ...children: XmlElement[]) => c.iqCaller.request(xml('iq', { type, to: SVC }, xml('pubsub', { xmlns: ns }, ...children)));
export const create = (c: XmppClient, node: string | undefined, config?: Record<string, string>) =>
  request(c, 'set', PUBSUB, xml('create', { node }), ...(config ? [xml('configure', {}, nodeConfig(config))] : []));
export const configure = (c: XmppClient, node: string, fields: Record<string, string>) => request(c, 'set', OWNER, xml('configure', { node }, nodeConfig(fields)));
export const publish = (c: XmppClient, node: string, id?: string, payload = entry(), options?: Record<string, string>) =>
  request(c, 'set', PUBSUB, xml('publish', { node }, xml('item', { id }, payload)), ...(options ? [xml('publish-options', {}, form(`${PUBSUB}#publish-options`, options))] : []));
export const subscribe = (c: XmppClient, node: string, jid: string) => request(c, 'set', PUBSUB, xml('subscribe', { node, jid }));
export const affiliate = (c: XmppClient, node: string, jid: string, affiliation: string) => request(c, 'set', OWNER, xml('affiliations', { node }, xml('affiliation', { jid, affiliation })));
export async function items(c: XmppClient, node: string, attrs: Record<string, string> = {}, ...children: XmlElement[]): Promise<XmlElement> {
  return (await request(c, 'get', PUBSUB, xml('items', { node, ...attrs }, ...children))).getChild('pubsub', PUBSUB)!;
}
export const ids = (p: XmlElement) => p.getChild('items')!.getChildren('item').map((i) => i.attrs.id as string);
export const isEvent = (node: string, child: string) => (el: XmlElement) => el.is('message') && el.attrs.from === SVC && el.getChild('event', EVENT)?.getChildren(child).some((c) => c.attrs.node === node) === true;
export const fieldValue = (x: XmlElement, name: string) => x.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value');

