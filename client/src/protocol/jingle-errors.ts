// Errors for Jingle requests the web client refuses: StanzaJS's Jingle code hands back reasons or
// exceptions where an IQ error needs a defined condition (RFC 6120 §8.3.3, XEP-0166 §10).
import { Constants } from 'stanza';

/** RFC 6120 §8.3.3: the defined stanza error conditions. */
const STANZA_CONDITIONS = new Set<string>(Object.values(Constants.StanzaErrorCondition));
/** XEP-0166 §10: the Jingle-specific error conditions. */
const JINGLE_CONDITIONS = new Set<string>(Object.values(Constants.JingleErrorCondition));

export interface IqError {
  type: 'cancel' | 'modify' | 'auth' | 'wait' | 'continue';
  condition: string;
  jingleError?: string;
  text?: string;
}

/**
 * The error StanzaJS's Jingle code hands back for a request it could not process, as an IQ error
 * that names a defined condition. StanzaJS passes Jingle reasons (`general-error` when an SDP
 * cannot be applied) or plain exceptions, which serialize as a bare <error type='cancel'/>; those
 * become `bad-request` with the reason as text. Defined conditions pass through unchanged.
 */
export function jingleIqError(err: unknown): IqError {
  const e = (err ?? {}) as { type?: string; condition?: string; jingleError?: string; text?: string; message?: string };
  const known = e.condition !== undefined && STANZA_CONDITIONS.has(e.condition);
  const out: IqError = {
    type: (['cancel', 'modify', 'auth', 'wait', 'continue'] as const).find((t) => t === e.type) ?? (known ? 'cancel' : 'modify'),
    condition: known ? e.condition! : 'bad-request',
  };
  if (e.jingleError && JINGLE_CONDITIONS.has(e.jingleError)) out.jingleError = e.jingleError;
  const text = e.text ?? (known ? undefined : e.message ?? e.condition);
  if (text) out.text = String(text);
  return out;
}
