// Files on this page's own server, loaded through the page's own origin. Carillon serves the same
// uploads on its HTTP and HTTPS ports and names both origins at /upload/origins.json
// (server/modules/upload/http.ts); a link a contact got on the other port would fail here: an
// http:// image in an https:// page is mixed content (Chromium upgrades it to https on the same
// port, which fails), and an https:// PUT or image from an http:// page meets a self-signed
// certificate the browser accepted for no page. Only what this page loads changes: a message
// keeps the link as it was sent, and links of other servers are left as they are.

/** Where the page's server names the origins of its own upload links. */
export const ORIGINS_PATH = '/upload/origins.json';

/** The origins in a `{"origins": [...]}` document (as URL.origin writes them); none for anything else. */
export function parseOrigins(text: string): string[] {
  try {
    const doc = JSON.parse(text) as { origins?: unknown };
    if (!Array.isArray(doc.origins)) return [];
    return doc.origins.flatMap((o) => {
      if (typeof o !== 'string') return [];
      try {
        const u = new URL(o);
        return u.protocol === 'http:' || u.protocol === 'https:' ? [u.origin] : [];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/**
 * `url` moved to `pageOrigin` (same path, query and fragment) when it is an upload link on one
 * of the server's own origins other than the page's; anything else unchanged.
 */
export function onPageOrigin(url: string, own: readonly string[], pageOrigin: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  if (u.origin === pageOrigin || !own.includes(u.origin) || !u.pathname.startsWith('/upload/')) return url;
  if (!/^https?:\/\/[^/]+$/.test(pageOrigin)) return url;
  return `${pageOrigin}${u.pathname}${u.search}${u.hash}`;
}

// One page, one server: what it said, kept for every view and upload of this page.
let own: readonly string[] = [];
let loading: Promise<void> | undefined;

/** Asks the page's own server for its upload origins, once; a page served elsewhere learns none. */
export function loadOwnOrigins(): Promise<void> {
  if (typeof location === 'undefined' || typeof fetch === 'undefined') return Promise.resolve();
  loading ??= fetch(ORIGINS_PATH, { cache: 'no-cache', signal: AbortSignal.timeout(2500) })
    .then(async (r) => {
      own = r.ok ? parseOrigins(await r.text()) : [];
    })
    .catch(() => {
      loading = undefined; // unreachable now: ask again at the next sign-in
    });
  return loading;
}

/** `url` as this page loads it (see onPageOrigin). */
export function pageUrl(url: string): string {
  return typeof location === 'undefined' ? url : onPageOrigin(url, own, location.origin);
}
