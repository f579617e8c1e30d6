// The "component" section of a JSON config file for `carillon component --config FILE`,
// validated up front: an error names the key and the file.
import { parseTurnSettings } from '../xmpp/turn-credentials.js';
import type { CallComponentOptions } from './options.js';

export class ComponentConfigError extends Error {
  constructor(readonly key: string, readonly file: string, problem: string) {
    super(`${file}: "${key}" ${problem}`);
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Keys (all under "component"): service (e.g. "xmpp://127.0.0.1:5347") or host + port; domain;
 * secret; dataDir; maxParticipants; media.portMin, media.portMax, media.publicAddress, media.bindAddress,
 * media.inactivityTimeoutMs; turn (host, port, tlsPort, secret, ttl, transports: the server's `turn` key,
 * see docs/nat.md).
 */
export function parseComponentConfig(json: unknown, file: string): CallComponentOptions {
  const fail = (key: string, problem: string): never => { throw new ComponentConfigError(key, file, problem); };
  if (!isObj(json)) fail('(root)', 'must be a JSON object');
  const c = (json as Obj).component;
  if (!isObj(c)) return fail('component', 'must be an object with the component settings');
  const known = ['service', 'host', 'port', 'domain', 'secret', 'dataDir', 'maxParticipants', 'media', 'turn'];
  for (const k of Object.keys(c)) if (!known.includes(k)) fail(`component.${k}`, `is not a known setting (known: ${known.join(', ')})`);
  const str = (key: string, v: unknown, required: boolean): string | undefined => {
    if (v === undefined) return required ? fail(`component.${key}`, 'is required') : undefined;
    if (typeof v !== 'string' || v === '') return fail(`component.${key}`, 'must be a non-empty string');
    return v;
  };
  const int = (key: string, v: unknown, min: number, max: number): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return fail(`component.${key}`, `must be an integer from ${min} to ${max}`);
    return v;
  };
  let service = str('service', c.service, false);
  if (service !== undefined && !/^xmpp:\/\/[^/]+:\d+$/.test(service)) fail('component.service', 'must look like xmpp://host:port');
  if (service === undefined) {
    const host = str('host', c.host, false) ?? '127.0.0.1';
    const port = int('port', c.port, 1, 65535) ?? 5347;
    service = `xmpp://${host}:${port}`;
  } else if (c.host !== undefined || c.port !== undefined) {
    fail('component.service', 'cannot be combined with host/port');
  }
  const domain = str('domain', c.domain, true)!;
  if (!/^[a-z0-9.-]+$/i.test(domain) || domain.startsWith('.') || domain.endsWith('.')) fail('component.domain', 'must be a domain name');
  const secret = str('secret', c.secret, true)!;
  const dataDir = str('dataDir', c.dataDir, false);
  const maxParticipants = int('maxParticipants', c.maxParticipants, 0, 1000);
  let media: CallComponentOptions['media'];
  if (c.media !== undefined) {
    if (!isObj(c.media)) return fail('component.media', 'must be an object');
    const m = c.media;
    for (const k of Object.keys(m)) if (!['portMin', 'portMax', 'publicAddress', 'bindAddress', 'inactivityTimeoutMs'].includes(k)) fail(`component.media.${k}`, 'is not a known setting');
    const portMin = int('media.portMin', m.portMin, 1024, 65535);
    const portMax = int('media.portMax', m.portMax, 1024, 65535);
    if ((portMin === undefined) !== (portMax === undefined)) fail(portMin === undefined ? 'component.media.portMin' : 'component.media.portMax', 'must be given together with the other end of the range');
    if (portMin !== undefined && portMax !== undefined && portMax < portMin) fail('component.media.portMax', 'must not be below media.portMin');
    media = {
      portMin, portMax, publicAddress: str('media.publicAddress', m.publicAddress, false), bindAddress: str('media.bindAddress', m.bindAddress, false),
      inactivityTimeoutMs: int('media.inactivityTimeoutMs', m.inactivityTimeoutMs, 1000, 600000),
    };
  }
  const turn = c.turn === undefined ? undefined : parseTurnSettings(c.turn, 'component.turn', (key, problem) => fail(key, problem));
  return { service, domain: domain.toLowerCase(), secret, dataDir, maxParticipants, media, turn };
}
