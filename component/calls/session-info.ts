// Small rules of a room call's Jingle sessions, beside its parts (room-call.ts): which session-info a
// participant's mute/unmute becomes for each receiver, what an ICE restart offer looks like, and the
// wait for a content-add's answer. Pure.
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import type { Jingle } from './jingle.js';
import type { Participant } from './participant.js';

/**
 * XEP-0167 §7 mute/unmute from a participant (for one content, or for all it sends when no name
 * is given), as session-info to each active participant that receives those contents, naming
 * them by their names on the receiver's session.
 */
export function relayedInfo(p: Participant, iq: Element, all: Iterable<Participant>): Array<{ to: Participant; el: Element }> {
  const out: Array<{ to: Participant; el: Element }> = [];
  const infos = iq.getChild('jingle', NS.JINGLE)!.getChildElements().filter((c) => c.attrs.xmlns === NS.JINGLE_RTP_INFO && (c.name === 'mute' || c.name === 'unmute'));
  const receivers = [...all];
  for (const info of infos) {
    const mids = info.attrs.name ? [info.attrs.name as string] : p.own.map((c) => c.name);
    for (const q of receivers) {
      if (q === p || !q.active) continue;
      for (const [name, sub] of q.subscriptions) {
        if (sub.owner !== p || sub.removed || !mids.includes(sub.source.mid)) continue;
        out.push({ to: q, el: x('jingle', { xmlns: NS.JINGLE, action: 'session-info', sid: q.sid },
          x(info.name, { xmlns: NS.JINGLE_RTP_INFO, creator: 'responder', name })) });
      }
    }
  }
  return out;
}

/** New ufrag and pwd and no candidates: an ICE restart offer (Conversations' rule, XEP-0176 §2.4). */
export function isRestartOffer(j: Jingle, p: Participant): boolean {
  const ts = (j.contents ?? []).map((c) => c.transport as { usernameFragment?: string; password?: string; candidates?: unknown[] } | undefined);
  const t = ts[0];
  if (!t?.usernameFragment || !t.password || ts.some((x) => x?.candidates?.length)) return false;
  return t.usernameFragment !== (p.remoteIce ?? (p.own[0]?.transport as { usernameFragment?: string } | undefined))?.usernameFragment;
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no answer to content-add')), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e as Error); });
  });
}
