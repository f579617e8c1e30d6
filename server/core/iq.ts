// IQ handler registry: one handler per (type, target, payload namespace). A handler returns the
// result payload (or nothing for an empty result) or throws a StanzaError; the rules of RFC 6120
// §8.2.3 — exactly one reply, service-unavailable when nobody handles it — live here alone.
import { StanzaError, errorReply } from '../../xmpp/errors.js';
import type { Jid } from '../../xmpp/jid.js';
import { firstChild, withAttrs, type Element } from '../../xmpp/xml.js';
import type { C2sSession } from '../session/c2s.js';

/** 'host': addressed to the server's domain; 'account': to a user's bare JID (or no `to` from a client). */
export type IqTarget = 'host' | 'account';

export interface IqRequest {
  stanza: Element;
  payload: Element;
  from: Jid;
  to: Jid;
  /** The sending session when it is one of ours. */
  session?: C2sSession;
}

export type IqHandler = (req: IqRequest) => Element | undefined | void | Promise<Element | undefined | void>;

export class IqHandlers {
  private map = new Map<string, IqHandler>();

  on(type: 'get' | 'set', target: IqTarget, ns: string, handler: IqHandler): void {
    this.map.set(`${type} ${target} ${ns}`, handler);
  }

  find(type: string, target: IqTarget, ns: string): IqHandler | undefined {
    return this.map.get(`${type} ${target} ${ns}`);
  }

  /** Runs the handler for an IQ get/set and sends exactly one reply through `reply`. */
  async dispatch(target: IqTarget, req: Omit<IqRequest, 'payload'>, reply: (el: Element) => void, onError: (err: unknown) => void): Promise<void> {
    const { stanza } = req;
    const payload = firstChild(stanza);
    try {
      if (!payload) throw new StanzaError('bad-request', 'an IQ get or set carries exactly one payload');
      const handler = this.find(stanza.attrs.type!, target, payload.attrs.xmlns ?? '');
      if (!handler) throw new StanzaError('service-unavailable');
      const result = await handler({ ...req, payload });
      const r = withAttrs(stanza, { type: 'result', to: stanza.attrs.from, from: stanza.attrs.to });
      r.children = result ? [result] : [];
      reply(r);
    } catch (err) {
      if (!(err instanceof StanzaError)) onError(err);
      const e = err instanceof StanzaError ? err : new StanzaError('internal-server-error');
      reply(errorReply(stanza, e));
    }
  }
}
