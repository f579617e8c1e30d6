// XEP-0461: Message Replies (v0.2), with the XEP-0428 Fallback Indication (v0.2) that marks the
// quoted part of the body, so that clients without replies still show what was answered.
//
// StanzaJS 12.22 has neither, so both are defined here with its JXT. A reply is
// `<reply xmlns='urn:xmpp:reply:0' to='…' id='…'/>` (§3: `to` is the full JID of the author of the
// message answered — its occupant JID in a room — and `id` its id, or in a room its stanza-id);
// the fallback is `<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0'
// end='N'/></fallback>`, the offsets counting Unicode code points of the body (XEP-0428 §4).
import { JXT } from 'stanza';

export const NS_REPLY = 'urn:xmpp:reply:0';
export const NS_FALLBACK = 'urn:xmpp:fallback:0';

export interface Reply {
  /** The id of the message answered. */
  id: string;
  /** Its author (XEP-0461 §3: SHOULD be present). */
  to?: string;
}

export interface FallbackRange {
  start?: number;
  end?: number;
}

export interface Fallback {
  /** The namespace of the element the fallback stands for. */
  for?: string;
  /** Ranges of the body that are fallback; none means the whole body (XEP-0428 §4). */
  bodies?: FallbackRange[];
}

declare module 'stanza/protocol/index.js' {
  interface Message {
    reply?: Reply;
    fallbacks?: Fallback[];
  }
}

const { attribute, integerAttribute } = JXT;

export const RepliesProtocol: JXT.DefinitionOptions[] = [
  {
    element: 'reply',
    fields: { id: attribute('id'), to: attribute('to') },
    namespace: NS_REPLY,
    path: 'message.reply',
  },
  {
    aliases: [{ path: 'message.fallbacks', multiple: true }],
    element: 'fallback',
    fields: { for: attribute('for') },
    namespace: NS_FALLBACK,
  },
  {
    aliases: [{ path: 'message.fallbacks.bodies', multiple: true }],
    element: 'body',
    fields: { start: integerAttribute('start'), end: integerAttribute('end') },
    namespace: NS_FALLBACK,
  },
];

/**
 * The body without the reply's fallback (XEP-0428 §4, XEP-0461 §5): the ranges marked for
 * `urn:xmpp:reply:0` are cut out, counted in code points, not UTF-16 units.
 */
export function stripReplyFallback(body: string, fallbacks: Fallback[] | undefined): string {
  const mine = (fallbacks ?? []).filter((f) => f.for === NS_REPLY);
  if (!mine.length) return body;
  const points = Array.from(body);
  const cut = new Array<boolean>(points.length).fill(false);
  for (const f of mine) {
    const ranges = f.bodies?.length ? f.bodies : [{ start: 0, end: points.length }];
    for (const r of ranges) {
      const start = Math.max(0, r.start ?? 0);
      const end = Math.min(points.length, r.end ?? points.length);
      for (let i = start; i < end; i++) cut[i] = true;
    }
  }
  return points.filter((_, i) => !cut[i]).join('');
}

/**
 * A reply's body with its fallback (XEP-0461 §5, Example 2): the answered text quoted with "> "
 * on each line, then the answer; the fallback range covers the quote and its line break.
 */
export function replyBody(quoted: string, text: string): { body: string; fallbacks: Fallback[] } {
  const quote = `${quoted.split('\n').map((l) => `> ${l}`).join('\n')}\n`;
  const end = Array.from(quote).length;
  return { body: quote + text, fallbacks: [{ for: NS_REPLY, bodies: [{ start: 0, end }] }] };
}
