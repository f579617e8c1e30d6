// Jingle stanzas of the call service as ltx elements <-> StanzaJS's Jingle objects, through the
// shared wire definitions (xmpp/jingle-sdp/wire.ts). SDP is translated in xmpp/jingle-sdp/.
import { jingleRegistry, type Jingle, type JingleContent } from '../../xmpp/jingle-sdp/index.js';
import { JXT } from 'stanza';
import { StanzaError, type StanzaErrorType } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { parseXml, x, type Element } from '../../xmpp/xml.js';

export type { Jingle, JingleContent };

const registry = jingleRegistry();

/** XEP-0166 §10 error: a stanza error with the Jingle-specific condition (type: RFC 6120's default unless given). */
export function jingleError(condition: string, jingleCondition?: string, text?: string, type?: StanzaErrorType): StanzaError {
  return new StanzaError(condition, text, type, jingleCondition ? [x(jingleCondition, { xmlns: NS.JINGLE_ERRORS })] : []);
}

/** Parse the <jingle/> payload of an IQ; malformed input is a bad-request (XEP-0166 §10). */
export function parseJingle(iq: Element): Jingle {
  let parsed: { jingle?: Jingle } | undefined;
  try {
    const copy = parseXml(iq.toString());
    copy.attrs.xmlns = NS.CLIENT;
    parsed = registry.import(JXT.parse(copy.toString())) as { jingle?: Jingle } | undefined;
  } catch (e) {
    throw jingleError('bad-request', undefined, `Malformed Jingle: ${(e as Error).message}`);
  }
  const j = parsed?.jingle;
  if (!j || !j.action || !j.sid) throw jingleError('bad-request', undefined, 'A Jingle request needs an action and a sid');
  return j;
}

/** Serialize a Jingle object to a <jingle/> element. */
export function jingleElement(j: Jingle): Element {
  const iq = registry.export('iq', { type: 'set', jingle: j } as never);
  if (!iq) throw new Error('cannot serialize Jingle');
  const el = parseXml(iq.toString());
  const jingle = el.getChild('jingle', NS.JINGLE);
  if (!jingle) throw new Error('cannot serialize Jingle');
  jingle.parent = undefined as unknown as Element;
  return jingle;
}
