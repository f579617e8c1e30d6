// A participant restarts ICE (XEP-0176 §2.4; see client/src/protocol/ice-restart.ts for the wire
// forms): a transport-info with new ufrag/pwd and no candidates (session-info.ts `isRestartOffer`).
// Answered after the IQ result with our own new ufrag/pwd and candidates in a transport-info, as
// Conversations does. A restart that crosses a content-add of ours is refused with <tie-break/>
// (XEP-0166 §7.2.16): the participant takes the content-add first and offers the restart again; a
// content-add that comes up while a restart is applied waits behind it (renegotiate sees `negotiating`).
import { restrictCandidates, sdpToJingle } from '../../xmpp/jingle-sdp/index.js';
import { jingleElement, jingleError, type Jingle } from './jingle.js';
import type { Participant } from './participant.js';
import { send, type CallContext } from './call-context.js';
import { renegotiate } from './renegotiation.js';
import { remove } from './removal.js';

export function restartIce(call: CallContext, p: Participant, j: Jingle): void {
  if (p.negotiating || p.pending) throw jingleError('conflict', 'tie-break', 'A content-add is under way', 'cancel');
  const t = (j.contents ?? [])[0]!.transport as unknown as { usernameFragment: string; password: string };
  p.negotiating = true;
  p.remoteIce = { usernameFragment: t.usernameFragment, password: t.password };
  // started now, so that the candidates right behind the offer wait for it (addCandidate)
  const answer = p.created.then(() => call.router.restartIce(p.peerId, { ufrag: t.usernameFragment, pwd: t.password }));
  answer.catch(() => undefined); // awaited below, after the IQ result
  setImmediate(() => void (async () => {
    try {
      const sdp = await answer;
      p.localSdp = sdp;
      const { contents } = sdpToJingle(sdp, 'responder');
      if (p.closed) return;
      restrictCandidates(contents, call.media);
      const added = new Set(p.accepted.keys());
      const el = jingleElement({
        action: 'transport-info', sid: p.sid,
        contents: contents.map((c) => ({ creator: added.has(c.name) ? 'responder' : 'initiator', name: c.name, transport: c.transport })),
      } as Jingle);
      call.ctx.log.debug({ room: call.room.jid, nick: p.nick }, 'ICE restart answered');
      await send(call, p.jid, el);
    } catch (e) {
      call.ctx.log.warn({ err: (e as Error).message, room: call.room.jid, nick: p.nick }, 'ICE restart failed');
      remove(call, p, 'failed-transport');
      return;
    } finally {
      p.negotiating = false;
    }
    if (p.dirty) void renegotiate(call, p);
  })());
}
