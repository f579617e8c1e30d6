// ejabberd 23.01 (Debian's package) as an anchor: SCRAM credential storage, STARTTLS, open
// in-band registration without the per-IP timeout, warning-level logs, no archive (no mod_mam).
// Under load it needs a larger listener backlog and auth cache, and a nofile limit above 1024 for
// the `ejabberd` user it runs as.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ensureDebianPackages, isAlive, killAndWait, makeCert, NOFILE, sleep, waitPort, writeText } from './proc.js';
import { targetFor, type BenchServer, type ServerOptions } from './types.js';
import type { Target } from '../load/session.js';

const LIMITS_FILE = '/etc/security/limits.d/ejabberd-nofile.conf';

export class EjabberdServer implements BenchServer {
  readonly name = 'ejabberd' as const;
  version = 'ejabberd';
  pid = 0;
  target: Target;
  notes = [
    'auth_password_format: scram, auth_cache_size: 100000',
    'c2s backlog: 4096, registration_timeout: infinity, no mod_mam',
    `nofile ${NOFILE} for user ejabberd`,
  ];
  private epmdWasRunning = false;

  constructor(private readonly o: ServerOptions) {
    this.target = targetFor(o);
  }

  private ctl(args: string[], timeoutMs = 60_000): string {
    const dir = this.o.workDir;
    const cmd = ['ejabberdctl', '--config-dir', dir, '--logs', `${dir}/logs`, '--spool', `${dir}/spool`, ...args]
      .map((a) => `'${a}'`).join(' ');
    const r = spawnSync('sh', ['-c', `ulimit -n ${NOFILE} 2>/dev/null; ${cmd}`], { encoding: 'utf8', timeout: timeoutMs });
    if (r.status !== 0) throw new Error(`ejabberdctl ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  async start(): Promise<void> {
    ensureDebianPackages(['ejabberd'], this.o.log);
    try {
      this.version = `ejabberd ${execFileSync('dpkg-query', ['-W', '-f=${Version}', 'ejabberd'], { encoding: 'utf8' })}`;
    } catch {
      /* keep the name */
    }
    if (!existsSync(LIMITS_FILE)) {
      // su applies pam_limits for the ejabberd user; make sure it may hold many sockets.
      try {
        writeFileSync(LIMITS_FILE, `ejabberd soft nofile ${NOFILE}\nejabberd hard nofile ${NOFILE}\n`);
      } catch {
        this.o.log(`could not write ${LIMITS_FILE}; ejabberd keeps the inherited nofile limit`);
      }
    }
    this.epmdWasRunning = spawnSync('pgrep', ['-x', 'epmd']).status === 0;
    const dir = this.o.workDir;
    const d = this.o.domain;
    const p = this.o.ports;
    for (const sub of ['spool', 'logs', 'certs']) mkdirSync(`${dir}/${sub}`, { recursive: true });
    const { key, cert } = makeCert(`${dir}/certs`, d);
    writeFileSync(`${dir}/certs/${d}.pem`, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'));
    writeText(`${dir}/ejabberdctl.cfg`, `ERLANG_NODE=bench-ejabberd@localhost
INET_DIST_INTERFACE=127.0.0.1
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"
ERL_MAX_PORTS=65536
export ERL_EPMD_ADDRESS=127.0.0.1
EJABBERD_PID_PATH=${dir}/ejabberd.pid
`);
    writeText(`${dir}/ejabberd.yml`, `hosts:
  - ${d}
loglevel: warning
certfiles:
  - ${dir}/certs/${d}.pem
listen:
  - port: ${p.c2s}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls: true
    starttls_required: false
    backlog: 4096
    access: c2s
  - port: ${p.http}
    ip: "127.0.0.1"
    module: ejabberd_http
    backlog: 4096
    request_handlers:
      /xmpp-websocket: ejabberd_http_ws
auth_method: internal
auth_password_format: scram
auth_cache_size: 100000
registration_timeout: infinity
acl:
  loopback:
    ip: [127.0.0.0/8, "::1/128"]
access_rules:
  c2s:
    allow: all
  register:
    allow: all
  local:
    allow: all
modules:
  mod_blocking: {}
  mod_caps: {}
  mod_carboncopy: {}
  mod_client_state: {}
  mod_disco: {}
  mod_offline: {}
  mod_ping: {}
  mod_privacy: {}
  mod_private: {}
  mod_pubsub: {plugins: [flat, pep]}
  mod_register: {ip_access: all, access: register}
  mod_roster: {versioning: true}
  mod_stream_mgmt: {}
  mod_vcard: {}
`);
    // ejabberdctl switches to user ejabberd: the instance must be reachable and owned by it.
    chmodSync(dir, 0o755);
    for (let up = dir; up !== '/' && up.startsWith('/tmp/'); up = up.slice(0, up.lastIndexOf('/')) || '/') {
      try {
        chmodSync(up, 0o755);
      } catch {
        break;
      }
    }
    execFileSync('chown', ['-R', 'ejabberd:ejabberd', dir]);
    this.ctl(['start']);
    this.ctl(['started'], 120_000);
    for (let i = 0; i < 50 && !existsSync(`${dir}/ejabberd.pid`); i++) await sleep(100);
    this.pid = Number(readFileSync(`${dir}/ejabberd.pid`, 'utf8').trim());
    await waitPort(p.c2s, 30_000, () => isAlive(this.pid));
    const limits = readFileSync(`/proc/${this.pid}/limits`, 'utf8');
    const m = /Max open files\s+(\d+)/.exec(limits);
    if (m && Number(m[1]) < 12000) this.o.log(`warning: ejabberd runs with nofile ${m[1]}`);
  }

  async stop(): Promise<void> {
    if (this.pid) await killAndWait(this.pid, 10_000);
    if (!this.epmdWasRunning) {
      const r = spawnSync('pgrep', ['-x', 'epmd'], { encoding: 'utf8' });
      for (const pid of r.stdout.split('\n').filter(Boolean).map(Number)) await killAndWait(pid, 2000);
    }
  }
}
