// Reading and writing the fixture triples of test/xmpp/jingle-sdp/: <case>.xml (the <jingle/>
// element as on the wire), <case>.json (the StanzaJS object), <case>.sdp (the SDP).
import { readFileSync, existsSync } from 'node:fs';
import { JXT } from 'stanza';
import type { IQ } from 'stanza/protocol/index.js';
import { jingleRegistry, type Jingle } from '../../../xmpp/jingle-sdp/index.js';

export const registry = jingleRegistry();
const dir = new URL('./', import.meta.url);

export const path = (name: string): URL => new URL(name, dir);
export const exists = (name: string): boolean => existsSync(path(name));
export const read = (name: string): string => readFileSync(path(name), 'utf8');

/** A fixture's XML without its leading comments. */
export function readXml(name: string): string {
  return read(name).replace(/<!--[\s\S]*?-->/g, '').trim();
}

/** The <jingle/> element of a fixture as StanzaJS reads it (wrapped in the IQ it travels in). */
export function importJingle(xml: string): Jingle {
  const iq = registry.import(JXT.parse(`<iq xmlns='jabber:client' type='set' id='fixture'>${xml}</iq>`)) as IQ & { jingle?: Jingle };
  if (!iq?.jingle) throw new Error('no <jingle/> in fixture');
  return iq.jingle;
}

/** A Jingle object as the <jingle/> element StanzaJS writes. */
export function exportJingle(jingle: Jingle): JXT.XMLElement {
  const iq = registry.export('iq', { type: 'set', id: 'fixture', jingle } as IQ);
  const el = iq?.getChild('jingle', 'urn:xmpp:jingle:1');
  if (!el) throw new Error('cannot export Jingle');
  return el;
}

/** Plain data, as in a .json fixture (undefined fields dropped). */
export const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/**
 * An element in a canonical form for comparison: namespaces resolved onto every element,
 * attributes sorted, whitespace between elements dropped.
 */
export function canonical(el: JXT.XMLElement, parentNs = ''): string {
  const ns = el.attributes.xmlns ?? parentNs;
  const attrs = Object.entries(el.attributes).filter(([k, v]) => k !== 'xmlns' && v !== undefined).sort(([a], [b]) => a.localeCompare(b));
  const inner = el.children.map((c) => (typeof c === 'string' ? c.trim() : canonical(c, ns))).join('');
  return `<${el.name} {${ns}}${attrs.map(([k, v]) => ` ${k}=${JSON.stringify(String(v))}`).join('')}>${inner}</${el.name}>`;
}

/** An element indented for a fixture file (text only in leaf elements, as in Jingle). */
export function pretty(el: JXT.XMLElement, depth = 0): string {
  const pad = '  '.repeat(depth);
  const elements = el.children.filter((c): c is JXT.XMLElement => typeof c !== 'string');
  const text = el.children.filter((c): c is string => typeof c === 'string').join('');
  const open = el.openTag(false);
  if (elements.length === 0) return text ? `${pad}${open}${JXT.escapeXMLText(text)}${el.closeTag()}` : `${pad}${open.replace(/>$/, '/>')}`;
  return [`${pad}${open}`, ...elements.map((c) => pretty(c, depth + 1)), `${pad}${el.closeTag()}`].join('\n');
}
