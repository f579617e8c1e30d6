// A test user: an @xmpp/client connection that records what it receives and waits for stanzas.
import { client, xml, type XmppClient } from '@xmpp/client';
import type { Element } from 'ltx';
import { WebSocket } from 'ws';

// Node 20 has no global WebSocket; @xmpp/websocket expects one.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

export { xml };

export class User {
  received: Element[] = [];
  private waiters: Array<{ pred: (el: Element) => boolean; resolve: (el: Element) => void }> = [];
  jid = '';
  onStanza?: (el: Element) => void;
  constructor(readonly xmpp: XmppClient) {}

  /** Sign in over plain TCP to `port`, or to a full service URL (e.g. ws://…/xmpp-websocket). */
  static async connect(port: number | string, domain: string, username: string, password: string, resource = 'test'): Promise<User> {
    const service = typeof port === 'number' ? `xmpp://127.0.0.1:${port}` : port;
    // PLAIN where the server offers it: the client library's SCRAM costs a second of CPU per login.
    const xmpp = client({
      service, domain, resource,
      credentials: (authenticate, mechanisms) => authenticate({ username, password }, mechanisms.includes('PLAIN') ? 'PLAIN' : mechanisms[0]),
    });
    xmpp.reconnect?.stop();
    const u = new User(xmpp);
    xmpp.on('error', () => {});
    // Jingle requests are answered by the call participant under test, not by the library's
    // default service-unavailable: the library's reply is withheld.
    xmpp.iqCallee.set('urn:xmpp:jingle:1', 'jingle', () => new Promise(() => undefined));
    xmpp.on('stanza', (el: Element) => {
      u.onStanza?.(el);
      const i = u.waiters.findIndex((w) => w.pred(el));
      if (i >= 0) { const [w] = u.waiters.splice(i, 1); w.resolve(el); } else u.received.push(el);
    });
    await xmpp.start();
    u.jid = String(xmpp.jid);
    await xmpp.send(xml('presence'));
    return u;
  }

  send(el: Element): Promise<void> {
    return this.xmpp.send(el);
  }

  /** Resolve with the first stanza (already received or future) matching pred. */
  waitFor(pred: (el: Element) => boolean, ms = 5000, what = 'stanza'): Promise<Element> {
    const i = this.received.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.received.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (el: Element) => { clearTimeout(t); resolve(el); } };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`${this.jid}: timed out waiting for ${what}; got:\n${this.received.map(String).join('\n')}`));
      }, ms);
      this.waiters.push(w);
    });
  }

  /** Send an IQ and return the reply, result or error (the caller asserts). */
  async iq(type: 'get' | 'set', to: string, payload: Element, ms = 5000): Promise<Element> {
    const id = `q${Math.random().toString(36).slice(2)}`;
    const p = this.waitFor((el) => el.name === 'iq' && el.attrs.id === id && (el.attrs.type === 'result' || el.attrs.type === 'error'), ms, `reply to ${id}`);
    await this.send(xml('iq', { type, to, id }, payload));
    return p;
  }

  clear(): void { this.received = []; }

  async stop(): Promise<void> {
    this.xmpp.reconnect?.stop();
    await Promise.race([this.xmpp.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }
}

export const mucPresence = (el: Element, from: string): boolean => el.name === 'presence' && el.attrs.from === from;
export const statusCodes = (el: Element): string[] =>
  (el.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChildren('status') ?? []).map((s) => s.attrs.code as string);
