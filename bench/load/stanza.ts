// String helpers over one serialized element, enough to recognise the replies the load generator
// waits for. They look only at the first tag (name, attributes) or the first child of a given name.

/** Name of the element, with its prefix if any: `message`, `stream:features`. */
export function elementName(xml: string): string {
  let k = 1;
  const len = xml.length;
  while (k < len) {
    const c = xml.charCodeAt(k);
    if (c === 32 || c === 62 || c === 47 || c === 9 || c === 10 || c === 13) break;
    k++;
  }
  return xml.slice(1, k);
}

/** Value of an attribute of the first tag, entities left as they are. */
export function attr(xml: string, name: string): string | undefined {
  const end = xml.indexOf('>');
  const head = end < 0 ? xml : xml.slice(0, end);
  for (const q of ['"', "'"]) {
    const key = ` ${name}=${q}`;
    const at = head.indexOf(key);
    if (at >= 0) {
      const from = at + key.length;
      const to = head.indexOf(q, from);
      if (to >= 0) return head.slice(from, to);
    }
  }
  return undefined;
}

/** Text of the first `<name>` child (no nested markup expected), or undefined. */
export function childText(xml: string, name: string): string | undefined {
  const open = xml.indexOf(`<${name}`);
  if (open < 0) return undefined;
  const gt = xml.indexOf('>', open);
  if (gt < 0 || xml.charCodeAt(gt - 1) === 47) return '';
  const close = xml.indexOf(`</${name}>`, gt);
  return close < 0 ? undefined : xml.slice(gt + 1, close);
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

/** Bare JID of a full or bare JID string. */
export function bare(jid: string): string {
  const slash = jid.indexOf('/');
  return slash < 0 ? jid : jid.slice(0, slash);
}
