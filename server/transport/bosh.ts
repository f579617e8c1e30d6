// XMPP over BOSH (XEP-0124 v1.11.2, XEP-0206 v1.4) at /http-bind on the HTTP and HTTPS ports.
// Each BOSH session is one Transport with RFC 7395 framing, so the client session above it works
// as it does over a WebSocket: the session creation request and each xmpp:restart='true' become
// an <open/> (XEP-0206 §5), a type='terminate' request a <close/> after its payloads (XEP-0124
// §13); our <open/> answers become the attributes of the responses, our <close/> a terminate
// (with the stream error's content as 'remote-stream-error', XEP-0206 §6). The HTTP side here is
// thin: the protocol's state lives in bosh-session.ts.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Context } from 'koa';
import type { Checks } from '../../xmpp/config-checks.js';
import { NS } from '../../xmpp/namespaces.js';
import { parseXml } from '../../xmpp/xml.js';
import type { CarillonConfig } from '../config.js';
import type { HttpRoute } from '../core/server.js';
import type { Logger } from '../log.js';
import { parseBody, parseCount, parseRid, peekIds, xbosh } from './bosh-body.js';
import { BoshSession, negotiateVersion, terminateReply, type BoshCondition, type BoshReply, type BoshRequest } from './bosh-session.js';
import type { ConnectionGate } from './connection-limits.js';
import type { Transport } from './transport.js';

export const BOSH_PATH = '/http-bind';

export interface BoshSettings {
  enabled: boolean;
  /** The longest `wait` granted, in seconds. */
  maxWait: number;
  /** The `inactivity` announced, in seconds. */
  maxInactivity: number;
}

export const BOSH_DEFAULTS: BoshSettings = { enabled: true, maxWait: 60, maxInactivity: 60 };

/** The `bosh` section of the configuration (checked by the bosh module, server/modules/bosh.ts). */
export function parseBoshSettings(raw: unknown, c: Checks): BoshSettings {
  const s = c.section('bosh', raw);
  c.only('bosh', s, ['enabled', 'maxWait', 'maxInactivity']);
  return {
    enabled: c.bool('bosh.enabled', s.enabled, BOSH_DEFAULTS.enabled),
    // Node's HTTP server ends a request after 300 s (requestTimeout); a held request must end first.
    maxWait: c.int('bosh.maxWait', s.maxWait, BOSH_DEFAULTS.maxWait, 1, 120),
    maxInactivity: c.int('bosh.maxInactivity', s.maxInactivity, BOSH_DEFAULTS.maxInactivity, 1, 3600),
  };
}

export function boshSettings(config: CarillonConfig): BoshSettings {
  return (config.modules.bosh as BoshSettings | undefined) ?? BOSH_DEFAULTS;
}

/** What the <body/> wrapper and its attributes add to the payloads of a request, at most. */
const BODY_OVERHEAD = 1024;
/** After the server ends a session, how long its last response waits for the client's next request. */
const FINAL_REPLY_MS = 5000;
/** Of a request over the size limit, what is read (and dropped) before its connection is cut. */
const DRAIN_LIMIT = 1024 * 1024;
const DEFAULT_CONTENT_TYPE = 'text/xml; charset=utf-8';
const OPEN = `<open xmlns="${NS.FRAMING}"`;
const CLOSE = `<close xmlns="${NS.FRAMING}"`;

function isLoopback(addr: string): boolean {
  return addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.');
}

/** One BOSH session as a byte pipe for an XmppStream (framing 'frames'). */
export class BoshTransport implements Transport {
  readonly framing = 'frames' as const;
  readonly name = 'bosh' as const;
  readonly session: BoshSession;
  private dataHandler: (chunk: Buffer | string) => void = () => {};
  private readonly closeHandlers: (() => void)[] = [];
  private closed = false;
  /** The children of the <stream:error/> our stream sent before its <close/>. */
  private streamError?: string[];
  /** Set by the first stream restart: after SASL, the larger body size limit applies. */
  restarted = false;
  /** The session request's 'content' (§7.1): the Content-Type of every response. */
  contentType?: string;
  private opened = false;

  constructor(
    opts: ConstructorParameters<typeof BoshSession>[0],
    readonly secure: boolean,
    readonly remoteAddress: string,
    /** The listener of the session creation request (§15.1 keeps a secure session on secure connections). */
    readonly httpScheme: 'http' | 'https',
    /** The 'to' and 'xml:lang' of the session request, for the <open/> of each stream. */
    private readonly header: { to: string; lang?: string; version: string },
    private readonly onEnded: (t: BoshTransport) => void,
  ) {
    this.session = new BoshSession(opts, {
      input: (req) => this.input(req),
      ended: () => this.gone(),
    });
  }

  get bufferedAmount(): number {
    return this.session.bufferedAmount;
  }

  private input(req: BoshRequest): void {
    const restart = xbosh(req.attrs, 'restart') === 'true';
    if (restart) this.restarted = true;
    if (restart || !this.opened) {
      this.opened = true;
      const lang = req.attrs['xml:lang'] ?? this.header.lang;
      const attrs = { to: req.attrs.to ?? this.header.to, version: xbosh(req.attrs, 'version') ?? this.header.version, 'xml:lang': lang };
      const el = parseXml(`<open xmlns="${NS.FRAMING}"/>`);
      for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.attrs[k] = v;
      this.dataHandler(el.toString());
    }
    if (req.payload) this.dataHandler(req.payload);
    if (req.attrs.type === 'terminate') this.dataHandler(`<close xmlns="${NS.FRAMING}"/>`);
  }

  send(text: string): void {
    if (this.closed) return;
    if (text.startsWith(OPEN)) {
      // The stream id is the deprecated 'authid' (XEP-0206 §4), sent with the creation response.
      this.session.opts.createAttrs.authid ??= parseXml(text).attrs.id ?? '';
      return;
    }
    if (text.startsWith('<stream:error')) {
      this.streamError = parseXml(text).getChildElements().map((c) => c.toString());
      return;
    }
    if (text.startsWith(CLOSE)) {
      const error = this.streamError;
      return this.session.close(error ? 'remote-stream-error' : undefined, error);
    }
    this.session.push(text);
  }

  /** The session already answered (or keeps the answer for the next request) at our <close/>. */
  end(): void {
    if (!this.session.ended) this.session.close();
  }

  destroy(): void {
    this.session.abandon();
  }

  pause(): void {
    this.session.pause();
  }

  resume(): void {
    this.session.resume();
  }

  onData(handler: (chunk: Buffer | string) => void): void {
    this.dataHandler = handler;
  }

  onClose(handler: () => void): void {
    this.closeHandlers.push(handler);
  }

  /**
   * Like a socket's 'close', the handlers hear of it in a later turn: a stream that closes the
   * session itself must first finish closing, or it would take its own close for a dropped
   * connection (and XEP-0198 would keep a session that the client ended).
   */
  private gone(): void {
    if (this.closed) return;
    this.closed = true;
    this.onEnded(this);
    setImmediate(() => {
      for (const h of this.closeHandlers) h();
    });
  }
}

export interface BoshServiceOptions {
  domain: string;
  limits: CarillonConfig['limits'];
  settings: BoshSettings;
  accept(t: Transport): void;
  gate?: { limits: ConnectionGate; refuse(t: Transport): void };
  log: Logger;
}

type Body = { bytes: number; text: string } | { bytes: number; tooLarge: string } | undefined;

/** Reads a request body up to `limit` bytes; past that keeps only its start, for its sid. */
function readBody(req: IncomingMessage, limit: number): Promise<Body> {
  return new Promise((resolve) => {
    let chunks: Buffer[] = [];
    let bytes = 0;
    let head = '';
    req.on('data', (chunk: Buffer) => {
      if (bytes < 2048) head += chunk.subarray(0, 2048 - bytes).toString('latin1');
      bytes += chunk.length;
      if (bytes <= limit) chunks.push(chunk);
      else chunks = [];
      if (bytes > limit + DRAIN_LIMIT) req.socket.destroy();
    });
    req.on('end', () => {
      if (bytes > limit) return resolve({ bytes, tooLarge: head });
      const buf = Buffer.concat(chunks);
      try {
        resolve({ bytes, text: new TextDecoder('utf-8', { fatal: true }).decode(buf) });
      } catch {
        resolve({ bytes, text: '\u0000' }); // not UTF-8: not well-formed (RFC 6120 §11.6)
      }
    });
    req.on('error', () => resolve(undefined));
    req.on('close', () => resolve(undefined));
  });
}

export class BoshService {
  private readonly sessions = new Map<string, BoshTransport>();
  readonly route: HttpRoute = { prefix: BOSH_PATH, handler: (ctx) => this.handle(ctx) };

  constructor(private readonly opts: BoshServiceOptions) {}

  /** Sessions open now (for tests and monitoring). */
  get size(): number {
    return this.sessions.size;
  }

  private async handle(ctx: Context): Promise<void> {
    if (ctx.path !== BOSH_PATH && ctx.path !== `${BOSH_PATH}/`) return;
    // Web clients are often served from another origin than the server's (Converse.js on a CDN).
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('Access-Control-Allow-Methods', 'POST, OPTIONS');
    ctx.set('Access-Control-Allow-Headers', 'Content-Type');
    ctx.set('Access-Control-Max-Age', '86400');
    ctx.set('Cache-Control', 'no-store');
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      return;
    }
    if (ctx.method === 'GET' || ctx.method === 'HEAD') {
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = 'Carillon: XMPP over BOSH (XEP-0206). Point your BOSH client at this address.\n';
      return;
    }
    if (ctx.method !== 'POST') {
      ctx.set('Allow', 'GET, POST, OPTIONS');
      ctx.status = 405;
      return;
    }
    const reply = await this.request(ctx);
    if (!reply) return;
    ctx.status = reply.status;
    ctx.set('Content-Type', reply.contentType ?? DEFAULT_CONTENT_TYPE);
    ctx.body = reply.body;
  }

  private async request(ctx: Context): Promise<(BoshReply & { contentType?: string }) | undefined> {
    const limits = this.opts.limits;
    const body = await readBody(ctx.req, limits.maxStanzaBytes + BODY_OVERHEAD);
    if (!body) return undefined;
    const socket = ctx.req.socket;
    const ip = socket.remoteAddress ?? '';
    const encrypted = (socket as TLSSocket).encrypted === true;
    const secure = encrypted || isLoopback(ip);
    if ('tooLarge' in body) return this.reject(peekIds(body.tooLarge).sid, 'policy-violation', 'the request is larger than limits.maxStanzaBytes');
    const parsed = parseBody(body.text, limits.maxStanzaBytes + BODY_OVERHEAD);
    if (typeof parsed === 'string') return this.reject(peekIds(body.text).sid, 'bad-request', parsed);
    const { attrs, payload } = parsed;
    const rid = parseRid(attrs.rid);
    if (rid === undefined) return this.reject(attrs.sid, 'bad-request', 'the request has no valid rid');
    const req: BoshRequest = { rid, attrs, payload };
    if (attrs.sid === undefined) return this.create(req, body.bytes, ip, secure, encrypted ? 'https' : 'http');
    const t = this.sessions.get(attrs.sid);
    if (!t) return terminateReply('item-not-found');
    // XEP-0124 §15.1: a secure session's requests come over secure connections; others are cut
    // off without ending the session (ending it would let anyone on the path do so).
    if (t.secure && !secure) {
      socket.destroy();
      return undefined;
    }
    const contentType = t.contentType;
    if (!t.restarted && body.bytes > limits.maxStanzaBytesPreAuth + BODY_OVERHEAD) {
      return this.reject(attrs.sid, 'policy-violation', 'the request is larger than limits.maxStanzaBytesPreAuth');
    }
    const reply = await new Promise<BoshReply>((resolve) => t.session.handle(req, resolve));
    return { ...reply, contentType };
  }

  /** A binding error for a request; the session it names, if any, is over (§17.2). */
  private reject(sid: string | undefined, condition: BoshCondition, why: string): BoshReply {
    this.opts.log.debug({ sid, condition }, `BOSH request refused: ${why}`);
    const t = sid === undefined ? undefined : this.sessions.get(sid);
    if (!t) return terminateReply(condition);
    let reply = terminateReply(condition, t.session.legacy);
    t.session.fail(condition, (r) => (reply = r));
    return reply;
  }

  /** §7: a session creation request. */
  private async create(req: BoshRequest, bytes: number, ip: string, secure: boolean, scheme: 'http' | 'https'): Promise<BoshReply & { contentType?: string }> {
    const { attrs } = req;
    const o = this.opts;
    const legacy = attrs.ver === undefined;
    const fail = (condition: BoshCondition) => terminateReply(condition, legacy);
    // §17.2: the domain is ours or unknown; without one there is nothing to connect to.
    if (!attrs.to) return fail('improper-addressing');
    if (attrs.to.toLowerCase() !== o.domain) return fail('host-unknown');
    if (bytes > o.limits.maxStanzaBytesPreAuth + BODY_OVERHEAD) return fail('policy-violation');
    const wait = parseCount(attrs.wait, o.settings.maxWait);
    const hold = parseCount(attrs.hold, 1);
    if (wait === undefined || hold === undefined) return fail('bad-request');
    // 'content' names the Content-Type of every response (§7.1); only a plain media type is taken.
    const content = attrs.content && /^[\w.+-]+\/[\w.+-]+(; ?charset=[\w-]+)?$/.test(attrs.content) ? attrs.content : undefined;
    const sid = randomBytes(16).toString('hex');
    const t = new BoshTransport(
      {
        sid,
        wait: Math.min(wait, o.settings.maxWait),
        // At most one request held (hold=1, as Prosody and ejabberd grant): the client then needs
        // two HTTP connections at most, one held and one to send on, which is what browsers give
        // a page per server without pipelining (RFC 2616 §8.1.4); holding two would need a third.
        hold: Math.min(hold, 1),
        inactivity: o.settings.maxInactivity,
        ver: negotiateVersion(attrs.ver),
        legacy,
        createAttrs: {
          from: o.domain,
          // We are the XMPP server: there is no other connection to secure (§7.2).
          secure: 'true',
          'xmpp:version': '1.0',
          'xmpp:restartlogic': 'true',
        },
      },
      secure,
      ip,
      scheme,
      { to: o.domain, lang: attrs['xml:lang'], version: xbosh(attrs, 'version') ?? '1.0' },
      (ended) => setTimeout(() => this.sessions.get(sid) === ended && this.sessions.delete(sid), FINAL_REPLY_MS).unref(),
    );
    t.contentType = content;
    this.sessions.set(sid, t);
    const reply = new Promise<BoshReply>((resolve) => {
      // A BOSH session is one connection for limits.connectionsPerIp and limits.connections.
      const gate = o.gate;
      if (gate && !gate.limits.admit(ip, 'c2s')) {
        t.session.start(req, resolve);
        return gate.refuse(t);
      }
      if (gate) t.onClose(() => gate.limits.release(ip));
      o.accept(t);
      t.session.start(req, resolve);
    });
    return { ...(await reply), contentType: content };
  }

  /** Server shutdown: every session still open is told so (§17.2 system-shutdown). */
  close(): void {
    for (const t of [...this.sessions.values()]) t.session.fail('system-shutdown');
    this.sessions.clear();
  }
}
