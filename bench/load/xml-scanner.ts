// A minimal incremental splitter for an XMPP stream (RFC 6120 §4): it finds the stream header
// and cuts each top-level element out as one string, without building a tree. The load generator
// only needs to recognise a handful of stanzas, so it inspects the strings with indexOf; a full
// parser here would make the generator, not the server, the bottleneck.

export type ScanEvent =
  | { kind: 'open'; header: string }
  | { kind: 'element'; xml: string }
  | { kind: 'close' };

export class XmlScanner {
  private buf = '';
  private pos = 0;
  private depth = 0;
  private start = -1;
  private epoch = 0;

  constructor(private readonly emit: (ev: ScanEvent) => void) {}

  reset(): void {
    this.epoch++;
    this.buf = '';
    this.pos = 0;
    this.depth = 0;
    this.start = -1;
  }

  push(chunk: string): void {
    this.buf = this.pos === 0 ? this.buf + chunk : this.buf.slice(this.pos) + chunk;
    if (this.start >= 0) this.start -= this.pos;
    this.pos = 0;
    const buf = this.buf;
    const len = buf.length;
    const epoch = this.epoch;
    let i = 0;
    for (;;) {
      const lt = buf.indexOf('<', i);
      if (lt < 0 || lt + 1 >= len) {
        // Text between elements (whitespace keepalives) is dropped unless inside an element.
        this.pos = this.start >= 0 ? this.start : lt < 0 ? len : lt;
        return;
      }
      const c = buf.charCodeAt(lt + 1);
      if (c === 63 /* ? */) {
        const end = buf.indexOf('?>', lt);
        if (end < 0) return this.keep(lt);
        i = end + 2;
        continue;
      }
      if (c === 33 /* ! */) {
        const cdata = buf.startsWith('<![CDATA[', lt);
        const end = buf.indexOf(cdata ? ']]>' : '-->', lt);
        if (end < 0) return this.keep(lt);
        i = end + 3;
        continue;
      }
      const gt = tagEnd(buf, lt);
      if (gt < 0) return this.keep(lt);
      i = gt + 1;
      if (c === 47 /* / */) {
        this.depth--;
        if (this.depth === 1) {
          const xml = buf.slice(this.start, i);
          this.start = -1;
          this.pos = i;
          this.emit({ kind: 'element', xml });
        } else if (this.depth <= 0) {
          this.depth = 0;
          this.pos = i;
          this.emit({ kind: 'close' });
        }
        if (this.epoch !== epoch) return;
        continue;
      }
      const selfClosing = buf.charCodeAt(gt - 1) === 47;
      if (this.depth === 0) {
        if (buf.startsWith('<stream:stream', lt)) {
          this.depth = 1;
          this.pos = i;
          this.emit({ kind: 'open', header: buf.slice(lt, i) });
          if (this.epoch !== epoch) return;
          continue;
        }
        continue; // nothing but the stream header is expected outside the stream
      }
      if (this.depth === 1) this.start = lt;
      if (selfClosing) {
        if (this.depth === 1) {
          this.start = -1;
          this.pos = i;
          this.emit({ kind: 'element', xml: buf.slice(lt, i) });
          if (this.epoch !== epoch) return;
        }
      } else {
        this.depth++;
      }
    }
  }

  private keep(at: number): void {
    this.pos = this.start >= 0 ? this.start : at;
  }
}

/** Index of the `>` closing the tag that starts at `lt`, skipping quoted attribute values. */
function tagEnd(buf: string, lt: number): number {
  const len = buf.length;
  let quote = 0;
  for (let k = lt + 1; k < len; k++) {
    const ch = buf.charCodeAt(k);
    if (quote !== 0) {
      if (ch === quote) quote = 0;
    } else if (ch === 62 /* > */) {
      return k;
    } else if (ch === 34 || ch === 39) {
      quote = ch;
    }
  }
  return -1;
}
