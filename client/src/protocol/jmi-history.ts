// What the client has learnt about each JMI call id (XEP-0353), whatever the order in which the
// messages arrive: live, as carbons (XEP-0280) of what our other devices sent, from offline
// storage, or re-delivered by the server after a XEP-0198 session expired. It decides which
// proposes reach the call machine (and may ring) and which become a line in the conversation.
// Bounded: the oldest ids are forgotten first.
import { judgeProposal, mergeOutcome, outcomeOf, type KnownOutcome } from './call-machine.js';

export type QuietReason = 'missed' | 'answered-elsewhere' | 'declined';

export interface JmiArrival {
  id: string;
  action: string;
  /** Sent by another device of our own account (a carbon, or a message to our bare JID). */
  self: boolean;
  /** It carries a XEP-0203 <delay/>: it waited somewhere before reaching us. */
  delayed: boolean;
  /** A received carbon (XEP-0280): a copy of what was sent to another of our devices' full JID. */
  carbon?: boolean;
}

export interface JmiRouting {
  /** Hand the message to the call machine (for a propose: it may ring). */
  dispatch: boolean;
  /** A propose that did not ring shows (or now shows) as this line in the conversation. */
  line?: QuietReason;
}

export class JmiHistory {
  readonly #outcomes = new Map<string, KnownOutcome>();
  readonly #proposed = new Set<string>();
  /** Proposes that did not ring, with the line they show: it changes when we learn more. */
  readonly #quiet = new Map<string, QuietReason>();

  constructor(readonly limit = 200) {}

  receive(m: JmiArrival): JmiRouting {
    if (m.action === 'propose') {
      if (m.self) return { dispatch: true }; // our own call, from another device: the machine ignores it
      // A call for one of our other devices (XEP-0353 proposes go to the bare JID; this one named a
      // device): not ours to ring, nor yet a missed call — that device may answer it. Not noted,
      // so that the same propose re-delivered to us later is judged on its own.
      if (m.carbon) return { dispatch: false };
      const duplicate = this.#proposed.has(m.id);
      remember(this.#proposed, m.id, this.limit);
      const verdict = judgeProposal({ delayed: m.delayed, duplicate, known: this.#outcomes.get(m.id) });
      if (verdict.ring) return { dispatch: true };
      if (!verdict.line) return { dispatch: false };
      this.#quiet.set(m.id, verdict.line);
      if (this.#quiet.size > this.limit) this.#quiet.delete(this.#quiet.keys().next().value!);
      return { dispatch: false, line: verdict.line };
    }
    const next = outcomeOf(m.action, m.self);
    if (!next) return { dispatch: true };
    const before = this.#outcomes.get(m.id);
    const after = mergeOutcome(before, next);
    this.#outcomes.delete(m.id); // re-inserted: the most recent ids are kept longest
    this.#outcomes.set(m.id, after);
    if (this.#outcomes.size > this.limit) this.#outcomes.delete(this.#outcomes.keys().next().value!);
    const shown = this.#quiet.get(m.id);
    if (shown && after !== before) {
      const verdict = judgeProposal({ delayed: true, duplicate: false, known: after });
      if (!verdict.ring && verdict.line && verdict.line !== shown) {
        this.#quiet.set(m.id, verdict.line);
        return { dispatch: true, line: verdict.line };
      }
    }
    return { dispatch: true };
  }
}

function remember(set: Set<string>, id: string, limit: number): void {
  set.add(id);
  if (set.size > limit) set.delete(set.values().next().value!);
}
