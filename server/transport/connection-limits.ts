// Counting connections per remote address and in all (limits.connectionsPerIp, limits.connections),
// so that one address cannot take every socket the process may hold. Refusals are logged once per
// address per minute, not once per connection.
import type { Logger } from '../log.js';

const LOG_EVERY_MS = 60_000;

export interface ConnectionGate {
  /** Counts a connection from `ip`; false (nothing counted) when a limit is reached. */
  admit(ip: string, kind: 'c2s' | 's2s'): boolean;
  release(ip: string): void;
}

export class ConnectionLimits implements ConnectionGate {
  private readonly byIp = new Map<string, number>();
  private total = 0;
  private readonly logged = new Map<string, number>();

  constructor(
    private readonly max: { perIp: number; total: number },
    private readonly log?: Logger,
  ) {}

  /** Connections counted now (for tests and monitoring). */
  get count(): number {
    return this.total;
  }

  countFor(ip: string): number {
    return this.byIp.get(ip) ?? 0;
  }

  /** Server-to-server connections count towards the total only: one peer may carry many domains. */
  admit(ip: string, kind: 'c2s' | 's2s' = 'c2s'): boolean {
    const n = this.byIp.get(ip) ?? 0;
    if (this.total >= this.max.total) return this.refused(ip, `the server holds limits.connections (${this.max.total}) connections`);
    if (kind === 'c2s' && n >= this.max.perIp) return this.refused(ip, `the address holds limits.connectionsPerIp (${this.max.perIp}) connections`);
    this.total++;
    this.byIp.set(ip, n + 1);
    return true;
  }

  release(ip: string): void {
    const n = this.byIp.get(ip);
    if (n === undefined) return;
    this.total--;
    if (n <= 1) this.byIp.delete(ip);
    else this.byIp.set(ip, n - 1);
  }

  private refused(ip: string, why: string): false {
    const now = Date.now();
    const last = this.logged.get(ip);
    if (last === undefined || now - last >= LOG_EVERY_MS) {
      // Forget addresses not refused for a minute, so that the map stays small.
      for (const [k, t] of this.logged) if (now - t >= LOG_EVERY_MS) this.logged.delete(k);
      this.logged.set(ip, now);
      this.log?.warn({ ip }, `connection refused: ${why} (logged once a minute per address)`);
    }
    return false;
  }
}
