// A client-to-server session (RFC 6120): stream negotiation — STARTTLS (§5), SASL (§6), resource
// binding (§7) — and then stanzas in and out. Works the same over TCP and WebSocket.
import { Jid, normalizeResource } from '../xmpp/jid.js';
import { StanzaError, StreamError, errorReply } from '../xmpp/errors.js';
import { NS } from '../xmpp/namespaces.js';
import { x, childNs, type Element } from '../xmpp/xml.js';
import type { XmppServer } from '../core/server.js';
import type { TlsMaterial } from '../tls.js';
import type { Transport } from '../transport/transport.js';
import { XmppStream } from './stream.js';
import { SaslSession } from './sasl.js';
import { randomBytes } from 'node:crypto';

type State = 'tls' | 'sasl' | 'bind' | 'bound' | 'closed';

const NEGOTIATION_TIMEOUT_MS = 60_000;

/** A registration handler for XEP-0077 before authentication (set by modules/register.ts). */
export type PreAuthIqHandler = (session: C2sSession, stanza: Element) => void;
export const preAuthIq = new Map<string, PreAuthIqHandler>();

export class C2sSession {
  readonly stream: XmppStream;
  private state: State;
  private sasl: SaslSession;
  /** The bound full JID. */
  jid?: Jid;
  /** The authenticated account's localpart. */
  user?: string;
  available = false;
  priority = 0;
  /** The last broadcast presence (RFC 6121 §4.2, §4.4). */
  presence?: Element;
  /** Requested the roster, so receives roster pushes (RFC 6121 §2.1.6). */
  interested = false;
  /** Enabled XEP-0280 carbons. */
  carbons = false;
  /** Full or bare JIDs that got directed presence, to be sent unavailable at the end (RFC 6121 §4.6). */
  readonly directed = new Set<string>();
  readonly startedAt = Date.now();
  private negotiationTimer: NodeJS.Timeout;

  constructor(
    readonly server: XmppServer,
    transport: Transport,
    private readonly tlsMaterial: TlsMaterial,
  ) {
    this.stream = new XmppStream(transport, NS.CLIENT, server.config.limits.maxStanzaBytes);
    // STARTTLS is required on plain TCP; WebSocket security is decided by its HTTP layer.
    this.state = transport.secure || transport.framing === 'frames' ? 'sasl' : 'tls';
    this.sasl = new SaslSession(server, transport);
    // A connection that does not get as far as a bound resource in time is dropped (RFC 6120 §4.6.2).
    this.negotiationTimer = setTimeout(() => {
      if (this.state !== 'bound') this.close(new StreamError('connection-timeout', 'stream negotiation took too long'));
    }, NEGOTIATION_TIMEOUT_MS);
    this.negotiationTimer.unref();
    this.stream.start({
      open: (attrs) => this.onOpen(attrs),
      element: (el) => this.onElement(el),
      closed: (err) => this.onClosed(err),
    });
  }

  get remoteAddress(): string {
    return this.stream.transport.remoteAddress;
  }

  send(el: Element): void {
    this.stream.send(el);
  }

  /** Sends an already serialized stanza (serialize once, fan out to many). */
  sendXml(xml: string): void {
    this.stream.sendRaw(xml, true);
  }

  close(error?: StreamError): void {
    this.stream.close(error);
  }

  private onOpen(attrs: Record<string, string>): void {
    const header = { from: this.server.domain, to: attrs.from };
    if (attrs.to === undefined || Jid.tryParse(attrs.to)?.domain !== this.server.domain || attrs.to.includes('@')) {
      this.stream.sendHeader(header);
      return this.close(new StreamError('host-unknown', `this server serves ${this.server.domain}`));
    }
    if (attrs.version === undefined || !/^1\.\d+$/.test(attrs.version)) {
      this.stream.sendHeader(header);
      return this.close(new StreamError('unsupported-version', 'XMPP 1.0 streams only'));
    }
    this.stream.sendHeader(header);
    this.stream.send(this.features());
  }

  private features(): Element {
    const f = x('stream:features');
    switch (this.state) {
      case 'tls':
        f.cnode(x('starttls', { xmlns: NS.TLS }, x('required')));
        break;
      case 'sasl':
        f.cnode(x('mechanisms', { xmlns: NS.SASL }, this.sasl.mechanisms().map((m) => x('mechanism', null, m))));
        if (this.server.config.registration.open) f.cnode(x('register', { xmlns: NS.REGISTER_FEATURE }));
        break;
      case 'bind':
        f.cnode(x('bind', { xmlns: NS.BIND }));
        // RFC 3921 session establishment, optional per draft-cridland-xmpp-session-01.
        f.cnode(x('session', { xmlns: NS.SESSION }, x('optional')));
        break;
    }
    return f;
  }

  private onElement(el: Element): void {
    switch (this.state) {
      case 'tls':
        return this.negotiateTls(el);
      case 'sasl':
        return this.negotiateSasl(el);
      case 'bind':
        return this.negotiateBind(el);
      case 'bound':
        return this.onStanza(el);
    }
  }

  private negotiateTls(el: Element): void {
    if (el.name !== 'starttls' || el.attrs.xmlns !== NS.TLS) {
      // RFC 6120 §5.3.1: TLS is mandatory to negotiate here.
      return this.close(new StreamError('policy-violation', 'STARTTLS is required before anything else'));
    }
    this.stream.send(x('proceed', { xmlns: NS.TLS }));
    this.stream.restart();
    this.stream.transport.startTls!(this.tlsMaterial.context).then(
      () => {
        this.state = 'sasl';
      },
      () => this.stream.transport.end(),
    );
  }

  private negotiateSasl(el: Element): void {
    if (el.attrs.xmlns === NS.SASL) {
      void this.sasl.handle(el, this.stream).then((user) => {
        if (user === undefined) return;
        this.user = user;
        this.state = 'bind';
        this.stream.restart();
      });
      return;
    }
    if (el.name === 'iq' && childNs(el, NS.REGISTER)) {
      const h = preAuthIq.get(NS.REGISTER);
      if (h) return h(this, el);
      return this.send(errorReply(el, new StanzaError('service-unavailable')));
    }
    // RFC 6120 §6.4.5 / §4.9.3.12: nothing but SASL before authentication.
    this.close(new StreamError('not-authorized', 'authenticate first'));
  }

  private negotiateBind(el: Element): void {
    const bind = el.name === 'iq' && el.attrs.type === 'set' ? childNs(el, NS.BIND, 'bind') : undefined;
    if (!bind) {
      if (el.name === 'iq' && (el.attrs.type === 'get' || el.attrs.type === 'set')) {
        return this.send(errorReply(el, new StanzaError('not-authorized', 'bind a resource first')));
      }
      return this.close(new StreamError('not-authorized', 'bind a resource first'));
    }
    const requested = bind.getChildText('resource');
    let resource: string;
    try {
      resource = requested ? normalizeResource(requested) : randomBytes(6).toString('base64url');
    } catch (e) {
      return this.send(errorReply(el, new StanzaError('bad-request', `invalid resource: ${(e as Error).message}`)));
    }
    const jid = new Jid(this.user!, this.server.domain, resource);
    // RFC 6120 §7.7.2.2: we let the new session win and end the old one with <conflict/>.
    const old = this.server.sessions.get(jid.bare, jid.resource);
    if (old) old.close(new StreamError('conflict', 'replaced by a new connection with the same resource'));
    this.jid = jid;
    this.server.sessions.add(this);
    this.state = 'bound';
    clearTimeout(this.negotiationTimer);
    this.send(x('iq', { type: 'result', id: el.attrs.id }, x('bind', { xmlns: NS.BIND }, x('jid', null, jid.full))));
    this.server.log.debug({ jid: jid.full, ip: this.remoteAddress }, 'session bound');
  }

  private onStanza(el: Element): void {
    if (el.name !== 'message' && el.name !== 'presence' && el.name !== 'iq') {
      return this.close(new StreamError('unsupported-stanza-type', `<${el.name}/> is not a stanza`));
    }
    // RFC 6120 §8.1.2.1: the server stamps the full JID; a client may only claim its own JID.
    const from = el.attrs.from;
    if (from !== undefined && from !== this.jid!.full && from !== this.jid!.bare) {
      const parsed = Jid.tryParse(from);
      if (!parsed || (parsed.full !== this.jid!.full && parsed.full !== this.jid!.bare)) {
        return this.close(new StreamError('invalid-from', `you are ${this.jid!.full}`));
      }
    }
    el.attrs.from = this.jid!.full;
    if (el.attrs.to !== undefined) {
      const to = Jid.tryParse(el.attrs.to);
      if (!to) return this.send(errorReply(el, new StanzaError('jid-malformed', `invalid "to" address: ${el.attrs.to}`)));
      el.attrs.to = to.full;
    }
    if (el.name === 'iq' && (el.attrs.type === 'get' || el.attrs.type === 'set') && el.attrs.id === undefined) {
      return this.send(errorReply(el, new StanzaError('bad-request', 'an IQ needs an id')));
    }
    if (el.name === 'iq' && el.attrs.type === 'set' && childNs(el, NS.SESSION)) {
      // RFC 3921 §3 session establishment: a no-op kept for older clients.
      return this.send(x('iq', { type: 'result', id: el.attrs.id }));
    }
    this.server.fromClient(this, el);
  }

  noteDirectedPresence(stanza: Element): void {
    const to = stanza.attrs.to!;
    if (stanza.attrs.type === 'unavailable') this.directed.delete(to);
    else if (stanza.attrs.type === undefined) this.directed.add(to);
  }

  private onClosed(err?: StreamError): void {
    if (this.state === 'closed') return;
    const wasBound = this.state === 'bound';
    this.state = 'closed';
    clearTimeout(this.negotiationTimer);
    if (err) this.server.log.debug({ ip: this.remoteAddress, jid: this.jid?.full, err: err.message }, 'stream closed with error');
    if (wasBound) {
      this.server.sessions.remove(this);
      this.server.hooks.emit('session-closed', { session: this });
    }
  }
}
