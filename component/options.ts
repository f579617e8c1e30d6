// The call component's options, apart from the code that uses them so that the media layer, the
// configuration parser and the entry point all import them from here.
import type { TurnSettings } from '../xmpp/turn-credentials.js';
import type { Logger } from './muc/context.js';
import type { LastNSettings } from './calls/last-n.js';

export type { TurnSettings } from '../xmpp/turn-credentials.js';

export interface MediaOptions {
  /** First UDP port for media (inclusive). */
  portMin?: number;
  /** Last UDP port for media (inclusive). */
  portMax?: number;
  /** The address advertised in ICE candidates (for NAT); defaults to the bound interface address. */
  publicAddress?: string;
  /** Local interface address to bind media sockets to; defaults to all IPv4 interfaces. */
  bindAddress?: string;
  /**
   * A connected participant from whom nothing (RTP or RTCP) arrives for this long is removed from
   * the call (default 15 s). ICE consent expiry (RFC 7675, 30 s) and DTLS close also remove it.
   */
  inactivityTimeoutMs?: number;
  /**
   * Data-plane worker threads (default: os.availableParallelism(); 1 with tcpPort, and no more
   * than 1 then); each room's media lives on one of them. 0 runs the media in the component's own
   * thread (no workers).
   */
  workers?: number;
  /**
   * A room's peers on its first worker before its next peers go to the least loaded worker, so
   * that one large room uses more than one core (forwarding between its workers: media/werift/
   * links.ts). Default 8, the default call cap: a default room stays on one worker.
   */
  spreadAbove?: number;
  /**
   * One TCP port for ICE over TCP (RFC 6544 passive candidates, RFC 4571 framing), shared by every
   * participant: for networks that let no UDP through (media/werift/ice-tcp.ts). Off when absent.
   * Its listener runs in the data plane's one worker thread (or in this thread with workers: 0).
   */
  tcpPort?: number;
}

export interface CallComponentOptions {
  /** The host server's component port, e.g. 'xmpp://127.0.0.1:5347'. */
  service: string;
  /** The component's domain, e.g. 'call.example.org'. */
  domain: string;
  secret: string;
  /**
   * Where rooms and their archives are kept (rooms.db, SQLite; a rooms.json of earlier versions is
   * imported once); without it rooms and archives live in memory only.
   */
  dataDir?: string;
  /** Archived room messages are removed after this many days (default 365); 0 keeps them forever. */
  archiveDays?: number;
  /** Rooms one user may own at a time; creating one more is refused (default 100; 0: no limit). */
  maxRoomsPerUser?: number;
  media?: MediaOptions;
  /** Maximum participants in one room's call; 0 for no limit (room occupancy is the room's own max users). */
  maxParticipants?: number;
  /** Last-N video in large calls (calls/last-n.ts): default { n: 6, threshold: 8 }; n 0 turns it off. */
  lastN?: LastNSettings;
  /**
   * A STUN/TURN relay the component announces for its own domain (XEP-0215), with TURN REST
   * credentials per user: the same settings as the server's `turn` key.
   */
  turn?: TurnSettings;
  log?: Logger;
}
