// Clients that want PEP notifications (XEP-0163 §4.2): they advertise "<node>+notify" in their
// XEP-0115 capabilities and answer the server's disco#info for node#ver, as Conversations, Dino
// and Gajim do; and the pubsub requests such clients send.
import { createHash } from 'node:crypto';
import { ping, xml, type XmppClient, type XmlElement } from './helpers.js';

export const PUBSUB = 'http://jabber.org/protocol/pubsub';
export const EVENT = 'http://jabber.org/protocol/pubsub#event';
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const CAPS = 'http://jabber.org/protocol/caps';

export interface CapsClient {
  client: XmppClient;
  /** Presence with the client's caps (XEP-0115 §4). */
  presence: (...children: XmlElement[]) => XmlElement;
  /** Resolves once every disco#info query received so far has been answered. */
  answered: () => Promise<void>;
}

/** Makes `client` advertise `features` and answer disco#info for its caps node. */
export function advertise(client: XmppClient, features: string[]): CapsClient {
  const all = [...new Set([DISCO_INFO, CAPS, ...features])].sort();
  const ver = createHash('sha1').update(`client/pc//Carillon test<${all.map((f) => `${f}<`).join('')}`).digest('base64');
  let queries = 0;
  let replies = 0;
  const waiting = new Set<() => void>();
  client.on('send', (el: XmlElement) => {
    if (!el.is('iq') || el.attrs.type !== 'result' || !el.getChild('query', DISCO_INFO)) return;
    replies++;
    for (const w of [...waiting]) w();
  });
  client.iqCallee.get(DISCO_INFO, 'query', ({ stanza }) => {
    queries++;
    const node = stanza.getChild('query', DISCO_INFO)!.attrs.node as string;
    return xml('query', { xmlns: DISCO_INFO, node }, xml('identity', { category: 'client', type: 'pc', name: 'Carillon test' }), ...all.map((f) => xml('feature', { var: f })));
  });
  const answered = () =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (replies < queries) return;
        waiting.delete(check);
        resolve();
      };
      waiting.add(check);
      check();
    });
  return { client, answered, presence: (...children) => xml('presence', {}, xml('c', { xmlns: CAPS, hash: 'sha-1', node: 'https://carillon.example/test', ver }), ...children) };
}

/**
 * Sends the client's caps presence and lets the server take it in: the first ping returns once the
 * server handled the presence (its disco#info query, if any, has arrived); once that is answered, a
 * second ping returns after the server read the answer.
 */
export async function announce(c: CapsClient): Promise<void> {
  await c.client.send(c.presence());
  await ping(c.client);
  await c.answered();
  await ping(c.client);
}

export const isEvent = (node: string) => (el: XmlElement) => el.is('message') && el.getChild('event', EVENT)?.getChild('items')?.attrs.node === node;

export function publishOptions(fields: Record<string, string>): XmlElement {
  return xml(
    'publish-options',
    {},
    xml(
      'x',
      { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, `${PUBSUB}#publish-options`)),
      ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))),
    ),
  );
}

export function publish(c: XmppClient, node: string, id: string | undefined, payload: XmlElement, options?: Record<string, string>): Promise<XmlElement> {
  return c.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node }, xml('item', { id }, payload)), ...(options ? [publishOptions(options)] : []))));
}

export function retract(c: XmppClient, node: string, id: string): Promise<XmlElement> {
  return c.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB }, xml('retract', { node, notify: 'true' }, xml('item', { id })))));
}

/** The items of `owner`'s node, as `c` may see them. */
export async function items(c: XmppClient, owner: string | undefined, node: string): Promise<XmlElement[]> {
  const r = await c.iqCaller.request(xml('iq', { type: 'get', to: owner }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node }))));
  return r.getChild('pubsub', PUBSUB)!.getChild('items')!.getChildren('item');
}
