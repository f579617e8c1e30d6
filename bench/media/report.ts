// The media benchmark's tables: one row per room size with Carillon and Janus side by side (and
// Carillon's last-N rows after them), then issue 14's targets with met / not met, computed from the
// all-to-all results of one run (the last-N rows are not like for like with Janus).
import { LAST_N_DEFAULT } from '../../component/calls/last-n.js';
import { machineSaturated, MACHINE_SATURATED_PCT, type MediaResult, type MediaSut } from './result.js';

/** A room "holds" when receivers lose under 1 % of what was forwarded to them. */
export const holds = (r: MediaResult | undefined): boolean => !!r?.ok && r.lossPct !== null && r.lossPct !== undefined && r.lossPct < 1;

const f = (v: number | null | undefined, digits = 0): string => (v === null || v === undefined ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

/** The machine's busy share, marked when it was the limit. */
const machineCell = (r: MediaResult): string => (r.machineBusyPct === undefined ? '' : `${f(r.machineBusyPct)} %${machineSaturated(r) ? ' SAT' : ''}`);

function cell(r: MediaResult | undefined): string[] {
  if (!r) return ['', '', '', '', '', '', '', '', ''];
  if (!r.ok) return [`FAILED`, '', '', '', '', '', '', '', machineCell(r)];
  return [
    `${f(r.forwardedPerS)} / ${f(r.idealPerS)}`,
    `${f(r.lossPct, 2)} %`,
    `${f(r.server?.cpuPctOfCore, 1)} %`,
    f(r.server?.cpuSPer1000, 3),
    `${f(r.latencyMs?.p50, 1)} / ${f(r.latencyMs?.p99, 1)}`,
    f(r.server?.rssPerParticipantMB, 1),
    f(r.copiesPerS),
    // the busiest generator process, and how many there were when more than one
    `${f(r.generator?.cpuPctOfCore)} %${(r.generator?.processes ?? 1) > 1 ? ` ×${r.generator!.processes}` : ''}${r.generator?.saturated ? ' SAT' : ''}`,
    machineCell(r),
  ];
}

const COLS = ['fwd pkt/s / ideal', 'loss', 'CPU', 'CPU-s/1k pkt', 'lat p50/p99 ms', 'RSS MB/part.', 'copies/s', 'generator', 'machine'];

/** Said under the table when a row ran with every core busy. */
export const saturationNote = (results: MediaResult[]): string | undefined => (results.some(machineSaturated)
  ? `SAT under machine: all cores were ≥ ${MACHINE_SATURATED_PCT} % busy (the SFU and the generator share this machine), so that row's loss and failures are the machine's limit, not the SFU's alone`
  : undefined);

/** The last-N row's label: the videos each receiver was due. */
const lastNLabel = (r: MediaResult): string => `Carillon, last-N (${r.due?.videoPerReceiver ?? r.lastN?.n ?? LAST_N_DEFAULT.n} videos)`;

/**
 * One row per room size and SFU, the SFUs of one size next to each other (all receiving all); then
 * the rows of Carillon with last-N on, as a user's room gets it by default.
 */
export function mediaTable(results: MediaResult[], servers: MediaSut[], versions: Record<string, string> = {}): string[][] {
  const sizes = (sut?: MediaSut) => [...new Set(results.filter((r) => !sut || r.sut === sut).map((r) => r.participants))].sort((a, b) => a - b);
  const rows = sizes().flatMap((n) => servers.filter((s) => s !== 'carillon-lastn').map((s) => [String(n), versions[s] ?? s, ...cell(results.find((r) => r.sut === s && r.participants === n))]));
  const lastN = servers.includes('carillon-lastn') ? sizes('carillon-lastn').map((n) => results.find((r) => r.sut === 'carillon-lastn' && r.participants === n)!) : [];
  return [['N', 'SFU', ...COLS], ...rows, ...lastN.map((r) => [String(r.participants), lastNLabel(r), ...cell(r)])];
}

/**
 * "Largest room held with the default config": a room up to last-N's threshold is all receiving all
 * whatever last-N says, so the all-to-all Carillon rows up to it count, and above it the last-N rows.
 * Undefined when the run had no last-N row; the settings are named when they are not the default.
 */
export function defaultConfigLine(results: MediaResult[]): string | undefined {
  const rows = results.filter((r) => r.sut === 'carillon-lastn');
  if (rows.length === 0) return undefined;
  const s = rows[0].lastN ?? LAST_N_DEFAULT;
  const isDefault = s.n === LAST_N_DEFAULT.n && s.threshold === LAST_N_DEFAULT.threshold;
  const held = [...rows, ...results.filter((r) => r.sut === 'carillon' && r.participants <= s.threshold)].filter(holds)
    .sort((a, b) => b.participants - a.participants)[0];
  const above = rows.filter((r) => r.participants > s.threshold && !holds(r)).map((r) => `N = ${r.participants} ${r.ok ? `${f(r.lossPct, 2)} % loss` : 'FAILED'}`);
  const what = held ? `${held.participants} (${held.sut === 'carillon-lastn' && held.participants > s.threshold ? lastNLabel(held) : 'all receiving all'})` : 'none';
  return `largest room held with ${isDefault ? 'the default config' : 'this config'} (last-N: ${s.n} videos above ${s.threshold}): ${what}${above.length ? `; not held: ${above.join(', ')}` : ''}`;
}

export interface Verdict { target: string; carillon: string; janus: string; met: boolean | undefined }

/** The largest room size that held, and its result. */
function largestHeld(results: MediaResult[], sut: MediaSut): MediaResult | undefined {
  return results.filter((r) => r.sut === sut && holds(r)).sort((a, b) => b.participants - a.participants)[0];
}

/** Forwarded packets per second for each core's worth of the server's CPU, at the largest room held. */
const perCore = (r: MediaResult | undefined): number | undefined =>
  r?.server && r.server.cpuPctOfCore > 0 && r.forwardedPerS ? (r.forwardedPerS * 100) / r.server.cpuPctOfCore : undefined;

export function verdicts(results: MediaResult[]): Verdict[] {
  const c = largestHeld(results, 'carillon');
  const j = largestHeld(results, 'janus');
  const out: Verdict[] = [];
  // A larger room that did not hold on a saturated machine is named: it says nothing of the SFU.
  const largest = (sut: MediaSut, top: MediaResult | undefined): string => {
    const sat = results.filter((r) => r.sut === sut && !holds(r) && machineSaturated(r) && r.participants > (top?.participants ?? 0)).map((r) => r.participants);
    return `${top ? top.participants : 'none'}${sat.length ? ` (${sat.join(', ')}: machine saturated)` : ''}`;
  };
  out.push({ target: 'largest room with < 1 % loss', carillon: largest('carillon', c), janus: largest('janus', j), met: undefined });
  const pc = perCore(c), pj = perCore(j);
  out.push({ target: '≥ 25,000 forwarded pkt/s per core (at the largest room held)', carillon: f(pc), janus: f(pj), met: pc === undefined ? undefined : pc >= 25_000 });
  // Per-packet CPU compared at one room size: the largest both held (fixed per-connection costs shrink with N).
  const both = results.filter((r) => r.sut === 'carillon' && holds(r) && holds(results.find((q) => q.sut === 'janus' && q.participants === r.participants)))
    .sort((a, b) => b.participants - a.participants)[0];
  const jn = both ? results.find((q) => q.sut === 'janus' && q.participants === both.participants) : undefined;
  const ratio = both?.server?.cpuSPer1000 && jn?.server?.cpuSPer1000 ? both.server.cpuSPer1000 / jn.server.cpuSPer1000 : undefined;
  out.push({ target: `CPU per forwarded packet ≤ 2× Janus (N = ${both?.participants ?? '—'})`, carillon: both ? `${f(both.server?.cpuSPer1000, 3)} (${f(ratio, 1)}×)` : '—',
    janus: jn ? f(jn.server?.cpuSPer1000, 3) : '—', met: ratio === undefined ? undefined : ratio <= 2 });
  // Half of saturation: the held room whose forwarded rate is nearest half of the largest held room's rate.
  const half = (sut: MediaSut, top: MediaResult | undefined): MediaResult | undefined => {
    if (!top?.forwardedPerS) return undefined;
    const goal = top.forwardedPerS / 2;
    return results.filter((r) => r.sut === sut && holds(r)).sort((a, b) => Math.abs((a.forwardedPerS ?? 0) - goal) - Math.abs((b.forwardedPerS ?? 0) - goal))[0];
  };
  const hc = half('carillon', c), hj = half('janus', j);
  out.push({ target: 'added latency p99 ≤ 20 ms at half of saturation', carillon: hc ? `${f(hc.latencyMs?.p99, 1)} ms (N = ${hc.participants})` : '—',
    janus: hj ? `${f(hj.latencyMs?.p99, 1)} ms (N = ${hj.participants})` : '—', met: hc?.latencyMs?.p99 === null || hc?.latencyMs?.p99 === undefined ? undefined : hc.latencyMs.p99 <= 20 });
  return out;
}

export function verdictTable(v: Verdict[]): string[][] {
  return [['target', 'Carillon', 'Janus', 'verdict'], ...v.map((x) => [x.target, x.carillon, x.janus, x.met === undefined ? (x.target.startsWith('largest') ? '' : 'not measured') : x.met ? 'met' : 'NOT met'])];
}

export function renderText(t: string[][]): string {
  const widths = t[0].map((_, i) => Math.max(...t.map((r) => (r[i] ?? '').length)));
  return t.map((r, k) => {
    const line = r.map((c, i) => (i <= 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    return k === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

export function renderMd(t: string[][]): string {
  const [head, ...body] = t;
  return [head, head.map((_, i) => (i === 0 ? ':--' : '--:')), ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
