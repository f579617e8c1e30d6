// A call that could not happen, explained in words: the same sentence on the call screen and on
// the call's line in the conversation.
import type { CallState } from '../protocol/call-machine.js';

/** Why the call did not happen, or undefined when the plain end reason says it all. */
export function explanation(c: Pick<CallState, 'endReason' | 'failure'>, name: string): string | undefined {
  switch (c.endReason) {
    case 'offline': return `${name} is offline`;
    case 'incapable': return `None of ${name}'s clients can take calls`;
    case 'failed':
      switch (c.failure) {
        case 'no-relay': return `Could not connect to ${name} — no relay is configured on your server`;
        case 'relay-refused': return `Could not connect to ${name} — the relay refused the credentials`;
        case 'blocked': return `Could not connect to ${name} — ${name}'s network blocks calls`;
        default: return undefined;
      }
    default: return undefined;
  }
}
