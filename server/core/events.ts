// The event bus of the server, keyed on what a stanza is (as Prosody's): its kind and type, whom it
// addresses, and for IQs the payload namespace:
//
//   pre-message/bare   a message from one of our client sessions, to a bare JID, before routing
//   message/full       a message for a local full JID (from anywhere), at delivery
//   presence/host      presence addressed to the server itself
//   iq-get/bare/urn:xmpp:mam:2, iq-set/host/urn:xmpp:blocking, iq-set/preauth/jabber:iq:register
//
// Handlers run from the highest priority down; one that returns true consumes the event and the
// rest do not run. The routing rules of RFC 6120 §8 and RFC 6121 §8 are ordinary handlers at
// PRIORITY.DEFAULT, the lowest, so a module sees a stanza before the router unless it asks not to.
import type { Element } from '../../xmpp/xml.js';
import type { Jid } from '../../xmpp/jid.js';
import type { ClientSession } from './session.js';

export const PRIORITY = {
  /** Policy that may refuse a stanza before anyone else sees it (blocking, privacy). */
  POLICY: 100,
  /** Ordinary feature handlers. */
  NORMAL: 0,
  /** Handlers that watch what passes without taking it (carbons' copies). */
  OBSERVE: -100,
  /** The routing rules themselves. */
  DEFAULT: -1000,
} as const;

export type StanzaKind = 'message' | 'presence' | 'iq';
/** host: the server's own domain; bare / full: an account or one of its resources. */
export type AddressType = 'host' | 'bare' | 'full';

export interface StanzaEvent {
  stanza: Element;
  /** The sender (trusted: stamped by our session or verified on its stream). */
  from: Jid;
  /** The addressee; for a client's stanza without `to`, the client's own bare JID (RFC 6120 §10.3). */
  to: Jid;
  /** The client session it came from, when it is one of ours. */
  origin?: ClientSession;
  /**
   * Sent by the server on the session's behalf: a copy of its presence broadcast to one contact, or
   * a probe (RFC 6121 §4.2.2, §4.3). Policy still applies; the presence module does not treat it as
   * directed presence.
   */
  broadcast?: true;
}

/** An IQ get or set; `payload` is its one child. */
export interface IqEvent extends StanzaEvent {
  payload: Element;
  /** Sends the one reply (set by whoever fired the event). */
  reply(el: Element): void;
}

export type StanzaEventName = `${'pre-' | ''}${StanzaKind}/${AddressType}` | 'message/offline';

/**
 * A top-level element on a bound client stream that is not a stanza (a "nonza", such as XEP-0352's
 * <inactive/>), fired as `nonza/<its namespace>`. A handler that takes it returns true; one nobody
 * takes ends the stream with <unsupported-stanza-type/> as before (RFC 6120 §4.9.3.22).
 */
export interface NonzaEvent {
  element: Element;
  session: ClientSession;
}
export type NonzaEventName = `nonza/${string}`;
export type IqEventName = `iq-${'get' | 'set'}/${AddressType | 'preauth'}/${string}`;

/** Events that are not stanzas: what happened to sessions and accounts. */
export interface LifecycleEvents {
  /** A resource was bound. */
  'session-bound': { session: ClientSession };
  /** A session sent available presence; `initial` for its first (RFC 6121 §4.2). */
  'session-available': { session: ClientSession; initial: boolean };
  'session-closed': { session: ClientSession };
  /** A session's connection dropped and it waits to be resumed (XEP-0198 §5); `unacked`: what it had not acknowledged, oldest first, serialized. */
  'session-hibernated': { session: ClientSession; unacked: readonly string[] };
  /** A session whose connection dropped was resumed on a new stream (XEP-0198 §5), its queue resent. */
  'session-resumed': { session: ClientSession };
  'account-deleted': { user: string };
  /** A chat or normal message went to these sessions of `to` (carbons copy it to the others). */
  'message-delivered': { stanza: Element; to: Jid; delivered: ClientSession[] };
  /** Stream features being offered to a session; modules add their children to `features`. */
  'stream-features': { session: ClientSession; stage: 'sasl' | 'bind'; features: Element };
  /** An account's disco#items being answered (XEP-0030): modules add their `<item/>`s. */
  'disco-items/account': { to: Jid; from: Jid; items: Element[] };
  /** The server's disco#info being built (XEP-0030, and its XEP-0115 caps): modules add XEP-0128 data forms. */
  'disco-info/host': { extensions: Element[] };
  /** disco#info on a node of the server: the module serving `node` fills in the answer and returns true (unclaimed: item-not-found). */
  'disco-node/host': { from: Jid; node: string; identities: { category: string; type: string; name?: string }[]; features: string[] };
  /** The server's disco#items: modules add `<item/>`s; for a `node`, the module serving it returns true (unclaimed: item-not-found). */
  'disco-items/host': { from: Jid; node?: string; items: Element[] };
}

export type EventPayload<K extends string> = K extends keyof LifecycleEvents
  ? LifecycleEvents[K]
  : K extends IqEventName
    ? IqEvent
    : K extends StanzaEventName
      ? StanzaEvent
      : K extends NonzaEventName
        ? NonzaEvent
        : never;

export type EventName = keyof LifecycleEvents | StanzaEventName | IqEventName | NonzaEventName;

export type Listener<E> = (event: E) => boolean | void;

interface Entry {
  fn: Listener<never>;
  priority: number;
  seq: number;
}

export class EventBus {
  private map = new Map<string, Entry[]>();
  private seq = 0;

  /** Adds a handler; returns a function that removes it. Equal priorities run in the order added. */
  on<K extends EventName>(name: K, fn: Listener<EventPayload<K>>, priority: number = PRIORITY.NORMAL): () => void {
    const list = this.map.get(name) ?? [];
    const entry: Entry = { fn: fn as Listener<never>, priority, seq: this.seq++ };
    list.push(entry);
    list.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    this.map.set(name, list);
    return () => {
      const l = this.map.get(name);
      const i = l?.indexOf(entry) ?? -1;
      if (l && i >= 0) l.splice(i, 1);
    };
  }

  /** Runs the handlers of `name`; true when one of them consumed the event. */
  fire<K extends EventName>(name: K, event: EventPayload<K>): boolean {
    const list = this.map.get(name);
    if (!list) return false;
    for (const e of list) if ((e.fn as Listener<EventPayload<K>>)(event) === true) return true;
    return false;
  }

  has(name: string): boolean {
    return (this.map.get(name)?.length ?? 0) > 0;
  }
}
