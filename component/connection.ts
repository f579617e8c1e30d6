// XEP-0114 connection to the host server: a byte pipe of stanzas. Reconnects with backoff
// when the server goes away, until stopped.
import { Component } from '@xmpp/component-core';
import type { Element } from '../xmpp/xml.js';
import type { Logger } from './muc/context.js';

export interface ComponentLink {
  send(el: Element): void;
  stop(): Promise<void>;
}

export async function connectComponent(opts: {
  service: string; domain: string; secret: string; log: Logger; onStanza(el: Element): void;
}): Promise<ComponentLink> {
  let entity: Component | undefined;
  let stopping = false;
  let retry: NodeJS.Timeout | undefined;
  let delay = 250;

  const open = async (): Promise<void> => {
    const c = new Component({ service: opts.service, domain: opts.domain });
    entity = c;
    c.on('open', (el: Element) => {
      c.authenticate(el.attrs.id as string, opts.secret).catch((err: unknown) => c.emit('error', err));
    });
    c.on('stanza', (el: Element) => opts.onStanza(el));
    c.on('error', (err: Error) => opts.log.warn({ err: err.message }, 'component connection error'));
    c.on('status', (status: string) => {
      if (status === 'online') delay = 250;
      if ((status === 'disconnect' || status === 'close') && !stopping && entity === c) schedule();
    });
    await new Promise<void>((resolve, reject) => {
      const onStatus = (s: string): void => { if (s === 'online') { c.off('error', onError); resolve(); } };
      const onError = (e: Error): void => { c.off('status', onStatus); reject(e); };
      c.on('status', onStatus);
      c.once('error', onError);
      c.start().catch(reject);
    });
  };
  const schedule = (): void => {
    if (retry || stopping) return;
    retry = setTimeout(() => {
      retry = undefined;
      opts.log.info({ service: opts.service }, 'reconnecting component');
      open().catch((err: Error) => { opts.log.warn({ err: err.message }, 'reconnect failed'); delay = Math.min(delay * 2, 10000); schedule(); });
    }, delay);
  };

  await open();
  return {
    send(el) {
      if (entity?.status !== 'online') return;
      entity.send(el).catch((err: Error) => opts.log.warn({ err: err.message }, 'send failed'));
    },
    async stop() {
      stopping = true;
      if (retry) clearTimeout(retry);
      const c = entity;
      if (!c) return;
      await Promise.race([c.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
    },
  };
}
