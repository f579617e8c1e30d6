// An XML stream over a transport (RFC 6120 §4, RFC 7395 §3): headers, elements in and out, and
// closing with or without a stream error. Client, server and component streams all use it.
import { randomBytes } from 'node:crypto';
import { StreamError } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { StreamParser } from '../../xmpp/parser.js';
import { escapeXml, type Element } from '../../xmpp/xml.js';
import { streamCounters, type StreamCounters } from '../core/metrics.js';
import { TokenBucket, type RateLimit } from '../transport/rate-limit.js';
import type { Transport } from '../transport/transport.js';

/**
 * How long a peer we close for a limit or a timeout has to read our stream error and close its
 * side, before the connection is cut (one that never reads nor closes must not hold it longer).
 */
export const TIMEOUT_GRACE_MS = 1000;

/** Bytes we queue for a peer before we give up on it. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export interface StreamHandlers {
  /** The peer opened (or restarted) the stream; attrs of <stream:stream> or <open/>. */
  open(attrs: Record<string, string>): void;
  /** A top-level element; stanzas arrive without their content namespace (see below). */
  element(el: Element): void;
  /**
   * The stream is gone: 'ended' when the peer closed it (</stream:stream>, RFC 7395 <close/>),
   * 'closed' when we did (with or without a stream error, or cutting off a peer that does not read),
   * 'dropped' when the connection went away without either (XEP-0198 may then resume the session).
   */
  closed(error: StreamError | undefined, how: StreamEnd): void;
}

export type StreamEnd = 'ended' | 'closed' | 'dropped';

export class XmppStream {
  readonly id = randomBytes(9).toString('base64url');
  private parser: StreamParser;
  private opened = false;
  private closing = false;
  private handlers!: StreamHandlers;
  /** Top-level elements with this namespace are stanzas; it is stripped on input and implied on output. */
  readonly contentNs: string;
  /** When the peer last sent anything (performance.now()), for idle checks. */
  lastInputAt = performance.now();
  private bucket?: TokenBucket;
  /** Set while reading is paused by the rate limit. */
  private resumeTimer?: NodeJS.Timeout;

  constructor(
    readonly transport: Transport,
    contentNs: string,
    maxStanzaBytes: number,
    /** Where stanzas in and out and our stream errors are counted (core/metrics.ts). */
    private readonly counters: StreamCounters = streamCounters(),
  ) {
    this.contentNs = contentNs;
    this.parser = new StreamParser(
      { framing: transport.framing, maxStanzaBytes },
      {
        streamStart: (attrs) => this.onOpen(attrs),
        element: (el) => this.onElement(el),
        streamEnd: () => this.close(undefined, { how: 'ended' }),
        error: (err) => this.close(err),
      },
    );
  }

  start(handlers: StreamHandlers): void {
    this.handlers = handlers;
    this.transport.onData((chunk) => {
      this.lastInputAt = performance.now();
      if (this.bucket) this.throttle(this.bucket.take(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length));
      this.parser.write(chunk);
      // RFC 7395 §3.3.3: every WebSocket message holds whole elements.
      if (this.transport.framing === 'frames' && !this.parser.atTopLevel) {
        this.close(new StreamError('not-well-formed', 'a WebSocket message must contain complete XML elements'));
      }
    });
    this.transport.onClose(() => {
      this.closing = true;
      this.endPause();
      this.fireClosed(undefined, 'dropped');
    });
  }

  /** Hands the stream to other handlers (XEP-0198 resumption moves a stream to the resumed session). */
  rebind(handlers: StreamHandlers): void {
    this.handlers = handlers;
  }

  /**
   * The largest stanza accepted from now on: streams start with a lower limit before the peer
   * authenticates (RFC 6120 §13.12) and raise it after.
   */
  setMaxStanzaBytes(n: number): void {
    this.parser.setMaxStanzaBytes(n);
  }

  /**
   * Limits what is read from the peer to `limit` (a token bucket), by pausing reads — stanzas are
   * never dropped; undefined lifts the limit (an exempt account, an authenticated component).
   */
  setRateLimit(limit: RateLimit | undefined): void {
    this.bucket = limit ? new TokenBucket(limit) : undefined;
    if (!limit && this.resumeTimer) {
      this.endPause();
      this.transport.resume();
    }
  }

  /** Forgets a pause of the rate limit (resumed, lifted, or the stream is gone), for the metrics too. */
  private endPause(): void {
    if (!this.resumeTimer) return;
    clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
    this.counters.paused--;
  }

  get rateLimited(): boolean {
    return this.bucket !== undefined;
  }

  /** Pauses reading for `waitMs` when the bucket is in debt, and resumes once it is repaid. */
  private throttle(waitMs: number): void {
    if (waitMs <= 0 || this.resumeTimer || this.closing) return;
    this.transport.pause();
    this.counters.throttled++;
    this.counters.paused++;
    const check = (ms: number) => {
      this.resumeTimer = setTimeout(() => {
        const more = this.bucket?.wait() ?? 0;
        if (more > 0 && !this.closing) return check(more);
        this.endPause();
        this.transport.resume();
      }, ms);
      this.resumeTimer.unref();
    };
    check(waitMs);
  }

  /** Expect a new stream header (after STARTTLS or SASL success). */
  restart(): void {
    this.opened = false;
    this.parser.reset();
  }

  private onOpen(attrs: Record<string, string>): void {
    if (attrs['xmlns:stream'] !== NS.STREAM) {
      this.sendHeader({});
      return this.close(new StreamError('invalid-namespace', 'the stream namespace must be http://etherx.jabber.org/streams'));
    }
    if (attrs.xmlns !== this.contentNs) {
      this.sendHeader({});
      return this.close(new StreamError('invalid-namespace', `the content namespace must be ${this.contentNs}`));
    }
    this.opened = true;
    this.handlers.open(attrs);
  }

  private onElement(el: Element): void {
    if (this.transport.framing === 'frames') {
      if (el.name === 'open' && el.attrs.xmlns === NS.FRAMING) {
        this.opened = true;
        return this.handlers.open(el.attrs as Record<string, string>);
      }
      if (el.name === 'close' && el.attrs.xmlns === NS.FRAMING) return this.close(undefined, { how: 'ended' });
      if (!this.opened) return this.close(new StreamError('not-authorized', 'send <open/> first'));
    }
    if (el.attrs.xmlns === this.contentNs) delete el.attrs.xmlns;
    if (el.name === 'message' || el.name === 'presence' || el.name === 'iq') this.counters.stanzasIn++;
    this.handlers.element(el);
  }

  /** Sends our stream header (or the RFC 7395 <open/>). */
  sendHeader(attrs: Record<string, string | undefined>): void {
    let a = '';
    for (const [k, v] of Object.entries({ id: this.id, version: '1.0', 'xml:lang': 'en', ...attrs })) {
      if (v !== undefined) a += ` ${k}="${escapeXml(v)}"`;
    }
    if (this.transport.framing === 'frames') {
      this.transport.send(`<open xmlns="${NS.FRAMING}"${a}/>`);
    } else {
      this.transport.send(`<?xml version='1.0'?><stream:stream xmlns="${this.contentNs}" xmlns:stream="${NS.STREAM}"${a}>`);
    }
  }

  /** Sends an element; stanzas (no xmlns) get the content namespace where the framing needs it. */
  send(el: Element): void {
    if (this.closing) return;
    const stanza = el.attrs.xmlns === undefined && (el.name === 'message' || el.name === 'presence' || el.name === 'iq');
    this.sendRaw(el.toString(), stanza);
  }

  /** Sends serialized XML; `isStanza` marks a top-level stanza without its own xmlns. */
  sendRaw(xml: string, isStanza = true): void {
    if (this.closing) return;
    this.write(xml, isStanza);
    if (isStanza) this.counters.stanzasOut++;
    // A peer that stops reading must not make us buffer without bound, nor cost anyone else time.
    if (this.transport.bufferedAmount > MAX_BUFFERED_BYTES) this.cutOff();
  }

  private write(xml: string, isStanza: boolean): void {
    if (this.transport.framing === 'frames') {
      if (isStanza) {
        const sp = xml.search(/[\s/>]/);
        xml = `${xml.slice(0, sp)} xmlns="${this.contentNs}"${xml.slice(sp)}`;
      } else if (xml.startsWith('<stream:')) {
        const sp = xml.search(/[\s/>]/);
        xml = `${xml.slice(0, sp)} xmlns:stream="${NS.STREAM}"${xml.slice(sp)}`;
      }
    }
    this.transport.send(xml);
  }

  /**
   * The peer has more than MAX_BUFFERED_BYTES unread: it gets nothing more, not even the stream
   * error, which would only queue behind the rest. The connection is destroyed at once and the
   * handlers hear a policy-violation close, so the session is gone for routing from this moment.
   */
  private cutOff(): void {
    const error = new StreamError('policy-violation', 'the connection is not reading what it is sent');
    this.closing = true;
    this.countClose(error);
    this.transport.destroy();
    this.fireClosed(error, 'closed');
  }

  private countClose(error: StreamError | undefined): void {
    if (error) this.counters.closedWith[error.condition] = (this.counters.closedWith[error.condition] ?? 0) + 1;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /**
   * Closes the stream, with a stream error if given (RFC 6120 §4.9.1.1: error, then close).
   * `how` is 'ended' when this answers the peer's own close; `graceMs` is how long the peer has to
   * close its side before the connection is cut.
   */
  close(error?: StreamError, opts: { how?: 'ended' | 'closed'; graceMs?: number } = {}): void {
    if (this.closing) return;
    this.closing = true;
    this.countClose(error);
    this.endPause();
    if (error && !this.opened && this.transport.framing === 'stream') this.sendHeader({});
    if (error) this.write(error.toElement().toString(), false);
    this.transport.send(this.transport.framing === 'frames' ? `<close xmlns="${NS.FRAMING}"/>` : '</stream:stream>');
    this.transport.end(opts.graceMs);
    this.fireClosed(error, opts.how ?? 'closed');
  }

  /**
   * Refuses a connection before it is read from: our header, the stream error, the close, and the
   * connection destroyed shortly after (the peer gets no more of our time than that).
   */
  refuse(error: StreamError, headerAttrs: Record<string, string | undefined>): void {
    this.sendHeader(headerAttrs);
    this.opened = true;
    this.close(error, { graceMs: TIMEOUT_GRACE_MS });
  }

  /** Drops the connection without a word, as if the network had lost it (handlers see 'dropped'). */
  drop(): void {
    this.endPause();
    this.transport.destroy();
  }

  /** Ends the connection without a word and without telling the handlers (a resumed session's old stream). */
  abandon(): void {
    this.closing = true;
    this.closedFired = true;
    this.endPause();
    this.transport.end();
  }

  private closedFired = false;
  private fireClosed(error: StreamError | undefined, how: StreamEnd): void {
    if (this.closedFired) return;
    this.closedFired = true;
    this.handlers?.closed(error, how);
  }
}
