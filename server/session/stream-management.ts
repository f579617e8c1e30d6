// XEP-0198: Stream Management — acknowledgements, and resumption of a session whose connection
// dropped. The session keeps the stanzas it sent, with the time it first sent them, until the
// client acknowledges them; a dropped resumable session waits (hibernates) for
// `limits.resumeSeconds`, queueing what arrives for it.
import { randomBytes } from 'node:crypto';
import { x, type Element } from '../../xmpp/xml.js';

export const NS_SM = 'urn:xmpp:sm:3';
/** Unacknowledged stanzas we keep for one client before we give up on it. */
export const MAX_UNACKED = 5000;
/** Ask for an acknowledgement once this many stanzas are unacknowledged. */
const REQUEST_EVERY = 5;

/** A stanza sent (or queued while hibernating) and not yet acknowledged. */
export interface Unacked {
  /** Serialized, without the content namespace. */
  readonly xml: string;
  /** When the server first sent it (ms since the epoch): the XEP-0203 stamp if it is delivered again. */
  readonly at: number;
}

/** The XEP-0198 state of one session. */
export class StreamManagement {
  readonly id = randomBytes(12).toString('base64url');
  /** Stanzas handled from the client (the `h` we report). */
  inbound = 0;
  /** Stanzas sent to the client and acknowledged by it. */
  private acked = 0;
  /** Stanzas sent but not acknowledged, oldest first. */
  readonly queue: Unacked[] = [];
  private requested = false;

  constructor(readonly resumable: boolean) {}

  /** Records an outgoing stanza; returns true when an ack request (<r/>) should follow it. */
  sent(xml: string): boolean {
    this.queue.push({ xml, at: Date.now() });
    if (!this.requested && this.queue.length >= REQUEST_EVERY) {
      this.requested = true;
      return true;
    }
    return false;
  }

  /** Applies the client's `h` (§4); returns false when it acknowledges more than we sent. */
  ack(h: number): boolean {
    const n = h - this.acked;
    if (!Number.isInteger(h) || n < 0) return true; // old or repeated acks change nothing
    if (n > this.queue.length) return false;
    this.queue.splice(0, n);
    this.acked = h;
    this.requested = false;
    return true;
  }

  answer(): Element {
    return x('a', { xmlns: NS_SM, h: this.inbound });
  }

  request(): Element {
    return x('r', { xmlns: NS_SM });
  }
}

/** The <failed/> answer of §3 and §5, with a stanza error condition. */
export function failed(condition: string, h?: number): Element {
  return x('failed', { xmlns: NS_SM, h }, x(condition, { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }));
}
