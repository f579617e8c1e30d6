// Who wants which PEP notifications (XEP-0163 §4.2 filtered notifications): the available
// resources whose presence an account has seen, each with the nodes its client lists as
// "<node>+notify" in its XEP-0115 capabilities. Capabilities are resolved once per verified 'ver'.
import { NS } from '../../../xmpp/namespaces.js';
import { x, type Element } from '../../../xmpp/xml.js';
import type { XmppServer } from '../../core/server.js';
import { notifyNodes, readCaps, verifyCaps, type Caps } from '../../../xmpp/caps.js';

/** Distinct client capabilities remembered; the oldest is forgotten first. */
const MAX_CACHED = 4096;

export interface Interested {
  jid: string; // full JID
  nodes: Set<string>;
}

export class InterestTracker {
  /** Account bare JID → full JID of a resource whose available presence it has seen → interest. */
  private seen = new Map<string, Map<string, { nodes: Set<string>; token: number }>>();
  /** `hash ver` → nodes, for verified capabilities only (XEP-0115 §5.4 step 3.8). */
  private cache = new Map<string, Set<string>>();
  private pending = new Map<string, Promise<Set<string>>>();
  private tokens = 0;

  constructor(
    private server: XmppServer,
    /** Called with the nodes a resource newly became interested in (for the last published items). */
    private onNewInterest: (owner: string, jid: string, nodes: Set<string>) => void,
  ) {}

  interested(owner: string, node: string): Interested[] {
    const out: Interested[] = [];
    for (const [jid, e] of this.seen.get(owner) ?? []) if (e.nodes.has(node)) out.push({ jid, nodes: e.nodes });
    return out;
  }

  /** Available presence from `from` (full JID) seen by `owner` (bare JID). */
  available(owner: string, from: string, presence: Element): void {
    let m = this.seen.get(owner);
    if (!m) this.seen.set(owner, (m = new Map()));
    const before = m.get(from);
    const token = ++this.tokens;
    const entry = { nodes: before?.nodes ?? new Set<string>(), token };
    m.set(from, entry);
    const caps = readCaps(presence);
    if (!caps) return this.update(owner, from, token, new Set());
    const cached = this.cache.get(`${caps.hash} ${caps.ver}`);
    if (cached) return this.update(owner, from, token, cached);
    this.resolve(caps, from).then(
      (nodes) => this.update(owner, from, token, nodes),
      () => this.update(owner, from, token, new Set()),
    );
  }

  unavailable(owner: string, from: string): void {
    const m = this.seen.get(owner);
    if (!m) return;
    m.delete(from);
    if (m.size === 0) this.seen.delete(owner);
  }

  forget(owner: string): void {
    this.seen.delete(owner);
  }

  private update(owner: string, jid: string, token: number, nodes: Set<string>): void {
    const e = this.seen.get(owner)?.get(jid);
    if (!e || e.token !== token) return; // a later presence (or unavailable) superseded this one
    const added = new Set([...nodes].filter((n) => !e.nodes.has(n)));
    e.nodes = nodes;
    if (added.size) this.onNewInterest(owner, jid, added);
  }

  /** XEP-0115 §5.4: disco#info to the entity for node#ver; cache the answer only if it verifies. */
  private resolve(caps: Caps, jid: string): Promise<Set<string>> {
    const key = `${caps.hash} ${caps.ver}`;
    const running = this.pending.get(key);
    if (running) return running;
    const p = this.server
      .request(x('iq', { type: 'get', to: jid }, x('query', { xmlns: NS.DISCO_INFO, node: `${caps.node}#${caps.ver}` })), 10000)
      .then((reply) => {
        // Replies are matched by id alone in the core; this one must come from the entity asked.
        const query = reply.attrs.type === 'result' && reply.attrs.from === jid ? reply.getChild('query', NS.DISCO_INFO) : undefined;
        if (!query) return new Set<string>();
        const nodes = notifyNodes(query);
        if (verifyCaps(caps, query)) {
          if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
          this.cache.set(key, nodes);
        }
        return nodes;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, p);
    return p;
  }
}
