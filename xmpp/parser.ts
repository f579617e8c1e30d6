// Streaming XML parser for XMPP streams (RFC 6120 §4, §11; RFC 7395 §3.3).
//
// saxes checks well-formedness; this layer builds one element per top-level stanza, never
// buffering the whole stream, and enforces the XMPP restrictions of RFC 6120 §11.1: no DTDs,
// no comments, no processing instructions, no entities but the predefined ones, and a maximum
// stanza size (our policy, reported as policy-violation).
import { SaxesParser } from 'saxes';
import { StringDecoder } from 'node:string_decoder';
import { StreamError } from './errors.js';
import { Element } from './xml.js';

export interface StreamParserEvents {
  /** The <stream:stream> open tag (TCP framing only). */
  streamStart(attrs: Record<string, string>): void;
  /** A complete top-level element (a stanza, or a stream-level element such as <starttls/>). */
  element(el: Element): void;
  /** </stream:stream> (TCP framing only). */
  streamEnd(): void;
  /** A violation; the stream must be closed with this error. */
  error(err: StreamError): void;
}

export interface StreamParserOptions {
  /** 'stream': one <stream:stream> document (TCP, s2s, components); 'frames': RFC 7395 frames. */
  framing: 'stream' | 'frames';
  maxStanzaBytes: number;
}

export class StreamParser {
  private sax!: SaxesParser;
  private decoder = new StringDecoder('utf8');
  private depth = 0;
  private stack: Element[] = [];
  /** Character position where the current top-level stanza started, or -1 between stanzas. */
  private stanzaStart = -1;
  private failed = false;

  constructor(
    private readonly opts: StreamParserOptions,
    private readonly on: StreamParserEvents,
  ) {
    this.reset();
  }

  /** Starts a fresh document: after STARTTLS or SASL success (RFC 6120 §5.4.3.3, §6.4.6). */
  reset(): void {
    const sax = new SaxesParser({ xmlns: false, position: true, fragment: this.opts.framing === 'frames' });
    this.sax = sax;
    this.depth = 0;
    this.stack = [];
    this.stanzaStart = -1;
    const topDepth = this.opts.framing === 'stream' ? 1 : 0;

    sax.on('opentag', (tag) => {
      if (this.failed || sax !== this.sax) return;
      if (this.depth === 0 && this.opts.framing === 'stream') {
        this.depth = 1;
        if (tag.name !== 'stream:stream') return this.fail(new StreamError('invalid-namespace', 'expected <stream:stream>'));
        this.on.streamStart(tag.attributes as Record<string, string>);
        return;
      }
      const el = new Element(tag.name, tag.attributes as Record<string, string>);
      if (this.depth === topDepth) this.stanzaStart = sax.position;
      const parent = this.stack[this.stack.length - 1];
      if (parent) parent.cnode(el);
      this.stack.push(el);
      this.depth++;
    });
    sax.on('closetag', (tag) => {
      if (this.failed || sax !== this.sax) return;
      if (this.opts.framing === 'stream' && this.depth === 1) {
        this.depth = 0;
        if (tag.name === 'stream:stream') this.on.streamEnd();
        return;
      }
      const el = this.stack.pop();
      this.depth--;
      if (el && this.depth === topDepth) {
        const size = sax.position - this.stanzaStart;
        this.stanzaStart = -1;
        if (size > this.opts.maxStanzaBytes) return this.tooLarge();
        this.on.element(el);
      }
    });
    const onText = (text: string) => {
      if (this.failed || sax !== this.sax) return;
      const parent = this.stack[this.stack.length - 1];
      if (parent) parent.t(text); // whitespace between stanzas is a keepalive (RFC 6120 §4.6.1)
    };
    sax.on('text', onText);
    sax.on('cdata', onText);
    sax.on('doctype', () => this.fail(new StreamError('restricted-xml', 'DTDs are not allowed')));
    sax.on('comment', () => this.fail(new StreamError('restricted-xml', 'XML comments are not allowed')));
    sax.on('processinginstruction', () =>
      this.fail(new StreamError('restricted-xml', 'processing instructions are not allowed')),
    );
    sax.on('error', (err) => this.fail(new StreamError('not-well-formed', err.message.split('\n')[0])));
  }

  write(chunk: Buffer | string): void {
    if (this.failed) return;
    const s = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    try {
      this.sax.write(s);
    } catch (err) {
      this.fail(new StreamError('not-well-formed', (err as Error).message.split('\n')[0]));
      return;
    }
    // A stanza still open must not grow past the limit while we wait for its end.
    if (this.stanzaStart !== -1 && this.sax.position - this.stanzaStart > this.opts.maxStanzaBytes) this.tooLarge();
  }

  private tooLarge(): void {
    this.fail(new StreamError('policy-violation', `stanza larger than ${this.opts.maxStanzaBytes} bytes`));
  }

  /** For RFC 7395: each WebSocket message must hold exactly whole elements. */
  get atTopLevel(): boolean {
    return this.depth === 0;
  }

  private fail(err: StreamError): void {
    if (this.failed) return;
    this.failed = true;
    this.on.error(err);
  }
}
