// Type declarations for the CommonJS packages of xmpp.js 0.13 used by the component shell.
declare module '@xmpp/component-core' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from 'ltx';
  export class Component extends EventEmitter {
    constructor(options: { service: string; domain: string });
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(el: Element): Promise<void>;
    authenticate(id: string, password: string): Promise<void>;
    status: string;
  }
}
