// A service the server hosts itself on a domain of its own (upload.<domain>, pubsub.<domain>),
// addressed like a component: the router hands it every stanza for its domain, it lists in the
// server's disco#items like an attached component (XEP-0030 §4), and it answers its own disco#info.
// Modules create one with `m.service()` (core/module.ts).
import { StanzaError } from '../../xmpp/errors.js';
import { answerIq, type IqResult } from '../../xmpp/iq-callee.js';
import { IqTracker } from '../../xmpp/iq-tracker.js';
import { Jid } from '../../xmpp/jid.js';
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import type { DiscoIdentity, StanzaSink, XmppServer } from './server.js';

export interface ServiceStanzaEvent {
  stanza: Element;
  /** The sender (trusted: the router only hands over stanzas whose `from` was stamped or verified). */
  from: Jid;
  /** The addressee: the service's domain, or a JID at it (a node, a room). */
  to: Jid;
}

export interface ServiceIqEvent extends ServiceStanzaEvent {
  payload: Element;
}

export type ServiceIqHandler = (e: ServiceIqEvent) => IqResult | Promise<IqResult>;

export interface ServiceOptions {
  identity: DiscoIdentity;
  /** Extra XEP-0128 data forms in the service's disco#info (e.g. XEP-0363 §4's max-file-size). */
  extensions?: () => Element[];
}

export class LocalService implements StanzaSink {
  readonly jid: Jid;
  readonly features = new Set<string>([NS.DISCO_INFO, NS.DISCO_ITEMS]);
  readonly identities: DiscoIdentity[];
  /** disco#info/#items on a node or a JID at the service: return undefined for item-not-found. */
  discoInfoNode?: (e: ServiceStanzaEvent & { node?: string }) => { identities: DiscoIdentity[]; features: string[]; extensions?: Element[] } | undefined;
  discoItems?: (e: ServiceStanzaEvent & { node?: string }) => Element[] | undefined;
  /** Messages and presence to the service; without a handler, messages get service-unavailable. */
  onMessage?: (e: ServiceStanzaEvent) => void;
  onPresence?: (e: ServiceStanzaEvent) => void;
  private readonly handlers = new Map<string, ServiceIqHandler>();
  private readonly tracker: IqTracker;

  constructor(
    private readonly server: XmppServer,
    readonly domain: string,
    private readonly opts: ServiceOptions,
  ) {
    this.jid = new Jid('', domain, '', true);
    this.identities = [opts.identity];
    this.tracker = new IqTracker(domain.split('.')[0]);
  }

  /** Answers IQs of one type and payload namespace, and announces `feature` (null: none). */
  iq(type: 'get' | 'set', ns: string, handler: ServiceIqHandler, feature: string | null = ns): void {
    this.handlers.set(`${type} ${ns}`, handler);
    if (feature) this.features.add(feature);
  }

  /** Sends a stanza from the service (`from` defaults to its domain). */
  send(stanza: Element): void {
    stanza.attrs.from ??= this.domain;
    this.server.route(stanza);
  }

  /** Sends an IQ from the service and resolves with the reply. */
  request(iq: Element, timeoutMs = 15000): Promise<Element> {
    iq.attrs.from ??= this.domain;
    return this.tracker.request(iq, (s) => this.server.route(s), timeoutMs, this.domain);
  }

  /** A stanza for the service's domain, from the router (StanzaSink). */
  deliver(stanza: Element): void {
    const from = Jid.tryParse(stanza.attrs.from);
    const to = Jid.tryParse(stanza.attrs.to) ?? this.jid;
    if (!from) return;
    const type = stanza.attrs.type;
    if (stanza.name === 'iq') {
      if (type === 'result' || type === 'error') return void this.tracker.settle(stanza);
      if (type !== 'get' && type !== 'set') return this.server.bounce(stanza, new StanzaError('bad-request', 'an IQ is get, set, result or error'));
      void answerIq(stanza, (payload) => this.find(type, payload, { stanza, from, to }), (r) => this.server.route(r), (err) => this.server.log.error({ err, service: this.domain }, 'IQ handler failed'), this.domain);
      return;
    }
    if (stanza.name === 'message') {
      if (this.onMessage) return this.onMessage({ stanza, from, to });
      if (type !== 'error') this.server.bounce(stanza, new StanzaError('service-unavailable'));
      return;
    }
    if (stanza.name === 'presence') this.onPresence?.({ stanza, from, to });
  }

  private find(type: 'get' | 'set', payload: Element, e: ServiceStanzaEvent): (() => IqResult | Promise<IqResult>) | undefined {
    const ns = payload.attrs.xmlns ?? '';
    const node = payload.attrs.node || undefined;
    if (type === 'get' && ns === NS.DISCO_INFO) {
      return () => {
        const own = !node && e.to.equals(this.jid);
        const d = own ? { identities: this.identities, features: [...this.features], extensions: this.opts.extensions?.() } : this.discoInfoNode?.({ ...e, node });
        if (!d) throw new StanzaError('item-not-found');
        return x(
          'query',
          { xmlns: NS.DISCO_INFO, node },
          d.identities.map((i) => x('identity', { category: i.category, type: i.type, name: i.name })),
          [...new Set(d.features)].sort().map((f) => x('feature', { var: f })),
          d.extensions ?? [],
        );
      };
    }
    if (type === 'get' && ns === NS.DISCO_ITEMS) {
      return () => {
        const items = this.discoItems ? this.discoItems({ ...e, node }) : node ? undefined : [];
        if (!items) throw new StanzaError('item-not-found');
        return x('query', { xmlns: NS.DISCO_ITEMS, node }, items);
      };
    }
    const h = this.handlers.get(`${type} ${ns}`);
    return h ? () => h({ ...e, payload }) : undefined;
  }
}

/** Registers a local service for `domain` with the router (as the components map does for XEP-0114 ones). */
export function addLocalService(server: XmppServer, domain: string, opts: ServiceOptions): LocalService {
  if (server.components.has(domain) || server.isLocal(domain)) throw new Error(`${domain} is already served`);
  const service = new LocalService(server, domain, opts);
  server.components.set(domain, { send: (s) => service.deliver(s) });
  return service;
}

