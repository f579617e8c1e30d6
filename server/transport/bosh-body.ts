// Reading a client's <body/> wrapper (XEP-0124 §4): well-formed XML under the same restrictions as
// an XMPP stream (RFC 6120 §11: no DTD, comments, processing instructions or entities), exactly
// one <body/> in the httpbind namespace, no character data of its own, and its payloads made to
// stand on their own: XEP-0206 §3 lets clients leave stanzas in the wrapper's default namespace
// (meaning jabber:client), and prefixes declared on the wrapper (stream:) are copied onto the
// payloads that use them.
import { StreamParser } from '../../xmpp/parser.js';
import type { Element } from '../../xmpp/xml.js';
import { MAX_RID, NS_HTTPBIND, NS_XBOSH } from './bosh-session.js';

const NS_CLIENT = 'jabber:client';

export interface ParsedBody {
  attrs: Record<string, string>;
  /** The payloads, serialized, each with its namespaces declared on itself. */
  payload: string;
}

/** Parses a request; a string is the reason it is a bad request. */
export function parseBody(text: string, maxBytes: number): ParsedBody | string {
  // An XML declaration may open the document (§4 requires XML 1.0); the parser reads fragments.
  const doc = text.replace(/^\uFEFF?\s*<\?xml\s[^?]*\?>/, '');
  const found: Element[] = [];
  let error: string | undefined;
  const parser = new StreamParser(
    { framing: 'frames', maxStanzaBytes: maxBytes },
    {
      streamStart: () => {},
      element: (el) => void found.push(el),
      streamEnd: () => {},
      error: (e) => void (error ??= e.message),
    },
  );
  parser.write(doc);
  if (error) return error;
  if (!parser.atTopLevel || found.length === 0) return 'the request is not a complete <body/> element';
  if (found.length > 1) return 'a request holds one <body/> element';
  const body = found[0]!;
  if (body.name !== 'body' || body.attrs.xmlns !== NS_HTTPBIND) return `the request must be a <body/> in the ${NS_HTTPBIND} namespace`;
  const declared = Object.entries(body.attrs as Record<string, string>).filter(([k]) => k.startsWith('xmlns:'));
  let payload = '';
  for (const child of body.children) {
    if (typeof child === 'string') {
      // §4: the wrapper holds no character data; whitespace between payloads is layout.
      if (child.trim() !== '') return 'the <body/> wrapper must not contain character data';
      continue;
    }
    payload += standalone(child, declared);
  }
  return { attrs: body.attrs as Record<string, string>, payload };
}

function standalone(el: Element, declared: [string, string][]): string {
  if (el.attrs.xmlns === undefined || el.attrs.xmlns === NS_HTTPBIND) el.attrs.xmlns = NS_CLIENT;
  let s = el.toString();
  const added: Record<string, string> = {};
  for (const [decl, ns] of declared) {
    const prefix = decl.slice(6);
    if (el.attrs[decl] === undefined && (s.includes(`<${prefix}:`) || s.includes(` ${prefix}:`))) added[decl] = ns;
  }
  if (Object.keys(added).length) {
    Object.assign(el.attrs, added);
    s = el.toString();
  }
  return s;
}

/** An attribute of the urn:xmpp:xbosh namespace (XEP-0206), whatever prefix the client bound it to. */
export function xbosh(attrs: Readonly<Record<string, string>>, local: string): string | undefined {
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('xmlns:') && v === NS_XBOSH) {
      const value = attrs[`${k.slice(6)}:${local}`];
      if (value !== undefined) return value;
    }
  }
  return undefined;
}

/** §14.1: a positive integer up to 2^53 - 1. */
export function parseRid(v: string | undefined): number | undefined {
  if (v === undefined || !/^[0-9]{1,16}$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 1 && n <= MAX_RID ? n : undefined;
}

/** A non-negative integer attribute (wait, hold), or the default when absent; undefined when invalid. */
export function parseCount(v: string | undefined, def: number): number | undefined {
  if (v === undefined) return def;
  return /^[0-9]{1,9}$/.test(v) ? Number(v) : undefined;
}

/** The sid and rid of a request too large or too broken to parse, read from its start tag. */
export function peekIds(head: string): { sid?: string; rid?: number } {
  const tag = /<body\s[^>]*/.exec(head)?.[0] ?? '';
  const attr = (name: string) => new RegExp(`\\s${name}\\s*=\\s*(['"])([^'"]*)\\1`).exec(tag)?.[2];
  return { sid: attr('sid'), rid: parseRid(attr('rid')) };
}
