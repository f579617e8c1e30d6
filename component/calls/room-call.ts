// The control plane of one room's call (XEP-0166 with XEP-0167/0176/0320/0338/0339): every
// participant holds one Jingle session with the room. The room answers session-initiate, then adds
// every other participant's sources to the session with content-add (labelled with the owner's
// occupant JID), and removes them with content-remove when their owner leaves. Media is the data
// plane's (a MediaRouter, in ids and SDP): nothing here touches RTP or a media library. See docs/calls.md.
//
// RoomCall is what the call manager sees: it dispatches each Jingle action to the part that handles
// it and hands on the data plane's events. The parts, each a set of functions over the call's
// shared state (call-context.ts): session-setup.ts (session-initiate → session-accept),
// renegotiation.ts (the room's content-add to a participant, its answer, the forwarding it starts),
// own-contents.ts (a participant's own content-add/content-remove: screen sharing), ice-restart.ts,
// removal.ts (leaving, content-remove, session-terminate); last-N is last-n-call.ts.
import { StanzaError } from '../../xmpp/errors.js';
import type { Element } from '../../xmpp/xml.js';
import type { MucContext } from '../muc/context.js';
import type { Room } from '../muc/room.js';
import type { MediaOptions } from '../options.js';
import type { FailureReason, Kind, MediaRouter, SpeakerLevel } from '../media/router.js';
import { candidateToSdp, transportCandidates } from '../../xmpp/jingle-sdp/index.js';
import { jingleError, parseJingle } from './jingle.js';
import type { Participant } from './participant.js';
import { LastNForwarding } from './last-n-call.js';
import { isRestartOffer, relayedInfo } from './session-info.js';
import type { LastNSettings } from './last-n.js';
import { send, tellForwarding, type CallContext } from './call-context.js';
import { initiate } from './session-setup.js';
import { answered, sourceAdded } from './renegotiation.js';
import { participantAdd, participantRemove } from './own-contents.js';
import { restartIce } from './ice-restart.js';
import { peerFailed, remove, sourceGone } from './removal.js';

export class RoomCall implements CallContext {
  readonly participants = new Map<string, Participant>(); // by real full JID
  readonly lastN: LastNForwarding;

  constructor(
    readonly ctx: MucContext, readonly room: Room, readonly router: MediaRouter,
    /** Where candidates may point (bound and public address): the SDP the data plane gives is rewritten. */
    readonly media: Pick<MediaOptions, 'bindAddress' | 'publicAddress'>,
    readonly max: number,
    /** Tells the call manager which participant a media peer belongs to. */
    readonly track: (p: Participant, on: boolean) => void,
    lastN: LastNSettings,
  ) {
    this.lastN = new LastNForwarding(router, lastN, (q, mid, on) => tellForwarding(this, q, mid, on));
  }

  /** Handles one Jingle request from a participant; returning means an empty IQ result. */
  async handle(iq: Element, nick: string): Promise<void> {
    const j = parseJingle(iq);
    const from = iq.attrs.from as string;
    if (j.action === 'session-initiate') return initiate(this, j, from, nick);
    const p = this.participants.get(from);
    if (!p || p.sid !== j.sid) throw jingleError('item-not-found', 'unknown-session');
    switch (j.action) {
      case 'transport-info':
        if (isRestartOffer(j, p)) return restartIce(this, p, j);
        for (const c of j.contents ?? []) {
          for (const cand of transportCandidates(c)) {
            await p.created;
            await this.router.addCandidate(p.peerId, candidateToSdp(cand), c.name);
          }
        }
        return;
      case 'content-accept':
      case 'content-reject':
        answered(p, j);
        return;
      case 'session-info':
        // XEP-0167 §7 mute/unmute of a participant: relayed to those who receive the contents it names.
        for (const { to, el } of relayedInfo(p, iq, this.participants.values())) send(this, to.jid, el).catch(() => undefined);
        return;
      case 'content-add':
        return participantAdd(this, p, j);
      case 'content-remove':
        participantRemove(this, p, j.contents ?? []);
        return;
      case 'session-terminate':
        setImmediate(() => this.remove(p, undefined));
        return;
      case 'session-accept':
        // The room is the responder of every session: it never sends session-initiate.
        throw jingleError('unexpected-request', 'out-of-order', undefined, 'cancel');
      default:
        throw new StanzaError('feature-not-implemented', `${j.action} is not supported by this call service`);
    }
  }

  /** The data plane saw a new source of a participant: offer it to everyone else. */
  sourceAdded(owner: Participant, kind: Kind, mid: string): void {
    sourceAdded(this, owner, kind, mid);
  }

  /** The data plane's report of who speaks (RFC 6464 levels): last-N follows it. */
  speakers(sources: readonly SpeakerLevel[]): void {
    this.lastN.speakers(sources, this.participants.values());
  }

  /** A source went away: those who receive it get content-remove for it. */
  sourceGone(owner: Participant, mid: string): void {
    sourceGone(this, owner, mid);
  }

  /** The data plane lost the participant's media: end its session. */
  peerFailed(p: Participant, reason: FailureReason, text: string): void {
    peerFailed(this, p, reason, text);
  }

  /** Remove a participant: end its session (with a reason unless it ended it) and update the others. */
  remove(p: Participant, reason: string | undefined, text?: string): void {
    remove(this, p, reason, text);
  }

  async stop(): Promise<void> {
    for (const p of [...this.participants.values()]) this.remove(p, 'success');
  }
}
