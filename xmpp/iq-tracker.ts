// Outgoing IQ requests awaiting their reply (RFC 6120 §8.2.3). A reply is taken only from the
// entity that was asked (a result from anyone else with the same id is not ours), and a request
// without a reply in time fails with remote-server-timeout.
import { randomBytes } from 'node:crypto';
import { StanzaError } from './errors.js';
import { Jid } from './jid.js';
import type { Element } from './xml.js';

interface Pending {
  from: string;
  resolve(reply: Element): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class IqTracker {
  private pending = new Map<string, Pending>();

  constructor(private readonly prefix = 'iq') {}

  get size(): number {
    return this.pending.size;
  }

  /** A fresh unpredictable id. */
  nextId(): string {
    return `${this.prefix}-${randomBytes(9).toString('base64url')}`;
  }

  /**
   * Sends `iq` with `send` and resolves with its reply, result or error alike. `selfDomain` stands
   * for the entity asked when `iq` has no `to` (a request to one's own server).
   */
  request(iq: Element, send: (iq: Element) => void, timeoutMs: number, selfDomain = ''): Promise<Element> {
    const id = iq.attrs.id ?? this.nextId();
    iq.attrs.id = id;
    const asked = Jid.tryParse(iq.attrs.to)?.full ?? selfDomain;
    return new Promise<Element>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new StanzaError('remote-server-timeout', `no reply to ${id} in ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref?.();
      this.pending.set(id, { from: asked, resolve, reject, timer });
      send(iq);
    });
  }

  /** Takes an IQ result or error if it answers one of our requests; false when it is not ours. */
  settle(reply: Element): boolean {
    const type = reply.attrs.type;
    if (reply.name !== 'iq' || (type !== 'result' && type !== 'error')) return false;
    const p = this.pending.get(reply.attrs.id ?? '');
    if (!p) return false;
    const from = Jid.tryParse(reply.attrs.from)?.full ?? '';
    if (from !== p.from) return false;
    this.pending.delete(reply.attrs.id!);
    clearTimeout(p.timer);
    p.resolve(reply);
    return true;
  }

  /** Fails every outstanding request (on shutdown). */
  cancelAll(reason = 'stopped'): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
    }
    this.pending.clear();
  }
}
