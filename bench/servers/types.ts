import type { Target } from '../load/session.js';

export type ServerName = 'carillon' | 'prosody' | 'ejabberd';

export interface Ports {
  c2s: number;
  s2s: number;
  http: number;
  components: number;
}

/** A server under test, started fresh for one benchmark run. */
export interface BenchServer {
  readonly name: ServerName;
  /** product and version as reported by the package or the server */
  version: string;
  /** the process whose tree is measured (RSS, CPU) */
  pid: number;
  target: Target;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** settings that differ from the defaults, for the report */
  notes: string[];
}

export interface ServerOptions {
  workDir: string;
  domain: string;
  ports: Ports;
  log: (s: string) => void;
  /** when set, Carillon runs with --cpu-prof and writes profiles and heap snapshots here */
  profileDir?: string;
}

/** What the load generator connects to: c2s on loopback and the server's WebSocket endpoint. */
export function targetFor(o: ServerOptions): Target {
  return { domain: o.domain, host: '127.0.0.1', c2sPort: o.ports.c2s, wsUrl: `ws://127.0.0.1:${o.ports.http}/xmpp-websocket` };
}
