// XEP-0215: External Service Discovery, version 2 (`urn:xmpp:extdisco:2`, what Conversations asks
// for). The account's server lists its STUN/TURN services; they become the RTCPeerConnection's
// iceServers. Without any, host candidates still connect peers on one LAN.
import type { Agent } from 'stanza';
import type { ExternalService } from 'stanza/protocol/index.js';

export const NS_EXTDISCO = 'urn:xmpp:extdisco:2';

/** Maps XEP-0215 §3 service entries to WebRTC ICE servers (RFC 7064/7065 URIs). */
export function iceServersFromServices(services: readonly ExternalService[]): RTCIceServer[] {
  const out: RTCIceServer[] = [];
  for (const s of services) {
    if (!s.host || (s.type !== 'stun' && s.type !== 'stuns' && s.type !== 'turn' && s.type !== 'turns')) continue;
    const host = s.host.includes(':') && !s.host.startsWith('[') ? `[${s.host}]` : s.host;
    let url = `${s.type}:${host}${s.port ? `:${s.port}` : ''}`;
    if ((s.type === 'turn' || s.type === 'turns') && s.transport) url += `?transport=${s.transport}`;
    const server: RTCIceServer = { urls: url };
    if (s.username) server.username = s.username;
    if (s.password) server.credential = s.password;
    // A TURN entry without credentials is useless to a browser (RFC 8656 requires authentication).
    if ((s.type === 'turn' || s.type === 'turns') && !(s.username && s.password)) continue;
    out.push(server);
  }
  return out;
}

/** Asks the account's server (§3.1 "all services"); a server without XEP-0215 yields []. */
export async function discoverIceServers(client: Agent, domain: string): Promise<RTCIceServer[]> {
  try {
    const resp = await client.getServices(domain, undefined, '2');
    return iceServersFromServices(resp.services ?? []);
  } catch {
    return [];
  }
}
