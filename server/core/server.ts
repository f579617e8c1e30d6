// The server core: the event bus that feature modules hook into, the registries they fill in, and
// the routing rules of RFC 6120 §8 and RFC 6121 §8 as the bus's default (lowest-priority) handlers.
import { StanzaError, errorReply } from '../../xmpp/errors.js';
import { answerIq, type IqResult } from '../../xmpp/iq-callee.js';
import { IqTracker } from '../../xmpp/iq-tracker.js';
import { Jid } from '../../xmpp/jid.js';
import { firstChild, type Element } from '../../xmpp/xml.js';
import type { CarillonConfig } from '../config.js';
import type { Context as HttpContext } from 'koa';
import type { Logger } from '../log.js';
import type { Storage } from '../storage/storage.js';
import { ServerMetrics } from './metrics.js';
import { EventBus, PRIORITY, type AddressType, type IqEvent, type StanzaEvent, type StanzaKind } from './events.js';
import type { ClientSession } from './session.js';
import { SessionRegistry } from './sessions.js';

/** Something that accepts stanzas for a domain we do not serve ourselves. */
export interface StanzaSink {
  send(stanza: Element): void;
}

export interface DiscoIdentity {
  category: string;
  type: string;
  name?: string;
}

/** An HTTP endpoint of a module (e.g. XEP-0363 uploads), served on the HTTP and HTTPS ports. */
export interface HttpRoute {
  /** Path prefix, e.g. `/upload/`. */
  prefix: string;
  handler: (ctx: HttpContext) => Promise<void> | void;
}

/** host: IQs to the server's domain; bare: to an account (or from a client without `to`). */
export type IqTarget = 'host' | 'bare';
export type IqHandler = (e: IqEvent) => IqResult | Promise<IqResult>;

export function addressType(to: Jid): AddressType {
  return to.local === '' ? 'host' : to.isBare() ? 'bare' : 'full';
}

export class XmppServer {
  readonly domain: string;
  readonly events = new EventBus();
  readonly sessions = new SessionRegistry();
  /** Counters for the operator's /metrics (core/metrics.ts). */
  readonly metrics = new ServerMetrics();
  /** Disco features (XEP-0030) of the server and of accounts, declared by the modules that implement them. */
  readonly features = { host: new Set<string>(), account: new Set<string>() };
  readonly identities: { host: DiscoIdentity[]; account: DiscoIdentity[] } = {
    host: [{ category: 'server', type: 'im', name: 'Carillon' }],
    account: [{ category: 'account', type: 'registered' }],
  };
  /** Attached XEP-0114 components by domain. */
  readonly components = new Map<string, StanzaSink>();
  /** HTTP endpoints of modules (core/module.ts `http`), mounted by transport/http.ts. */
  readonly httpRoutes: HttpRoute[] = [];
  /**
   * The ports the HTTP and HTTPS listeners actually got (set once they listen; null when off), for
   * modules that hand out links to their endpoints (port 0 in the config is the kernel's pick).
   */
  readonly httpPorts: { http: number | null; https: number | null } = { http: null, https: null };
  /** Server-to-server routing; set by federation/ when s2s is enabled. */
  remote?: StanzaSink;
  readonly startedAt = Date.now();
  private readonly tracker = new IqTracker('srv');
  private readonly hostJid: Jid;

  constructor(
    readonly config: CarillonConfig,
    readonly storage: Storage,
    readonly log: Logger,
  ) {
    this.domain = config.domain;
    this.hostJid = new Jid('', this.domain, '', true);
    this.installRouting();
  }

  /**
   * Answers IQs of one type, target and payload namespace: the handler returns the result payload
   * or throws a StanzaError (xmpp/iq-callee.ts). `feature` is announced in the server's disco#info
   * (null: none), where clients look for what their server offers them, as Prosody and ejabberd
   * list jabber:iq:roster, urn:xmpp:blocking and the rest; features of the account itself (PEP,
   * MAM) are declared with `features.account`.
   */
  handleIq(type: 'get' | 'set', target: IqTarget | 'preauth' | 'both', ns: string, handler: IqHandler, feature: string | null = ns, priority: number = PRIORITY.NORMAL): void {
    for (const t of target === 'both' ? (['host', 'bare'] as const) : [target]) {
      // 'preauth': IQs before authentication (XEP-0077 §3.1), from a session without an address.
      this.events.on(`iq-${type}/${t}/${ns}`, (e) => this.answer(e, handler), priority);
      if (feature) this.features.host.add(feature);
    }
  }

  /** Answers an IQ event with `handler` and consumes it. */
  answer(e: IqEvent, handler: IqHandler): true {
    void answerIq(e.stanza, () => () => handler(e), e.reply, (err) => this.log.error({ err }, 'IQ handler failed'));
    return true;
  }

  isLocal(domain: string): boolean {
    return domain === this.domain;
  }

  userExists(jid: Jid): boolean {
    return this.isLocal(jid.domain) && jid.local !== '' && this.storage.users.exists(jid.local);
  }

  /**
   * A stanza from one of our client sessions, after the session checked and stamped `from`
   * (RFC 6120 §8.1.2.1) and parsed `to`. Without `to`, it is addressed to the sender's own account
   * (RFC 6120 §10.3). Modules see it as pre-<kind>/<address type>; the default routes it.
   */
  fromClient(session: ClientSession, stanza: Element, to?: Jid): void {
    const kind = stanza.name as StanzaKind;
    const target = to ?? session.jid!.toBare();
    this.events.fire(`pre-${kind}/${addressType(target)}`, { stanza, from: session.jid!, to: target, origin: session });
  }

  /** Routes a stanza whose `from` is trustworthy (stamped by us, or verified on its stream). */
  route(stanza: Element, origin?: ClientSession): void {
    const toAttr = stanza.attrs.to;
    const to = toAttr === undefined ? this.hostJid : Jid.tryParse(toAttr);
    if (!to) return this.bounce(stanza, new StanzaError('jid-malformed', `invalid "to" address: ${toAttr}`));
    this.routeTo(stanza, to, origin);
  }

  private routeTo(stanza: Element, to: Jid, origin?: ClientSession): void {
    if (this.isLocal(to.domain)) return this.deliverLocal(stanza, to, origin);
    const component = this.components.get(to.domain);
    if (component) return component.send(stanza);
    if (this.remote) return this.remote.send(stanza);
    this.bounce(stanza, new StanzaError('remote-server-not-found', `no route to ${to.domain}`));
  }

  /** Sends an error reply for `stanza` back to its sender, unless it is itself an error (RFC 6120 §8.3.1). */
  bounce(stanza: Element, err: StanzaError): void {
    if (stanza.attrs.type === 'error' || stanza.attrs.type === 'result' || !stanza.attrs.from) return;
    if (stanza.name === 'presence' && err.condition !== 'remote-server-not-found' && err.condition !== 'remote-server-timeout') return;
    this.route(errorReply(stanza, err, this.domain));
  }

  /** A stanza for our domain: `<kind>/<address type>` on the bus. */
  private deliverLocal(stanza: Element, to: Jid, origin?: ClientSession): void {
    // An account with a session exists; only offline accounts cost a storage lookup.
    if (to.local !== '' && !this.sessions.resources(to.bare) && !this.storage.users.exists(to.local)) {
      // RFC 6121 §8.5.1: no such account.
      if (stanza.name === 'presence') return;
      if (stanza.name === 'iq' && (stanza.attrs.type === 'result' || stanza.attrs.type === 'error')) return;
      return this.bounce(stanza, new StanzaError('service-unavailable'));
    }
    const from = stanza.attrs.from === undefined ? this.hostJid : Jid.tryParse(stanza.attrs.from) ?? this.hostJid;
    this.events.fire(`${stanza.name as StanzaKind}/${addressType(to)}`, { stanza, from, to, origin });
  }

  /** The routing rules, as the lowest-priority handlers of the bus. */
  private installRouting(): void {
    const ev = this.events;
    const D = PRIORITY.DEFAULT;
    for (const type of ['host', 'bare', 'full'] as const) {
      for (const kind of ['message', 'presence', 'iq'] as const) {
        ev.on(`pre-${kind}/${type}`, (e) => {
          // A client's presence without `to` is its broadcast, which the presence module takes.
          if (kind === 'presence' && e.stanza.attrs.to === undefined) return true;
          this.routeTo(e.stanza, e.to, e.origin);
          return true;
        }, D);
      }
    }
    ev.on('iq/host', (e) => {
      const type = e.stanza.attrs.type;
      if (type === 'result' || type === 'error') this.tracker.settle(e.stanza);
      else this.dispatchIq('host', e);
      return true;
    }, D);
    ev.on('iq/bare', (e) => {
      const type = e.stanza.attrs.type;
      if (type === 'get' || type === 'set') this.dispatchIq('bare', e);
      return true;
    }, D);
    ev.on('iq/full', (e) => {
      const target = this.sessions.get(e.to.bare, e.to.resource);
      if (target) target.send(e.stanza);
      // RFC 6121 §8.5.3.2.3: no such resource.
      else if (e.stanza.attrs.type === 'get' || e.stanza.attrs.type === 'set') this.bounce(e.stanza, new StanzaError('service-unavailable'));
      return true;
    }, D);
    ev.on('message/host', () => true, D); // messages to the server itself are ignored
    ev.on('presence/host', () => true, D);
    ev.on('message/bare', (e) => (this.deliverMessage(e.stanza, e.to), true), D);
    ev.on('message/full', (e) => (this.deliverMessage(e.stanza, e.to), true), D);
    ev.on('message/offline', (e) => {
      this.bounce(e.stanza, new StanzaError('service-unavailable', 'the recipient is offline'));
      return true;
    }, D);
  }

  /** IQ get/set for the server or an account: `iq-<type>/<target>/<payload namespace>` on the bus. */
  dispatchIq(target: IqTarget | 'preauth', e: StanzaEvent, reply?: (r: Element) => void): void {
    const { stanza, origin } = e;
    const send =
      reply ??
      ((r: Element) => {
        if (origin && r.attrs.to === origin.jid?.full) origin.send(r);
        else this.route(r);
      });
    const payload = firstChild(stanza);
    if (!payload) return send(errorReply(stanza, new StanzaError('bad-request', 'an IQ get or set carries exactly one payload')));
    const event: IqEvent = { ...e, payload, reply: send };
    const name = `iq-${stanza.attrs.type as 'get' | 'set'}/${target}/${payload.attrs.xmlns ?? ''}` as const;
    if (!this.events.fire(name, event)) send(errorReply(stanza, new StanzaError('service-unavailable')));
  }

  /** Message delivery rules of RFC 6121 §8.5.2.1.1 (bare) and §8.5.3 (full). */
  deliverMessage(stanza: Element, to: Jid): void {
    const type = stanza.attrs.type ?? 'normal';
    if (!to.isBare()) {
      const target = this.sessions.get(to.bare, to.resource);
      if (target) {
        target.send(stanza);
        if (type === 'chat' || type === 'normal') this.events.fire('message-delivered', { stanza, to, delivered: [target] });
        return;
      }
      if (type === 'groupchat') return this.bounce(stanza, new StanzaError('service-unavailable'));
      // RFC 6121 §8.5.3.2.1: a headline for a resource that is gone is dropped, not spread.
      if (type === 'error' || type === 'headline') return;
    }
    if (type === 'error') return;
    if (type === 'groupchat') return this.bounce(stanza, new StanzaError('service-unavailable'));
    const available = this.sessions.available(to.bare).filter((s) => s.priority >= 0);
    if (type === 'headline') {
      for (const s of available) s.send(stanza);
      return;
    }
    const bare = to.toBare();
    if (available.length === 0) {
      this.events.fire('message/offline', { stanza, from: Jid.tryParse(stanza.attrs.from) ?? this.hostJid, to: bare });
      return;
    }
    let best = -1;
    for (const s of available) if (s.priority > best) best = s.priority;
    const targets = available.filter((s) => s.priority === best);
    const xml = stanza.toString();
    for (const s of targets) s.sendXml(xml);
    this.events.fire('message-delivered', { stanza, to: bare, delivered: targets });
  }

  /** Sends an IQ from the server and resolves with the reply, result or error (or fails on timeout). */
  request(stanza: Element, timeoutMs = 15000): Promise<Element> {
    stanza.attrs.from ??= this.domain;
    return this.tracker.request(stanza, (s) => this.route(s), timeoutMs, this.domain);
  }
}

export function isSubscriptionType(type: string | undefined): boolean {
  return type === 'subscribe' || type === 'subscribed' || type === 'unsubscribe' || type === 'unsubscribed';
}
