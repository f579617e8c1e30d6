// The call component: an XEP-0114 external component offering XEP-0045 rooms with group calls
// through a selective forwarding unit. `carillon start` runs it in-process; `carillon component`
// runs it alone against any XMPP server.
import { CallService } from './service.js';
import { connectComponent } from './connection.js';
import { fileStore, memoryStore } from './muc/store.js';
import type { Logger } from './muc/context.js';
import { CallManager } from './calls/manager.js';
import type { CallComponentOptions } from './options.js';
import type { Element } from '../xmpp/xml.js';

export type { CallComponentOptions, MediaOptions, TurnSettings } from './options.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export async function startCallComponent(opts: CallComponentOptions): Promise<{ domain: string; stop(): Promise<void> }> {
  const log = opts.log ?? silent;
  let send: (el: Element) => void = () => {};
  const service = new CallService({
    domain: opts.domain,
    store: opts.dataDir ? fileStore(opts.dataDir) : memoryStore(),
    send: (el) => send(el),
    log,
    turn: opts.turn,
  });
  service.calls = new CallManager({ ctx: service.ctx, media: opts.media ?? {}, maxParticipants: opts.maxParticipants ?? 0 });
  const link = await connectComponent({
    service: opts.service, domain: opts.domain, secret: opts.secret, log,
    onStanza: (el) => { void service.receive(el); },
  });
  send = (el) => link.send(el);
  log.info({ domain: opts.domain, service: opts.service }, 'call component online');
  return {
    domain: opts.domain,
    async stop() {
      await service.calls?.stop();
      service.cancelRequests();
      await link.stop();
    },
  };
}
