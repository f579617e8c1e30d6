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
  /** in-flight messages per pair, tried in turn until throughput stops growing */
  windows: number[];
  stepMs: number;
  warmupMs: number;
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
  windows: [1, 2, 4, 8, 16, 32, 64],
  stepMs: 5000,
  warmupMs: 1500,
  latencyMs: 10000,
  fanContacts: 1000,
  fanRounds: 5,
  refRate: 2000,
  settleMs: 3000,
};

export const QUICK: Scale = {
  name: 'quick',
  idle: [250, 500, 1000],
  logins: 300,
  loginConcurrency: 25,
  pairs: 50,
  windows: [2, 8, 32],
  stepMs: 2000,
  warmupMs: 700,
  latencyMs: 3000,
  fanContacts: 500,
  fanRounds: 3,
  refRate: 2000,
  settleMs: 1000,
};
