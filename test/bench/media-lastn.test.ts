// The media benchmark's last-N row at its smallest: a room of 4 through Carillon's call service
// (`bin/carillon.js start`, its own process) with last-N at 1 video above 2 participants, the
// generator in a process of its own. Checks that what is due counts only what the SFU is meant to
// forward (every other's audio, one video per receiver), that exactly that moved in the window,
// and that paused videos are not counted as lost; no figure is held to a timing threshold.
import assert from 'node:assert/strict';
import { runMedia } from '../../bench/media/run.js';
import { defaultConfigLine, mediaTable, renderText, verdicts } from '../../bench/media/report.js';
import { videosPerReceiver, type MediaResult } from '../../bench/media/result.js';
import { freePortRange, freePorts } from '../support/ports.js';

describe('media benchmark, last-N row (a room of 4, last-N 1 above 2)', function () {
  // A fresh Carillon (compiled by tsc when dist/ is stale), four joins, a 3 s window.
  this.timeout(600_000);
  const lastN = { n: 1, threshold: 2 };
  let results: MediaResult[] = [];
  let versions: Record<string, string> = {};
  const logged: string[] = [];

  before(async () => {
    const [c2s, http, components, ws] = await freePorts(4);
    const media = await freePortRange(40);
    const peers = await freePortRange(40);
    ({ results, versions } = await runMedia({
      sizes: [4], servers: ['carillon-lastn'], seconds: 3, warmupS: 1, lastN, log: (s) => logged.push(s),
      ports: { carillon: { c2s, http, components, media: [media.portMin, media.portMax] }, janus: { ws, rtp: [0, 0] }, peers: [peers.portMin, peers.portMax] },
    }));
  });

  it('videos due per receiver: the others up to the threshold, n above it', () => {
    assert.equal(videosPerReceiver(16, { n: 6, threshold: 8 }), 6);
    assert.equal(videosPerReceiver(8, { n: 6, threshold: 8 }), 7, 'not above the threshold: all');
    assert.equal(videosPerReceiver(5, { n: 6, threshold: 2 }), 4, 'never more than the others');
    assert.equal(videosPerReceiver(16, { n: 0, threshold: 8 }), 15, 'n = 0: last-N off');
    assert.equal(videosPerReceiver(16), 15, 'no last-N: all receiving all');
  });

  it('counts as due every other\'s audio and one video per receiver, and only that as loss', () => {
    const r = results.find((x) => x.sut === 'carillon-lastn');
    assert.ok(r, `no result; log:\n${logged.join('\n')}`);
    assert.equal(r.ok, true, `failed: ${r.error}\n${logged.join('\n')}`);
    assert.deepEqual(r.lastN, lastN);
    assert.deepEqual(r.due, { audioPerReceiver: 3, videoPerReceiver: 1, audio: 12, video: 4 });
    // N·(N−1)·50 audio + N·1·60 video packets/s, against 4·3·110 = 1,320 all receiving all
    assert.equal(r.nominalPerS, 4 * 3 * 50 + 4 * 1 * 60);
    // In the window the receivers together had 12 audio and exactly 4 video streams moving: the
    // 8 other videos were paused by the SFU (and so neither due nor lost).
    assert.deepEqual(r.flowing, { audio: 12, video: 4 }, logged.join('\n'));
    // Loss is over the forwarded streams only: were the 8 paused videos counted, more than half
    // of the video due would be missing. (Whether a loaded machine drops a packet or two is a
    // measurement, not asserted.)
    assert.ok((r.lossPct ?? 100) < 10, `loss ${r.lossPct} %: ${JSON.stringify(r)}`);
    // The ideal, from what was sent: each publisher's audio × its 3 receivers, its video × 1 (the
    // receivers get 4 videos in all from 4 publishers). All receiving all it would be sent × 3.
    // Rates, not what arrived: on a starved machine the receivers' backlog grows in the window.
    assert.ok(r.sentAudioPerS && r.sentVideoPerS && r.idealPerS, JSON.stringify(r));
    assert.ok(Math.abs(r.idealPerS - (3 * r.sentAudioPerS + r.sentVideoPerS)) <= 2, `ideal ${r.idealPerS} from ${r.sentAudioPerS} audio + ${r.sentVideoPerS} video packets/s sent`);
  });

  it('prints the row after the all-to-all rows, out of the targets, with the largest room held', () => {
    const table = renderText(mediaTable(results, ['carillon-lastn'], versions));
    const lines = table.split('\n');
    assert.equal(lines.length, 3, table);
    assert.match(lines[2], /^4\s+Carillon, last-N \(1 videos\)\s+\d[\d,]* \/ \d[\d,]*/, table);
    // The targets compare all receiving all: a last-N row is not among them.
    assert.equal(verdicts(results)[0].carillon, 'none');
    const line = defaultConfigLine(results);
    // held means < 1 % loss, a measurement: the line says either way
    const r = results.find((x) => x.sut === 'carillon-lastn')!;
    const loss = r.lossPct ?? 100;
    assert.equal(line, loss < 1
      ? 'largest room held with this config (last-N: 1 videos above 2): 4 (Carillon, last-N (1 videos))'
      : `largest room held with this config (last-N: 1 videos above 2): none; not held: N = 4 ${loss.toFixed(2)} % loss`);
    assert.equal(defaultConfigLine(results.filter((x) => x.sut !== 'carillon-lastn')), undefined, 'no last-N row, no line');
    console.log(`${table}\n${line}`);
  });
});
