// What the core and the modules know of a client session: its address, its presence, and how to
// send to it. session/c2s.ts implements it; nothing here knows about streams or transports.
import type { Element } from '../../xmpp/xml.js';
import type { Jid } from '../../xmpp/jid.js';
import type { StreamError } from '../../xmpp/errors.js';

/**
 * Sees a stanza on its way to the client, before it is written or counted by XEP-0198. Returns true
 * when it keeps the stanza back (to let it go later with `sendUnfiltered`, or to drop it).
 */
export type OutgoingFilter = (stanza: Element, xml: string) => boolean;

export interface ClientSession {
  /** The bound full JID (set once a resource is bound). */
  readonly jid?: Jid;
  readonly remoteAddress: string;
  /** Sent initial presence and has not gone unavailable (RFC 6121 §4.2). */
  available: boolean;
  priority: number;
  /** The last broadcast presence, without addresses (RFC 6121 §4.2, §4.4). */
  presence?: Element;
  /** Whether the connection is encrypted (TLS, or a WebSocket the HTTP layer vouches for). */
  readonly secure: boolean;
  /** How the client is connected, for the operator's metrics; TCP when not said. */
  readonly connection?: 'tcp' | 'websocket' | 'bosh';
  /** For WebSocket and BOSH: the scheme of the HTTP listener it came in on; undefined for TCP. */
  readonly httpScheme?: 'http' | 'https';
  /** Its connection dropped and it waits to be resumed (XEP-0198 §5). */
  readonly hibernating?: boolean;
  /**
   * What modules keep per session, under keys they own ("carbons:enabled", "roster:interested"):
   * the session itself carries no per-feature fields.
   */
  readonly data: Map<string, unknown>;
  send(el: Element): void;
  /** Sends an already serialized stanza (serialize once, fan out to many). */
  sendXml(xml: string): void;
  /** Adds a filter that every outgoing stanza passes first (in the order added); returns its removal. */
  filterOutgoing(filter: OutgoingFilter): () => void;
  /** Sends a serialized stanza past the filters: what a filter kept back and now lets go. */
  sendUnfiltered(xml: string): void;
  close(error?: StreamError): void;
}
