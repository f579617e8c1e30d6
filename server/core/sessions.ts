// The registry of signed-in client sessions: bare JID → resource → session.
import type { ClientSession } from './session.js';

export class SessionRegistry {
  private byBare = new Map<string, Map<string, ClientSession>>();
  /** Sessions that can be resumed (XEP-0198 §5), by their stream management id. */
  readonly resumable = new Map<string, ClientSession>();
  private total = 0;

  get count(): number {
    return this.total;
  }

  resources(bare: string): Map<string, ClientSession> | undefined {
    return this.byBare.get(bare);
  }

  get(bare: string, resource: string): ClientSession | undefined {
    return this.byBare.get(bare)?.get(resource);
  }

  add(session: ClientSession): void {
    const jid = session.jid!;
    let m = this.byBare.get(jid.bare);
    if (!m) this.byBare.set(jid.bare, (m = new Map()));
    m.set(jid.resource, session);
    this.total++;
  }

  remove(session: ClientSession): void {
    const jid = session.jid;
    if (!jid) return;
    const m = this.byBare.get(jid.bare);
    if (m?.get(jid.resource) !== session) return;
    m.delete(jid.resource);
    this.total--;
    if (m.size === 0) this.byBare.delete(jid.bare);
  }

  /** Available resources (sent initial presence) of an account. */
  available(bare: string): ClientSession[] {
    const m = this.byBare.get(bare);
    if (!m) return [];
    const out: ClientSession[] = [];
    for (const s of m.values()) if (s.available) out.push(s);
    return out;
  }

  all(): IterableIterator<ClientSession> {
    const maps = this.byBare.values();
    return (function* () {
      for (const m of maps) yield* m.values();
    })();
  }
}
