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
    // Keep the unfinished element (from `start`) or the unscanned tail (from `pos`).
    const cut = this.start >= 0 ? this.start : this.pos;
    this.buf = cut === 0 ? this.buf + chunk : this.buf.slice(cut) + chunk;
    this.pos -= cut;
    if (this.start >= 0) this.start -= cut;
    const buf = this.buf;
    const len = buf.length;
    const epoch = this.epoch;
    let i = this.pos;
    for (;;) {
      const lt = buf.indexOf('<', i);
      if (lt < 0 || lt + 1 >= len) {
        // Text between elements (whitespace keepalives) is dropped; inside an element it stays.
        this.pos = lt < 0 ? len : lt;
        return;
      }
      const c = buf.charCodeAt(lt + 1);
      if (c === 63 /* ? */ || c === 33 /* ! */) {
        const cdata = c === 33 && buf.startsWith('<![CDATA[', lt);
        const closer = c === 63 ? '?>' : cdata ? ']]>' : '-->';
        if (c === 33 && !cdata && len - lt < 9 && '<![CDATA['.startsWith(buf.slice(lt, lt + 9))) {
          this.pos = lt; // not yet known whether a comment or CDATA starts here
          return;
        }
        const end = buf.indexOf(closer, lt + 2);
        if (end < 0) {
          this.pos = lt;
          return;
        }
        i = end + closer.length;
        continue;
      }
      const gt = tagEnd(buf, lt);
      if (gt < 0) {
        this.pos = lt;
        return;
      }
      i = gt + 1;
      this.pos = i;
      if (c === 47 /* / */) {
        this.depth--;
        if (this.depth === 1) {
          const xml = buf.slice(this.start, i);
          this.start = -1;
          this.emit({ kind: 'element', xml });
        } else if (this.depth <= 0) {
          this.depth = 0;
          this.emit({ kind: 'close' });
        }
        if (this.epoch !== epoch) return;
        continue;
      }
      const selfClosing = buf.charCodeAt(gt - 1) === 47;
      if (this.depth === 0) {
        // Nothing but the stream header is expected outside the stream.
        if (buf.startsWith('<stream:stream', lt)) {
          this.depth = 1;
          this.emit({ kind: 'open', header: buf.slice(lt, i) });
          if (this.epoch !== epoch) return;
        }
        continue;
      }
      if (this.depth === 1) this.start = lt;
      if (!selfClosing) {
        this.depth++;
      } else if (this.depth === 1) {
        this.start = -1;
        this.emit({ kind: 'element', xml: buf.slice(lt, i) });
        if (this.epoch !== epoch) return;
      }
    }
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
