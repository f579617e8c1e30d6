// Carillon's embedded XMPP server: wires storage, TLS, listeners, modules — and returns a handle.
import { resolveConfig, type CarillonConfig, type ConfigInput } from './config.js';
import { createLogger, type Logger } from './log.js';
import { XmppServer } from './core/server.js';
import { openSqliteStorage } from './storage/sqlite.js';
import { loadTls } from './tls.js';
import type { Carillon, CarillonPorts } from './carillon.js';
import { listenTcp, type Listener } from './transport/listeners.js';
import { createHttpApp, listenHttp } from './transport/http.js';
import { BOSH_PATH, BoshService, boshSettings } from './transport/bosh.js';
import { C2sSession, refuseClient } from './session/c2s.js';
import { ConnectionLimits } from './transport/connection-limits.js';
import { ComponentSession } from './session/component.js';
import { MODULES } from './modules/index.js';
import { turnSettings } from './modules/extdisco.js';
import { configSections, loadModules } from './core/module.js';
import { createAccount } from './modules/register.js';
import { StanzaError, StreamError } from '../xmpp/errors.js';
import { Jid } from '../xmpp/jid.js';
import { deriveCredentials } from './sasl/credentials.js';
import { startCallComponent } from '../component/index.js';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startFederation, type Federation } from '../federation/index.js';
import { listenMetrics, renderMetrics } from './metrics.js';

export type { CarillonConfig, ConfigInput } from './config.js';

export type { Carillon, CarillonPorts } from './carillon.js';

export async function startCarillon(input: ConfigInput | CarillonConfig = {}, opts: { logger?: Logger } = {}): Promise<Carillon> {
  const config = 'modules' in input && input.modules !== undefined ? (input as CarillonConfig) : resolveConfig({ log: { level: 'warn' }, ...input }, undefined, undefined, configSections(MODULES));
  const log = opts.logger ?? createLogger(config.log.level);
  // The call component attaches over the component port like any external one, with a secret made for this run.
  const runCall = config.call.enabled && config.components.port !== null;
  if (runCall && !config.components.secrets[config.call.domain]) {
    config.components.secrets = { ...config.components.secrets, [config.call.domain]: randomBytes(18).toString('base64url') };
  }
  const storage = openSqliteStorage(config.dataDir);
  const server = new XmppServer(config, storage, log);
  loadModules(server, MODULES);
  const tls = loadTls(config, log, Object.keys(config.components.secrets));
  const listeners: Listener[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  const ports: CarillonPorts = { http: null, https: null, c2s: null, c2sDirectTls: null, s2s: null, components: null, metrics: null };
  const acceptClient = (t: Parameters<typeof listenTcp>[2] extends (t: infer T) => void ? T : never) => new C2sSession(server, t, tls);
  // limits.connectionsPerIp and limits.connections, shared by every client listener (and s2s, in all).
  const connections = new ConnectionLimits({ perIp: config.limits.connectionsPerIp, total: config.limits.connections }, log);
  const gate = { limits: connections, kind: 'c2s' as const, refuse: (t: Parameters<typeof refuseClient>[1]) => refuseClient(server, t) };
  const handshakeTimeout = config.limits.negotiationSeconds * 1000;
  let boshService: BoshService | undefined;

  try {
    if (config.c2s.port !== null) {
      const l = await listenTcp(config.listen, config.c2s.port, acceptClient, { log, name: 'c2s', gate });
      listeners.push(l);
      ports.c2s = l.port;
    }
    if (config.c2s.directTlsPort !== null) {
      const l = await listenTcp(config.listen, config.c2s.directTlsPort, acceptClient, { log, name: 'c2s-tls', tls, gate, handshakeTimeout });
      listeners.push(l);
      ports.c2sDirectTls = l.port;
    }
    if (config.components.port !== null) {
      // Components (XEP-0114) are configured peers with a secret, and the call component needs the
    // throughput: no connection or rate limits on that port.
    const l = await listenTcp(config.listen, config.components.port, (t) => new ComponentSession(server, t), { log, name: 'components' });
      listeners.push(l);
      ports.components = l.port;
    }
    // XMPP over BOSH (XEP-0206) on the HTTP and HTTPS ports, counted like any client connection.
    const bosh = boshSettings(config);
    if (bosh.enabled && (config.http.port !== null || config.https.port !== null)) {
      boshService = new BoshService({ domain: config.domain, limits: config.limits, settings: bosh, accept: acceptClient, gate, log });
    }
    const routes = boshService ? [boshService.route, ...server.httpRoutes] : server.httpRoutes;
    const app = createHttpApp({ log, routes, boshPath: boshService ? BOSH_PATH : undefined });
    const maxPayload = config.limits.maxStanzaBytes + 1024;
    if (config.http.port !== null) {
      const l = await listenHttp(config.listen, config.http.port, app, acceptClient, { log, maxPayload, name: 'http', gate });
      listeners.push(l);
      ports.http = server.httpPorts.http = l.port;
    }
    if (config.https.port !== null) {
      const l = await listenHttp(config.listen, config.https.port, app, acceptClient, { log, maxPayload, name: 'https', tls, gate });
      listeners.push(l);
      ports.https = server.httpPorts.https = l.port;
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    storage.close();
    throw err;
  }

  const userOf = (jid: string): string => {
    const j = Jid.parse(jid.includes('@') ? jid : `${jid}@${config.domain}`);
    if (j.domain !== config.domain) throw new StanzaError('not-allowed', `${j.bare} is not on this server's domain ${config.domain}`);
    if (!j.local || !j.isBare()) throw new StanzaError('jid-malformed', 'an account is a bare JID: user@domain');
    return j.local;
  };

  let closed = false;
  const handle: Carillon = {
    config,
    server,
    connections,
    ports,
    log,
    tls,
    users: {
      add: async (jid, password) => {
        const user = userOf(jid);
        await createAccount(storage, user, password);
      },
      remove: async (jid) => {
        const user = userOf(jid);
        for (const s of [...(server.sessions.resources(`${user}@${config.domain}`)?.values() ?? [])]) s.close(new StreamError('not-authorized', 'account removed'));
        const deleted = storage.users.delete(user);
        if (deleted) server.events.fire('account-deleted', { user });
        return deleted;
      },
      setPassword: async (jid, password) => {
        const user = userOf(jid);
        if (!storage.users.exists(user)) throw new StanzaError('item-not-found', `no account ${user}@${config.domain}`);
        storage.users.setCredentials(user, await deriveCredentials(password));
      },
    },
    onClose: (fn) => closers.push(fn),
    close: async () => {
      if (closed) return;
      closed = true;
      for (const fn of closers.reverse()) await fn();
      for (const s of [...server.sessions.all()]) s.close(new StreamError('system-shutdown'));
      boshService?.close();
      await Promise.all(listeners.map((l) => l.close()));
      storage.close();
    },
  };
  let federation: Federation | undefined;
  let call: Awaited<ReturnType<typeof startCallComponent>> | undefined;
  if (config.s2s.port !== null) {
    // Federation (federation/): the s2s listener sets ports.s2s and becomes server.remote.
    federation = await startFederation(handle, { directTlsPort: config.s2s.directTlsPort }).catch(async (err: unknown) => {
      await handle.close();
      throw err;
    });
  }
  if (runCall) {
    try {
      const started = await startCallComponent({
        service: `xmpp://127.0.0.1:${ports.components}`,
        domain: config.call.domain,
        secret: config.components.secrets[config.call.domain]!,
        dataDir: join(config.dataDir, 'call'),
        media: {
          portMin: config.call.media.portMin,
          portMax: config.call.media.portMax,
          publicAddress: config.call.media.publicAddress ?? undefined,
          tcpPort: config.call.media.tcpPort ?? undefined,
          bindAddress: config.listen === '0.0.0.0' || config.listen === '::' ? undefined : config.listen,
          workers: config.call.media.workers,
          spreadAbove: config.call.media.spreadAbove,
        },
        maxParticipants: config.call.maxParticipants,
        lastN: config.call.lastN,
        archiveDays: config.call.archiveDays,
        maxRoomsPerUser: config.call.maxRoomsPerUser,
        turn: turnSettings(config) ?? undefined,
        log: log.child({ component: config.call.domain }),
      });
      call = started;
      closers.push(() => started.stop());
    } catch (err) {
      await handle.close();
      throw err;
    }
  }
  if (config.metrics.port !== null) {
    try {
      const fed = federation;
      const l = await listenMetrics(config.metrics.listen, config.metrics.port, () =>
        renderMetrics({
          server,
          federation: fed && (() => ({ incoming: fed.stats.incoming, outgoing: fed.stats.outgoing.length })),
          calls: call?.stats,
        }),
      );
      listeners.push(l);
      ports.metrics = l.port;
    } catch (err) {
      await handle.close();
      throw err;
    }
  }
  return handle;
}
