// The runner's side of the load workers: forks them, sends commands, gathers replies.
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command, Reply } from './protocol.js';
import type { Target } from './session.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export class WorkerPool {
  private readonly procs: ChildProcess[] = [];
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) {
      const p = fork(WORKER, [], { execArgv: ['--import', 'tsx', '--max-old-space-size=4096'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      // Thousands of sockets per worker: lift the soft nofile limit to the hard one.
      if (p.pid) spawnSync('sh', ['-c', `prlimit --pid ${p.pid} --nofile=$(ulimit -Hn):$(ulimit -Hn)`]);
      p.on('message', (m: Reply) => {
        const w = this.pending.get(m.id);
        if (!w) return;
        this.pending.delete(m.id);
        if (m.ok) w.resolve(m.result);
        else w.reject(new Error(`worker ${i}: ${m.error}`));
      });
      p.on('exit', (code) => {
        for (const [id, w] of this.pending) {
          w.reject(new Error(`worker ${i} exited with ${code}`));
          this.pending.delete(id);
        }
      });
      this.procs.push(p);
    }
  }

  pids(): number[] {
    return this.procs.map((p) => p.pid ?? 0);
  }

  call<T>(worker: number, cmd: Command): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.procs[worker].send({ id, cmd });
    });
  }

  /** The same command (or one built per worker) on every worker, in parallel. */
  all<T>(cmd: Command | ((worker: number) => Command)): Promise<T[]> {
    return Promise.all(this.procs.map((_, i) => this.call<T>(i, typeof cmd === 'function' ? cmd(i) : cmd)));
  }

  /** Splits items round-robin across workers. */
  split<T>(items: T[]): T[][] {
    const out: T[][] = this.procs.map(() => []);
    items.forEach((it, k) => out[k % this.size].push(it));
    return out;
  }

  async setTarget(target: Target): Promise<void> {
    await this.all({ op: 'target', target });
  }

  async close(): Promise<void> {
    for (const p of this.procs) {
      if (p.connected) p.disconnect();
    }
    await Promise.all(
      this.procs.map((p) =>
        p.exitCode !== null ? undefined : new Promise<void>((r) => {
          const t = setTimeout(() => {
            p.kill('SIGKILL');
            r();
          }, 5000);
          p.once('exit', () => {
            clearTimeout(t);
            r();
          });
        })),
    );
  }
}
