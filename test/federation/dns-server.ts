// A tiny authoritative DNS server on loopback for test domains (npm dns2), so that a real peer
// (Prosody, which has no way to pin a domain to an address) can find our s2s port by SRV.
// Answers A for a zone and its subdomains, SRV _xmpp-server._tcp for them (components are verified
// by dialback too), and NXDOMAIN for anything else.
import dns2 from 'dns2';
import { freePort } from '../support/ports.js';

const { Packet } = dns2;
type Answer = Parameters<InstanceType<typeof Packet>['answers']['push']>[0];

export interface Zone {
  ip: string;
  s2sPort: number;
  /** XEP-0368 direct TLS port, published as _xmpps-server._tcp. */
  s2sTlsPort?: number;
  /** RFC 6120 §3.2.1 client port, published as _xmpp-client._tcp (for clients without a port setting, e.g. Dino). */
  c2sPort?: number;
  /** The SRV target host; the queried domain itself when absent. */
  srvTarget?: string;
}

export interface TestDns {
  port: number;
  zones: Record<string, Zone>;
  close(): Promise<void>;
}

/** Starts the server on a free loopback port (UDP and TCP), read back from `port`. */
export async function startDns(zones: Record<string, Zone>): Promise<TestDns> {
  const port = await freePort();
  const zoneFor = (name: string): [string, Zone] | undefined => {
    for (const [d, z] of Object.entries(zones)) if (name === d || name.endsWith(`.${d}`)) return [d, z];
    return undefined;
  };
  const server = dns2.createServer({
    udp: true,
    tcp: true,
    handle: (request, send) => {
      const res = Packet.createResponseFromRequest(request);
      const q = request.questions[0]!;
      if (process.env.DNS_DEBUG) console.log('dns query', JSON.stringify(request.header), JSON.stringify(request.questions), request.additionals?.length);
      const name = q.name.replace(/\.$/, '').toLowerCase();
      const found = zoneFor(name);
      if (!found) {
        res.header.rcode = 3;
        return send(res);
      }
      const [, z] = found;
      const target = z.srvTarget ?? name.replace(/^_xmpps?-(server|client)\._tcp\./, '');
      res.header.aa = 1;
      if (q.type === Packet.TYPE.A && !name.startsWith('_')) res.answers.push({ name: q.name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 5, address: z.ip } as Answer);
      if (q.type === Packet.TYPE.SRV && name.startsWith('_xmpp-server._tcp.')) {
        res.answers.push({ name: q.name, type: Packet.TYPE.SRV, class: Packet.CLASS.IN, ttl: 5, priority: 0, weight: 0, port: z.s2sPort, target } as Answer);
      }
      if (q.type === Packet.TYPE.SRV && name.startsWith('_xmpps-server._tcp.') && z.s2sTlsPort) {
        res.answers.push({ name: q.name, type: Packet.TYPE.SRV, class: Packet.CLASS.IN, ttl: 5, priority: 0, weight: 0, port: z.s2sTlsPort, target } as Answer);
      }
      if (q.type === Packet.TYPE.SRV && name.startsWith('_xmpp-client._tcp.') && z.c2sPort) {
        res.answers.push({ name: q.name, type: Packet.TYPE.SRV, class: Packet.CLASS.IN, ttl: 5, priority: 0, weight: 0, port: z.c2sPort, target } as Answer);
      }
      send(res);
    },
  });
  await server.listen({ udp: { port, address: '127.0.0.1' }, tcp: { port, address: '127.0.0.1' } });
  return { port, zones, close: () => server.close() };
}
