// Server Dialback (XEP-0220): the keys and the elements of the three roles. Pure functions; the
// streams in incoming.ts and outgoing.ts use them.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { NS } from '../xmpp/namespaces.js';
import { x, type Element } from '../xmpp/xml.js';

/**
 * Dialback keys per XEP-0185 §3: HMAC-SHA256 keyed with the hex SHA-256 of a secret, over
 * "Receiving Server", "Originating Server" and "Stream ID" joined by spaces, as hex. Only the
 * authoritative server (ourselves) ever checks a key we generated, so the secret never leaves us.
 */
export class DialbackKeys {
  private readonly hashedSecret: string;

  constructor(secret: string = randomBytes(32).toString('hex')) {
    this.hashedSecret = createHash('sha256').update(secret).digest('hex');
  }

  generate(receiving: string, originating: string, streamId: string): string {
    return createHmac('sha256', this.hashedSecret).update(`${receiving} ${originating} ${streamId}`).digest('hex');
  }

  check(receiving: string, originating: string, streamId: string, key: string): boolean {
    const expected = Buffer.from(this.generate(receiving, originating, streamId));
    const got = Buffer.from(key.trim().toLowerCase());
    return got.length === expected.length && timingSafeEqual(got, expected);
  }
}

export type DialbackKind = 'result' | 'verify';

/** A dialback element as received: prefixed (<db:result/>, as most servers send it) or with its own xmlns. */
export interface DialbackElement {
  kind: DialbackKind;
  from: string;
  to: string;
  id?: string;
  type?: string;
  key: string;
}

/**
 * Recognises <db:result/> and <db:verify/>. Our parser keeps prefixes as written, so the prefixed
 * form relies on the stream header having bound `db` to jabber:server:dialback (XEP-0220 §2.1).
 */
export function readDialback(el: Element, headerAttrs: Record<string, string>): DialbackElement | undefined {
  let local: string;
  if (el.name === 'db:result' || el.name === 'db:verify') {
    if (headerAttrs['xmlns:db'] !== NS.DIALBACK && el.attrs['xmlns:db'] !== NS.DIALBACK) return undefined;
    local = el.name.slice(3);
  } else if ((el.name === 'result' || el.name === 'verify') && el.attrs.xmlns === NS.DIALBACK) {
    local = el.name;
  } else return undefined;
  return {
    kind: local as DialbackKind,
    from: el.attrs.from ?? '',
    to: el.attrs.to ?? '',
    id: el.attrs.id,
    type: el.attrs.type,
    key: el.getText().trim(),
  };
}

/** Originating → receiving: the key for a domain pair (XEP-0220 §2.1.1). */
export function resultRequest(from: string, to: string, key: string): Element {
  return x('db:result', { from, to }, key);
}

/** Receiving → originating: the outcome (§2.4), or an error such as item-not-found (§2.4, Example 13). */
export function resultAnswer(from: string, to: string, type: 'valid' | 'invalid' | 'error', condition?: string): Element {
  return x('db:result', { from, to, type }, type === 'error' ? x('error', { type: 'cancel' }, x(condition ?? 'item-not-found', { xmlns: NS.STANZAS_ERR })) : undefined);
}

/** Receiving → authoritative: is this key right for this stream? (§2.3.1) */
export function verifyRequest(from: string, to: string, id: string, key: string): Element {
  return x('db:verify', { from, to, id }, key);
}

/** Authoritative → receiving (§2.3.2). */
export function verifyAnswer(from: string, to: string, id: string, valid: boolean): Element {
  return x('db:verify', { from, to, id, type: valid ? 'valid' : 'invalid' });
}
