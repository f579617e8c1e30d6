// Where to connect for a remote domain (RFC 6120 §3.2, XEP-0368): a pinned address from
// `s2s.hosts`, else SRV records of _xmpps-server._tcp (direct TLS) and _xmpp-server._tcp (STARTTLS)
// merged by priority and weight, else the domain itself on port 5269.
import { Resolver, lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface Endpoint {
  host: string;
  port: number;
  /** XEP-0368: TLS from the first byte instead of STARTTLS. */
  directTls: boolean;
}

interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

export class NoSuchServiceError extends Error {
  constructor(domain: string) {
    super(`${domain} offers no XMPP server service (SRV target ".")`);
    this.name = 'NoSuchServiceError';
  }
}

/** "host:port" or "[v6]:port", as checked by the config. */
export function parsePin(addr: string): Endpoint {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(addr) ?? /^([^:]+):(\d+)$/.exec(addr);
  if (!m) throw new Error(`not host:port: ${addr}`);
  return { host: m[1]!, port: Number(m[2]), directTls: false };
}

/**
 * RFC 2782 ordering: ascending priority; within a priority, a weighted random order. XEP-0368 §3:
 * at equal priority and weight, direct TLS first.
 */
export function orderSrv(records: (SrvRecord & { directTls: boolean })[], random: () => number = Math.random): Endpoint[] {
  const byPriority = new Map<number, (SrvRecord & { directTls: boolean })[]>();
  for (const r of records) {
    const list = byPriority.get(r.priority) ?? [];
    list.push(r);
    byPriority.set(r.priority, list);
  }
  const out: Endpoint[] = [];
  for (const prio of [...byPriority.keys()].sort((a, b) => a - b)) {
    const pool = byPriority.get(prio)!.sort((a, b) => Number(b.directTls) - Number(a.directTls));
    while (pool.length) {
      const total = pool.reduce((s, r) => s + r.weight, 0);
      let pick = 0;
      if (total > 0) {
        let n = random() * total;
        pick = pool.findIndex((r) => (n -= r.weight) < 0);
        if (pick < 0) pick = pool.length - 1;
      }
      const [r] = pool.splice(pick, 1);
      out.push({ host: r!.name, port: r!.port, directTls: r!.directTls });
    }
  }
  return out;
}

export interface ResolveOptions {
  pins: Record<string, string>;
  /** DNS servers ("127.0.0.1:5300"); the system's when absent. */
  dnsServers?: string[];
}

/** The endpoints to try, in order. Throws NoSuchServiceError when the domain says it has none. */
export async function resolveServer(domain: string, opts: ResolveOptions): Promise<Endpoint[]> {
  const pin = opts.pins[domain];
  if (pin) return [parsePin(pin)];
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  if (opts.dnsServers?.length) resolver.setServers(opts.dnsServers);
  const lookup = async (service: string, directTls: boolean) => {
    try {
      return (await resolver.resolveSrv(`${service}._tcp.${domain}`)).map((r) => ({ ...r, directTls }));
    } catch {
      return [];
    }
  };
  const records = [...(await lookup('_xmpps-server', true)), ...(await lookup('_xmpp-server', false))];
  // RFC 2782: a single record with target "." means the service is decidedly not available.
  if (records.length === 1 && (records[0]!.name === '' || records[0]!.name === '.')) throw new NoSuchServiceError(domain);
  const usable = records.filter((r) => r.name !== '' && r.name !== '.');
  if (usable.length) return orderSrv(usable);
  // RFC 6120 §3.2.2: no SRV records — the domain's own addresses on the default port.
  return [{ host: domain, port: 5269, directTls: false }];
}

/** The A/AAAA addresses of a host (an SRV target or the domain itself). */
export async function addressesOf(host: string, opts: Pick<ResolveOptions, 'dnsServers'>): Promise<string[]> {
  if (isIP(host)) return [host];
  if (!opts.dnsServers?.length) return (await lookup(host, { all: true })).map((a) => a.address);
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  resolver.setServers(opts.dnsServers);
  const settle = async (p: Promise<string[]>) => p.catch(() => [] as string[]);
  const found = [...(await settle(resolver.resolve4(host))), ...(await settle(resolver.resolve6(host)))];
  if (!found.length) throw new Error(`${host} has no A or AAAA record`);
  return found;
}
