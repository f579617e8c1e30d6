// A token bucket for reading from a connection: `rate` bytes per second on average, with up to
// `burstSeconds` of rate at once. Reads are never refused or dropped: a reader takes what it has
// read, and when the bucket is in debt it stops reading for as long as repaying takes, so that the
// peer's writes back up in TCP (back-pressure), as Prosody's mod_limits does.

export interface RateLimit {
  /** Bytes per second. */
  rate: number;
  /** Seconds of `rate` that may arrive at once (Prosody's `burst`). */
  burst: number;
}

export class TokenBucket {
  readonly rate: number;
  /** The most tokens (bytes) the bucket holds: rate × burst, at least one byte. */
  readonly capacity: number;
  private tokens: number;
  private last: number;

  constructor(limit: RateLimit, now = performance.now()) {
    if (!(limit.rate > 0) || !Number.isFinite(limit.rate)) throw new RangeError('rate must be a positive number');
    if (!(limit.burst >= 0) || !Number.isFinite(limit.burst)) throw new RangeError('burst must be a number of seconds, 0 or more');
    this.rate = limit.rate;
    this.capacity = Math.max(1, limit.rate * limit.burst);
    this.tokens = this.capacity;
    this.last = now;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = Math.max(this.last, now);
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.rate);
  }

  /** Bytes that may still arrive now without waiting (negative: the debt). */
  available(now = performance.now()): number {
    this.refill(now);
    return this.tokens;
  }

  /** Accounts for `bytes` just read; returns how many milliseconds to stop reading (0: keep reading). */
  take(bytes: number, now = performance.now()): number {
    this.refill(now);
    this.tokens -= bytes;
    return this.wait(now);
  }

  /** Milliseconds until the debt is repaid (0 when there is none). */
  wait(now = performance.now()): number {
    this.refill(now);
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000);
  }
}
