// When the web client asks for its STUN/TURN services again (client/src/features/ice-servers.ts):
// before the XEP-0215 `expires` of the credentials, never in a tight loop. The refresh during a
// live call, against coturn, is in test/e2e/relay-calls.test.ts. And the shortest `turn.ttl` the
// server's configuration allows.
import assert from 'node:assert/strict';
import { checks } from '../../xmpp/config-checks.js';
import { parseTurnSettings } from '../../xmpp/turn-credentials.js';
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

  it('a ttl as short as 10 s is accepted (turn.ttl), 9 s is not', () => {
    const c = checks('carillon.json');
    assert.equal(parseTurnSettings({ host: 'h', secret: 's', ttl: 10 }, 'turn', c).ttl, 10);
    assert.throws(() => parseTurnSettings({ host: 'h', secret: 's', ttl: 9 }, 'turn', c), (e: { key?: string }) => e.key === 'turn.ttl');
  });
});
