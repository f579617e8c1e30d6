// The room renegotiates a participant's session when others' sources come or are missing from it:
// one content-add (XEP-0166 §6.7) with every source it does not receive yet, labelled with the
// owner's occupant JID (XEP-0339 msid), then the participant's content-accept or content-reject,
// which completes the data plane's offer (applyAnswer) and starts the forwarding of what it took.
// One content-add per participant is under way at a time; what comes up meanwhile waits (`dirty`).
import { completeAnswer, jingleToSdp, labelSources, restrictCandidates, sdpToJingle } from '../../xmpp/jingle-sdp/index.js';
import type { Kind } from '../media/router.js';
import { jingleElement, jingleError, type Jingle, type JingleContent } from './jingle.js';
import type { Participant, Source } from './participant.js';
import { withTimeout } from './session-info.js';
import { ownerJid, send, tellForwarding, type CallContext } from './call-context.js';
import { contentRemove, remove } from './removal.js';

/** The data plane saw a new source of a participant: offer it to everyone else. */
export function sourceAdded(call: CallContext, owner: Participant, kind: Kind, mid: string): void {
  if (owner.closed || owner.sources.has(mid)) return;
  owner.sources.set(mid, { owner, kind, mid });
  // A newcomer's sources (its audio and its video) are all seen while its offer is applied: the
  // others get them in one content-add once it is (accept), not one per source — a room of N
  // then renegotiates N − 1 sessions per join instead of 2(N − 1).
  if (!owner.localSdp) return;
  renegotiateOthers(call, owner);
}

export function renegotiateOthers(call: CallContext, owner: Participant): void {
  for (const q of call.participants.values()) if (q !== owner) void renegotiate(call, q);
}

/** The participant's content-accept or content-reject of the room's content-add under way. */
export function answered(p: Participant, j: Jingle): void {
  if (!p.pending) throw jingleError('unexpected-request', 'out-of-order', undefined, 'cancel');
  p.pending.settle(j.action === 'content-accept' ? j.contents ?? [] : 'rejected');
}

/** Bring q's session up to date with every other participant's sources, one content-add at a time. */
export async function renegotiate(call: CallContext, q: Participant): Promise<void> {
  if (!q.active || q.closed) return;
  if (q.negotiating) { q.dirty = true; return; }
  const wanted: Array<{ owner: Participant; source: Source }> = [];
  for (const owner of call.participants.values()) {
    if (owner === q || owner.closed) continue;
    for (const source of owner.sources.values()) if (!q.receives(source)) wanted.push({ owner, source });
  }
  if (wanted.length === 0) return;
  q.negotiating = true;
  q.dirty = false;
  try {
    // a screen is a stream of its own, so that receivers show it beside its owner's camera
    const screen = (w: { owner: Participant; source: Source }) => w.owner.screens.has(w.source.mid);
    const offer = await call.router.offerSenders(q.peerId, wanted.map((w) => ({ kind: w.source.kind, streamId: w.owner.streamId + (screen(w) ? '-screen' : '') })));
    q.localSdp = offer.sdp;
    const { contents, groups } = sdpToJingle(offer.sdp, 'responder');
    restrictCandidates(contents, call.media);
    const names = offer.mids;
    const owners = new Map(wanted.map((w, i) => [names[i], ownerJid(call, w.owner)]));
    const screens = new Set(names.filter((_, i) => screen(wanted[i])));
    const added = contents.filter((c) => names.includes(c.name))
      .map((c) => labelSources({ ...c, creator: 'responder' as const }, owners.get(c.name)!, screens.has(c.name)));
    const settled = new Promise<JingleContent[] | 'rejected'>((resolve) => {
      q.pending = {
        names, offered: { contents, groups },
        entries: wanted.map((w, i) => ({ ...w, mid: names[i] })),
        settle: resolve,
      };
    });
    const el = jingleElement({ action: 'content-add', sid: q.sid, contents: added, groups } as Jingle);
    call.ctx.log.debug({ to: q.nick, names, wanted: wanted.map((w) => w.owner.nick + ':' + w.source.mid) }, 'content-add');
    await send(call, q.jid, el);
    const answer = await withTimeout(settled, 15000);
    await applyAnswer(call, q, answer);
  } catch (e) {
    call.ctx.log.warn({ err: (e as Error).message, room: call.room.jid, nick: q.nick }, 'content-add failed');
    q.pending = undefined;
    q.negotiating = false;
    remove(call, q, 'failed-application');
    return;
  }
  q.negotiating = false;
  if (q.dirty) void renegotiate(call, q);
}

/** Complete our offer with the participant's answer: its own contents plus what it accepted. */
async function applyAnswer(call: CallContext, q: Participant, answer: JingleContent[] | 'rejected'): Promise<void> {
  const pending = q.pending!;
  q.pending = undefined;
  if (answer !== 'rejected') for (const c of answer) q.accepted.set(c.name, c);
  const latest = (answer !== 'rejected' ? answer[0]?.transport : undefined) ?? [...q.accepted.values()][0]?.transport ?? q.own[0]?.transport;
  // after an ICE restart, the transports seen before carry credentials that would restart ICE again
  const transport = q.remoteIce && latest ? { ...latest, ...q.remoteIce } as typeof latest : latest;
  const contents = completeAnswer({ offered: pending.offered.contents, own: q.own, accepted: q.accepted, transport });
  await call.router.applyAnswer(q.peerId, jingleToSdp({ contents, groups: pending.offered.groups }, 'initiator'));
  if (answer === 'rejected') {
    for (const e of pending.entries) q.declined.add(e.source);
    return;
  }
  const departed: string[] = [];
  for (const e of pending.entries) {
    const name = e.mid;
    if (!q.accepted.has(name)) continue;
    // Its owner left (or its source went) while this content-add was under way: remove it again at once.
    if (e.owner.closed || e.owner.sources.get(e.source.mid) !== e.source) { departed.push(name); continue; }
    // last-N: a video the receiver is not to get now is set up paused
    const paused = !call.lastN.wanted(q, e);
    q.subscriptions.set(name, { owner: e.owner, source: e.source, removed: false, paused });
    if (paused) tellForwarding(call, q, name, false);
    try {
      await call.router.forward({ peerId: e.owner.peerId, mid: e.source.mid }, { peerId: q.peerId, mid: name }, paused ? { paused } : undefined);
    } catch {
      // The owner's peer closed in the meantime (it is being removed): nothing to forward.
      const sub = q.subscriptions.get(name);
      if (sub && !sub.removed) { sub.removed = true; departed.push(name); }
    }
  }
  if (departed.length > 0) contentRemove(call, q, departed, 'a participant left the call');
}
