// Slot requests and uploads as XEP-0363 clients make them, for the upload tests.
import { xml, type XmlElement, type XmppClient } from './helpers.js';

export const NS = 'urn:xmpp:http:upload:0';
export const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

export interface Slot {
  put: string;
  get: string;
}

interface IqFailure {
  condition?: string;
  element?: XmlElement;
}

/** A slot request as in §4 Example 5 (filename, size, content-type). */
export function request(filename: string | undefined, size: string, type?: string): XmlElement {
  return xml('iq', { type: 'get', to: 'upload.localhost' }, xml('request', { xmlns: NS, filename, size, 'content-type': type }));
}

export async function slot(c: XmppClient, filename: string, size: number, type?: string): Promise<Slot> {
  const r = await c.iqCaller.request(request(filename, String(size), type));
  const s = r.getChild('slot', NS)!;
  return { put: s.getChild('put')!.attrs.url as string, get: s.getChild('get')!.attrs.url as string };
}

export const put = (url: string, body: Uint8Array, type?: string) => fetch(url, { method: 'PUT', body: new Uint8Array(body), headers: type ? { 'Content-Type': type } : {} });

/** The error of a refused IQ: condition, type and the element itself. */
export async function refusal(p: Promise<unknown>): Promise<{ condition: string; type: string; error: XmlElement }> {
  try {
    await p;
  } catch (e) {
    const f = e as IqFailure;
    const error = f.element!; // @xmpp/client's StanzaError keeps the <error/> element
    return { condition: f.condition!, type: error.attrs.type as string, error };
  }
  throw new Error('the request was not refused');
}

/** Replaces a query parameter of a URL. */
export function withParam(url: string, name: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
}
