// When the web client asks for its STUN/TURN services again (client/src/features/ice-servers.ts):
// before the XEP-0215 `expires` of the credentials, never in a tight loop. The refresh during a
// live call, against coturn, is in test/e2e/relay-calls.test.ts.
import assert from 'node:assert/strict';
import { MIN_REFRESH_MS, STALE_RETRY_MS, refreshDelay } from '../../client/src/features/ice-servers.js';

describe('web client: renewing TURN credentials', () => {
  const now = Date.UTC(2026, 11, 1, 12);

  it('asks again once three quarters of the remaining life has passed', () => {
    assert.equal(refreshDelay(now + 86_400_000, now), 64_800_000);
    assert.equal(refreshDelay(now + 10_000, now), 7_500);
  });

  it('never sooner than MIN_REFRESH_MS, and a minute later when they came back already expired', () => {
    assert.equal(refreshDelay(now + 1_000, now), MIN_REFRESH_MS);
    assert.equal(refreshDelay(now, now), STALE_RETRY_MS);
    assert.equal(refreshDelay(now - 3_600_000, now), STALE_RETRY_MS);
  });

  it('does not ask again for services without an expiry', () => {
    assert.equal(refreshDelay(undefined, now), undefined);
  });
});
