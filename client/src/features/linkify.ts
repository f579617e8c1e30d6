// Links in message text: the parts of a body that are web or XMPP addresses, so the view can make
// them clickable. Only http:, https: and xmpp: (RFC 5122) become links — never javascript:, data:
// or anything else — and punctuation that ends a sentence is left outside the link, as
// Conversations and Converse.js do ("see https://example.org." links https://example.org).
export type Segment = { text: string } | { text: string; href: string };

// A scheme-less "www." address is linked as https.
const URL_RE = /\b(?:(?:https?:\/\/|www\.)[^\s<>"']+|xmpp:[^\s<>"']+)/gi;
const TRAILING = /[.,;:!?'"»)\]}]+$/;

/** Balances a trailing ")" against "(" inside the link (https://en.wikipedia.org/wiki/Bell_(instrument)). */
function trim(url: string): string {
  let u = url;
  for (;;) {
    const m = TRAILING.exec(u);
    if (!m) return u;
    const cut = m[0];
    // keep closing brackets that close something opened inside the URL
    let keep = 0;
    for (let i = 0; i < cut.length; i++) {
      const ch = cut[i]!;
      const open = ch === ')' ? '(' : ch === ']' ? '[' : ch === '}' ? '{' : '';
      if (!open) break;
      const head = u.slice(0, u.length - cut.length + i);
      if (head.split(open).length - 1 > head.split(ch).length - 1) keep = i + 1;
      else break;
    }
    if (keep === cut.length) return u;
    u = u.slice(0, u.length - cut.length + keep);
    if (keep > 0) return u;
  }
}

function hrefOf(text: string): string | undefined {
  const candidate = /^www\./i.test(text) ? `https://${text}` : text;
  try {
    const url = new URL(candidate);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
    if (url.protocol === 'xmpp:') return candidate;
  } catch {
    /* not a URL after all */
  }
  return undefined;
}

export function linkify(body: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of body.matchAll(URL_RE)) {
    const start = m.index ?? 0;
    const text = trim(m[0]);
    const href = hrefOf(text);
    if (!href || text.length < 5) continue;
    if (start > last) out.push({ text: body.slice(last, start) });
    out.push({ text, href });
    last = start + text.length;
  }
  if (last < body.length) out.push({ text: body.slice(last) });
  return out;
}
