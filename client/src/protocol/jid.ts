// JID helpers for the web client (browser-safe: string operations only). Bare JIDs are compared in
// lower case, as the server normalises localparts and domains (RFC 7622 §3.2–3.3); the resource
// (a device, or a nickname in a room) keeps its case.

/** The bare JID (localpart@domain, or the domain), lower-cased. */
export function bare(jid: string): string {
  const slash = jid.indexOf('/');
  return (slash < 0 ? jid : jid.slice(0, slash)).toLowerCase();
}

/** The resourcepart, or '' for a bare JID. In a room address it is the occupant's nickname. */
export function resourceOf(jid: string): string {
  const slash = jid.indexOf('/');
  return slash < 0 ? '' : jid.slice(slash + 1);
}

/** The domainpart. */
export function domainOf(jid: string): string {
  const b = bare(jid);
  return b.slice(b.indexOf('@') + 1);
}

/** The localpart, or '' for a domain. */
export function localOf(jid: string): string {
  const slash = jid.indexOf('/');
  const head = slash < 0 ? jid : jid.slice(0, slash);
  const at = head.indexOf('@');
  return at < 0 ? '' : head.slice(0, at);
}
