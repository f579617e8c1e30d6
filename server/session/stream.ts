// An XML stream over a transport (RFC 6120 §4, RFC 7395 §3): headers, elements in and out, and
// closing with or without a stream error. Client, server and component streams all use it.
import { randomBytes } from 'node:crypto';
import { StreamError } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { StreamParser } from '../../xmpp/parser.js';
import { escapeXml, type Element } from '../../xmpp/xml.js';
import type { Transport } from '../transport/transport.js';

/** Bytes we queue for a peer before we give up on it. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export interface StreamHandlers {
  /** The peer opened (or restarted) the stream; attrs of <stream:stream> or <open/>. */
  open(attrs: Record<string, string>): void;
  /** A top-level element; stanzas arrive without their content namespace (see below). */
  element(el: Element): void;
  /**
   * The stream is gone: 'closed' when either side ended it (with or without a stream error),
   * 'dropped' when the connection went away without that (XEP-0198 may then resume the session).
   */
  closed(error: StreamError | undefined, how: 'closed' | 'dropped'): void;
}

export class XmppStream {
  readonly id = randomBytes(9).toString('base64url');
  private parser: StreamParser;
  private opened = false;
  private closing = false;
  private handlers!: StreamHandlers;
  /** Top-level elements with this namespace are stanzas; it is stripped on input and implied on output. */
  readonly contentNs: string;

  constructor(
    readonly transport: Transport,
    contentNs: string,
    maxStanzaBytes: number,
  ) {
    this.contentNs = contentNs;
    this.parser = new StreamParser(
      { framing: transport.framing, maxStanzaBytes },
      {
        streamStart: (attrs) => this.onOpen(attrs),
        element: (el) => this.onElement(el),
        streamEnd: () => this.close(),
        error: (err) => this.close(err),
      },
    );
  }

  start(handlers: StreamHandlers): void {
    this.handlers = handlers;
    this.transport.onData((chunk) => {
      this.parser.write(chunk);
      // RFC 7395 §3.3.3: every WebSocket message holds whole elements.
      if (this.transport.framing === 'frames' && !this.parser.atTopLevel) {
        this.close(new StreamError('not-well-formed', 'a WebSocket message must contain complete XML elements'));
      }
    });
    this.transport.onClose(() => {
      this.closing = true;
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
      if (el.name === 'close' && el.attrs.xmlns === NS.FRAMING) return this.close();
      if (!this.opened) return this.close(new StreamError('not-authorized', 'send <open/> first'));
    }
    if (el.attrs.xmlns === this.contentNs) delete el.attrs.xmlns;
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
    // A peer that stops reading must not make us buffer without bound.
    if (this.transport.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.close(new StreamError('policy-violation', 'the connection is not reading what it is sent'));
    }
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** Closes the stream, with a stream error if given (RFC 6120 §4.9.1.1: error, then close). */
  close(error?: StreamError): void {
    if (this.closing) return;
    if (error && !this.opened && this.transport.framing === 'stream') this.sendHeader({});
    if (error) this.sendRaw(error.toElement().toString(), false);
    this.transport.send(this.transport.framing === 'frames' ? `<close xmlns="${NS.FRAMING}"/>` : '</stream:stream>');
    this.closing = true;
    this.transport.end();
    this.fireClosed(error, 'closed');
  }

  /** Ends the connection without a word and without telling the handlers (a resumed session's old stream). */
  abandon(): void {
    this.closing = true;
    this.closedFired = true;
    this.transport.end();
  }

  private closedFired = false;
  private fireClosed(error: StreamError | undefined, how: 'closed' | 'dropped'): void {
    if (this.closedFired) return;
    this.closedFired = true;
    this.handlers?.closed(error, how);
  }
}
