// Federation: the s2s listener, the outgoing streams by domain pair, and the StanzaSink the core
// uses for every domain that is neither ours nor an attached component.
import { StanzaError, StreamError } from '../xmpp/errors.js';
import { NS } from '../xmpp/namespaces.js';
import { XmppStream } from '../server/session/stream.js';
import { Jid } from '../xmpp/jid.js';
import type { Element } from '../xmpp/xml.js';
import type { StanzaSink } from '../server/core/server.js';
import { listenTcp, type Listener } from '../server/transport/listeners.js';
import type { Carillon } from '../server/carillon.js';
import type { Transport } from '../server/transport/transport.js';
import { s2sContext } from './certificates.js';
import type { FederationContext, VerifyOutcome } from './context.js';
import { DialbackKeys } from './dialback.js';
import { IncomingStream } from './incoming.js';
import { OutgoingStream } from './outgoing.js';

export interface FederationOptions {
  /** Listening port; `config.s2s.port` when absent (0 = ephemeral, null = outgoing only). */
  port?: number | null;
  /** XEP-0368: also listen for streams that start with TLS (published as _xmpps-server._tcp); off when absent. */
  directTlsPort?: number | null;
  /** More trusted roots for peer certificates, besides the system's (PEM). */
  extraCa?: string[];
  /** DNS servers for SRV/A lookups ("127.0.0.1:5300"); the system's when absent. */
  dnsServers?: string[];
  /** Milliseconds; defaults 30 s each. */
  connectTimeout?: number;
  dialbackTimeout?: number;
  /** Override `s2s.idleTimeout` (ms). */
  idleMs?: number;
}

export class Federation implements StanzaSink {
  private readonly outgoing = new Map<string, OutgoingStream>();
  private readonly incoming = new Set<IncomingStream>();
  private listener?: Listener;
  private directTlsListener?: Listener;
  readonly ctx: FederationContext;

  constructor(
    private readonly carillon: Carillon,
    opts: FederationOptions = {},
  ) {
    const { config, server, log, tls } = carillon;
    const { context, ca } = s2sContext(tls, opts.extraCa);
    const componentDomains = new Set(Object.keys(config.components.secrets));
    this.ctx = {
      server,
      log,
      keys: new DialbackKeys(),
      tls: { context, ca, cert: tls.cert, key: tls.key },
      requireValidCertificates: config.s2s.requireValidCertificates,
      idleMs: opts.idleMs ?? config.s2s.idleTimeout * 1000,
      timeouts: { connect: opts.connectTimeout ?? 30000, dialback: opts.dialbackTimeout ?? 30000 },
      resolve: { pins: config.s2s.hosts, dnsServers: opts.dnsServers },
      maxStanzaBytes: config.limits.maxStanzaBytes,
      maxStanzaBytesPreAuth: config.limits.maxStanzaBytesPreAuth,
      rateLimit: config.limits.s2s.rate === null ? undefined : { rate: config.limits.s2s.rate, burst: config.limits.s2s.burst },
      isUnlimited: (d) => config.limits.unlimitedJids.includes(d),
      negotiationMs: config.limits.negotiationSeconds * 1000,
      isOurDomain: (d) => d === server.domain || componentDomains.has(d) || server.components.has(d),
      verify: (receiving, originating, id, key) => this.verify(receiving, originating, id, key),
    };
  }

  get port(): number | null {
    return this.listener?.port ?? null;
  }

  get directTlsPort(): number | null {
    return this.directTlsListener?.port ?? null;
  }

  async listen(port: number | null, directTlsPort: number | null = null): Promise<void> {
    const { listen } = this.carillon.config;
    const { log, connections, server } = this.carillon;
    // Incoming server connections count towards limits.connections (not per address: one peer may carry many domains).
    const gate = {
      limits: connections,
      kind: 's2s' as const,
      refuse: (t: Transport) => new XmppStream(t, NS.SERVER, 1024).refuse(new StreamError('policy-violation', 'too many connections'), { from: server.domain }),
    };
    if (port !== null) this.listener = await listenTcp(listen, port, (t) => this.accept(t), { log, name: 's2s', gate });
    if (directTlsPort === null) return;
    // TLS from the first byte; asking for the peer's certificate as on STARTTLS (for SASL EXTERNAL).
    this.directTlsListener = await listenTcp(
      listen,
      directTlsPort,
      (t) => {
        // A peer that never completes the handshake does not keep the connection.
        const timer = setTimeout(() => t.destroy(), this.ctx.negotiationMs);
        timer.unref();
        t.startTls!(this.ctx.tls.context, { requestCert: true }).then(
          () => {
            clearTimeout(timer);
            this.accept(t);
          },
          () => {
            clearTimeout(timer);
            t.end();
          },
        );
      },
      { log, name: 's2s-tls', gate: { ...gate, refuse: (t: Transport) => t.destroy() } },
    );
  }

  private accept(transport: Transport): void {
    const s = new IncomingStream(transport, this.ctx);
    this.incoming.add(s);
    s.onClosed(() => this.incoming.delete(s));
  }

  /** StanzaSink: a stanza for a remote domain, from one of ours (a user, the server, a component). */
  send(stanza: Element): void {
    const from = Jid.tryParse(stanza.attrs.from);
    const to = Jid.tryParse(stanza.attrs.to);
    if (!from || !to) return this.carillon.server.bounce(stanza, new StanzaError('jid-malformed'));
    if (this.ctx.isOurDomain(to.domain)) {
      // One of our component domains with no component attached right now.
      return this.carillon.server.bounce(stanza, new StanzaError('service-unavailable', `${to.domain} is not available`));
    }
    if (!this.ctx.isOurDomain(from.domain)) {
      // We never relay between two other servers (RFC 6120 §13.7.2.1).
      this.ctx.log.warn({ from: from.full, to: to.full }, 'not relaying a stanza between two remote domains');
      return;
    }
    this.route(from.domain, to.domain).send(stanza);
  }

  /** The outgoing stream for a pair, created (connected and authenticated) on first use. */
  private route(from: string, to: string): OutgoingStream {
    const key = `${from} ${to}`;
    let out = this.outgoing.get(key);
    if (!out || out.isClosed) {
      const created = new OutgoingStream(from, to, this.ctx);
      out = created;
      this.outgoing.set(key, created);
      created.onClosed(() => {
        if (this.outgoing.get(key) === created) this.outgoing.delete(key);
      });
    }
    return out;
  }

  private verify(receiving: string, originating: string, streamId: string, key: string): Promise<VerifyOutcome> {
    return this.route(receiving, originating).verify(streamId, key);
  }

  /** Streams currently open (for tests and monitoring). */
  get stats(): { incoming: number; outgoing: { from: string; to: string; auth: 'sasl-external' | 'dialback'; tls: 'direct' | 'starttls' }[] } {
    const outgoing = [...this.outgoing.values()]
      .filter((o) => o.isReady)
      .map((o) => ({ from: o.from, to: o.to, auth: o.authenticatedBy!, tls: o.directTls ? ('direct' as const) : ('starttls' as const) }));
    return { incoming: this.incoming.size, outgoing };
  }

  async close(): Promise<void> {
    for (const o of [...this.outgoing.values()]) o.close();
    for (const i of [...this.incoming]) i.close();
    await this.listener?.close();
    await this.directTlsListener?.close();
  }
}

/** Starts federation for a running server: listens for peers and becomes its route to remote domains. */
export async function startFederation(carillon: Carillon, opts: FederationOptions = {}): Promise<Federation> {
  const fed = new Federation(carillon, opts);
  try {
    await fed.listen(opts.port !== undefined ? opts.port : carillon.config.s2s.port, opts.directTlsPort ?? null);
  } catch (err) {
    await fed.close();
    throw err;
  }
  carillon.ports.s2s = fed.port;
  carillon.server.remote = fed;
  carillon.onClose(async () => {
    if (carillon.server.remote === fed) carillon.server.remote = undefined;
    await fed.close();
  });
  return fed;
}
