// Events that feature modules listen to. Keyed by what happened, so the router never grows an `if`
// per feature (see docs/architecture.md).
import type { Element } from '../../xmpp/xml.js';
import type { Jid } from '../../xmpp/jid.js';
import type { C2sSession } from '../session/c2s.js';

export interface HookEvents {
  /** A session sent presence with no `to` (broadcast) or a subscription-related presence. */
  'presence-out': { session: C2sSession; stanza: Element };
  /** Presence addressed to a local user (bare or full JID) arrived from anywhere. */
  'presence-in': { stanza: Element; to: Jid; from: Jid };
  /** A message for a local account could not be delivered to any resource. */
  'message-undeliverable': { stanza: Element; to: Jid };
  /** A chat/normal message was delivered to `to` (for carbons). */
  'message-delivered': { stanza: Element; to: Jid; delivered: C2sSession[] };
  /** A local session sent a message (for carbons). */
  'message-sent': { stanza: Element; session: C2sSession };
  /** A session became available (initial presence) / went away. */
  'session-available': { session: C2sSession; initial: boolean };
  'session-closed': { session: C2sSession };
  'account-deleted': { user: string };
}

type Handler<K extends keyof HookEvents> = (e: HookEvents[K]) => void;

export class Hooks {
  private map = new Map<keyof HookEvents, Handler<keyof HookEvents>[]>();

  on<K extends keyof HookEvents>(name: K, handler: Handler<K>): void {
    const list = this.map.get(name) ?? [];
    list.push(handler as Handler<keyof HookEvents>);
    this.map.set(name, list);
  }

  emit<K extends keyof HookEvents>(name: K, event: HookEvents[K]): void {
    const list = this.map.get(name);
    if (list) for (const h of list) h(event);
  }

  has(name: keyof HookEvents): boolean {
    return (this.map.get(name)?.length ?? 0) > 0;
  }
}
