// An incoming server-to-server stream (RFC 6120): STARTTLS is required; the peer then authenticates
// each domain it sends from, by SASL EXTERNAL (XEP-0178) or Server Dialback (XEP-0220, receiving
// role), and asks us as authoritative server about keys we issued (db:verify). Stanzas are routed
// only when their `from` domain was verified on this stream for their `to` domain (§8.1.1.2, §13.7).
import { StreamError } from '../xmpp/errors.js';
import { Jid } from '../xmpp/jid.js';
import { NS } from '../xmpp/namespaces.js';
import { x, type Element } from '../xmpp/xml.js';
import { TIMEOUT_GRACE_MS, XmppStream } from '../server/session/stream.js';
import type { Transport } from '../server/transport/transport.js';
import { certificateMatches } from './certificates.js';
import { readDialback, resultAnswer, verifyAnswer, type DialbackElement } from './dialback.js';
import type { FederationContext } from './context.js';

const MAX_PENDING_CHECKS = 16;

export class IncomingStream {
  readonly stream: XmppStream;
  private secure: boolean;
  private header: Record<string, string> = {};
  /** "remote local" pairs the peer may send stanzas for. */
  private readonly verified = new Set<string>();
  private readonly pending = new Set<string>();
  private saslDone = false;
  private idleTimer?: NodeJS.Timeout;
  private negotiationTimer: NodeJS.Timeout;
  private onClosedFns: (() => void)[] = [];

  constructor(
    transport: Transport,
    private readonly ctx: FederationContext,
  ) {
    this.secure = transport.secure;
    this.stream = new XmppStream(transport, NS.SERVER, ctx.maxStanzaBytesPreAuth, ctx.server.metrics.streams.s2s_in);
    if (ctx.rateLimit) this.stream.setRateLimit(ctx.rateLimit);
    // A peer that has not verified a single domain in time is gone (however little or slowly it sends).
    this.negotiationTimer = setTimeout(() => {
      if (this.verified.size === 0) this.stream.close(new StreamError('connection-timeout', 'no domain authenticated in time'), { graceMs: TIMEOUT_GRACE_MS });
    }, ctx.negotiationMs);
    this.negotiationTimer.unref();
    this.stream.start({
      open: (attrs) => this.onOpen(attrs),
      element: (el) => this.onElement(el),
      closed: () => this.onClosed(),
    });
    this.touch();
  }

  onClosed(fn?: () => void): void {
    if (fn) {
      this.onClosedFns.push(fn);
      return;
    }
    clearTimeout(this.idleTimer);
    clearTimeout(this.negotiationTimer);
    for (const f of this.onClosedFns) f();
  }

  /** The domain pairs verified so far (for logs and tests). */
  get verifiedPairs(): string[] {
    return [...this.verified];
  }

  close(error?: StreamError): void {
    this.stream.close(error);
  }

  private onOpen(attrs: Record<string, string>): void {
    this.header = attrs;
    const to = attrs.to;
    const reply = { from: to ?? this.ctx.server.domain, to: attrs.from, 'xmlns:db': NS.DIALBACK };
    this.stream.sendHeader(reply);
    if (to !== undefined && !this.ctx.isOurDomain(to)) return this.close(new StreamError('host-unknown', `this server does not serve ${to}`));
    if (attrs.version === undefined || !/^1\.\d+$/.test(attrs.version)) {
      // Pre-XMPP-1.0 peers cannot negotiate TLS, which we require (RFC 6120 §5.3.1).
      return this.close(new StreamError('unsupported-version', 'XMPP 1.0 with STARTTLS is required'));
    }
    this.stream.send(this.features());
  }

  private peerCertValidFor(domain: string): boolean {
    const t = this.stream.transport;
    return this.secure && t.peerAuthorized === true && certificateMatches(t.peerCertificate?.(), domain);
  }

  private features(): Element {
    const f = x('stream:features');
    if (!this.secure) {
      f.cnode(x('starttls', { xmlns: NS.TLS }, x('required')));
      return f;
    }
    const from = this.header.from;
    if (!this.saslDone && from !== undefined && this.peerCertValidFor(from)) {
      f.cnode(x('mechanisms', { xmlns: NS.SASL }, x('mechanism', null, 'EXTERNAL')));
    }
    // XEP-0220 §2.1: dialback, with error support (§2.4) — also for more domains after EXTERNAL.
    f.cnode(x('dialback', { xmlns: NS.DIALBACK_FEATURE }, x('errors')));
    return f;
  }

  private onElement(el: Element): void {
    this.touch();
    if (!this.secure) {
      if (el.name !== 'starttls' || el.attrs.xmlns !== NS.TLS) return this.close(new StreamError('policy-violation', 'STARTTLS is required first'));
      return this.startTls();
    }
    if (el.attrs.xmlns === NS.SASL) return this.onSasl(el);
    const db = readDialback(el, this.header);
    if (db?.kind === 'result' && db.type === undefined) return void this.onResult(db);
    if (db?.kind === 'verify' && db.type === undefined) return this.onVerify(db);
    if (db) return; // answers belong on the other direction's stream; ignore strays
    if (el.name === 'message' || el.name === 'presence' || el.name === 'iq') return this.onStanza(el);
    this.close(new StreamError('unsupported-stanza-type', `<${el.name}/> is not expected here`));
  }

  private startTls(): void {
    this.stream.send(x('proceed', { xmlns: NS.TLS }));
    this.stream.restart();
    this.stream.transport.startTls!(this.ctx.tls.context, { requestCert: true }).then(
      () => {
        this.secure = true;
      },
      () => this.stream.transport.end(),
    );
  }

  /** XEP-0178: SASL EXTERNAL with the peer's certificate. */
  private onSasl(el: Element): void {
    if (el.name !== 'auth' || el.attrs.mechanism !== 'EXTERNAL' || this.saslDone) {
      return this.stream.send(x('failure', { xmlns: NS.SASL }, x('invalid-mechanism')));
    }
    const text = el.getText().trim();
    const authzid = text && text !== '=' ? Buffer.from(text, 'base64').toString('utf8') : this.header.from;
    const local = this.header.to ?? this.ctx.server.domain;
    if (!authzid || authzid !== this.header.from || !this.peerCertValidFor(authzid)) {
      return this.stream.send(x('failure', { xmlns: NS.SASL }, x('not-authorized')));
    }
    this.saslDone = true;
    this.verified.add(`${authzid} ${local}`);
    this.authenticated(authzid);
    this.stream.setMaxStanzaBytes(this.ctx.maxStanzaBytes);
    this.stream.send(x('success', { xmlns: NS.SASL }));
    this.stream.restart();
    this.ctx.log.debug({ remote: authzid, local }, 's2s incoming stream authenticated with SASL EXTERNAL');
  }

  /** Receiving role (XEP-0220 §2.2): check the originating server's key with its authoritative server. */
  private async onResult(db: DialbackElement): Promise<void> {
    const remote = Jid.tryParse(db.from);
    if (!remote || remote.local || remote.resource || !db.key) return this.close(new StreamError('improper-addressing', 'db:result needs a domain `from` and a key'));
    if (!this.ctx.isOurDomain(db.to)) return this.stream.send(resultAnswer(db.to, db.from, 'error', 'item-not-found'));
    // Nobody else speaks for our own domains; do not dial ourselves to find that out.
    if (this.ctx.isOurDomain(remote.domain)) return this.stream.send(resultAnswer(db.to, db.from, 'invalid'));
    const pair = `${remote.domain} ${db.to}`;
    if (this.verified.has(pair) || this.pending.has(pair)) return;
    // XEP-0344 §2.4: a certificate valid for the domain is proof enough, no need to dial back.
    if (this.peerCertValidFor(remote.domain)) return this.accept(pair, db, 'certificate');
    if (this.ctx.requireValidCertificates) return this.stream.send(resultAnswer(db.to, db.from, 'error', 'not-authorized'));
    // Each check makes us connect somewhere: a peer does not get to make us dial without limit.
    if (this.pending.size >= MAX_PENDING_CHECKS) return this.close(new StreamError('policy-violation', 'too many dialback requests at once'));
    this.pending.add(pair);
    const outcome = await this.ctx.verify(db.to, remote.domain, this.stream.id, db.key);
    this.pending.delete(pair);
    if (this.stream.isClosing) return;
    if (outcome === 'valid') return this.accept(pair, db, 'dialback');
    this.ctx.log.info({ remote: db.from, local: db.to, outcome }, 's2s dialback failed');
    if (outcome === 'invalid') return this.stream.send(resultAnswer(db.to, db.from, 'invalid'));
    this.stream.send(resultAnswer(db.to, db.from, 'error', outcome === 'timeout' ? 'remote-server-timeout' : 'remote-server-not-found'));
  }

  private accept(pair: string, db: DialbackElement, how: string): void {
    this.verified.add(pair);
    this.authenticated(Jid.parse(db.from).domain);
    this.stream.setMaxStanzaBytes(this.ctx.maxStanzaBytes);
    this.stream.send(resultAnswer(db.to, db.from, 'valid'));
    this.ctx.log.debug({ remote: db.from, local: db.to, how }, 's2s incoming domain verified');
  }

  /** A domain was verified on this stream: negotiation is over; an exempt peer reads at full speed. */
  private authenticated(domain: string): void {
    clearTimeout(this.negotiationTimer);
    if (this.ctx.isUnlimited(domain)) this.stream.setRateLimit(undefined);
  }

  /** Authoritative role (XEP-0220 §2.3): did we issue this key for this stream? */
  private onVerify(db: DialbackElement): void {
    if (db.id === undefined) return this.close(new StreamError('improper-addressing', 'db:verify needs an id'));
    if (!this.ctx.isOurDomain(db.to)) return this.close(new StreamError('host-unknown', `this server does not serve ${db.to}`));
    const valid = this.ctx.keys.check(db.from, db.to, db.id, db.key);
    this.stream.send(verifyAnswer(db.to, db.from, db.id, valid));
  }

  private onStanza(el: Element): void {
    const from = Jid.tryParse(el.attrs.from);
    const to = Jid.tryParse(el.attrs.to);
    // RFC 6120 §8.1.1.2 and §8.1.2.2: both addresses are required on s2s streams.
    if (!from || !to) return this.close(new StreamError('improper-addressing', 'stanzas need valid `from` and `to` addresses'));
    if (!this.ctx.isOurDomain(to.domain)) return this.close(new StreamError('host-unknown', `this server does not serve ${to.domain}`));
    if (!this.verified.has(`${from.domain} ${to.domain}`)) {
      // §4.9.3.10: the sending domain was not authenticated on this stream.
      return this.close(new StreamError('invalid-from', `${from.domain} is not verified on this stream for ${to.domain}`));
    }
    el.attrs.from = from.full;
    el.attrs.to = to.full;
    this.ctx.server.route(el);
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.close(new StreamError('connection-timeout', 'idle')), this.ctx.idleMs);
    this.idleTimer.unref();
  }
}
