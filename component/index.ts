// The call component: an XEP-0114 external component offering XEP-0045 rooms with group calls
// through a selective forwarding unit. `carillon start` runs it in-process; `carillon component`
// runs it alone against any XMPP server.
import { CallService } from './service.js';
import { connectComponent } from './connection.js';
import { fileStore, memoryStore } from './muc/store.js';
import type { Logger } from './muc/context.js';
import { CallManager } from './calls/manager.js';

export interface MediaOptions {
  /** First UDP port for media (inclusive). */
  portMin?: number;
  /** Last UDP port for media (inclusive). */
  portMax?: number;
  /** The address advertised in ICE candidates (for NAT); defaults to the bound interface address. */
  publicAddress?: string;
  /** Local interface address to bind media sockets to; defaults to all IPv4 interfaces. */
  bindAddress?: string;
  /**
   * A connected participant from whom nothing (RTP or RTCP) arrives for this long is removed from
   * the call (default 15 s). ICE consent expiry (RFC 7675, 30 s) and DTLS close also remove it.
   */
  inactivityTimeoutMs?: number;
}

export interface CallComponentOptions {
  /** The host server's component port, e.g. 'xmpp://127.0.0.1:5347'. */
  service: string;
  /** The component's domain, e.g. 'call.example.org'. */
  domain: string;
  secret: string;
  /** Where persistent rooms are kept (rooms.json); without it rooms live in memory only. */
  dataDir?: string;
  media?: MediaOptions;
  /** Maximum participants in one room's call; 0 for no limit (room occupancy is the room's own max users). */
  maxParticipants?: number;
  log?: Logger;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export async function startCallComponent(opts: CallComponentOptions): Promise<{ domain: string; stop(): Promise<void> }> {
  const log = opts.log ?? silent;
  let send: (el: import('./xml.js').Element) => void = () => {};
  const service = new CallService({
    domain: opts.domain,
    store: opts.dataDir ? fileStore(opts.dataDir) : memoryStore(),
    send: (el) => send(el),
    log,
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
