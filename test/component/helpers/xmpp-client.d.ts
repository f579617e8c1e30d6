// Type declarations for @xmpp/client 0.14 as the tests use it.
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from 'ltx';
  export interface XmppClient extends EventEmitter {
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(el: Element): Promise<void>;
    jid: { toString(): string } | null;
    iqCaller: { request(el: Element, timeout?: number): Promise<Element> };
    iqCallee: { set(ns: string, name: string, handler: (ctx: { stanza: Element }) => unknown): void; get(ns: string, name: string, handler: (ctx: { stanza: Element }) => unknown): void };
    reconnect: { stop(): void };
  }
  export type Authenticate = (credentials: { username: string; password: string }, mechanism: string) => Promise<void>;
  export function client(opts: {
    service: string; domain: string; resource?: string; username?: string; password?: string;
    credentials?: (authenticate: Authenticate, mechanisms: string[]) => Promise<void>;
  }): XmppClient;
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: Array<Element | string>): Element;
}
