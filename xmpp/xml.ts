// The element type used everywhere: ltx's Element, plus a few builders.
//
// ltx is loaded through its CommonJS build on purpose: @xmpp/component-core (the call component's
// connection) parses into that build's Element class, and one class for parsed and built elements
// keeps `instanceof` (ltx's getChildElements) true across server, federation and component.
import { createRequire } from 'node:module';
import type * as LtxModule from 'ltx';

const ltx = createRequire(import.meta.url)('ltx') as typeof LtxModule;

export type Element = LtxModule.Element;
export const Element = ltx.Element;

type Attrs = Record<string, string | number | undefined | null>;
type Child = Element | string | undefined | null | false;

/** Builds an element: x('iq', { type: 'result', id }, x('query', { xmlns: NS.ROSTER })). */
export function x(name: string, attrs?: Attrs | null, ...children: (Child | Child[])[]): Element {
  const clean: Record<string, string> = {};
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) clean[k] = String(v);
  }
  const el = new ltx.Element(name, clean);
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.cnode(c as Element);
  }
  return el;
}

/** Parses one complete XML element from a string (for fixtures, storage and tests). */
export function parseXml(s: string): Element {
  return ltx.parse(s) as Element;
}

export function escapeXml(s: string): string {
  return ltx.escapeXML(s);
}

/** The first child element whose xmlns is `ns` (any name when name is omitted). */
export function childNs(el: Element, ns: string, name?: string): Element | undefined {
  for (const c of el.children) {
    if (typeof c === 'string') continue;
    if (c.attrs.xmlns === ns && (name === undefined || c.name === name)) return c;
  }
  return undefined;
}

/** The first child element (stanzas carry at most one payload that matters for IQ routing). */
export function firstChild(el: Element): Element | undefined {
  for (const c of el.children) if (typeof c !== 'string') return c;
  return undefined;
}

/** Copies an element with new top-level attributes; children are shared, not cloned. */
export function withAttrs(el: Element, attrs: Attrs): Element {
  const copy = new ltx.Element(el.name, { ...el.attrs });
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) delete copy.attrs[k];
    else copy.attrs[k] = String(v);
  }
  copy.children = el.children;
  return copy;
}

/** A deep copy, so that one element can go to many recipients with different addresses. */
export function clone(el: Element): Element {
  return ltx.clone(el);
}
