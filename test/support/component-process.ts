// `carillon component --config FILE` as its own process, the way an operator runs it next to a
// foreign server. It is started in a session of its own (setsid, `detached`), so that stopping it
// kills its whole process group: nothing it started stays attached to the server.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BIN = join(ROOT, 'bin', 'carillon.js');

/** One line of the component's JSON log (component/cli.ts writes them to stderr). */
export interface LogLine { level: string; msg?: string; [field: string]: unknown }

export interface ComponentSettings {
  service: string;
  domain: string;
  secret: string;
  dataDir: string;
  media: { portMin: number; portMax: number; bindAddress?: string };
}

/** Process groups still running, killed if the test process exits without stopping them. */
const running = new Set<number>();
process.once('exit', () => {
  for (const pgid of running) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

export class ComponentProcess {
  readonly lines: LogLine[] = [];
  private child?: ChildProcess;
  private waiters: Array<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  private exited?: Promise<void>;

  /** `dir` holds the config file and, as dataDir, the instance's rooms.db. */
  constructor(readonly name: string, readonly dir: string, readonly settings: ComponentSettings) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'call.json'), JSON.stringify({ component: settings }, null, 2));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process and resolves once it is attached ("call component online"). */
  async start(timeoutMs = 30_000): Promise<void> {
    if (!existsSync(join(ROOT, 'dist', 'server', 'cli.js'))) throw new Error('bin/carillon.js needs the build: run `npm run build` first');
    this.lines.length = 0; // a restart logs afresh
    const child = spawn(process.execPath, [BIN, 'component', '--config', join(this.dir, 'call.json')], {
      cwd: this.dir, detached: true, stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    running.add(child.pid!);
    this.exited = new Promise((done) => child.once('exit', () => { running.delete(child.pid!); done(); }));
    createInterface({ input: child.stderr! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { level: 'text', msg: text };
      }
      this.lines.push(line);
      if (process.env.CALL_DEBUG) console.log(`[${this.name}]`, text);
      this.waiters = this.waiters.filter((w) => (w.pred(line) ? (w.resolve(line), false) : true));
    });
    const failed = this.exited.then(() => { throw new Error(`${this.name} exited: ${this.lines.map((l) => l.msg).join(' | ')}`); });
    await Promise.race([this.waitLog((l) => l.msg === 'call component online', timeoutMs), failed]);
  }

  /** The first log line (already written or to come) that matches. */
  waitLog(pred: (l: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (l: LogLine) => { clearTimeout(t); resolve(l); } };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`${this.name}: no log line as expected within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Whether this instance created the room (its log line "room created"). */
  holds(room: string): boolean {
    return this.lines.some((l) => l.msg === 'room created' && l.room === room);
  }

  /** Kills the process group: SIGKILL is a crash, SIGTERM a clean stop. Resolves once it is gone. */
  async kill(signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
    await this.exited;
  }
}
