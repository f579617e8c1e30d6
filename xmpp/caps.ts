// XEP-0115 Entity Capabilities: reading <c/> from presence and verifying a disco#info reply
// against its 'ver' (§5.1 verification string, §5.4 processing), and the 'ver' of one's own
// disco#info (§5.2). Pure; no I/O.
import { createHash } from 'node:crypto';
import { NS } from './namespaces.js';
import type { Element } from './xml.js';

export const CAPS_NS = 'http://jabber.org/protocol/caps';

export interface Caps {
  hash: string;
  node: string;
  ver: string;
}

/** The hash functions of the IANA registry a verifier may meet (§5.1: sha-1 MUST be supported). */
const HASHES: Record<string, string> = { 'sha-1': 'sha1', 'sha-224': 'sha224', 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512', md5: 'md5' };

/** The caps element of a presence stanza, if it is the current (hashed, §4) form. */
export function readCaps(presence: Element): Caps | undefined {
  const c = presence.getChild('c', CAPS_NS);
  const { hash, node, ver } = c?.attrs ?? {};
  if (!hash || !node || !ver) return undefined; // legacy caps (no 'hash') carry no verifiable ver
  return { hash, node, ver };
}

const lt = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function formType(form: Element): string | undefined {
  const f = form.getChildren('field').find((el) => el.attrs.var === 'FORM_TYPE');
  return f?.getChildText('value') ?? undefined;
}

/**
 * §5.1 the verification string S of a disco#info <query/>, or undefined when §5.4 step 3 says the
 * reply must not be accepted (duplicate identities, features or form types; FORM_TYPE not hidden).
 */
export function verificationString(query: Element): string | undefined {
  const identities = query.getChildren('identity').map((i) => `${i.attrs.category ?? ''}/${i.attrs.type ?? ''}/${i.attrs['xml:lang'] ?? ''}/${i.attrs.name ?? ''}`);
  const features = query.getChildren('feature').map((f) => f.attrs.var ?? '');
  if (new Set(identities).size !== identities.length || new Set(features).size !== features.length) return undefined;
  let s = '';
  for (const i of identities.sort(lt)) s += `${i}<`;
  for (const f of features.sort(lt)) s += `${f}<`;
  const forms: { type: string; el: Element }[] = [];
  for (const form of query.getChildren('x', NS.DATA)) {
    const type = formType(form);
    if (type === undefined) continue; // §5.4 3.6: forms without FORM_TYPE are ignored
    const ft = form.getChildren('field').find((el) => el.attrs.var === 'FORM_TYPE')!;
    if (ft.attrs.type !== undefined && ft.attrs.type !== 'hidden') return undefined;
    forms.push({ type, el: form });
  }
  if (new Set(forms.map((f) => f.type)).size !== forms.length) return undefined;
  for (const { type, el } of forms.sort((a, b) => lt(a.type, b.type))) {
    s += `${type}<`;
    const fields = el.getChildren('field').filter((f) => f.attrs.var !== 'FORM_TYPE');
    for (const f of fields.sort((a, b) => lt(a.attrs.var ?? '', b.attrs.var ?? ''))) {
      s += `${f.attrs.var ?? ''}<`;
      for (const v of f.getChildren('value').map((v) => v.getText()).sort(lt)) s += `${v}<`;
    }
  }
  return s;
}

/** §5.2: the 'ver' of a disco#info <query/> with sha-1; undefined for one §5.4 would refuse. */
export function capsVer(query: Element): string | undefined {
  const s = verificationString(query);
  return s === undefined ? undefined : createHash('sha1').update(s, 'utf8').digest('base64');
}

/** §5.4: whether a disco#info reply matches the advertised hash and ver. */
export function verifyCaps(caps: Pick<Caps, 'hash' | 'ver'>, query: Element): boolean {
  const algo = HASHES[caps.hash.toLowerCase()];
  const s = verificationString(query);
  if (!algo || s === undefined) return false;
  return createHash(algo).update(s, 'utf8').digest('base64') === caps.ver;
}

/** The nodes a feature list asks notifications for (XEP-0060 §9.2, "+notify"). */
export function notifyNodes(query: Element): Set<string> {
  const out = new Set<string>();
  for (const f of query.getChildren('feature')) {
    const v = f.attrs.var ?? '';
    if (v.endsWith('+notify')) out.add(v.slice(0, -'+notify'.length));
  }
  return out;
}
