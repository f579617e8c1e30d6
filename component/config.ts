// The "component" section of a JSON config file for `carillon component --config FILE`,
// validated up front with the same checks as the server's config (xmpp/config-checks.ts): an error
// names the key and the file.
import { ConfigError, checks, isObject } from '../xmpp/config-checks.js';
import { parseTurnSettings } from '../xmpp/turn-credentials.js';
import type { CallComponentOptions } from './options.js';
import { parseLastN } from './calls/last-n.js';

/** The error of a bad component config: the same class as the server's, naming key and file. */
export { ConfigError as ComponentConfigError };

/**
 * Keys (all under "component"): service (e.g. "xmpp://127.0.0.1:5347") or host + port; domain;
 * secret; dataDir; maxParticipants; lastN (n, threshold: calls/last-n.ts); archiveDays; maxRoomsPerUser; media.portMin, media.portMax, media.publicAddress, media.bindAddress,
 * media.inactivityTimeoutMs, media.workers, media.tcpPort; turn (host, port, tlsPort, secret, ttl, transports: the server's `turn` key,
 * see docs/nat.md).
 */
export function parseComponentConfig(json: unknown, file: string): CallComponentOptions {
  const c = checks(file);
  if (!isObject(json)) return c.fail('(root)', 'must be a JSON object');
  const s = json.component;
  if (!isObject(s)) return c.fail('component', 'must be an object with the component settings');
  c.only('component', s, ['service', 'host', 'port', 'domain', 'secret', 'dataDir', 'maxParticipants', 'media', 'turn', 'archiveDays', 'maxRoomsPerUser', 'lastN']);
  const optStr = (key: string, v: unknown): string | undefined => c.optStr(key, v) ?? undefined;
  let service = optStr('component.service', s.service);
  if (service !== undefined && !/^xmpp:\/\/[^/]+:\d+$/.test(service)) c.fail('component.service', 'must look like xmpp://host:port');
  if (service === undefined) {
    const host = c.str('component.host', s.host, '127.0.0.1');
    const port = c.int('component.port', s.port, 5347, 1, 65535);
    service = `xmpp://${host}:${port}`;
  } else if (s.host !== undefined || s.port !== undefined) {
    c.fail('component.service', 'cannot be combined with host/port');
  }
  const domain = c.required('component.domain', s.domain);
  if (!/^[a-z0-9.-]+$/i.test(domain) || domain.startsWith('.') || domain.endsWith('.')) c.fail('component.domain', 'must be a domain name');
  const secret = c.required('component.secret', s.secret);
  const dataDir = optStr('component.dataDir', s.dataDir);
  const maxParticipants = c.optInt('component.maxParticipants', s.maxParticipants, 0, 1000);
  const archiveDays = c.optInt('component.archiveDays', s.archiveDays, 0, 36_500);
  const maxRoomsPerUser = c.optInt('component.maxRoomsPerUser', s.maxRoomsPerUser, 0, 1_000_000);
  let media: CallComponentOptions['media'];
  if (s.media !== undefined) {
    const m = c.section('component.media', s.media);
    c.only('component.media', m, ['portMin', 'portMax', 'publicAddress', 'bindAddress', 'inactivityTimeoutMs', 'workers', 'spreadAbove', 'tcpPort']);
    const portMin = c.optInt('component.media.portMin', m.portMin, 1024, 65535);
    const portMax = c.optInt('component.media.portMax', m.portMax, 1024, 65535);
    if ((portMin === undefined) !== (portMax === undefined)) {
      c.fail(portMin === undefined ? 'component.media.portMin' : 'component.media.portMax', 'must be given together with the other end of the range');
    }
    if (portMin !== undefined && portMax !== undefined && portMax < portMin) c.fail('component.media.portMax', 'must not be below media.portMin');
    media = {
      portMin,
      portMax,
      publicAddress: optStr('component.media.publicAddress', m.publicAddress),
      bindAddress: optStr('component.media.bindAddress', m.bindAddress),
      inactivityTimeoutMs: c.optInt('component.media.inactivityTimeoutMs', m.inactivityTimeoutMs, 1000, 600000),
    };
    // Data-plane worker threads; absent: one per core (os.availableParallelism()); 0: media in-process.
    const workers = c.optInt('component.media.workers', m.workers, 0, 256);
    if (workers !== undefined) media.workers = workers;
    const spreadAbove = c.optInt('component.media.spreadAbove', m.spreadAbove, 1, 100_000);
    if (spreadAbove !== undefined) media.spreadAbove = spreadAbove;
    const tcpPort = c.optInt('component.media.tcpPort', m.tcpPort, 1, 65535);
    if (tcpPort !== undefined) {
      // werift's own per-connection TCP listeners take ports of the media range
      if (portMin !== undefined && portMax !== undefined && tcpPort >= portMin && tcpPort <= portMax) c.fail('component.media.tcpPort', 'must lie outside media.portMin..media.portMax');
      // The TCP listener lives in the one worker thread that holds all the media: Node 20 cannot
      // share a listening port between threads nor hand a thread an accepted socket (docs/nat.md).
      if (workers !== undefined && workers > 1) c.fail('component.media.workers', 'must be 0 or 1 with media.tcpPort (one worker thread holds the TCP listener and all the media)');
      media.workers = workers ?? 1;
      media.tcpPort = tcpPort;
    }
  }
  const turn = s.turn === undefined ? undefined : parseTurnSettings(s.turn, 'component.turn', c);
  const lastN = s.lastN === undefined ? undefined : parseLastN('component.lastN', s.lastN, c);
  return { service, domain: domain.toLowerCase(), secret, dataDir, maxParticipants, media, turn, archiveDays, maxRoomsPerUser, ...(lastN ? { lastN } : {}) };
}
