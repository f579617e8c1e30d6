// TURN relay settings and the short-term credentials of the "TURN REST API"
// (draft-uberti-behave-turn-rest-00 §2.2), which coturn (`use-auth-secret` + `static-auth-secret`)
// and eturnal (`secret`) check without any per-user state:
//
//   username = "<expiry>:<user>"        expiry in seconds since the Unix epoch
//   password = base64(HMAC-SHA1(secret, username))
//
// The relay refuses the username once `expiry` has passed. <user> is the requester's bare JID
// (user@domain), so that the relay's logs name the account and two servers sharing one relay do not
// hand out the same username. Used by the server (server/modules/extdisco.ts) and by the call
// component (component/service.ts); both announce the services through xmpp/extdisco.ts.
import { isObject, type Checks } from './config-checks.js';
import { createHmac } from 'node:crypto';

/** The `turn` settings: one relay (coturn, eturnal) that serves STUN and TURN. */
export interface TurnSettings {
  /** The relay's public name or address, as clients reach it. */
  host: string;
  /** STUN and TURN over UDP/TCP (default 3478). */
  port: number;
  /** TURN over TLS ("turns"), when the relay has a certificate (usually 5349 or 443). */
  tlsPort?: number;
  /** The relay's shared secret (coturn's static-auth-secret). */
  secret: string;
  /** Seconds a credential stays valid (default 86400). */
  ttl: number;
  /** Transports of the plain "turn" entries (default udp and tcp). */
  transports: ('udp' | 'tcp')[];
}

export interface TurnCredentials {
  username: string;
  password: string;
  /** Expiry, seconds since the Unix epoch (the username's prefix). */
  expires: number;
}

/** The TURN REST credentials of `user` valid until `expires` (seconds since the epoch). */
export function turnRestCredentials(secret: string, user: string, expires: number): TurnCredentials {
  if (!Number.isInteger(expires)) throw new RangeError('expires must be whole seconds since the epoch');
  const username = `${expires}:${user}`;
  const password = createHmac('sha1', secret).update(username, 'utf8').digest('base64');
  return { username, password, expires };
}

/** An XEP-0215 <service/> entry. */
export interface ExternalService {
  type: string;
  host: string;
  port?: number;
  transport?: string;
  username?: string;
  password?: string;
  /** Seconds since the epoch. */
  expires?: number;
  restricted?: boolean;
}

/**
 * The services of one relay for one user: STUN over UDP on `port`, TURN on `port` for each
 * transport, and TURNS over TCP on `tlsPort` when set, the TURN ones with fresh credentials.
 */
export function turnServices(turn: TurnSettings, user: string, nowMs = Date.now()): ExternalService[] {
  const cred = turnRestCredentials(turn.secret, user, Math.floor(nowMs / 1000) + turn.ttl);
  const relay = { host: turn.host, restricted: true, username: cred.username, password: cred.password, expires: cred.expires };
  const out: ExternalService[] = [{ type: 'stun', host: turn.host, port: turn.port, transport: 'udp' }];
  for (const transport of turn.transports) out.push({ type: 'turn', port: turn.port, transport, ...relay });
  if (turn.tlsPort !== undefined) out.push({ type: 'turns', port: turn.tlsPort, transport: 'tcp', ...relay });
  return out;
}

const KEYS = ['host', 'port', 'tlsPort', 'secret', 'ttl', 'transports'];
const TRANSPORTS = ['udp', 'tcp'] as const;

/**
 * Checks a `turn` object: `key` is its dotted name ("turn", "component.turn"), and errors name the
 * key below it ("turn.secret") through the caller's checks. host and secret are required.
 */
export function parseTurnSettings(raw: unknown, key: string, c: Checks): TurnSettings {
  if (!isObject(raw)) return c.fail(key, 'must be an object with host and secret');
  c.only(key, raw, KEYS);
  const host = c.required(`${key}.host`, raw.host);
  if (/[\s/]|:\/\//.test(host)) c.fail(`${key}.host`, 'must be a host name or an IP address (no scheme, port or path)');
  const secret = c.required(`${key}.secret`, raw.secret);
  const port = c.int(`${key}.port`, raw.port, 3478, 1, 65535);
  const tlsPort = c.optInt(`${key}.tlsPort`, raw.tlsPort, 1, 65535);
  // As short as 10 s: clients ask again before `expires` (the web client does), so a short ttl only
  // costs requests; it limits how long a leaked credential is any use.
  const ttl = c.int(`${key}.ttl`, raw.ttl, 86400, 10, 30 * 86400);
  let transports: TurnSettings['transports'] = ['udp', 'tcp'];
  if (raw.transports !== undefined) {
    const v = raw.transports;
    if (!Array.isArray(v) || v.length === 0) return c.fail(`${key}.transports`, 'must be a non-empty list of "udp" and "tcp"');
    v.forEach((s, i) => {
      if (!TRANSPORTS.includes(s as 'udp')) c.fail(`${key}.transports[${i}]`, 'must be "udp" or "tcp"');
      if (v.indexOf(s) !== i) c.fail(`${key}.transports[${i}]`, `"${String(s)}" is listed twice`);
    });
    transports = v as TurnSettings['transports'];
  }
  return { host, port, ...(tlsPort === undefined ? {} : { tlsPort }), secret, ttl, transports };
}
