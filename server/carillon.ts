// The handle of a running Carillon, as startCarillon() (index.ts) returns it and federation/ and
// the command line use it. Types only, so that federation/ does not import index.ts, which starts it.
import type { CarillonConfig } from './config.js';
import type { Logger } from './log.js';
import type { XmppServer } from './core/server.js';
import type { TlsMaterial } from './tls.js';
import type { ConnectionLimits } from './transport/connection-limits.js';

export interface CarillonPorts {
  http: number | null;
  https: number | null;
  c2s: number | null;
  c2sDirectTls: number | null;
  s2s: number | null;
  components: number | null;
  /** The /metrics listener (config `metrics.port`). */
  metrics: number | null;
}

export interface Carillon {
  config: CarillonConfig;
  server: XmppServer;
  ports: CarillonPorts;
  /** Connections counted against limits.connectionsPerIp and limits.connections (clients, incoming servers). */
  connections: ConnectionLimits;
  log: Logger;
  /** The certificate in use (configured or self-signed), for other listeners such as s2s. */
  tls: TlsMaterial;
  users: {
    add(jid: string, password: string): Promise<void>;
    remove(jid: string): Promise<boolean>;
    setPassword(jid: string, password: string): Promise<void>;
  };
  /** Registers more closing work (the call component, federation) to run on close(). */
  onClose(fn: () => Promise<void> | void): void;
  close(): Promise<void>;
}
