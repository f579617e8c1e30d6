// The media benchmark's report: rows run with every core busy are marked, and a larger room that
// did not hold on a saturated machine is named beside the largest room held — it measured the
// machine (the SFU and the generator share it), not the SFU. Results shaped as the runner writes
// them (bench/media/pool.ts); the figures are the 2026-12-02 03:52 UTC quiet run's.
import assert from 'node:assert/strict';
import { mediaTable, renderText, saturationNote, verdicts } from '../../bench/media/report.js';
import type { MediaResult } from '../../bench/media/result.js';

const held = (sut: MediaResult['sut'], n: number, fwd: number, cpuPct: number, busy: number): MediaResult => ({
  sut, participants: n, ok: true, forwardedPerS: fwd, idealPerS: fwd, lossPct: 0, machineBusyPct: busy,
  server: { pid: 1, cpuS: 1, cpuPctOfCore: cpuPct, cpuSPer1000: cpuPct / fwd / 0.1, rssMB: 1, rssIdleMB: 1, rssPerParticipantMB: 1 },
  latencyMs: { p50: 2, p95: 5, p99: 7, samples: 100 },
});

describe('media benchmark report: a saturated machine', () => {
  const results: MediaResult[] = [
    held('carillon', 8, 6158, 45.8, 60.4),
    held('janus', 8, 6152, 25.4, 46.9),
    { sut: 'carillon', participants: 16, ok: false, error: 'subscribe: connectivity-error', machineBusyPct: 98.2 },
    { ...held('janus', 16, 12456, 73.1, 99.8), idealPerS: 26276, lossPct: 50.085 },
  ];

  it('marks the rows run with every core busy, failed ones too, and says what that means', () => {
    const lines = renderText(mediaTable(results, ['carillon', 'janus'])).split('\n');
    assert.match(lines[0], /machine$/);
    assert.match(lines[2], /60 %$/, 'N = 8 was not saturated');
    assert.match(lines[4], /^16\s+carillon\s+FAILED\s.*98 % SAT$/);
    assert.match(lines[5], /^16\s+janus\s.*100 % SAT$/);
    assert.match(saturationNote(results) ?? '', /≥ 95 % busy/);
    assert.equal(saturationNote(results.slice(0, 2)), undefined, 'no saturated row, no note');
  });

  it('names the larger rooms that did not hold on a saturated machine beside the largest held', () => {
    const v = verdicts(results)[0];
    assert.equal(v.carillon, '8 (16: machine saturated)');
    assert.equal(v.janus, '8 (16: machine saturated)');
    // A larger room that failed with cores to spare is the SFU's failure, and is not excused.
    const quiet = results.map((r) => (r.participants === 16 ? { ...r, machineBusyPct: 70 } : r));
    assert.equal(verdicts(quiet)[0].carillon, '8');
  });
});
