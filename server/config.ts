// Configuration: a JSON file whose keys are all optional; every value is checked at startup and
// an error names the key and the file.
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { Jid, normalizeDomain } from '../xmpp/jid.js';
import { ConfigError, checks, isObject, type Checks } from '../xmpp/config-checks.js';
import { parseLastN, type LastNSettings } from '../component/calls/last-n.js';
import { DEFAULT_SPREAD_ABOVE } from '../component/media/router.js';

export { ConfigError } from '../xmpp/config-checks.js';

export interface CarillonConfig {
  domain: string;
  dataDir: string;
  /** Address the listeners bind to. */
  listen: string;
  http: { port: number | null };
  https: { port: number | null };
  tls: { cert: string | null; key: string | null };
  c2s: { port: number | null; directTlsPort: number | null };
  s2s: { port: number | null; directTlsPort: number | null; hosts: Record<string, string>; requireValidCertificates: boolean; idleTimeout: number };
  components: { port: number | null; secrets: Record<string, string> };
  registration: { open: boolean; throttle: number };
  limits: {
    maxStanzaBytes: number;
    maxStanzaBytesPreAuth: number;
    offlineMessages: number;
    /** Roster items (and contacts with a pending subscription request) one account may have. */
    rosterItems: number;
    /** XEP-0198 §5: how long a dropped session waits to be resumed. */
    resumeSeconds: number;
    /** Reading from client streams (null: unlimited); bytes per second, burst in seconds. */
    c2s: { rate: number | null; burst: number };
    /** Reading from incoming server-to-server streams. */
    s2s: { rate: number | null; burst: number };
    /** Bare JIDs and domains whose streams are not rate limited (normalized). */
    unlimitedJids: string[];
    /** Client connections from one address, and connections (clients and servers) in all. */
    connectionsPerIp: number;
    connections: number;
    /** Time to authenticate (and bind, for clients) before the stream is closed. */
    negotiationSeconds: number;
    /** Silence after which a client session is pinged (XEP-0199), then closed if it does not answer. */
    idleSeconds: number;
    /** Items each PEP node keeps at most (XEP-0163; a node configuration asking for more is refused). */
    pepItems: number;
  };
  /** The Prometheus endpoint (server/metrics.ts): its own listener, off unless a port is set. */
  metrics: { port: number | null; listen: string };
  call: {
    enabled: boolean;
    domain: string;
    maxParticipants: number;
    /** Last-N video in calls above `threshold` participants (component/calls/last-n.ts); n 0: off. */
    lastN: LastNSettings;
    /** Archived room messages older than this many days are removed; 0 keeps them (default 365). */
    archiveDays: number;
    /** Rooms one user may own at a time on the call component; 0 for no limit (default 100). */
    maxRoomsPerUser: number;
    /** workers: data-plane worker threads of the call component (default: one per core; 0: none, media in-process). */
    media: { portMin: number; portMax: number; publicAddress: string | null; workers: number; spreadAbove: number; tcpPort: number | null };
  };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  /** Settings of modules, by their top-level key (see ConfigSection). */
  modules: Record<string, unknown>;
}

/** A section's keys are optional, and so are those of its sub-sections (limits.c2s.rate, …). */
type PartialSection<T> = { [P in keyof T]?: T[P] extends unknown[] ? T[P] : T[P] extends object ? Partial<T[P]> : T[P] };

/** Deep partial of the config, as written in carillon.json or passed to startCarillon(). */
export type ConfigInput = { [K in Exclude<keyof CarillonConfig, 'modules'>]?: CarillonConfig[K] extends object ? PartialSection<CarillonConfig[K]> : CarillonConfig[K] } & {
  /** Module keys (contactInfo, admins, …), checked by the module that owns them. */
  [moduleKey: string]: unknown;
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const obj = isObject;

/**
 * Top-level keys owned by a module (core/module.ts): `parse` checks the raw value (undefined when
 * absent) and returns the module's settings.
 */
export interface ConfigSection<C = unknown> {
  key: string;
  parse(raw: unknown, c: Checks): C;
}

/** Validates a parsed config object and fills in defaults. */
export function resolveConfig(input: unknown, file?: string, baseDir = process.cwd(), sections: readonly ConfigSection[] = []): CarillonConfig {
  const c = checks(file);
  const { fail, str, optStr, bool, int } = c;
  if (!obj(input)) fail('(root)', 'the configuration must be a JSON object');
  const raw = input as Record<string, unknown>;
  const known = ['domain', 'dataDir', 'listen', 'http', 'https', 'tls', 'c2s', 's2s', 'components', 'registration', 'limits', 'metrics', 'call', 'log', ...sections.map((s) => s.key)];
  for (const k of Object.keys(raw)) if (!known.includes(k)) fail(k, `unknown key (known: ${known.join(', ')})`);

  const section = (name: string): Record<string, unknown> => c.section(name, raw[name]);
  const port = (key: string, v: unknown, def: number): number | null => (v === null ? null : int(key, v, def, 0, 65535));
  const strMap = (key: string, v: unknown): Record<string, string> => {
    if (v === undefined) return {};
    if (!obj(v)) fail(key, 'must be an object of strings');
    for (const [k, s] of Object.entries(v as object)) if (typeof s !== 'string' || !s) fail(`${key}.${k}`, 'must be a non-empty string');
    return v as Record<string, string>;
  };

  let domain: string;
  try {
    domain = normalizeDomain(str('domain', raw.domain, 'localhost'));
  } catch (e) {
    return fail('domain', (e as Error).message);
  }
  const http = section('http');
  const https = section('https');
  const tls = section('tls');
  const c2s = section('c2s');
  const s2s = section('s2s');
  const components = section('components');
  const registration = section('registration');
  const limits = section('limits');
  const metrics = section('metrics');
  const call = section('call');
  const media = obj(call.media) ? call.media : call.media === undefined ? {} : fail('call.media', 'must be an object');
  const log = section('log');
  const level = log.level ?? 'info';
  if (!LOG_LEVELS.includes(level as (typeof LOG_LEVELS)[number])) fail('log.level', `must be one of ${LOG_LEVELS.join(', ')}`);

  const secrets = strMap('components.secrets', components.secrets);
  for (const d of Object.keys(secrets)) {
    try {
      normalizeDomain(d);
    } catch (e) {
      fail(`components.secrets.${d}`, `not a valid domain: ${(e as Error).message}`);
    }
  }
  const hosts = strMap('s2s.hosts', s2s.hosts);
  for (const [d, addr] of Object.entries(hosts)) {
    if (!/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(addr)) fail(`s2s.hosts.${d}`, 'must be "host:port"');
  }
  c.only('limits', limits, ['maxStanzaBytes', 'maxStanzaBytesPreAuth', 'offlineMessages', 'rosterItems', 'resumeSeconds', 'c2s', 's2s', 'unlimitedJids', 'connectionsPerIp', 'connections', 'negotiationSeconds', 'idleSeconds', 'pepItems']);
  const seconds = (key: string, v: unknown, def: number): number => {
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 3600) fail(key, 'must be a number of seconds from 0 to 3600');
    return v as number;
  };
  // Prosody's mod_limits defaults: c2s 10 × 1024 and s2sin 30 × 1024 bytes/s, burst 2 s; null turns a limit off.
  const rateLimit = (name: 'c2s' | 's2s', defRate: number): { rate: number | null; burst: number } => {
    const r = c.section(`limits.${name}`, limits[name]);
    c.only(`limits.${name}`, r, ['rate', 'burst']);
    return {
      rate: r.rate === null ? null : int(`limits.${name}.rate`, r.rate, defRate, 100, 1024 * 1024 * 1024),
      burst: seconds(`limits.${name}.burst`, r.burst, 2),
    };
  };
  const unlimitedJids = c.strList('limits.unlimitedJids', limits.unlimitedJids, []).map((j, i) => {
    const jid = Jid.tryParse(j);
    if (!jid || !jid.isBare()) fail(`limits.unlimitedJids[${i}]`, 'must be a bare JID (user@domain) or a domain');
    return jid!.bare;
  });
  const maxStanzaBytes = int('limits.maxStanzaBytes', limits.maxStanzaBytes, 256 * 1024, 10_000, 64 * 1024 * 1024);
  const portMin = int('call.media.portMin', (media as Record<string, unknown>).portMin, 40000, 1024, 65535);
  const portMax = int('call.media.portMax', (media as Record<string, unknown>).portMax, 40999, portMin, 65535);
  // ICE over TCP (RFC 6544) on this one port, for participants on networks without UDP; off when absent
  const rawTcpPort = (media as Record<string, unknown>).tcpPort;
  const tcpPort = rawTcpPort === undefined || rawTcpPort === null ? null : int('call.media.tcpPort', rawTcpPort, 0, 1, 65535);
  // werift's own per-connection TCP listeners take ports of the media range
  if (tcpPort !== null && tcpPort >= portMin && tcpPort <= portMax) fail('call.media.tcpPort', 'must lie outside call.media.portMin..portMax');
  // With a TCP port, the listener and all the media live in one worker thread (not the XMPP
  // thread): Node 20 cannot share a listening port between threads nor hand a thread an accepted
  // socket (docs/nat.md). 0 (media in the main thread, for debugging) stays possible.
  const workers = int('call.media.workers', (media as Record<string, unknown>).workers, tcpPort !== null ? 1 : availableParallelism(), 0, 256);
  // A room's peers on one worker before the next go to the least loaded (component/media/worker-router.ts).
  const spreadAbove = int('call.media.spreadAbove', (media as Record<string, unknown>).spreadAbove, DEFAULT_SPREAD_ABOVE, 1, 100_000);
  if (tcpPort !== null && workers > 1) fail('call.media.workers', 'must be 0 or 1 with call.media.tcpPort (one worker thread holds the TCP listener and all the media)');

  return {
    domain,
    dataDir: resolve(baseDir, str('dataDir', raw.dataDir, './data')),
    listen: str('listen', raw.listen, '0.0.0.0'),
    http: { port: port('http.port', http.port, 5280) },
    https: { port: port('https.port', https.port, 5443) },
    tls: {
      cert: optStr('tls.cert', tls.cert) && resolve(baseDir, tls.cert as string),
      key: optStr('tls.key', tls.key) && resolve(baseDir, tls.key as string),
    },
    c2s: { port: port('c2s.port', c2s.port, 5222), directTlsPort: c2s.directTlsPort === undefined ? null : port('c2s.directTlsPort', c2s.directTlsPort, 5223) },
    s2s: {
      port: port('s2s.port', s2s.port, 5269),
      directTlsPort: s2s.directTlsPort === undefined ? null : port('s2s.directTlsPort', s2s.directTlsPort, 5270),
      hosts,
      requireValidCertificates: bool('s2s.requireValidCertificates', s2s.requireValidCertificates, false),
      idleTimeout: int('s2s.idleTimeout', s2s.idleTimeout, 600, 1, 86400),
    },
    components: { port: port('components.port', components.port, 5347), secrets },
    registration: {
      open: bool('registration.open', registration.open, false),
      throttle: int('registration.throttle', registration.throttle, 5, 0, 1_000_000),
    },
    limits: {
      maxStanzaBytes,
      // Before authentication (c2s SASL, s2s dialback or SASL, component handshake), like Prosody's 10 kB.
      maxStanzaBytesPreAuth: int('limits.maxStanzaBytesPreAuth', limits.maxStanzaBytesPreAuth, 10_000, 1024, maxStanzaBytes),
      offlineMessages: int('limits.offlineMessages', limits.offlineMessages, 1000, 0, 1_000_000),
      rosterItems: int('limits.rosterItems', limits.rosterItems, 1000, 1, 1_000_000),
      // XEP-0198 §5: how long a dropped session waits to be resumed (the `max` of <enabled/>).
      resumeSeconds: int('limits.resumeSeconds', limits.resumeSeconds, 300, 1, 86400),
      c2s: rateLimit('c2s', 10 * 1024),
      s2s: rateLimit('s2s', 30 * 1024),
      unlimitedJids,
      connectionsPerIp: int('limits.connectionsPerIp', limits.connectionsPerIp, 100, 1, 10_000_000),
      connections: int('limits.connections', limits.connections, 100_000, 1, 10_000_000),
      negotiationSeconds: int('limits.negotiationSeconds', limits.negotiationSeconds, 60, 1, 3600),
      idleSeconds: int('limits.idleSeconds', limits.idleSeconds, 300, 1, 86400),
      // Prosody's pubsub_max_items: what "max" means for a node, and the most a configuration may ask.
      pepItems: int('limits.pepItems', limits.pepItems, 256, 1, 100_000),
    },
    metrics: {
      port: metrics.port === undefined ? null : port('metrics.port', metrics.port, 0),
      listen: str('metrics.listen', metrics.listen, '127.0.0.1'),
    },
    call: {
      enabled: bool('call.enabled', call.enabled, true),
      domain: str('call.domain', call.domain, `call.${domain}`),
      maxParticipants: int('call.maxParticipants', call.maxParticipants, 8, 2, 100),
      lastN: parseLastN('call.lastN', call.lastN, c),
      archiveDays: int('call.archiveDays', call.archiveDays, 365, 0, 36_500),
      maxRoomsPerUser: int('call.maxRoomsPerUser', call.maxRoomsPerUser, 100, 0, 1_000_000),
      media: {
        portMin, portMax, publicAddress: optStr('call.media.publicAddress', (media as Record<string, unknown>).publicAddress),
        workers,
        spreadAbove,
        tcpPort,
      },
    },
    log: { level: level as CarillonConfig['log']['level'] },
    modules: Object.fromEntries(sections.map((s) => [s.key, s.parse(raw[s.key], c)])),
  };
}

/** Reads a config file (or ./carillon.json when present, else defaults). */
export function loadConfig(file?: string, sections: readonly ConfigSection[] = []): CarillonConfig {
  const path = file ? resolve(file) : resolve('carillon.json');
  if (!file && !existsSync(path)) return resolveConfig({}, undefined, undefined, sections);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError('(file)', `cannot read: ${(e as Error).message}`, path);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('(file)', `not valid JSON: ${(e as Error).message}`, path);
  }
  return resolveConfig(parsed, path, resolve(path, '..'), sections);
}
