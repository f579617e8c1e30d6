// Element construction and stanza errors (RFC 6120 §8.3). Elements are built with the same
// ltx classes that @xmpp/component-core parses into, so incoming and outgoing stanzas share one type.
import { createRequire } from 'node:module';
import { xml as create } from '@xmpp/component-core';
import type { Element } from 'ltx';

export type { Element };
export type Child = Element | string | undefined | null | false;
export type Attrs = Record<string, string | number | undefined>;

export const NS = {
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  discoInfo: 'http://jabber.org/protocol/disco#info',
  discoItems: 'http://jabber.org/protocol/disco#items',
  ping: 'urn:xmpp:ping',
  muc: 'http://jabber.org/protocol/muc',
  mucUser: 'http://jabber.org/protocol/muc#user',
  mucAdmin: 'http://jabber.org/protocol/muc#admin',
  mucOwner: 'http://jabber.org/protocol/muc#owner',
  data: 'jabber:x:data',
  sid: 'urn:xmpp:sid:0',
  delay: 'urn:xmpp:delay',
  conference: 'jabber:x:conference',
  jingle: 'urn:xmpp:jingle:1',
  jingleErrors: 'urn:xmpp:jingle:errors:1',
  jingleRtp: 'urn:xmpp:jingle:apps:rtp:1',
  jingleIce: 'urn:xmpp:jingle:transports:ice-udp:1',
  jingleDtls: 'urn:xmpp:jingle:apps:dtls:0',
  jingleAudio: 'urn:xmpp:jingle:apps:rtp:audio',
  jingleVideo: 'urn:xmpp:jingle:apps:rtp:video',
  ssma: 'urn:xmpp:jingle:apps:rtp:ssma:0',
  grouping: 'urn:xmpp:jingle:apps:grouping:0',
  callInvite: 'urn:xmpp:call-invites:0',
} as const;

/** Build an element; undefined attributes and falsy children are dropped. */
export function x(name: string, attrs?: Attrs | null, ...children: Child[]): Element {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs ?? {})) if (v !== undefined) clean[k] = String(v);
  return create(name, clean, ...children.filter((c): c is Element | string => !!c || c === ''));
}

export type ErrorType = 'cancel' | 'modify' | 'auth' | 'wait' | 'continue';

/** A stanza error (RFC 6120 §8.3.3), optionally with an application-specific condition. */
export class StanzaError extends Error {
  constructor(
    readonly type: ErrorType,
    readonly condition: string,
    readonly text?: string,
    readonly appCondition?: Element,
  ) {
    super(text ?? condition);
  }
  toElement(by?: string): Element {
    return x('error', { type: this.type, by },
      x(this.condition, { xmlns: NS.stanzas }),
      this.text ? x('text', { xmlns: NS.stanzas, 'xml:lang': 'en' }, this.text) : undefined,
      this.appCondition);
  }
}

/** An error reply to any stanza: swap addresses, keep id, type='error' (RFC 6120 §8.3.1). */
export function errorReply(stanza: Element, err: StanzaError): Element {
  return x(stanza.name, { from: stanza.attrs.to, to: stanza.attrs.from, id: stanza.attrs.id, type: 'error' },
    err.toElement());
}

export function iqResult(iq: Element, payload?: Element): Element {
  return x('iq', { from: iq.attrs.to, to: iq.attrs.from, id: iq.attrs.id, type: 'result' }, payload);
}

export function childText(el: Element, name: string, ns?: string): string | undefined {
  const c = el.getChild(name, ns);
  return c ? c.getText() : undefined;
}

/** Deep copy so one element can be sent to many recipients with different addresses. */
export function clone(el: Element): Element {
  const copy = x(el.name, { ...el.attrs });
  for (const c of el.children) copy.children.push(typeof c === 'string' ? c : clone(c));
  for (const c of copy.children) if (typeof c !== 'string') c.parent = copy;
  return copy;
}

// ltx's CommonJS build: the same Element class as @xmpp/xml, so parsed fragments mix with stanzas.
const ltxCjs = createRequire(import.meta.url)('ltx') as typeof import('ltx');

export function parseXml(s: string): Element {
  return ltxCjs.parse(s) as Element;
}
