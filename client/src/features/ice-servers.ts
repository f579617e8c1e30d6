// The STUN/TURN servers every call uses, kept fresh. The account's server hands out TURN REST
// credentials through XEP-0215 with an `expires` attribute (§3.1); a call may outlive them. So
// the list is asked for again before they expire, and the new credentials go to every live peer
// connection (1:1 and room calls) with RTCPeerConnection.setConfiguration (W3C webrtc-pc §4.4.1.6:
// the ICE agent uses new iceServers from the next gathering on, e.g. an ICE restart). The
// credentials live only in this memory and in the peer connections: never in the page's DOM or storage.
import type { Agent } from 'stanza';
import { iceServersFromServices } from '../protocol/xep0215-extdisco.js';

export interface IceServerList {
  servers: RTCIceServer[];
  /** When the earliest credential expires (ms since the epoch), if the server said. */
  expires?: number;
}

/** Asks `domain` for all services (XEP-0215 §3.1); undefined when there was no answer (error, timeout). */
export async function fetchIceServers(client: Agent, domain: string): Promise<IceServerList | undefined> {
  try {
    const resp = await client.getServices(domain, undefined, '2');
    const services = resp.services ?? [];
    const times = services
      .filter((s) => (s.type === 'turn' || s.type === 'turns') && s.expires instanceof Date && !Number.isNaN(s.expires.getTime()))
      .map((s) => s.expires!.getTime());
    return { servers: iceServersFromServices(services), ...(times.length ? { expires: Math.min(...times) } : {}) };
  } catch {
    return undefined;
  }
}

/** The shortest wait before asking again: a server whose credentials are already stale is not hammered. */
export const MIN_REFRESH_MS = 5_000;
/** A server whose credentials came back expired (its clock is behind the relay's?) is asked again after this. */
export const STALE_RETRY_MS = 60_000;

/**
 * When to ask again, given when the credentials expire: once three quarters of their remaining
 * life has passed, so that a request that takes a while or a tab throttled in the background
 * still gets new ones before the old ones stop working. Undefined: they do not expire.
 */
export function refreshDelay(expires: number | undefined, now: number): number | undefined {
  if (expires === undefined) return undefined;
  const left = expires - now;
  if (left <= 0) return STALE_RETRY_MS;
  return Math.max(MIN_REFRESH_MS, Math.floor(left * 0.75));
}

/** Gives a live peer connection the new servers; a closed one, or one that refuses, is left as it is. */
export function applyIceServers(pc: RTCPeerConnection, servers: RTCIceServer[]): boolean {
  if (pc.signalingState === 'closed') return false;
  try {
    pc.setConfiguration({ ...pc.getConfiguration(), iceServers: servers });
    return true;
  } catch {
    return false; // e.g. an implementation that rejects a change it considers a modification
  }
}

export interface IceServerKeeper {
  /** Asks now and then before each expiry, until stopped. Resolves after the first answer. */
  start(): Promise<void>;
  stop(): void;
}

/**
 * Keeps the Jingle session manager's ICE servers (what new calls get) and those of its live
 * sessions (1:1 MediaSessions and room calls alike are sessions of client.jingle) up to date.
 */
export function keepIceServers(client: Agent, domain: () => string): IceServerKeeper {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  /** Whether the server answered before: then a request without an answer keeps what we have. */
  let had = false;

  const refresh = async (): Promise<void> => {
    const got = await fetchIceServers(client, domain());
    if (!running) return;
    clearTimeout(timer);
    if (!got && had) {
      // no answer this time (a reconnect, a slow server): the credentials we have may still be
      // good for a while, so keep them and ask again later
      timer = setTimeout(() => void refresh(), STALE_RETRY_MS);
      return;
    }
    // a server without XEP-0215 answers with an error: no servers, and nothing to renew
    const list = got ?? { servers: [] };
    had = got !== undefined;
    const manager = client.jingle;
    manager.resetICEServers();
    for (const s of list.servers) manager.addICEServer(s);
    for (const s of Object.values(manager.sessions)) {
      const pc = (s as { pc?: RTCPeerConnection }).pc;
      if (pc && s.state !== 'ended') applyIceServers(pc, list.servers);
    }
    const delay = refreshDelay(list.expires, Date.now());
    if (delay !== undefined) timer = setTimeout(() => void refresh(), delay);
  };

  return {
    async start() {
      running = true;
      await refresh();
    },
    stop() {
      running = false;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
