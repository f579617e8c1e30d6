// A participant changes what it sends on its own session: it adds contents (a shared screen,
// XEP-0166 §6.7), answered with content-accept, or removes them (§6.9). Its added media then
// reaches the others like any other source (renegotiation.ts); removed, they stop receiving it.
import { NS } from '../../xmpp/namespaces.js';
import { jingleToSdp, restrictCandidates, sdpToJingle } from '../../xmpp/jingle-sdp/index.js';
import { jingleElement, jingleError, type Jingle, type JingleContent } from './jingle.js';
import type { Participant } from './participant.js';
import { isScreen, participantOffer } from './participant-sources.js';
import { send, type CallContext } from './call-context.js';
import { renegotiate } from './renegotiation.js';
import { remove, sourceGone } from './removal.js';

/** Checks a participant's content-add; acknowledged at once, answered with content-accept after. */
export function participantAdd(call: CallContext, p: Participant, j: Jingle): void {
  const added = j.contents ?? [];
  if (!p.active) throw jingleError('unexpected-request', 'out-of-order', undefined, 'cancel');
  // glare with a content-add of ours still unanswered: the room's goes first (§6.7, tie-break)
  if (p.negotiating || p.pending) throw jingleError('conflict', 'tie-break', 'A content-add to you is pending', 'cancel');
  const taken = new Set([...p.own.map((c) => c.name), ...p.accepted.keys(), ...p.subscriptions.keys()]);
  for (const c of added) {
    if (!c.name || !c.application || c.creator !== 'initiator') throw jingleError('bad-request', undefined, 'Each added content needs a name, a description and creator=initiator');
    if (c.application.applicationType !== NS.JINGLE_RTP) throw jingleError('feature-not-implemented', 'unsupported-info', 'Only RTP contents can be added');
    if (taken.has(c.name)) throw jingleError('conflict', undefined, `A content named ${c.name} exists`);
  }
  if (added.length === 0) throw jingleError('bad-request', undefined, 'content-add without contents');
  p.negotiating = true;
  setImmediate(() => void acceptAdd(call, p, j, added));
}

async function acceptAdd(call: CallContext, p: Participant, j: Jingle, added: JingleContent[]): Promise<void> {
  try {
    const local = p.localSdp;
    const mids = [...local.matchAll(/^a=mid:(\S+)/gm)].map((m) => m[1]);
    const contents = participantOffer({ mids, own: p.own, accepted: p.accepted, room: sdpToJingle(local, 'responder').contents, added });
    const names = added.map((c) => c.name);
    // known before the media arrives: its first packets already make it a source for the others
    for (const c of added) if (isScreen(c)) p.screens.add(c.name);
    p.localSdp = await call.router.answerAgain(p.peerId, jingleToSdp({ contents, groups: j.groups }, 'initiator'), names);
    const answer = sdpToJingle(p.localSdp, 'responder');
    restrictCandidates(answer.contents, call.media);
    p.own.push(...added);
    // with the BUNDLE group, which now names the added contents too (XEP-0338)
    const el = jingleElement({ action: 'content-accept', sid: p.sid, contents: answer.contents.filter((c) => names.includes(c.name)).map((c) => ({ ...c, creator: 'initiator' as const })), groups: answer.groups } as Jingle);
    await send(call, p.jid, el);
  } catch (e) {
    call.ctx.log.warn({ err: (e as Error).message, room: call.room.jid, nick: p.nick }, 'participant content-add failed');
    for (const c of added) p.screens.delete(c.name);
    p.negotiating = false;
    remove(call, p, 'failed-application');
    return;
  }
  p.negotiating = false;
  void renegotiate(call, p);
}

/** The participant stops one of its sources (§6.9): the others stop receiving it. */
export function participantRemove(call: CallContext, p: Participant, removed: JingleContent[]): void {
  // only its own contents: the room's (forwarded to it) are not its to remove
  const names = removed.map((c) => c.name).filter((n) => p.own.some((c) => c.name === n));
  for (const name of names) {
    p.screens.delete(name);
    p.own = p.own.map((c) => (c.name === name ? { ...c, senders: 'none' } : c));
    sourceGone(call, p, name);
  }
}
