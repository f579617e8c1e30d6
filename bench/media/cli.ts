// `npm run bench -- --media [--sizes 2,4,8,16] [--servers carillon,janus,carillon-lastn] [--last-n] [--seconds 20] [--warmup 3] [--generators P] [--no-setup] [--setup-calls 20]`
// The default run: every size through Carillon and Janus all receiving all, then Carillon with its
// default last-N at the sizes above last-N's threshold (16). `--last-n`: Carillon with last-N on
// in place of all-to-all Carillon (`--sizes 16 --servers carillon --last-n`: that row alone).
// `npm run bench -- --media-setup [--setup-calls 20]`: the call set-up part alone.
// Prints the media table, the targets and the call set-up figures; writes bench/results/media.{json,md}.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDebianPackages } from '../servers/proc.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { DEFAULT_PORTS, runMedia } from './run.js';
import { callSetup, type SetupResult } from './setup.js';
import { LAST_N_DEFAULT } from '../../component/calls/last-n.js';
import { defaultConfigLine, mediaTable, renderMd, renderText, saturationNote, verdicts, verdictTable } from './report.js';
import type { MediaSut } from './result.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));

export function mediaMachine(): Record<string, string | number> {
  let pressure = '?';
  try {
    pressure = /some avg10=[\d.]+ avg60=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1] ?? '?';
  } catch {
    /* no PSI */
  }
  return { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(),
    node: process.versions.node, loadAverage1m: Number(os.loadavg()[0].toFixed(2)), cpuPressure60sPct: pressure };
}

/** Call set-up, p50 and p95 over the calls, against the issue's target (p50 < 1 s). */
function setupRows(s: SetupResult): string[][] {
  const ms = (v: number | null): string => (v === null ? '—' : `${Math.round(v)} ms`);
  const row = (what: string, f: SetupResult['room'], target: boolean): string[] => [what, `${f.samplesMs.length}/${s.calls}`, ms(f.p50), ms(f.p95),
    target ? (f.p50 === null ? 'not measured' : f.p50 < 1000 ? 'met' : 'NOT met') : ''];
  return [['call set-up to the first remote video frame (p50 < 1 s)', 'calls', 'p50', 'p95', 'verdict'],
    row('1:1: <propose/> → caller shows callee\'s video', s.oneToOne, true),
    row('1:1: <propose/> → callee shows caller\'s video', s.oneToOneCallee, false),
    row('room: session-initiate → joiner shows the other\'s video', s.room, true)];
}

export async function mediaMain(argv: string[]): Promise<number> {
  const started = Date.now();
  const log = (s: string): void => { process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${s}\n`); };
  let sizes = [2, 4, 8, 16];
  let servers: MediaSut[] | undefined;
  let lastN = false;
  let seconds = 20, warmupS = 3, setupCalls = 20;
  let generators: number | undefined;
  const load = !argv.includes('--media-setup');
  let setup = true;
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--media' || k === '--media-setup') continue;
    else if (k === '--no-setup') setup = false;
    else if (k === '--setup-calls') setupCalls = Number(argv[++i]);
    else if (k === '--sizes') sizes = argv[++i].split(',').map(Number);
    else if (k === '--servers') servers = argv[++i].split(',') as MediaSut[];
    else if (k === '--seconds') seconds = Number(argv[++i]);
    else if (k === '--warmup') warmupS = Number(argv[++i]);
    else if (k === '--generators') generators = Number(argv[++i]);
    else if (k === '--last-n') lastN = true;
    else throw new Error(`unknown argument ${k}`);
  }
  if (sizes.some((n) => !Number.isInteger(n) || n < 2 || n > 30)) throw new Error('--sizes: room sizes from 2 to 30');
  if (servers?.some((s) => s !== 'carillon' && s !== 'janus' && s !== 'carillon-lastn')) throw new Error('--servers: carillon, janus and/or carillon-lastn');
  // Not asked for: the all-to-all rows, then the last-N row where last-N applies (rooms above its threshold).
  let lastNSizes: number[] | undefined;
  if (!servers) {
    servers = ['carillon', 'janus'];
    if (!lastN) {
      lastNSizes = sizes.filter((n) => n > LAST_N_DEFAULT.threshold);
      if (lastNSizes.length > 0) servers.push('carillon-lastn');
    }
  }
  if (lastN) servers = [...new Set(servers.map((s): MediaSut => (s === 'carillon' ? 'carillon-lastn' : s)))];
  if (generators !== undefined && (!Number.isInteger(generators) || generators < 1)) throw new Error('--generators: a number of processes, 1 or more');
  if (servers.includes('janus')) ensureDebianPackages(['janus', 'gcc', 'libc6-dev'], log);
  const before = mediaMachine();
  log(`${load ? `media run: rooms of ${sizes.join(', ')}, ${seconds} s windows` : 'call set-up run'}; ${before.cores} × ${before.cpu}, load average ${before.loadAverage1m}`);
  const { results, versions } = load ? await runMedia({ sizes, servers, seconds, warmupS, ports: DEFAULT_PORTS, generators, lastNSizes, log }) : { results: [], versions: {} };
  let setupResult: SetupResult | undefined;
  let setupError: string | undefined;
  if (setup) {
    const dir = mkdtempSync(join(os.tmpdir(), 'carillon-callsetup-'));
    try {
      setupResult = await callSetup({ calls: setupCalls, dir, ports: DEFAULT_PORTS.carillon, log });
    } catch (e) {
      setupError = (e as Error).message;
      log(`call set-up: FAILED ${setupError}`);
    } finally {
      if (process.env.MEDIABENCH_KEEP) log(`call set-up directory ${dir} (kept: logs, screenshots of failed calls)`);
      else rmSync(dir, { recursive: true, force: true });
    }
  }
  const after = mediaMachine();
  const table = mediaTable(results, servers, versions);
  const targets = verdictTable(verdicts(results));
  const defaultLine = defaultConfigLine(results);
  const satLine = saturationNote(results);
  const setupTable = setupResult ? setupRows(setupResult) : undefined;
  const out = { date: new Date().toISOString(), sizes, seconds, warmupS, machine: { ...before, loadAverage1mAfter: after.loadAverage1m }, versions, results, table, targets, defaultConfig: defaultLine,
    setup: setupResult ?? (setupError ? { error: setupError } : undefined), setupTable };
  mkdirSync(join(HERE, '../results'), { recursive: true });
  const name = load ? 'media' : 'media-setup';
  writeFileSync(join(HERE, `../results/${name}.json`), `${JSON.stringify(out, null, 2)}\n`);
  const md = [load ? renderMd(table) : '', satLine ?? '', load ? renderMd(targets) : '', defaultLine ?? '', setupTable ? renderMd(setupTable) : ''].filter(Boolean).join('\n\n');
  writeFileSync(join(HERE, `../results/${name}.md`), `${md}\n`);
  const text = [load ? renderText(table) : '', satLine ?? '', load ? renderText(targets) : '', defaultLine ?? '', setupTable ? renderText(setupTable) : setupError ? `call set-up FAILED: ${setupError}` : ''];
  process.stdout.write(`\n${text.filter(Boolean).join('\n\n')}\n\n`);
  for (const r of results) if (!r.ok) process.stdout.write(`FAILED ${r.sut} N=${r.participants}: ${r.error}\n`);
  process.stdout.write(`media run in ${((Date.now() - started) / 1000).toFixed(0)} s on ${before.cores} × ${before.cpu}, load average ${before.loadAverage1m} → ${after.loadAverage1m}; bench/results/${name}.json\n`);
  return results.every((r) => r.ok) && !setupError && !(setupResult && (setupResult.oneToOne.failures.length || setupResult.room.failures.length)) ? 0 : 1;
}
