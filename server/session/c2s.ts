// A client-to-server session (RFC 6120): stream negotiation — STARTTLS (§5), SASL (§6), resource
// binding (§7) — and then stanzas in and out. Works the same over TCP and WebSocket.
import { randomBytes } from 'node:crypto';
import { Jid, normalizeResource } from '../../xmpp/jid.js';
import { StanzaError, StreamError, errorReply } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { x, childNs, firstChild, parseXml, type Element } from '../../xmpp/xml.js';
import type { XmppServer } from '../core/server.js';
import type { ClientSession, OutgoingFilter } from '../core/session.js';
import type { TlsMaterial } from '../tls.js';
import type { Transport } from '../transport/transport.js';
import { TIMEOUT_GRACE_MS, XmppStream, type StreamEnd, type StreamHandlers } from './stream.js';
import { SaslSession } from './sasl.js';
import { MAX_UNACKED, NS_SM, StreamManagement, failed, type Unacked } from './stream-management.js';

/** 'hibernating': the connection dropped and the session waits to be resumed (XEP-0198). */
type State = 'tls' | 'sasl' | 'bind' | 'bound' | 'hibernating' | 'closed';

/** How long an idle session has to answer our ping (at most; less when limits.idleSeconds is shorter). */
const IDLE_PING_TIMEOUT_MS = 30_000;

/** Whether a bare JID is exempt from rate limits: listed itself, or its domain is (limits.unlimitedJids). */
export function isUnlimited(list: readonly string[], jid: Jid): boolean {
  return list.length > 0 && (list.includes(jid.bare) || list.includes(jid.domain));
}

/**
 * A client connection over limits.connectionsPerIp or limits.connections: our header, then
 * <policy-violation/> (RFC 6120 §4.9.3.14), and the connection is gone.
 */
export function refuseClient(server: XmppServer, transport: Transport): void {
  const stream = new XmppStream(transport, NS.CLIENT, 1024, server.metrics.streams.c2s);
  stream.refuse(new StreamError('policy-violation', 'too many connections'), { from: server.domain });
}

export class C2sSession implements ClientSession {
  stream: XmppStream;
  /** XEP-0198 state, once the client enabled it. */
  private sm?: StreamManagement;
  private hibernation?: NodeJS.Timeout;
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
  /** What modules keep for this session (core/session.ts). */
  readonly data = new Map<string, unknown>();
  readonly startedAt = Date.now();
  /** What modules filter outgoing stanzas through (core/session.ts); none on most sessions. */
  private readonly filters: OutgoingFilter[] = [];
  private negotiationTimer: NodeJS.Timeout;
  /** Checks for silence once bound (limits.idleSeconds). */
  private idleTimer?: NodeJS.Timeout;

  constructor(
    readonly server: XmppServer,
    transport: Transport,
    private readonly tlsMaterial: TlsMaterial,
  ) {
    this.stream = new XmppStream(transport, NS.CLIENT, server.config.limits.maxStanzaBytesPreAuth, server.metrics.streams.c2s);
    // STARTTLS is required where it can be had (TCP); a WebSocket's security is its HTTP layer's.
    this.state = transport.secure || !transport.startTls ? 'sasl' : 'tls';
    this.sasl = new SaslSession(server, transport);
    const limits = server.config.limits;
    // Before authentication too: what an unknown peer may make us parse is limited from the first byte.
    if (limits.c2s.rate !== null) this.stream.setRateLimit({ rate: limits.c2s.rate, burst: limits.c2s.burst });
    // A connection that does not get as far as a bound resource in time is closed (RFC 6120 §4.6.2),
    // however little or slowly it sends.
    this.negotiationTimer = setTimeout(() => {
      if (this.state !== 'bound' && this.state !== 'closed') this.close(new StreamError('connection-timeout', 'stream negotiation took too long'), TIMEOUT_GRACE_MS);
    }, limits.negotiationSeconds * 1000);
    this.negotiationTimer.unref();
    this.stream.start(this.handlers());
  }

  private handlers(): StreamHandlers {
    return {
      open: (attrs) => this.onOpen(attrs),
      element: (el) => this.onElement(el),
      closed: (err, how) => this.onClosed(err, how),
    };
  }

  get remoteAddress(): string {
    return this.stream.transport.remoteAddress;
  }

  get secure(): boolean {
    return this.stream.transport.secure;
  }

  /** How the client is connected (for the operator's metrics). */
  get connection(): 'tcp' | 'websocket' | 'bosh' {
    return this.stream.transport.name;
  }

  /** The HTTP listener of a WebSocket or BOSH connection (of the current one, after XEP-0198 resumption). */
  get httpScheme(): 'http' | 'https' | undefined {
    return this.stream.transport.httpScheme;
  }

  /** Waiting to be resumed (XEP-0198 §5) after its connection dropped. */
  get hibernating(): boolean {
    return this.state === 'hibernating';
  }

  send(el: Element): void {
    if (this.filters.length) {
      const xml = el.toString();
      if (!this.heldBack(el, xml)) this.sendUnfiltered(xml);
      return;
    }
    if (this.sm) return this.sendUnfiltered(el.toString());
    this.stream.send(el);
  }

  /** Sends an already serialized stanza (serialize once, fan out to many). */
  sendXml(xml: string): void {
    if (this.filters.length && this.heldBack(parseXml(xml), xml)) return;
    this.sendUnfiltered(xml);
  }

  filterOutgoing(filter: OutgoingFilter): () => void {
    this.filters.push(filter);
    return () => {
      const i = this.filters.indexOf(filter);
      if (i >= 0) this.filters.splice(i, 1);
    };
  }

  private heldBack(el: Element, xml: string): boolean {
    for (const f of this.filters) if (f(el, xml)) return true;
    return false;
  }

  /** Writes a stanza; with XEP-0198, counts it as sent and keeps it until acknowledged. */
  sendUnfiltered(xml: string): void {
    const sm = this.sm;
    if (!sm) return this.stream.sendRaw(xml, true);
    const ask = sm.sent(xml);
    if (sm.queue.length > MAX_UNACKED) return this.close(new StreamError('resource-constraint', 'too many unacknowledged stanzas'));
    if (this.state !== 'bound') return; // hibernating: kept for resumption
    this.stream.sendRaw(xml, true);
    if (ask) this.stream.send(sm.request());
  }

  close(error?: StreamError, graceMs?: number): void {
    if (this.state === 'hibernating') return this.terminate();
    this.stream.close(error, { graceMs });
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
        this.server.events.fire('stream-features', { session: this, stage: 'sasl', features: f });
        break;
      case 'bind':
        f.cnode(x('bind', { xmlns: NS.BIND }));
        f.cnode(x('sm', { xmlns: NS_SM }));
        // RFC 3921 session establishment, optional per draft-cridland-xmpp-session-01.
        f.cnode(x('session', { xmlns: NS.SESSION }, x('optional')));
        this.server.events.fire('stream-features', { session: this, stage: 'bind', features: f });
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
        this.stream.setMaxStanzaBytes(this.server.config.limits.maxStanzaBytes);
        this.stream.restart();
      });
      return;
    }
    // IQs that modules answer before authentication (XEP-0077 §3.1) go through the same bus.
    const type = el.attrs.type;
    const payloadNs = firstChild(el)?.attrs.xmlns;
    if (el.name === 'iq' && (type === 'get' || type === 'set') && payloadNs !== undefined && this.server.events.has(`iq-${type}/preauth/${payloadNs}`)) {
      const host = Jid.parse(this.server.domain);
      return this.server.dispatchIq('preauth', { stanza: el, from: host, to: host, origin: this }, (r) => {
        delete r.attrs.from;
        delete r.attrs.to;
        this.send(r);
      });
    }
    // RFC 6120 §6.4.5 / §4.9.3.12: nothing but SASL before authentication.
    this.close(new StreamError('not-authorized', 'authenticate first'));
  }

  private negotiateBind(el: Element): void {
    if (el.name === 'resume' && el.attrs.xmlns === NS_SM) return this.resume(el);
    if (el.name === 'enable' && el.attrs.xmlns === NS_SM) {
      return this.stream.send(failed('unexpected-request')); // §3: enable comes after binding
    }
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
    this.applyExemption();
    this.watchIdle();
    this.send(x('iq', { type: 'result', id: el.attrs.id }, x('bind', { xmlns: NS.BIND }, x('jid', null, jid.full))));
    this.server.log.debug({ jid: jid.full, ip: this.remoteAddress }, 'session bound');
    this.server.events.fire('session-bound', { session: this });
  }

  /** Accounts in limits.unlimitedJids read at full speed once authenticated. */
  private applyExemption(): void {
    if (this.jid && isUnlimited(this.server.config.limits.unlimitedJids, this.jid)) this.stream.setRateLimit(undefined);
  }

  /**
   * After limits.idleSeconds without a byte from the client, an XEP-0199 ping; no answer in time
   * and the session is over: closed with <connection-timeout/>, or, with XEP-0198 resumption
   * enabled, treated as a dropped connection (the session hibernates and may be resumed).
   */
  private watchIdle(): void {
    const idleMs = this.server.config.limits.idleSeconds * 1000;
    const schedule = (ms: number) => {
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(check, ms);
      this.idleTimer.unref();
    };
    const check = () => {
      if (this.state !== 'bound') return;
      const silent = performance.now() - this.stream.lastInputAt;
      if (silent < idleMs) return schedule(idleMs - silent);
      const stream = this.stream;
      const asked = performance.now();
      const ping = x('iq', { type: 'get', to: this.jid!.full }, x('ping', { xmlns: NS.PING }));
      this.server.request(ping, Math.min(IDLE_PING_TIMEOUT_MS, idleMs)).then(
        () => schedule(idleMs),
        () => {
          if (this.state !== 'bound' || this.stream !== stream) return;
          // Anything at all from the client since the ping shows it is there.
          if (stream.lastInputAt > asked) return schedule(idleMs);
          this.server.log.debug({ jid: this.jid?.full, ip: this.remoteAddress }, 'idle session did not answer a ping');
          if (this.sm?.resumable) stream.drop();
          else this.close(new StreamError('connection-timeout', `no answer to a ping after ${idleMs / 1000} s of silence`), TIMEOUT_GRACE_MS);
        },
      );
    };
    schedule(idleMs);
  }

  private onStanza(el: Element): void {
    if (el.attrs.xmlns === NS_SM) return this.onSmElement(el);
    if (el.name !== 'message' && el.name !== 'presence' && el.name !== 'iq') {
      // Not a stanza, and not counted as one by XEP-0198: a module may take those of its namespace.
      const ns = el.attrs.xmlns;
      if (ns !== undefined && this.server.events.fire(`nonza/${ns}`, { element: el, session: this })) return;
      return this.close(new StreamError('unsupported-stanza-type', `<${el.name}/> is not a stanza`));
    }
    if (this.sm) this.sm.inbound++;
    // RFC 6120 §8.1.2.1: the server stamps the full JID; a client may only claim its own JID.
    const from = el.attrs.from;
    if (from !== undefined && from !== this.jid!.full && from !== this.jid!.bare) {
      const parsed = Jid.tryParse(from);
      if (!parsed || (parsed.full !== this.jid!.full && parsed.full !== this.jid!.bare)) {
        return this.close(new StreamError('invalid-from', `you are ${this.jid!.full}`));
      }
    }
    el.attrs.from = this.jid!.full;
    let to: Jid | undefined;
    if (el.attrs.to !== undefined) {
      to = Jid.tryParse(el.attrs.to);
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
    this.server.fromClient(this, el, to);
  }

  /** XEP-0198 elements on a bound stream: enable (§3), ack requests and answers (§4). */
  private onSmElement(el: Element): void {
    switch (el.name) {
      case 'enable': {
        if (this.sm) return this.stream.send(failed('unexpected-request'));
        const resume = el.attrs.resume === 'true' || el.attrs.resume === '1';
        this.sm = new StreamManagement(resume);
        if (resume) this.server.sessions.resumable.set(this.sm.id, this);
        return this.stream.send(x('enabled', { xmlns: NS_SM, id: this.sm.id, resume: resume ? 'true' : undefined, max: resume ? this.server.config.limits.resumeSeconds : undefined }));
      }
      case 'r':
        // The count covers stanzas already routed and stored; batched archive writes are
        // committed first, so that a crash after the answer loses nothing it acknowledged.
        if (this.sm) {
          this.server.storage.flush();
          this.stream.send(this.sm.answer());
        }
        return;
      case 'a':
        if (this.sm && !this.sm.ack(Number(el.attrs.h))) {
          this.close(new StreamError('undefined-condition', 'acknowledged more stanzas than were sent'));
        }
        return;
      default:
        return this.close(new StreamError('unsupported-stanza-type', `<${el.name}/> is not a stanza`));
    }
  }

  /** §5: a new stream takes over a hibernating (or not yet noticed dropped) session of the same account. */
  private resume(el: Element): void {
    const old = this.server.sessions.resumable.get(el.attrs.previd ?? '');
    if (!(old instanceof C2sSession) || old.user !== this.user || !old.sm || (old.state !== 'bound' && old.state !== 'hibernating')) {
      return this.stream.send(failed('item-not-found'));
    }
    const h = Number(el.attrs.h);
    if (!old.sm.ack(h)) return this.stream.send(failed('unexpected-request'));
    clearTimeout(old.hibernation);
    if (old.state === 'bound') old.stream.abandon();
    // This session object gives its stream to the resumed one and ends here, unregistered.
    clearTimeout(this.negotiationTimer);
    this.state = 'closed';
    old.stream = this.stream;
    old.stream.rebind(old.handlers());
    old.state = 'bound';
    old.applyExemption();
    old.watchIdle();
    this.server.storage.flush(); // as for <a/>: what h covers is stored first
    old.stream.send(x('resumed', { xmlns: NS_SM, h: old.sm.inbound, previd: old.sm.id }));
    for (const { xml } of old.sm.queue) old.stream.sendRaw(xml, true);
    if (old.sm.queue.length) old.stream.send(old.sm.request());
    this.server.log.debug({ jid: old.jid?.full }, 'session resumed');
    this.server.events.fire('session-resumed', { session: old });
  }

  private onClosed(err: StreamError | undefined, how: StreamEnd): void {
    if (this.state === 'closed' || this.state === 'hibernating') return;
    if (err) this.server.log.debug({ ip: this.remoteAddress, jid: this.jid?.full, err: err.message }, 'stream closed with error');
    if (this.state === 'bound' && how === 'dropped' && this.sm?.resumable) {
      // §5: keep the session (and its presence) for a while; stanzas queue up for the resumed stream.
      this.state = 'hibernating';
      this.hibernation = setTimeout(() => this.terminate(true), this.server.config.limits.resumeSeconds * 1000);
      this.hibernation.unref();
      this.server.events.fire('session-hibernated', { session: this, unacked: this.sm.queue.map((u) => u.xml) });
      return;
    }
    this.terminate(how !== 'ended');
  }

  /**
   * The session is over: unregister and tell the modules, then (with `unacked`) handle what the
   * client never acknowledged as if it had been sent to a resource that is gone (XEP-0198 §5, §7;
   * see handleUnacked). That is done when the connection was lost, when a hibernating session
   * expires or is replaced, and when we closed the stream (a stream error, a newer session with
   * the same resource, shutdown, a peer that stopped reading).
   *
   * Not when the client itself closed its stream: a client that acked everything before its
   * </stream:stream> has nothing unacknowledged, and one that did not is not to be trusted either
   * way. @xmpp/client 0.14 sends a final <a/> on close (XEP-0198 §4 recommends one), but its count
   * leaves out the IQs that its own iq-caller and iq-callee consume (they never reach its stream
   * management middleware), so its h is short by the number of IQs it received and the tail of our
   * queue is stanzas it did read: re-delivering them would duplicate messages.
   */
  private terminate(unacked = false): void {
    const wasBound = this.state === 'bound' || this.state === 'hibernating';
    this.state = 'closed';
    clearTimeout(this.negotiationTimer);
    clearTimeout(this.hibernation);
    clearTimeout(this.idleTimer);
    if (this.sm) this.server.sessions.resumable.delete(this.sm.id);
    if (!wasBound) return;
    this.server.sessions.remove(this);
    this.server.events.fire('session-closed', { session: this });
    if (unacked && this.sm?.queue.length) handleUnacked(this.server, this.jid!, this.sm.queue.splice(0));
  }
}

/**
 * XEP-0198 §5: unacknowledged stanzas of a session that ends without being resumed are handled as
 * stanzas for a resource that is no longer available (RFC 6121 §8.5.3.2), the session being
 * already unregistered:
 *
 * - messages go through the full-JID rules of §8.5.3.2.1: chat and normal to the account's other
 *   available resources or to offline storage (as if sent to the bare JID), groupchat bounced with
 *   service-unavailable, headline dropped; each keeps its XEP-0359 <stanza-id/> and gets a
 *   XEP-0203 <delay/> from the server with the time it was first sent (unless it already carries a
 *   delay: offline messages, room history), so clients can tell it is old and deduplicate;
 * - IQ get and set are answered with service-unavailable, as §8.5.3.2.3 has the server answer an
 *   IQ for a resource that does not exist (Prosody's mod_smacks says recipient-unavailable; we keep
 *   the same answer whether the resource went away a moment ago or never was);
 * - presence, IQ results and errors, message errors and carbons (XEP-0280 copies, which the
 *   account's other resources got themselves) are dropped.
 */
function handleUnacked(server: XmppServer, jid: Jid, queue: Unacked[]): void {
  const count = server.metrics.unacked;
  for (const { xml, at } of queue) {
    const el = parseXml(xml);
    const type = el.attrs.type;
    if (el.name === 'iq' && (type === 'get' || type === 'set')) {
      count.iqErrors++;
      server.bounce(el, new StanzaError('service-unavailable', 'the recipient is no longer available'));
      continue;
    }
    if (el.name !== 'message' || type === 'error' || childNs(el, NS.CARBONS)) {
      count.dropped++;
      continue;
    }
    if (!childNs(el, NS.DELAY, 'delay')) el.cnode(x('delay', { xmlns: NS.DELAY, from: server.domain, stamp: new Date(at).toISOString() }));
    count.messages++;
    server.deliverMessage(el, jid);
  }
}
