// The server core: registries that feature modules fill in, and the router (RFC 6120 §8.1,
// RFC 6121 §8) that takes every stanza to a session, a component, a module or a remote server.
import { randomBytes } from 'node:crypto';
import { StanzaError, errorReply } from '../../xmpp/errors.js';
import { Jid } from '../../xmpp/jid.js';
import { x, type Element } from '../../xmpp/xml.js';
import type { CarillonConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Storage } from '../storage/storage.js';
import type { C2sSession } from '../session/c2s.js';
import { Hooks } from './hooks.js';
import { IqHandlers, type IqTarget } from './iq.js';
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

export class XmppServer {
  readonly domain: string;
  readonly hooks = new Hooks();
  readonly iq = new IqHandlers();
  readonly sessions = new SessionRegistry();
  /** Disco features (XEP-0030) of the server and of accounts, declared by the modules that implement them. */
  readonly features = { host: new Set<string>(), account: new Set<string>() };
  readonly identities: DiscoIdentity[] = [{ category: 'server', type: 'im', name: 'Carillon' }];
  /** Attached XEP-0114 components by domain. */
  readonly components = new Map<string, StanzaSink>();
  /** Server-to-server routing; set by federation/ when s2s is enabled. */
  remote?: StanzaSink;
  private pendingIq = new Map<string, { to: string; resolve: (reply: Element) => void }>();

  constructor(
    readonly config: CarillonConfig,
    readonly storage: Storage,
    readonly log: Logger,
  ) {
    this.domain = config.domain;
  }

  /** Registers an IQ handler and the disco feature it implements. */
  handleIq(type: 'get' | 'set', target: IqTarget | 'both', ns: string, handler: Parameters<IqHandlers['on']>[3], feature: string | null = ns): void {
    for (const t of target === 'both' ? (['host', 'account'] as const) : [target]) {
      this.iq.on(type, t, ns, handler);
      if (feature) this.features[t].add(feature);
    }
  }

  isLocal(domain: string): boolean {
    return domain === this.domain;
  }

  userExists(jid: Jid): boolean {
    return this.isLocal(jid.domain) && jid.local !== '' && this.storage.users.exists(jid.local);
  }

  /**
   * A stanza from a client session, after the session checked and stamped `from` (RFC 6120 §8.1.2.1).
   */
  fromClient(session: C2sSession, stanza: Element): void {
    const to = stanza.attrs.to;
    if (stanza.name === 'presence' && (to === undefined || isSubscriptionType(stanza.attrs.type))) {
      // Broadcast presence and subscription management belong to the presence module (RFC 6121 §3, §4).
      this.hooks.emit('presence-out', { session, stanza });
      return;
    }
    if (stanza.name === 'iq' && to === undefined) {
      return this.handleAccountIq(stanza, session.jid!.toBare(), session);
    }
    if (stanza.name === 'message') this.hooks.emit('message-sent', { stanza, session });
    if (stanza.name === 'presence' && to !== undefined) session.noteDirectedPresence(stanza);
    this.route(stanza, session);
  }

  /** Routes a stanza whose `from` is trustworthy (stamped by us, or verified on its stream). */
  route(stanza: Element, session?: C2sSession): void {
    const toAttr = stanza.attrs.to;
    const to = toAttr === undefined ? new Jid('', this.domain, '', true) : Jid.tryParse(toAttr);
    if (!to) return this.bounce(stanza, new StanzaError('jid-malformed', `invalid "to" address: ${toAttr}`));
    if (this.isLocal(to.domain)) return this.routeLocal(stanza, to, session);
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

  private routeLocal(stanza: Element, to: Jid, session?: C2sSession): void {
    if (to.local === '') return this.routeToHost(stanza, to, session);
    // An account with a session exists; only offline accounts cost a storage lookup.
    if (!this.sessions.resources(to.bare) && !this.storage.users.exists(to.local)) {
      // RFC 6121 §8.5.1: no such account.
      if (stanza.name === 'presence') return;
      if (stanza.name === 'iq' && (stanza.attrs.type === 'result' || stanza.attrs.type === 'error')) return;
      return this.bounce(stanza, new StanzaError('service-unavailable'));
    }
    switch (stanza.name) {
      case 'presence':
        return this.hooks.emit('presence-in', { stanza, to, from: Jid.parse(stanza.attrs.from!) });
      case 'message':
        return this.deliverMessage(stanza, to);
      case 'iq':
        return this.deliverIq(stanza, to, session);
    }
  }

  private routeToHost(stanza: Element, to: Jid, session?: C2sSession): void {
    if (stanza.name !== 'iq') return; // messages and presence to the server itself are ignored
    const type = stanza.attrs.type;
    if (type === 'result' || type === 'error') {
      const pending = this.pendingIq.get(stanza.attrs.id ?? '');
      // Only the entity we asked may answer (RFC 6120 §8.2.3: replies come from the `to` of the request).
      if (pending && Jid.tryParse(stanza.attrs.from)?.full === pending.to) {
        this.pendingIq.delete(stanza.attrs.id!);
        pending.resolve(stanza);
      }
      return;
    }
    const from = Jid.tryParse(stanza.attrs.from) ?? to;
    void this.iq.dispatch('host', { stanza, from, to, session }, (r) => this.route(r), (e) => this.log.error({ err: e }, 'IQ handler failed'));
  }

  /** An IQ for a user's account (bare JID, or no `to` from the user's own session). */
  handleAccountIq(stanza: Element, to: Jid, session?: C2sSession): void {
    const type = stanza.attrs.type;
    if (type === 'result' || type === 'error') return;
    const from = Jid.tryParse(stanza.attrs.from) ?? to;
    const reply = (r: Element) => {
      if (session && r.attrs.to === session.jid!.full) session.send(r);
      else this.route(r);
    };
    void this.iq.dispatch('account', { stanza, from, to, session }, reply, (e) => this.log.error({ err: e }, 'IQ handler failed'));
  }

  private deliverIq(stanza: Element, to: Jid, session?: C2sSession): void {
    if (to.isBare()) return this.handleAccountIq(stanza, to, session);
    const target = this.sessions.get(to.bare, to.resource);
    if (target) return target.send(stanza);
    // RFC 6121 §8.5.3.2.3: no such resource.
    if (stanza.attrs.type === 'get' || stanza.attrs.type === 'set') this.bounce(stanza, new StanzaError('service-unavailable'));
  }

  /** Message delivery rules of RFC 6121 §8.5.2.1.1 (bare) and §8.5.3 (full). */
  deliverMessage(stanza: Element, to: Jid): void {
    const type = stanza.attrs.type ?? 'normal';
    if (!to.isBare()) {
      const target = this.sessions.get(to.bare, to.resource);
      if (target) {
        target.send(stanza);
        if (type === 'chat' || type === 'normal') this.hooks.emit('message-delivered', { stanza, to, delivered: [target] });
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
    if (available.length === 0) return this.hooks.emit('message-undeliverable', { stanza, to: to.toBare() });
    let best = -1;
    for (const s of available) if (s.priority > best) best = s.priority;
    const targets = available.filter((s) => s.priority === best);
    const xml = stanza.toString();
    for (const s of targets) s.sendXml(xml);
    this.hooks.emit('message-delivered', { stanza, to: to.toBare(), delivered: targets });
  }

  /** Sends an IQ from the server and resolves with the reply (or a timeout error). */
  request(stanza: Element, timeoutMs = 15000): Promise<Element> {
    const id = stanza.attrs.id ?? `srv-${randomBytes(9).toString('base64url')}`;
    stanza.attrs.id = id;
    stanza.attrs.from ??= this.domain;
    const to = Jid.tryParse(stanza.attrs.to)?.full ?? this.domain;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingIq.delete(id);
        reject(new StanzaError('remote-server-timeout', 'no reply'));
      }, timeoutMs);
      timer.unref();
      this.pendingIq.set(id, {
        to,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
      this.route(stanza);
    });
  }
}

export function isSubscriptionType(type: string | undefined): boolean {
  return type === 'subscribe' || type === 'subscribed' || type === 'unsubscribe' || type === 'unsubscribed';
}
