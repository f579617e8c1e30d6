// How things leave a room's call: a participant (its session ends with session-terminate, XEP-0166
// §6.8), or one source of a participant (content-remove, §6.9, to those who receive it). A
// receiver is told only once the data plane has stopped the forwarding, so that content-remove
// means no more of that media arrives.
import { NS } from '../../xmpp/namespaces.js';
import { x } from '../../xmpp/xml.js';
import type { FailureReason } from '../media/router.js';
import type { Participant, Source } from './participant.js';
import { ownerJid, send, type CallContext } from './call-context.js';

/** Remove a participant: end its session (with a reason unless it ended it) and update the others. */
export function remove(call: CallContext, p: Participant, reason: string | undefined, text?: string): void {
  if (p.closed) return;
  p.closed = true;
  if (call.participants.get(p.jid) === p) call.participants.delete(p.jid);
  call.lastN.leave(p, call.participants.values());
  p.pending?.settle('rejected');
  if (reason) terminate(call, p.jid, p.sid, reason, text);
  const removals: Array<{ q: Participant; names: string[] }> = [];
  for (const q of call.participants.values()) {
    const names = unsubscribe(q, (sub) => sub.owner === p);
    if (names.length > 0) removals.push({ q, names });
  }
  const left = `${ownerJid(call, p)} left the call`;
  // Closing the peer also stops whatever the data plane forwarded from it to the others; they are
  // told once it has (content-remove then means no more of that media arrives).
  void call.router.closePeer(p.peerId).catch(() => undefined).then(() => {
    call.track(p, false);
    for (const { q, names } of removals) if (q.active && !q.closed) contentRemove(call, q, names, left);
  });
}

/** The data plane lost the participant's media: end its session. */
export function peerFailed(call: CallContext, p: Participant, reason: FailureReason, text: string): void {
  call.ctx.log.info({ room: call.room.jid, nick: p.nick, why: text }, reason === 'media' ? 'call media failed' : 'call participant vanished');
  // XEP-0166 §7.4: connectivity-error when the peer cannot be reached, media-error when our media failed.
  remove(call, p, reason === 'media' ? 'media-error' : 'connectivity-error', reason === 'media' ? 'The call\'s media service stopped' : undefined);
}

/** A source went away: those who receive it get content-remove for it. */
export function sourceGone(call: CallContext, owner: Participant, mid: string): void {
  const source = owner.sources.get(mid);
  if (!source) return;
  owner.sources.delete(mid);
  owner.declined.delete(source);
  for (const q of call.participants.values()) {
    const names = unsubscribe(q, (sub) => sub.source === source);
    if (names.length === 0) continue;
    void Promise.all(names.map((mid) => call.router.unforward({ peerId: q.peerId, mid }).catch(() => undefined))).then(() => {
      if (q.active && !q.closed) contentRemove(call, q, names, `${ownerJid(call, owner)} stopped sending`);
    });
  }
}

/** Mark q's matching subscriptions removed; their names. */
function unsubscribe(q: Participant, which: (sub: { owner: Participant; source: Source }) => boolean): string[] {
  const names: string[] = [];
  for (const [name, sub] of q.subscriptions) {
    if (sub.removed || !which(sub)) continue;
    sub.removed = true;
    names.push(name);
  }
  return names;
}

/** content-remove of contents the room added to q's session (creator=responder), with <gone/>. */
export function contentRemove(call: CallContext, q: Participant, names: string[], text: string): void {
  const el = x('jingle', { xmlns: NS.JINGLE, action: 'content-remove', sid: q.sid },
    ...names.map((name) => x('content', { creator: 'responder', name })),
    x('reason', {}, x('gone'), x('text', {}, text)));
  send(call, q.jid, el).catch(() => undefined);
}

export function terminate(call: CallContext, to: string, sid: string, reason: string, text?: string): void {
  const el = x('jingle', { xmlns: NS.JINGLE, action: 'session-terminate', sid },
    x('reason', {}, x(reason), text ? x('text', {}, text) : undefined));
  send(call, to, el).catch(() => undefined);
}
