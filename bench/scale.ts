// Sizes of every scenario, for the full run and for `--quick`.
export interface Scale {
  name: 'full' | 'quick';
  /** idle session counts at which the server's RSS is sampled */
  idle: number[];
  /** logins per login-rate measurement */
  logins: number;
  loginConcurrency: number;
  /** sender→receiver pairs for throughput and latency */
  pairs: number;
  /** first offered rate of the throughput ramp (doubles each step) and its ceiling, msg/s */
  startRate: number;
  maxRate: number;
  stepMs: number;
  latencyMs: number;
  /** contacts in the fan-out roster, and how many presences are timed */
  fanContacts: number;
  fanRounds: number;
  /** messages/s for the equal-load latency comparison */
  refRate: number;
  settleMs: number;
}

export const FULL: Scale = {
  name: 'full',
  idle: [1000, 5000, 10000],
  logins: 2000,
  loginConcurrency: 50,
  pairs: 200,
  startRate: 1000,
  maxRate: 128000,
  stepMs: 5000,
  latencyMs: 10000,
  fanContacts: 1000,
  fanRounds: 5,
  refRate: 2000,
  settleMs: 3000,
};

export const QUICK: Scale = {
  name: 'quick',
  idle: [100, 200, 400],
  logins: 200,
  loginConcurrency: 25,
  pairs: 50,
  startRate: 1000,
  maxRate: 128000,
  stepMs: 2000,
  latencyMs: 3000,
  fanContacts: 200,
  fanRounds: 3,
  refRate: 2000,
  settleMs: 1000,
};
