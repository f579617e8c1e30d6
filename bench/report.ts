// The side-by-side table (terminal and Markdown) and the targets from issue 5, computed from the
// results of one run.
import type { IdleMemory } from './scenarios/idle-memory.js';
import type { LoginRate } from './scenarios/login-rate.js';
import type { Latency, Throughput } from './scenarios/chat.js';
import type { Fanout } from './scenarios/fanout.js';
import type { Outcome } from './scenarios/context.js';
import type { ServerName } from './servers/types.js';

export interface ServerResult {
  name: ServerName;
  version: string;
  notes: string[];
  error?: string;
  registration?: Outcome<{ accounts: number; perSec: number }>;
  idle?: Outcome<IdleMemory>;
  fanout?: Outcome<Fanout>;
  loginScram?: Outcome<LoginRate>;
  loginPlain?: Outcome<LoginRate>;
  loginScramWs?: Outcome<LoginRate>;
  throughput?: Outcome<Throughput>;
  latencyHalf?: Outcome<Latency>;
  latencyRef?: Outcome<Latency>;
}

type Value = number | string;
interface Row {
  label: string;
  get: (r: ServerResult) => Value | undefined;
  digits?: number;
  /** target on the Carillon column: returns a verdict, or undefined when no target applies */
  target?: (c: number, p: number | undefined, e: number | undefined) => { text: string; met: boolean | undefined };
  /** smaller is better (ratios still printed as Carillon / anchor) */
  lower?: boolean;
}

function val<T>(o: Outcome<T> | undefined, f: (d: T) => number): Value | undefined {
  if (!o) return undefined;
  if (o.status === 'failed') return 'FAILED';
  return f(o.data);
}

const num = (v: Value | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function rows(sessionsTarget: number): Row[] {
  return [
    {
      label: 'RSS per idle session (kB)', lower: true, digits: 1,
      get: (r) => val(r.idle, (d) => d.kBPerSession),
      target: (c, p) => ({ text: '≤ ½ Prosody', met: p === undefined ? undefined : c <= p / 2 }),
    },
    {
      label: 'idle sessions held', digits: 0,
      get: (r) => val(r.idle, (d) => d.sessionsHeld),
      target: (c) => ({ text: `${sessionsTarget.toLocaleString('en')} without error`, met: c >= sessionsTarget }),
    },
    {
      label: 'logins/s SCRAM-SHA-1 (STARTTLS)', digits: 0,
      get: (r) => val(r.loginScram, (d) => d.perSec),
      target: (c, p) => ({ text: '≥ 2× Prosody', met: p === undefined ? undefined : c >= 2 * p }),
    },
    {
      label: 'logins/s PLAIN (STARTTLS)', digits: 0,
      get: (r) => val(r.loginPlain, (d) => d.perSec),
      target: (c, p) => ({ text: '≥ 2× Prosody', met: p === undefined ? undefined : c >= 2 * p }),
    },
    { label: 'logins/s SCRAM-SHA-1 (WebSocket)', digits: 0, get: (r) => val(r.loginScramWs, (d) => d.perSec) },
    {
      label: 'messages/s at saturation', digits: 0,
      get: (r) => val(r.throughput, (d) => d.msgPerSec),
      target: (c, p, e) => ({
        text: '≥ 3× Prosody, ≥ ejabberd',
        met: p === undefined || e === undefined ? undefined : c >= 3 * p && c >= e,
      }),
    },
    { label: 'server CPU at saturation (cores)', digits: 2, get: (r) => val(r.throughput, (d) => d.serverCores) },
    { label: 'latency p50 at ½ saturation (ms)', lower: true, digits: 2, get: (r) => val(r.latencyHalf, (d) => d.p50) },
    { label: 'latency p99 at ½ saturation (ms)', lower: true, digits: 2, get: (r) => val(r.latencyHalf, (d) => d.p99) },
    { label: 'latency p50 at reference load (ms)', lower: true, digits: 2, get: (r) => val(r.latencyRef, (d) => d.p50) },
    {
      label: 'latency p99 at reference load (ms)', lower: true, digits: 2,
      get: (r) => val(r.latencyRef, (d) => d.p99),
      target: (c, p, e) => ({ text: 'below both', met: p === undefined || e === undefined ? undefined : c < p && c < e }),
    },
    {
      label: 'presence fan-out, last delivery (ms)', lower: true, digits: 1,
      get: (r) => val(r.fanout, (d) => d.medianMs),
    },
  ];
}

function fmt(v: Value | undefined, digits = 0): string {
  if (v === undefined) return '–';
  if (typeof v === 'string') return v;
  return v.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function table(results: ServerResult[], sessionsTarget: number): string[][] {
  const by = (n: ServerName) => results.find((r) => r.name === n);
  const c = by('carillon');
  const p = by('prosody');
  const e = by('ejabberd');
  const out: string[][] = [['', 'Carillon', 'Prosody', 'ejabberd', 'C/Prosody', 'C/ejabberd', 'target', 'met']];
  for (const row of rows(sessionsTarget)) {
    const cv = c && row.get(c);
    const pv = p && row.get(p);
    const ev = e && row.get(e);
    const cn = num(cv);
    const pn = num(pv);
    const en = num(ev);
    const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? `${(a / b).toFixed(2)}×` : '–');
    const verdict = row.target && cn !== undefined ? row.target(cn, pn, en) : row.target ? { text: row.target(0, 0, 0).text, met: c ? false : undefined } : undefined;
    out.push([
      row.label, fmt(cv, row.digits), fmt(pv, row.digits), fmt(ev, row.digits), ratio(cn, pn), ratio(cn, en),
      verdict?.text ?? '', verdict?.met === undefined ? '' : verdict.met ? 'yes' : 'NO',
    ]);
  }
  return out;
}

export function renderTerminal(t: string[][]): string {
  const widths = t[0].map((_, i) => Math.max(...t.map((r) => r[i].length)));
  return t
    .map((r, k) => {
      const line = r.map((cell, i) => (i === 0 || i >= 6 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
      return k === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

export function renderMarkdown(t: string[][]): string {
  const [head, ...body] = t;
  const align = head.map((_, i) => (i === 0 || i >= 6 ? ':--' : '--:'));
  return [head, align, ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** The failures behind FAILED cells, one line each. */
export function failures(results: ServerResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    if (r.error) out.push(`${r.name}: ${r.error}`);
    for (const [k, o] of Object.entries(r)) {
      const oc = o as Outcome<unknown> | undefined;
      if (oc && typeof oc === 'object' && 'status' in oc && oc.status === 'failed') out.push(`${r.name} ${k}: ${oc.error}`);
    }
  }
  return out;
}
