// XEP-0156: Discovering Alternative XMPP Connection Methods (host-meta), for the WebSocket
// endpoint (RFC 7395 §4). Order: a URL the user typed; the account domain's
// /.well-known/host-meta.json, then /.well-known/host-meta (XRD); then the page's own
// /xmpp-websocket, which is where a Carillon server serves it.
export const REL_WEBSOCKET = 'urn:xmpp:alt-connections:websocket';

/** Links of a host-meta JSON document (XEP-0156 §3, Example 3). */
export function websocketFromJson(text: string): string | undefined {
  try {
    const doc = JSON.parse(text) as { links?: { rel?: string; href?: string }[] };
    return doc.links?.find((l) => l.rel === REL_WEBSOCKET && typeof l.href === 'string')?.href;
  } catch {
    return undefined;
  }
}

/** Links of a host-meta XRD document (XEP-0156 §3, Example 2); a regexp keeps this DOM-free. */
export function websocketFromXrd(text: string): string | undefined {
  for (const m of text.matchAll(/<Link\b([^>]*)\/?>/g)) {
    const attrs = m[1] ?? '';
    const rel = /\brel\s*=\s*(['"])(.*?)\1/.exec(attrs)?.[2];
    const href = /\bhref\s*=\s*(['"])(.*?)\1/.exec(attrs)?.[2];
    if (rel === REL_WEBSOCKET && href) return href.replace(/&amp;/g, '&');
  }
  return undefined;
}

/** The page's own endpoint: same host, ws: or wss: after the page's scheme. */
export function pageWebsocket(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/xmpp-websocket`;
}

export type Fetch = (url: string, init?: { signal?: AbortSignal }) => Promise<{ ok: boolean; text(): Promise<string> }>;

async function tryFetch(fetchFn: Fetch, url: string, timeoutMs: number): Promise<string | undefined> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    const res = await fetchFn(url, { signal: ctl.signal });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined; // unreachable, CORS, TLS: all mean "not here"
  } finally {
    clearTimeout(timer);
  }
}

export interface DiscoveryInput {
  domain: string;
  manual?: string;
  page: { protocol: string; host: string; hostname: string };
  fetch: Fetch;
  timeoutMs?: number;
}

export async function discoverWebsocket(input: DiscoveryInput): Promise<string> {
  const manual = input.manual?.trim();
  if (manual) return manual;
  const t = input.timeoutMs ?? 2500;
  // The page's own server serves the account domain: no need to look elsewhere.
  const origins = input.page.hostname === input.domain
    ? [`${input.page.protocol}//${input.page.host}`]
    : [`https://${input.domain}`, `${input.page.protocol}//${input.page.host}`];
  for (const origin of origins) {
    const json = await tryFetch(input.fetch, `${origin}/.well-known/host-meta.json`, t);
    const fromJson = json && websocketFromJson(json);
    if (fromJson) return fromJson;
    const xrd = await tryFetch(input.fetch, `${origin}/.well-known/host-meta`, t);
    const fromXrd = xrd && websocketFromXrd(xrd);
    if (fromXrd) return fromXrd;
  }
  return pageWebsocket(input.page);
}
