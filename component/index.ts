// The call component: an XEP-0114 external component offering XEP-0045 rooms with group calls
// through a selective forwarding unit. `carillon start` runs it in-process; `carillon component`
// runs it alone against any XMPP server.
import { CallService } from './service.js';
import { connectComponent } from './connection.js';
import { sqliteStore } from './muc/store.js';
import type { Logger } from './muc/context.js';
import { CallManager } from './calls/manager.js';
import type { CallComponentOptions, MediaOptions } from './options.js';
import { DEFAULT_SPREAD_ABOVE, type MediaRouter } from './media/router.js';
import { WorkerRouter } from './media/worker-router.js';
import type { Element } from '../xmpp/xml.js';

export type { CallComponentOptions, MediaOptions, TurnSettings } from './options.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface RunningCallComponent {
  domain: string;
  /** Rooms that exist, rooms with a call going on, and the people in those calls. */
  stats(): { rooms: number; calls: number; participants: number };
  /** The data plane: a WorkerRouter unless media.workers is 0. */
  router: MediaRouter;
  stop(): Promise<void>;
}

export async function startCallComponent(opts: CallComponentOptions): Promise<RunningCallComponent> {
  const log = opts.log ?? silent;
  let send: (el: Element) => void = () => {};
  const store = sqliteStore(opts.dataDir, log);
  const service = new CallService({
    domain: opts.domain,
    store,
    send: (el) => send(el),
    log,
    turn: opts.turn,
    maxRoomsPerUser: opts.maxRoomsPerUser ?? 100,
  });
  // Retention: archived room messages older than archiveDays go, at start and then hourly.
  const archiveDays = opts.archiveDays ?? 365;
  const expire = (): void => {
    const removed = store.expire(Date.now() - archiveDays * 86_400_000);
    if (removed) log.info({ removed }, 'expired archived room messages');
  };
  let expiry: NodeJS.Timeout | undefined;
  if (archiveDays > 0) {
    expire();
    expiry = setInterval(expire, 3_600_000);
    expiry.unref();
  }
  const media = opts.media ?? {};
  const router = await mediaRouter(media, log);
  const calls = new CallManager({ ctx: service.ctx, router, media, maxParticipants: opts.maxParticipants ?? 0, lastN: opts.lastN });
  service.calls = calls;
  let link;
  try {
    link = await connectComponent({
      service: opts.service, domain: opts.domain, secret: opts.secret, log,
      onStanza: (el) => { void service.receive(el); },
    });
  } catch (err) {
    if (expiry) clearInterval(expiry);
    store.close();
    await router.close();
    throw err;
  }
  const online = link;
  send = (el) => online.send(el);
  log.info({ domain: opts.domain, service: opts.service }, 'call component online');
  return {
    domain: opts.domain,
    stats: () => ({ rooms: service.rooms.size, ...calls.stats }),
    router,
    async stop() {
      await calls.stop();
      await router.close();
      service.cancelRequests();
      await online.stop();
      if (expiry) clearInterval(expiry);
      store.close();
    },
  };
}

/**
 * The data plane: worker threads (one per core unless media.workers says otherwise; one with
 * media.tcpPort, whose listener lives in it), so that RTP is never handled on the thread that runs
 * XMPP and storage; with workers: 0, werift in this thread.
 */
async function mediaRouter(media: MediaOptions, log: Logger): Promise<MediaRouter> {
  const settings = { portMin: media.portMin, portMax: media.portMax, bindAddress: media.bindAddress, inactivityTimeoutMs: media.inactivityTimeoutMs, tcpPort: media.tcpPort };
  if (media.workers === 0) {
    const { WeriftRouter } = await import('./media/werift/router.js');
    return new WeriftRouter(settings);
  }
  return new WorkerRouter({
    media: settings,
    workers: media.workers,
    spreadAbove: media.spreadAbove ?? DEFAULT_SPREAD_ABOVE,
    onWorkerExit: ({ index, code, rooms, error }) => log.error({ worker: index, code, rooms, ...(error ? { error } : {}) }, 'media worker stopped; its calls ended'),
  });
}
