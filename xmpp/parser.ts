// Streaming XML parser for XMPP streams (RFC 6120 §4, §11; RFC 7395 §3.3).
//
// saxes checks well-formedness; this layer builds one element per top-level stanza, never
// buffering the whole stream, and enforces what XMPP adds:
//  - the XML restrictions of RFC 6120 §11.1: no DTDs, comments, processing instructions, or
//    entities but the predefined ones (restricted-xml / not-well-formed);
//  - UTF-8 only (§11.6): an invalid byte sequence is not-well-formed, not replaced by U+FFFD;
//  - namespace well-formedness (§11.2): every prefix used on an element or attribute is declared
//    in scope, else bad-namespace-prefix (§4.9.3.2); a malformed name or declaration is
//    not-well-formed. xml: is always bound; the stream header's declarations (stream:, db:) hold
//    for every stanza on the stream;
//  - a nested <stream:stream> inside an open stream (not a restart) is refused as an unsupported
//    first-level child, unsupported-stanza-type (§4.9.3.24), instead of swallowing what follows;
//  - our resource limits (policy-violation, §4.9.3.14; §13.12): a maximum size in bytes of each
//    top-level element, counted from its `<` as the bytes arrive, so an endless start tag or
//    attribute value is refused while it is still coming in; at most MAX_ATTRIBUTES attributes
//    per element; at most MAX_DEPTH levels of elements in a stanza.
//
// Element names and attributes are kept as written (ltx elements carry xmlns and xmlns:prefix
// declarations as plain attributes); namespace scopes are tracked here beside saxes, which runs
// without its own namespace processing (cheaper, and its errors would not carry our conditions).
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { StreamError, type StreamCondition } from './errors.js';
import { NS } from './namespaces.js';
import { Element } from './xml.js';

/** Levels of elements in one stanza, the stanza itself being level 1. */
export const MAX_DEPTH = 64;
/** Attributes on one element, namespace declarations included. */
export const MAX_ATTRIBUTES = 256;

const NS_XML = 'http://www.w3.org/XML/1998/namespace';
const NS_XMLNS = 'http://www.w3.org/2000/xmlns/';

/** Prefix → namespace name, for the declarations of one element. */
type Scope = Record<string, string>;

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
  /** The largest top-level element, in bytes (see setMaxStanzaBytes). */
  maxStanzaBytes: number;
}

const DECODE_STREAM = { stream: true };
/** Thrown from inside saxes to stop parsing a chunk once the stream has failed. */
const ABORT = new Error('stream failed');

export class StreamParser {
  private sax!: SaxesParser;
  private decoder!: TextDecoder;
  private maxBytes: number;
  private readonly topDepth: number;
  private depth = 0;
  private stack: Element[] = [];
  /** The namespace declarations of each element on `stack` (null for none). */
  private scopes: (Scope | null)[] = [];
  /** The stream header's declarations, in scope for every stanza. */
  private streamScope: Scope | null = null;
  private failed = false;
  /** Set by processAttribs: the element has an attribute with a prefix other than xml:. */
  private prefixedAttrs = false;

  // Byte accounting. saxes positions count UTF-16 code units from the start of the document; the
  // limit counts UTF-8 bytes, so positions inside the chunk being parsed are mapped to bytes.
  /** The chunk being parsed, its first code unit's saxes position and byte offset. */
  private chunk = '';
  private chunkPos = 0;
  private chunkByte = 0;
  private chunkAscii = true;
  /** Where byteAt() stopped in a non-ASCII chunk (index into `chunk`, byte offset). */
  private cursorIdx = 0;
  private cursorByte = 0;
  /** Byte offset where the top-level element being received began (its `<`), or -1 if none. */
  private unitStart = 0;
  /** Between top-level elements: the saxes position after the last one; -1 otherwise. */
  private idleFrom = -1;

  constructor(
    private readonly opts: StreamParserOptions,
    private readonly on: StreamParserEvents,
  ) {
    this.maxBytes = opts.maxStanzaBytes;
    this.topDepth = opts.framing === 'stream' ? 1 : 0;
    this.reset();
  }

  /**
   * Changes the stanza size limit from the next byte on: a lower one before authentication
   * (RFC 6120 §13.12), the configured one after.
   */
  setMaxStanzaBytes(n: number): void {
    this.maxBytes = n;
  }

  /** Starts a fresh document: after STARTTLS or SASL success (RFC 6120 §5.4.3.3, §6.4.6). */
  reset(): void {
    const framing = this.opts.framing;
    // RFC 6120 §11.8: XML 1.0; a declaration of another version does not change the rules.
    const sax = new SaxesParser({ xmlns: false, position: true, fragment: framing === 'frames', defaultXMLVersion: '1.0', forceXMLVersion: true });
    this.sax = sax;
    this.decoder = new TextDecoder('utf-8', { fatal: true });
    this.depth = 0;
    this.stack = [];
    this.scopes = [];
    this.streamScope = null;
    this.chunk = '';
    this.chunkPos = 0;
    this.chunkByte = 0;
    // The prolog and stream header count as the first top-level unit; frames start between elements.
    this.unitStart = framing === 'stream' ? 0 : -1;
    this.idleFrom = framing === 'stream' ? -1 : 0;
    const topDepth = this.topDepth;

    // Handlers are assigned as named properties, not with sax.on(): on() stores them under computed
    // keys, and past seven of those V8 turns the parser into a dictionary-mode object, which made
    // every saxes state function several times slower (bench/parser.ts).
    const h = sax as unknown as SaxInternals;
    // Attributes: collected in two reused arrays instead of one object each, counted as they come
    // (an element with thousands is refused before its start tag ends), then put into a plain
    // object that becomes the element's attrs as it is (saxes would make a null-prototype
    // dictionary, which ltx would then copy).
    const names: string[] = [];
    const values: string[] = [];
    h.pushAttrib = (name, value) => {
      if (names.length === MAX_ATTRIBUTES) {
        this.fail('policy-violation', `more than ${MAX_ATTRIBUTES} attributes on an element`);
        throw ABORT;
      }
      names.push(name);
      values.push(value);
    };
    h.processAttribs = () => {
      const attrs: Record<string, string> = {};
      let prefixed = false;
      for (let i = 0; i < names.length; i++) {
        const name = names[i]!;
        for (let j = 0; j < i; j++) if (names[j] === name) h.fail(`duplicate attribute: ${name}.`);
        // xml: is always bound (xml:lang on every other stanza); anything else with a colon is checked.
        if (!prefixed && name.indexOf(':') !== -1 && !(name.startsWith('xml:') && name.length > 4 && name.indexOf(':', 4) === -1)) prefixed = true;
        attrs[name] = values[i]!;
      }
      names.length = 0;
      values.length = 0;
      h.tag.attributes = attrs;
      this.prefixedAttrs = prefixed;
    };
    h.openTagHandler = (tag) => {
      if (this.failed || sax !== this.sax) return;
      const depth = this.depth;
      if (depth === 0 && framing === 'stream') return this.onHeader(tag, sax.position);
      if (depth === topDepth && this.unitStart === -1) this.unitStart = this.byteAt(this.firstNonSpace(this.idleFrom));
      if (depth - topDepth >= MAX_DEPTH) return this.fail('policy-violation', `elements nested deeper than ${MAX_DEPTH} levels`);
      const name = tag.name;
      const attrs = tag.attributes as Record<string, string>;
      let own: Scope | null = null;
      if (this.prefixedAttrs || name.indexOf(':') !== -1) {
        const checked = this.checkNames(name, attrs);
        if (checked === false) return;
        own = checked;
      }
      if (depth === topDepth && (name === 'stream' || name.endsWith(':stream')) && isStreamHeader(name, attrs, own, this.streamScope)) {
        return this.fail('unsupported-stanza-type', 'a stream header inside an open stream');
      }
      const el = new Element(name);
      el.attrs = attrs;
      const parent = this.stack[this.stack.length - 1];
      if (parent) parent.cnode(el);
      this.stack.push(el);
      this.scopes.push(own);
      this.depth = depth + 1;
    };
    h.closeTagHandler = (tag) => {
      if (this.failed || sax !== this.sax) return;
      if (framing === 'stream' && this.depth === 1) {
        this.depth = 0;
        if (tag.name === 'stream:stream') this.on.streamEnd();
        return;
      }
      const el = this.stack.pop();
      this.scopes.pop();
      this.depth--;
      if (el && this.depth === topDepth) {
        const pos = sax.position;
        const size = this.byteAt(pos) - this.unitStart;
        this.unitStart = -1;
        this.idleFrom = pos;
        if (size > this.maxBytes) return this.tooLarge();
        this.on.element(el);
      }
    };
    const onText = (text: string) => {
      if (this.failed || sax !== this.sax) return;
      const parent = this.stack[this.stack.length - 1];
      if (parent) parent.t(text); // whitespace between stanzas is a keepalive (RFC 6120 §4.6.1)
    };
    h.textHandler = onText;
    h.cdataHandler = onText;
    h.doctypeHandler = () => this.fail('restricted-xml', 'DTDs are not allowed');
    h.commentHandler = () => this.fail('restricted-xml', 'XML comments are not allowed');
    h.piHandler = () => this.fail('restricted-xml', 'processing instructions are not allowed');
    // No error handler: saxes then throws at the first error, which write() turns into
    // not-well-formed, and stops parsing the rest of the chunk.
  }

  write(chunk: Buffer | string): void {
    if (this.failed) return;
    let s: string;
    if (typeof chunk === 'string') {
      s = chunk;
    } else {
      try {
        // A sequence cut at the end of the chunk waits in the decoder for the next one.
        s = this.decoder.decode(chunk, DECODE_STREAM);
      } catch {
        return void this.fail('not-well-formed', 'invalid UTF-8');
      }
    }
    if (s.length === 0) return;
    const sax = this.sax;
    const bytes = Buffer.byteLength(s);
    this.chunk = s;
    this.chunkAscii = bytes === s.length;
    this.cursorIdx = 0;
    this.cursorByte = this.chunkByte;
    try {
      sax.write(s);
    } catch (err) {
      // Already failed (the rest of the chunk is not parsed), or a handler reset the parser
      // (STARTTLS) and the rest is discarded.
      if (this.failed || sax !== this.sax) return;
      return void this.fail('not-well-formed', (err as Error).message.split('\n')[0]!);
    }
    if (this.failed || sax !== this.sax) return;
    // Between elements: does this chunk begin the next one?
    if (this.unitStart === -1 && this.idleFrom !== -1) {
      const at = this.firstNonSpace(this.idleFrom);
      if (at < this.chunkPos + s.length) this.unitStart = this.byteAt(at);
    }
    this.chunkPos += s.length;
    this.chunkByte += bytes;
    this.chunk = '';
    // An element still open must not grow past the limit while we wait for its end.
    if (this.unitStart !== -1 && this.chunkByte - this.unitStart > this.maxBytes) this.tooLarge();
  }

  /** For RFC 7395: each WebSocket message must hold exactly whole elements. */
  get atTopLevel(): boolean {
    return this.depth === 0;
  }

  /** The stream header (depth 0 of a 'stream' document). */
  private onHeader(tag: SaxesTagPlain, pos: number): void | false {
    if (this.byteAt(pos) - this.unitStart > this.maxBytes) return this.tooLarge();
    this.unitStart = -1;
    this.idleFrom = pos;
    this.depth = 1;
    if (tag.name !== 'stream:stream') return this.fail('invalid-namespace', 'expected <stream:stream>');
    const attrs = tag.attributes as Record<string, string>;
    // The header's own prefix is checked by the stream (invalid-namespace); its attributes here.
    const own = this.checkNames('stream', attrs);
    if (own === false) return;
    this.streamScope = own;
    this.on.streamStart(attrs);
  }

  /**
   * Namespace checks of one element (RFC 6120 §11.2, Namespaces in XML 1.0): its declarations are
   * well-formed, and its name's and attributes' prefixes are declared. Returns the element's own
   * declarations (null if none), or false when it failed the stream.
   */
  private checkNames(name: string, attrs: Record<string, string>): Scope | null | false {
    let own: Scope | null = null;
    let prefixed = 0;
    for (const k in attrs) {
      const colon = k.indexOf(':');
      if (colon === -1) continue;
      if (colon === 0 || colon === k.length - 1 || k.indexOf(':', colon + 1) !== -1) return this.badName(k);
      if (colon === 5 && k.startsWith('xmlns')) {
        const prefix = k.slice(6);
        const uri = attrs[k]!;
        if (prefix === 'xmlns' || uri === NS_XMLNS || (prefix === 'xml') !== (uri === NS_XML) || uri === '') {
          return this.fail('not-well-formed', `invalid namespace declaration ${k}="${uri}"`);
        }
        (own ??= Object.create(null) as Scope)[prefix] = uri;
      } else if (colon !== 3 || !k.startsWith('xml')) {
        prefixed++;
      }
    }
    const colon = name.indexOf(':');
    if (colon !== -1) {
      if (colon === 0 || colon === name.length - 1 || name.indexOf(':', colon + 1) !== -1) return this.badName(name);
      const prefix = name.slice(0, colon);
      if (prefix === 'xmlns' || this.resolve(prefix, own) === undefined) return this.unbound(prefix);
    }
    if (prefixed > 0) {
      // Attribute prefixes, and no two attributes with the same namespace and local name.
      let expanded: string[] | undefined;
      for (const k in attrs) {
        const c = k.indexOf(':');
        if (c === -1 || (c === 5 && k.startsWith('xmlns')) || (c === 3 && k.startsWith('xml'))) continue;
        const prefix = k.slice(0, c);
        const uri = prefix === 'xmlns' ? undefined : this.resolve(prefix, own);
        if (uri === undefined) return this.unbound(prefix);
        if (prefixed > 1) {
          const e = `${uri} ${k.slice(c + 1)}`;
          if ((expanded ??= []).includes(e)) return this.fail('not-well-formed', `duplicate attribute ${k}`);
          expanded.push(e);
        }
      }
    }
    return own;
  }

  private resolve(prefix: string, own: Scope | null): string | undefined {
    if (own !== null && own[prefix] !== undefined) return own[prefix];
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const s = this.scopes[i];
      if (s && s[prefix] !== undefined) return s[prefix];
    }
    if (this.streamScope !== null && this.streamScope[prefix] !== undefined) return this.streamScope[prefix];
    return prefix === 'xml' ? NS_XML : undefined;
  }

  private unbound(prefix: string): false {
    return this.fail('bad-namespace-prefix', `the prefix "${prefix}" is not declared`);
  }

  private badName(name: string): false {
    return this.fail('not-well-formed', `"${name}" is not a qualified name`);
  }

  /** The saxes position of the first non-whitespace code unit at or after `from` in the current chunk (or its end). */
  private firstNonSpace(from: number): number {
    const s = this.chunk;
    let i = from > this.chunkPos ? from - this.chunkPos : 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    }
    return this.chunkPos + i;
  }

  /** The stream byte offset of a saxes position inside the current chunk. */
  private byteAt(pos: number): number {
    let rel = pos - this.chunkPos;
    if (rel <= 0) return this.chunkByte; // a code unit carried over by saxes from the previous chunk
    if (this.chunkAscii) return this.chunkByte + rel;
    const s = this.chunk;
    if (rel > s.length) rel = s.length;
    let i = this.cursorIdx;
    let b = this.cursorByte;
    if (rel < i) {
      i = 0;
      b = this.chunkByte;
    }
    for (; i < rel; i++) {
      const c = s.charCodeAt(i);
      // A surrogate pair is 4 bytes: 3 counted for the high one, 1 for the low one.
      b += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xdc00 && c <= 0xdfff ? 1 : 3;
    }
    this.cursorIdx = i;
    this.cursorByte = b;
    return b;
  }

  private tooLarge(): false {
    return this.fail('policy-violation', `stanza larger than ${this.maxBytes} bytes`);
  }

  /** Fails the stream (once); false, for the checks that return it. */
  private fail(condition: StreamCondition, text: string): false {
    if (!this.failed) {
      this.failed = true;
      this.on.error(new StreamError(condition, text));
    }
    return false;
  }
}

/** A <stream:stream> (any prefix bound to the streams namespace, or the default namespace). */
function isStreamHeader(name: string, attrs: Record<string, string>, own: Scope | null, streamScope: Scope | null): boolean {
  if (name === 'stream') return attrs.xmlns === NS.STREAM;
  if (!name.endsWith(':stream')) return false;
  const prefix = name.slice(0, -7);
  return (own?.[prefix] ?? streamScope?.[prefix]) === NS.STREAM;
}

/** The saxes members set here: handlers as named properties, and its attribute hooks. */
type SaxInternals = {
  tag: SaxesTagPlain;
  fail(message: string): void;
  pushAttrib(name: string, value: string): void;
  processAttribs(): void;
  openTagHandler: (tag: SaxesTagPlain) => unknown;
  closeTagHandler: (tag: SaxesTagPlain) => unknown;
  textHandler: (text: string) => void;
  cdataHandler: (text: string) => void;
  doctypeHandler: (doctype: string) => unknown;
  commentHandler: (comment: string) => unknown;
  piHandler: (pi: unknown) => unknown;
};
