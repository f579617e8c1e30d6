// Minimal JID handling (RFC 7622) for routing: split, bare, compare. Localparts of room
// addresses are compared case-insensitively, as nodeprep would.
export interface Jid { local: string; domain: string; resource: string }

export function parseJid(s: string | undefined): Jid | undefined {
  if (!s) return undefined;
  const slash = s.indexOf('/');
  const resource = slash >= 0 ? s.slice(slash + 1) : '';
  const main = slash >= 0 ? s.slice(0, slash) : s;
  const at = main.indexOf('@');
  const local = at >= 0 ? main.slice(0, at) : '';
  const domain = (at >= 0 ? main.slice(at + 1) : main).toLowerCase();
  if (!domain || (at >= 0 && !local) || (slash >= 0 && !resource)) return undefined;
  return { local, domain, resource };
}

export function bare(j: string): string {
  const slash = j.indexOf('/');
  return (slash >= 0 ? j.slice(0, slash) : j).toLowerCase();
}

export function formatJid(j: Jid): string {
  return (j.local ? `${j.local}@` : '') + j.domain + (j.resource ? `/${j.resource}` : '');
}
