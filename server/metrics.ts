// The operator's view: GET /metrics in the Prometheus text exposition format (version 0.0.4), on a
// listener of its own (config `metrics.port`, bound to `metrics.listen`, loopback by default).
// It is not on the public HTTP port, where a reverse proxy on the same host would make every
// visitor look like a loopback client. Counters are kept by the streams as plain increments
// (core/metrics.ts); gauges are read here, when scraped.
import http from 'node:http';
import type { XmppServer } from './core/server.js';
import type { StreamKind } from './core/metrics.js';
import { ComponentSession } from './session/component.js';
import { listen, type Listener } from './transport/listeners.js';

export interface MetricsSources {
  server: XmppServer;
  /** Open server-to-server streams, when federation runs. */
  federation?: () => { incoming: number; outgoing: number };
  /** The in-process call service, when it runs. */
  calls?: () => { rooms: number; calls: number; participants: number };
}

/** Conditions that always appear (as 0 until they happen), so alerts need not wait for a first one. */
const CLOSE_CONDITIONS = ['connection-timeout', 'policy-violation'];

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

class Exposition {
  private out: string[] = [];

  metric(name: string, type: 'counter' | 'gauge', help: string, samples: [Record<string, string>, number][]): void {
    this.out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${label(v)}"`).join(',');
      this.out.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? value : 0}`);
    }
  }

  toString(): string {
    return this.out.join('\n') + '\n';
  }
}

export function renderMetrics(src: MetricsSources): string {
  const { server } = src;
  const m = server.metrics;
  const e = new Exposition();

  let tcp = 0;
  let websocket = 0;
  let bosh = 0;
  let hibernating = 0;
  for (const s of server.sessions.all()) {
    if (s.connection === 'websocket') websocket++;
    else if (s.connection === 'bosh') bosh++;
    else tcp++;
    if (s.hibernating) hibernating++;
  }
  const fed = src.federation?.() ?? { incoming: 0, outgoing: 0 };
  e.metric('carillon_sessions', 'gauge', 'Client sessions with a bound resource, and server and component streams, by transport.', [
    [{ transport: 'c2s_tcp' }, tcp],
    [{ transport: 'c2s_websocket' }, websocket],
    [{ transport: 'c2s_bosh' }, bosh],
    [{ transport: 's2s_in' }, fed.incoming],
    [{ transport: 's2s_out' }, fed.outgoing],
    // Attached XEP-0114 components only: services the server hosts itself (m.service) share the map.
    [{ transport: 'component' }, [...server.components.values()].filter((c) => c instanceof ComponentSession).length],
  ]);
  e.metric('carillon_sessions_hibernating', 'gauge', 'Client sessions whose connection dropped, waiting to be resumed (XEP-0198).', [[{}, hibernating]]);

  const kinds = Object.keys(m.streams) as StreamKind[];
  e.metric(
    'carillon_stanzas_total',
    'counter',
    'Stanzas received from and sent to peers, by kind of stream.',
    kinds.flatMap((k) => [
      [{ stream: k, direction: 'in' }, m.streams[k].stanzasIn] as [Record<string, string>, number],
      [{ stream: k, direction: 'out' }, m.streams[k].stanzasOut] as [Record<string, string>, number],
    ]),
  );
  e.metric(
    'carillon_streams_closed_total',
    'counter',
    'Streams the server closed with a stream error, by condition (connection-timeout: a timeout; policy-violation: a limit, or a peer that stopped reading).',
    kinds.flatMap((k) => {
      const closed = m.streams[k].closedWith;
      const conditions = [...new Set([...CLOSE_CONDITIONS, ...Object.keys(closed)])].sort();
      return conditions.map((c) => [{ stream: k, condition: c }, closed[c] ?? 0] as [Record<string, string>, number]);
    }),
  );
  e.metric('carillon_rate_limit_pauses_total', 'counter', 'Times a stream stopped reading for a while to keep to its rate limit (limits.c2s, limits.s2s), by kind of stream.', kinds.map((k) => [{ stream: k }, m.streams[k].throttled]));
  e.metric('carillon_streams_rate_limited', 'gauge', 'Streams not reading right now because they are over their rate limit, by kind of stream.', kinds.map((k) => [{ stream: k }, m.streams[k].paused]));
  e.metric('carillon_unacked_stanzas_total', 'counter', 'Unacknowledged stanzas of sessions that ended without resumption (XEP-0198): messages delivered again, IQs answered with an error, the rest dropped.', [
    [{ outcome: 'message' }, m.unacked.messages],
    [{ outcome: 'iq_error' }, m.unacked.iqErrors],
    [{ outcome: 'dropped' }, m.unacked.dropped],
  ]);

  const offline = server.storage.offline.total();
  e.metric('carillon_offline_messages', 'gauge', 'Messages in offline storage, for all users.', [[{}, offline.messages]]);
  e.metric('carillon_offline_bytes', 'gauge', 'Size of the messages in offline storage, serialized.', [[{}, offline.bytes]]);
  e.metric('carillon_offline_messages_max', 'gauge', 'Messages in the largest offline queue of one user (limits.offlineMessages is the most it may hold).', [[{}, server.storage.offline.largestQueue()]]);

  const calls = src.calls?.();
  if (calls) {
    e.metric('carillon_call_rooms', 'gauge', 'Rooms of the call service.', [[{}, calls.rooms]]);
    e.metric('carillon_calls', 'gauge', 'Rooms with a call going on.', [[{}, calls.calls]]);
    e.metric('carillon_call_participants', 'gauge', 'People in calls.', [[{}, calls.participants]]);
  }
  e.metric('carillon_start_time_seconds', 'gauge', 'When the server started, in seconds since the epoch.', [[{}, server.startedAt / 1000]]);
  return e.toString();
}

/** Serves GET /metrics on host:port (nothing else). */
export async function listenMetrics(host: string, port: number, render: () => string): Promise<Listener> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let body: string;
    try {
      body = render();
    } catch (err) {
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${(err as Error).message}\n`);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return listen(server, host, port);
}
