// The token bucket behind limits.c2s and limits.s2s (server/transport/rate-limit.ts), on a clock
// the tests move by hand.
import assert from 'node:assert/strict';
import { TokenBucket } from '../../server/transport/rate-limit.js';

describe('token bucket (rate limits)', () => {
  it('lets a burst of rate × burst bytes through at once, then asks to wait', () => {
    const b = new TokenBucket({ rate: 1000, burst: 2 }, 0);
    assert.equal(b.capacity, 2000);
    assert.equal(b.take(1500, 0), 0);
    assert.equal(b.take(500, 0), 0);
    assert.equal(b.available(0), 0);
    // 100 bytes of debt at 1000 bytes/s: 100 ms.
    assert.equal(b.take(100, 0), 100);
  });

  it('refills at the rate, never beyond the burst', () => {
    const b = new TokenBucket({ rate: 1000, burst: 2 }, 0);
    b.take(2000, 0);
    assert.equal(b.available(500), 500);
    assert.equal(b.available(10_000), 2000);
  });

  it('repays a debt bigger than the burst (a chunk larger than the bucket) over time', () => {
    const b = new TokenBucket({ rate: 1000, burst: 1 }, 0);
    assert.equal(b.take(5000, 0), 4000);
    assert.equal(b.wait(1000), 3000);
    assert.equal(b.wait(4000), 0);
    assert.equal(b.available(4000), 0);
  });

  it('averages the rate over a long run of reads as fast as allowed', () => {
    const b = new TokenBucket({ rate: 20_000, burst: 0.5 }, 0);
    let now = 0;
    let bytes = 0;
    // A reader taking 4 kB chunks and waiting whenever told to, for 10 s of clock.
    for (let i = 0; i < 10_000 && now < 10_000; i++) {
      bytes += 4096;
      now += b.take(4096, now);
    }
    const rate = (bytes - 10_000) / (now / 1000); // the first half second came free (the burst)
    assert.ok(rate > 19_000 && rate < 21_000, `rate ${rate}`);
  });

  it('does not go back in time, and with burst 0 still lets a byte at a time through', () => {
    const b = new TokenBucket({ rate: 100, burst: 0 }, 1000);
    assert.equal(b.capacity, 1);
    assert.equal(b.take(1, 1000), 0);
    assert.equal(b.take(1, 500), 10);
  });

  it('refuses a rate that is not positive', () => {
    assert.throws(() => new TokenBucket({ rate: 0, burst: 1 }), RangeError);
    assert.throws(() => new TokenBucket({ rate: 10, burst: -1 }), RangeError);
  });
});
