// XEP-0215: External Service Discovery — the <services/> (§3.1, §3.2) and <credentials/> (§3.3)
// requests, answered from a list of services, in both the current namespace and
// urn:xmpp:extdisco:1 for older clients (as Prosody's mod_external_services: the reply uses the
// request's namespace, and v1 clients get the attributes of v2 too). Who may ask is the caller's
// decision (server/modules/extdisco.ts, component/service.ts).
import { StanzaError } from './errors.js';
import { NS } from './namespaces.js';
import type { ExternalService } from './turn-credentials.js';
import { x, type Element } from './xml.js';

export const EXTDISCO_NAMESPACES = [NS.EXTDISCO, NS.EXTDISCO_1] as const;

/** XEP-0082 DateTime in UTC, whole seconds: 2024-05-01T12:00:00Z. */
export function xep0082DateTime(secondsSinceEpoch: number): string {
  return new Date(secondsSinceEpoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function serviceElement(s: ExternalService): Element {
  return x('service', {
    type: s.type,
    host: s.host,
    port: s.port,
    transport: s.transport,
    username: s.username,
    password: s.password,
    expires: s.expires === undefined ? undefined : xep0082DateTime(s.expires),
    restricted: s.restricted ? '1' : undefined,
  });
}

const sameHost = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * The result payload for an extdisco IQ get. `services` is called once per request, so that
 * credentials are made fresh each time. Throws StanzaError for what it refuses.
 */
export function answerExtdisco(payload: Element, services: () => ExternalService[]): Element {
  const ns = payload.attrs.xmlns as string;
  if (payload.name === 'services') {
    // §3.2: only the services of the requested type; the reply repeats the type (Example 4).
    const type = payload.attrs.type as string | undefined;
    const list = services().filter((s) => type === undefined || s.type === type);
    return x('services', { xmlns: ns, type }, list.map(serviceElement));
  }
  if (payload.name === 'credentials') {
    const wanted = payload.getChildren('service');
    if (wanted.length === 0) throw new StanzaError('bad-request', 'name the service: <service host="…" type="…"/>');
    const keys = wanted.map((w) => {
      const { host, type, port } = w.attrs as Record<string, string | undefined>;
      // §3.3: the <service/> "MUST include the 'host' and 'type' attributes"; port is optional.
      if (!host || !type) throw new StanzaError('bad-request', "a requested service needs 'host' and 'type'");
      if (port !== undefined && !/^\d{1,5}$/.test(port)) throw new StanzaError('bad-request', "'port' must be a port number");
      return { host, type, port: port === undefined ? undefined : Number(port) };
    });
    // Credentials only exist for restricted services (§3: 'restricted').
    const found = services().filter((s) => s.restricted && keys.some((k) => k.type === s.type && sameHost(k.host, s.host) && (k.port === undefined || k.port === s.port)));
    // §3.3: "If the server cannot obtain credentials at the service, it returns an appropriate
    // stanza error, such as <item-not-found/>".
    if (found.length === 0) throw new StanzaError('item-not-found', 'no such service with credentials');
    return x('credentials', { xmlns: ns }, found.map(serviceElement));
  }
  throw new StanzaError('service-unavailable');
}
