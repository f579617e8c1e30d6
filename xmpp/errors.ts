// Stanza errors (RFC 6120 §8.3) and stream errors (RFC 6120 §4.9).
import { NS } from './namespaces.js';
import { x, type Element, withAttrs } from './xml.js';

export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

/** The default error type of each condition, from RFC 6120 §8.3.3. */
const DEFAULT_TYPE: Record<string, StanzaErrorType> = {
  'bad-request': 'modify',
  conflict: 'cancel',
  'feature-not-implemented': 'cancel',
  forbidden: 'auth',
  gone: 'cancel',
  'internal-server-error': 'cancel',
  'item-not-found': 'cancel',
  'jid-malformed': 'modify',
  'not-acceptable': 'modify',
  'not-allowed': 'cancel',
  'not-authorized': 'auth',
  'policy-violation': 'modify',
  'recipient-unavailable': 'wait',
  redirect: 'modify',
  'registration-required': 'auth',
  'remote-server-not-found': 'cancel',
  'remote-server-timeout': 'wait',
  'resource-constraint': 'wait',
  'service-unavailable': 'cancel',
  'subscription-required': 'auth',
  'undefined-condition': 'cancel',
  'unexpected-request': 'wait',
};

export class StanzaError extends Error {
  readonly type: StanzaErrorType;
  constructor(
    readonly condition: string,
    readonly text?: string,
    type?: StanzaErrorType,
    /** Application-specific condition elements, e.g. Jingle's <unknown-session/>. */
    readonly extra: Element[] = [],
  ) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = 'StanzaError';
    this.type = type ?? DEFAULT_TYPE[condition] ?? 'cancel';
  }

  toElement(by?: string): Element {
    return x(
      'error',
      { type: this.type, by },
      x(this.condition, { xmlns: NS.STANZAS_ERR }),
      this.text ? x('text', { xmlns: NS.STANZAS_ERR, 'xml:lang': 'en' }, this.text) : undefined,
      this.extra,
    );
  }
}

/**
 * The error reply to a stanza (RFC 6120 §8.3.1): the same stanza kind, `to` and `from` swapped, the
 * same id, type="error", the original payload included for IQs so clients can match it.
 */
export function errorReply(stanza: Element, err: StanzaError, serverDomain?: string): Element {
  const reply = withAttrs(stanza, { to: stanza.attrs.from, from: stanza.attrs.to ?? serverDomain, type: 'error' });
  reply.children = [];
  for (const c of stanza.children) if (typeof c !== 'string' && c.name !== 'error') reply.children.push(c);
  reply.children.push(err.toElement());
  return reply;
}

/** Stream error conditions of RFC 6120 §4.9.3. */
export type StreamCondition =
  | 'bad-format'
  | 'bad-namespace-prefix'
  | 'conflict'
  | 'connection-timeout'
  | 'host-gone'
  | 'host-unknown'
  | 'improper-addressing'
  | 'internal-server-error'
  | 'invalid-from'
  | 'invalid-namespace'
  | 'invalid-xml'
  | 'not-authorized'
  | 'not-well-formed'
  | 'policy-violation'
  | 'remote-connection-failed'
  | 'reset'
  | 'resource-constraint'
  | 'restricted-xml'
  | 'see-other-host'
  | 'system-shutdown'
  | 'undefined-condition'
  | 'unsupported-encoding'
  | 'unsupported-feature'
  | 'unsupported-stanza-type'
  | 'unsupported-version';

export class StreamError extends Error {
  constructor(
    readonly condition: StreamCondition,
    readonly text?: string,
  ) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = 'StreamError';
  }

  toElement(): Element {
    return x(
      'stream:error',
      null,
      x(this.condition, { xmlns: NS.STREAMS_ERR }),
      this.text ? x('text', { xmlns: NS.STREAMS_ERR, 'xml:lang': 'en' }, this.text) : undefined,
    );
  }
}
