// The line a finished call leaves in the conversation, one row per way a call ends.
import { strict as assert } from 'node:assert';
import { callSummary } from '../../client/src/features/call-log.js';
import type { CallState } from '../../client/src/protocol/call-machine.js';

const base: CallState = { phase: 'ended', sid: 's1', peer: 'bob@example.org', media: 'video' };

describe('call log lines', () => {
  const rows: [Partial<CallState>, string, 'in' | 'out'][] = [
    [{ endReason: 'hangup', startedAt: 0 }, 'Video call · 1:05', 'out'],
    [{ endReason: 'remote-hangup', startedAt: 5_000, media: 'audio' }, 'Audio call · 1:00', 'out'],
    [{ endReason: 'missed' }, 'Missed video call', 'in'],
    [{ endReason: 'declined', media: 'audio' }, 'Audio call declined', 'out'],
    [{ endReason: 'busy' }, 'Video call: busy', 'out'],
    [{ endReason: 'no-answer' }, 'Video call: no answer', 'out'],
    [{ endReason: 'cancelled' }, 'Video call cancelled', 'out'],
    [{ endReason: 'answered-elsewhere' }, 'Video call answered on another device', 'out'],
    [{ endReason: 'failed' }, 'Video call failed', 'out'],
  ];
  for (const [patch, body, dir] of rows) {
    it(`${patch.endReason}: "${body}"`, () => {
      const line = callSummary({ ...base, ...patch }, 65_000);
      assert.equal(line.body, body);
      assert.equal(line.dir, dir, 'only a missed call counts as unread');
      assert.equal(line.kind, 'call');
      assert.equal(line.id, 'call-s1');
    });
  }
});
