// An outgoing server-to-server stream for one domain pair (RFC 6120): connect, STARTTLS (or
// XEP-0368 direct TLS), authenticate with SASL EXTERNAL (XEP-0178) or Server Dialback (XEP-0220,
// originating role), then send the queued stanzas in order. It also carries our db:verify
// questions to the peer acting as authoritative server (XEP-0220 §2.3).
import net from 'node:net';
import tls from 'node:tls';
import { StanzaError, StreamError } from '../xmpp/errors.js';
import { NS } from '../xmpp/namespaces.js';
import { x, childNs, type Element } from '../xmpp/xml.js';
import { XmppStream } from '../server/session/stream.js';
import { TcpTransport } from '../server/transport/tcp.js';
import { certificateMatches } from './certificates.js';
import { readDialback, resultRequest, verifyRequest } from './dialback.js';
import type { FederationContext, VerifyOutcome } from './context.js';
import { addressesOf, NoSuchServiceError, resolveServer, type Endpoint } from './resolve.js';

/** Stanzas held while a stream comes up; more bounce rather than grow memory without bound. */
const MAX_QUEUE = 10000;

type State = 'connecting' | 'tls' | 'auth' | 'dialback' | 'ready' | 'closed';

interface PendingVerify {
  el: Element;
  sent: boolean;
  done(outcome: VerifyOutcome): void;
}

export class OutgoingStream {
  private state: State = 'connecting';
  private stream?: XmppStream;
  private streamId = '';
  private headerAttrs: Record<string, string> = {};
  private lastFeatures?: Element;
  private queue: Element[] = [];
  private verifies = new Map<string, PendingVerify>();
  private triedExternal = false;
  /** XEP-0368: whether the connection started with TLS instead of STARTTLS. */
  directTls = false;
  private saslDone = false;
  private certValid = false;
  /** Why the stream failed; decides how queued stanzas bounce (RFC 6120 §8.3.3.15, §8.3.3.16). */
  private failure: 'remote-server-not-found' | 'remote-server-timeout' = 'remote-server-not-found';
  private failureText = 'could not reach the remote server';
  private connectTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private onClosedFns: (() => void)[] = [];

  constructor(
    readonly from: string,
    readonly to: string,
    private readonly ctx: FederationContext,
  ) {
    this.connectTimer = setTimeout(() => this.fail('remote-server-timeout', 'timed out connecting and authenticating'), ctx.timeouts.connect);
    this.connectTimer.unref();
    void this.connect();
  }

  get isReady(): boolean {
    return this.state === 'ready';
  }

  /** How the stream authenticated: SASL EXTERNAL with our certificate, or dialback. */
  get authenticatedBy(): 'sasl-external' | 'dialback' | undefined {
    return this.state === 'ready' ? (this.saslDone ? 'sasl-external' : 'dialback') : undefined;
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  onClosed(fn: () => void): void {
    this.onClosedFns.push(fn);
  }

  /** Queues or sends a stanza whose `from` is in our `from` domain. */
  send(stanza: Element): void {
    if (this.state === 'closed') return this.bounce(stanza);
    if (this.state !== 'ready') {
      if (this.queue.length >= MAX_QUEUE) return this.ctx.server.bounce(stanza, new StanzaError('resource-constraint', `too many stanzas waiting for ${this.to}`));
      this.queue.push(stanza);
      return;
    }
    this.touch();
    this.stream!.send(stanza);
  }

  /** Asks the peer, as authoritative server, whether a key it gave us on another stream is right. */
  verify(streamId: string, key: string): Promise<VerifyOutcome> {
    if (this.state === 'closed') return Promise.resolve('unreachable');
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish('timeout'), this.ctx.timeouts.dialback);
      timer.unref();
      const finish = (outcome: VerifyOutcome) => {
        clearTimeout(timer);
        if (this.verifies.get(streamId) === pending) this.verifies.delete(streamId);
        resolve(outcome);
      };
      const pending: PendingVerify = { el: verifyRequest(this.from, this.to, streamId, key), sent: false, done: finish };
      this.verifies.get(streamId)?.done('invalid'); // a replayed id: only the latest question counts
      this.verifies.set(streamId, pending);
      this.flushVerifies();
    });
  }

  close(): void {
    if (this.stream && this.state !== 'closed') this.stream.close();
    else this.finish();
  }

  private async connect(): Promise<void> {
    let endpoints: Endpoint[];
    try {
      endpoints = await resolveServer(this.to, this.ctx.resolve);
    } catch (e) {
      return this.fail('remote-server-not-found', e instanceof NoSuchServiceError ? e.message : `cannot resolve ${this.to}`);
    }
    let timedOut = false;
    for (const ep of endpoints) {
      let addrs: string[];
      try {
        addrs = await addressesOf(ep.host, this.ctx.resolve);
      } catch {
        continue;
      }
      for (const addr of addrs) {
        if (this.isClosed) return;
        const socket = await this.dial(addr, ep).catch((e: Error) => {
          if (e.message === 'timeout') timedOut = true;
          return undefined;
        });
        if (!socket) continue;
        if (this.isClosed) {
          socket.destroy();
          return;
        }
        return this.begin(socket, ep.directTls);
      }
    }
    if (timedOut) this.fail('remote-server-timeout', `connecting to ${this.to} timed out`);
    else this.fail('remote-server-not-found', `cannot connect to ${this.to}`);
  }

  private dial(addr: string, ep: Endpoint): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = ep.directTls ? tls.connect({ ...this.tlsOptions(), host: addr, port: ep.port, ALPNProtocols: ['xmpp-server'] }) : net.connect({ host: addr, port: ep.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('timeout'));
      }, Math.min(10000, this.ctx.timeouts.connect));
      socket.once(ep.directTls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  private tlsOptions(): tls.ConnectionOptions {
    // Checked by hand below: an unverifiable peer may still authenticate with dialback.
    const { ca, cert, key } = this.ctx.tls;
    return { servername: this.to, ca, cert, key, rejectUnauthorized: false };
  }

  private begin(socket: net.Socket, directTls: boolean): void {
    this.directTls = directTls;
    const transport = new TcpTransport(socket, directTls);
    this.stream = new XmppStream(transport, NS.SERVER, this.ctx.maxStanzaBytes, this.ctx.server.metrics.streams.s2s_out);
    this.stream.start({
      open: (attrs) => this.onOpen(attrs),
      element: (el) => this.onElement(el),
      closed: (err) => this.onStreamClosed(err),
    });
    if (directTls) this.afterTls();
    this.state = directTls ? 'auth' : 'tls';
    this.sendHeader();
  }

  private sendHeader(): void {
    // RFC 6120 §4.7.3: the initiating entity sends no id.
    this.stream!.sendHeader({ id: undefined, from: this.from, to: this.to, 'xmlns:db': NS.DIALBACK });
  }

  private afterTls(): void {
    const t = this.stream!.transport as TcpTransport;
    this.certValid = t.peerAuthorized && certificateMatches(t.peerCertificate(), this.to);
  }

  private onOpen(attrs: Record<string, string>): void {
    this.headerAttrs = attrs;
    this.streamId = attrs.id ?? '';
    this.touch();
  }

  private onElement(el: Element): void {
    this.touch();
    if (el.name === 'stream:error') return this.onStreamError(el);
    if (el.name === 'stream:features') return this.onFeatures(el);
    if (el.name === 'proceed' && el.attrs.xmlns === NS.TLS) return this.startTls();
    if (el.name === 'failure' && el.attrs.xmlns === NS.TLS) return this.fail('remote-server-not-found', 'the peer refused STARTTLS');
    if (el.attrs.xmlns === NS.SASL) return this.onSasl(el);
    const db = readDialback(el, this.headerAttrs);
    if (db?.kind === 'result' && db.type !== undefined && db.from === this.to && db.to === this.from) {
      if (db.type === 'valid') return this.ready();
      return this.fail('remote-server-not-found', `the peer did not accept our dialback key (${db.type})`);
    }
    if (db?.kind === 'verify' && db.type !== undefined && db.id !== undefined) {
      const p = this.verifies.get(db.id);
      if (p && db.from === this.to && db.to === this.from) p.done(db.type === 'valid' ? 'valid' : 'invalid');
      return;
    }
    // Stanzas on an outgoing stream mean the peer thinks it is bidirectional (XEP-0288), which we never offered.
    if (el.name === 'message' || el.name === 'presence' || el.name === 'iq') {
      return this.stream!.close(new StreamError('unsupported-stanza-type', 'this stream is unidirectional'));
    }
  }

  private onFeatures(features: Element): void {
    if (this.state === 'tls') {
      if (!childNs(features, NS.TLS, 'starttls')) return this.fail('remote-server-not-found', `${this.to} does not offer STARTTLS`);
      this.stream!.send(x('starttls', { xmlns: NS.TLS }));
      return;
    }
    if (this.state !== 'auth') return;
    this.lastFeatures = features;
    if (!this.certValid && this.ctx.requireValidCertificates) {
      return this.fail('remote-server-not-found', `the certificate of ${this.to} is not valid for it`);
    }
    if (this.saslDone) return this.ready();
    this.flushVerifies();
    const mechanisms = childNs(features, NS.SASL, 'mechanisms');
    const external = mechanisms?.getChildren('mechanism').some((m) => m.getText().trim() === 'EXTERNAL');
    if (external && !this.triedExternal) {
      this.triedExternal = true;
      // XEP-0178 §4: the authorization identity is our domain.
      this.stream!.send(x('auth', { xmlns: NS.SASL, mechanism: 'EXTERNAL' }, Buffer.from(this.from).toString('base64')));
      return;
    }
    this.startDialback(features);
  }

  private startDialback(features?: Element): void {
    const offered = (features && childNs(features, NS.DIALBACK_FEATURE, 'dialback')) || this.headerAttrs['xmlns:db'] === NS.DIALBACK;
    if (!offered) return this.fail('remote-server-not-found', `${this.to} offers neither SASL EXTERNAL for us nor dialback`);
    this.state = 'dialback';
    this.stream!.send(resultRequest(this.from, this.to, this.ctx.keys.generate(this.to, this.from, this.streamId)));
  }

  private onSasl(el: Element): void {
    if (el.name === 'success') {
      this.saslDone = true;
      this.stream!.restart();
      this.sendHeader();
      return;
    }
    if (el.name === 'failure') {
      this.ctx.log.debug({ from: this.from, to: this.to }, 's2s SASL EXTERNAL refused, trying dialback');
      // Still within the features we were offered: dialback if they listed it.
      this.startDialback(this.lastFeatures);
    }
  }

  private startTls(): void {
    const stream = this.stream!;
    stream.restart();
    (stream.transport as TcpTransport).startTlsClient(this.tlsOptions()).then(
      () => {
        if (this.state === 'closed') return;
        this.afterTls();
        this.state = 'auth';
        this.sendHeader();
      },
      () => this.fail('remote-server-not-found', 'TLS negotiation failed'),
    );
  }

  private flushVerifies(): void {
    if (this.state !== 'auth' && this.state !== 'dialback' && this.state !== 'ready') return;
    for (const p of this.verifies.values()) {
      if (p.sent) continue;
      p.sent = true;
      this.stream!.send(p.el);
    }
  }

  private ready(): void {
    if (this.state === 'ready') return;
    this.state = 'ready';
    clearTimeout(this.connectTimer);
    this.ctx.log.debug({ from: this.from, to: this.to, external: this.saslDone }, 's2s outgoing stream authenticated');
    this.flushVerifies();
    const queued = this.queue;
    this.queue = [];
    for (const s of queued) this.stream!.send(s);
    this.touch();
  }

  private touch(): void {
    if (this.state !== 'ready') return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stream?.close(), this.ctx.idleMs);
    this.idleTimer.unref();
  }

  private onStreamError(el: Element): void {
    const cond = el.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === NS.STREAMS_ERR && c.name !== 'text');
    const text = el.getChild('text', NS.STREAMS_ERR)?.getText();
    this.fail('remote-server-not-found', `stream error from ${this.to}: ${cond?.name ?? 'undefined-condition'}${text ? ` (${text})` : ''}`);
  }

  private fail(condition: 'remote-server-not-found' | 'remote-server-timeout', text: string): void {
    if (this.state === 'closed') return;
    this.failure = condition;
    this.failureText = text;
    this.ctx.log.info({ from: this.from, to: this.to, reason: text }, 's2s outgoing stream failed');
    if (this.stream && !this.stream.isClosing) this.stream.close();
    this.finish();
  }

  private onStreamClosed(_err?: StreamError): void {
    this.finish();
  }

  /** Everything still queued bounces (RFC 6120 §8.3.3.15/16); questions in flight fail. */
  private finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.connectTimer);
    clearTimeout(this.idleTimer);
    const queued = this.queue;
    this.queue = [];
    for (const s of queued) this.bounce(s);
    for (const p of [...this.verifies.values()]) p.done(this.failure === 'remote-server-timeout' ? 'timeout' : 'unreachable');
    for (const fn of this.onClosedFns) fn();
  }

  private bounce(stanza: Element): void {
    this.ctx.server.bounce(stanza, new StanzaError(this.failure, this.failureText));
  }
}
