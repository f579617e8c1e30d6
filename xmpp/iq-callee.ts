// The IQ callee (RFC 6120 §8.2.3): every IQ get or set gets exactly one reply. A handler returns
// the result payload (or nothing, for an empty result) or throws a StanzaError; any other throw
// becomes internal-server-error, and no handler at all becomes service-unavailable. Server,
// federation and the call component all answer through this one function.
import { StanzaError, errorReply } from './errors.js';
import { firstChild, withAttrs, type Element } from './xml.js';

export type IqResult = Element | undefined | void;
export type IqAnswer = (payload: Element) => IqResult | Promise<IqResult>;

/** The result for `iq`: addresses swapped, same id (RFC 6120 §8.2.3). */
export function iqResult(iq: Element, payload?: Element): Element {
  const r = withAttrs(iq, { type: 'result', to: iq.attrs.from, from: iq.attrs.to });
  r.children = payload ? [payload] : [];
  return r;
}

/**
 * Answers an IQ get/set. `find` picks the handler for its payload (undefined: nobody handles it);
 * `send` takes the one reply; `onUnexpected` hears of throws that were not StanzaErrors (bugs).
 * `serverDomain` fills `from` on error replies to IQs that had no `to`.
 */
export async function answerIq(
  iq: Element,
  find: (payload: Element) => IqAnswer | undefined,
  send: (reply: Element) => void,
  onUnexpected?: (err: unknown) => void,
  serverDomain?: string,
): Promise<void> {
  let reply: Element;
  try {
    const payload = firstChild(iq);
    if (!payload) throw new StanzaError('bad-request', 'an IQ get or set carries exactly one payload');
    const handler = find(payload);
    if (!handler) throw new StanzaError('service-unavailable');
    reply = iqResult(iq, (await handler(payload)) ?? undefined);
  } catch (err) {
    if (!(err instanceof StanzaError)) onUnexpected?.(err);
    reply = errorReply(iq, err instanceof StanzaError ? err : new StanzaError('internal-server-error'), serverDomain);
  }
  send(reply);
}
