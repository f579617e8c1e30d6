// JIDs (RFC 7622): parsing, validation and comparison.
//
// Normalisation follows the PRECIS profiles only as far as Node offers them without a
// Unicode table of our own: Unicode NFC for all parts and case folding for the localpart and
// domain (UsernameCaseMapped / IDNA2008 lower-casing); the resourcepart keeps its case
// (OpaqueString). Characters that RFC 7622 §3.3.1 forbids in a localpart are refused.

export class JidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JidError';
  }
}

const LOCAL_FORBIDDEN = /["&'/:<>@\s]/u;
const CONTROL = /[\u0000-\u001f\u007f]/u;
const MAX_PART_BYTES = 1023; // RFC 7622 §3.2–3.4

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function checkPart(kind: string, value: string): void {
  if (value.length === 0) throw new JidError(`empty ${kind}`);
  if (byteLength(value) > MAX_PART_BYTES) throw new JidError(`${kind} longer than ${MAX_PART_BYTES} bytes`);
  if (CONTROL.test(value)) throw new JidError(`control character in ${kind}`);
}

export function normalizeDomain(domain: string): string {
  let d = domain.normalize('NFC').toLowerCase();
  if (d.endsWith('.')) d = d.slice(0, -1); // RFC 7622 §3.2: a trailing dot is stripped
  checkPart('domainpart', d);
  if (d.startsWith('[')) {
    if (!/^\[[0-9a-f:.]+\]$/.test(d)) throw new JidError('invalid IPv6 domainpart');
    return d;
  }
  if (/[\s@/"'<>&:]/.test(d)) throw new JidError('invalid character in domainpart');
  for (const label of d.split('.')) {
    if (label.length === 0) throw new JidError('empty label in domainpart');
    if (label.length > 63) throw new JidError('domain label longer than 63 characters');
  }
  return d;
}

export function normalizeLocal(local: string): string {
  const l = local.normalize('NFC').toLowerCase();
  checkPart('localpart', l);
  if (LOCAL_FORBIDDEN.test(l)) throw new JidError('forbidden character in localpart');
  return l;
}

export function normalizeResource(resource: string): string {
  const r = resource.normalize('NFC');
  checkPart('resourcepart', r);
  return r;
}

const CACHE_SIZE = 20_000;
const cache = new Map<string, Jid>();

/** An immutable, normalised JID. */
export class Jid {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;
  private _bare?: string;
  private _full?: string;

  constructor(local: string, domain: string, resource = '', normalized = false) {
    this.local = normalized || local === '' ? local : normalizeLocal(local);
    this.domain = normalized ? domain : normalizeDomain(domain);
    this.resource = normalized || resource === '' ? resource : normalizeResource(resource);
  }

  /** Parses a JID string; throws JidError with a readable reason when it is invalid. */
  static parse(s: string): Jid {
    // Every routed stanza parses its addresses; the same few thousand JIDs come back all the time.
    const cached = cache.get(s);
    if (cached) return cached;
    const jid = Jid.parseUncached(s);
    if (cache.size >= CACHE_SIZE) cache.clear();
    cache.set(s, jid);
    return jid;
  }

  private static parseUncached(s: string): Jid {
    if (typeof s !== 'string' || s.length === 0) throw new JidError('empty JID');
    const slash = s.indexOf('/');
    const head = slash === -1 ? s : s.slice(0, slash);
    const resource = slash === -1 ? '' : s.slice(slash + 1);
    if (slash !== -1 && resource === '') throw new JidError('empty resourcepart');
    const at = head.indexOf('@');
    const local = at === -1 ? '' : head.slice(0, at);
    const domain = at === -1 ? head : head.slice(at + 1);
    if (at !== -1 && local === '') throw new JidError('empty localpart');
    return new Jid(local, domain, resource);
  }

  /** Like parse, but returns undefined instead of throwing. */
  static tryParse(s: string | undefined): Jid | undefined {
    if (s === undefined) return undefined;
    try {
      return Jid.parse(s);
    } catch {
      return undefined;
    }
  }

  get bare(): string {
    return (this._bare ??= this.local ? `${this.local}@${this.domain}` : this.domain);
  }

  get full(): string {
    return (this._full ??= this.resource ? `${this.bare}/${this.resource}` : this.bare);
  }

  isBare(): boolean {
    return this.resource === '';
  }

  toBare(): Jid {
    return this.resource ? new Jid(this.local, this.domain, '', true) : this;
  }

  withResource(resource: string): Jid {
    return new Jid(this.local, this.domain, normalizeResource(resource), true);
  }

  equals(other: Jid): boolean {
    return this.full === other.full;
  }

  toString(): string {
    return this.full;
  }
}
