// Counters the streams and sessions keep for the operator (the /metrics endpoint, server/metrics.ts).
// Counting on the hot path is a plain integer increment on an object made once per kind of stream;
// everything else (sessions, offline messages, rooms) is read when the endpoint is scraped.

/** The kinds of XML streams: client sessions, server-to-server in each direction, components. */
export type StreamKind = 'c2s' | 's2s_in' | 's2s_out' | 'component';

export interface StreamCounters {
  stanzasIn: number;
  stanzasOut: number;
  /** Times a stream's reading was paused by its rate limit (limits.c2s, limits.s2s). */
  throttled: number;
  /** Streams whose reading is paused by their rate limit now (a gauge the streams keep). */
  paused: number;
  /** Streams we closed with a stream error, by condition (connection-timeout, policy-violation, …). */
  readonly closedWith: Record<string, number>;
}

export function streamCounters(): StreamCounters {
  return { stanzasIn: 0, stanzasOut: 0, throttled: 0, paused: 0, closedWith: {} };
}

export class ServerMetrics {
  readonly streams: Record<StreamKind, StreamCounters> = {
    c2s: streamCounters(),
    s2s_in: streamCounters(),
    s2s_out: streamCounters(),
    component: streamCounters(),
  };
  /**
   * Unacknowledged stanzas of sessions that ended without resumption (XEP-0198 §5): messages handed
   * to the delivery rules again, IQs answered with an error, the rest dropped.
   */
  readonly unacked = { messages: 0, iqErrors: 0, dropped: 0 };
}
