// A throwaway two-node ejabberd 23.01 cluster (Debian's package) on loopback, with one external
// component domain load-balanced over N component connections by `domain_balancing`
// (docs/scaling.md has the same configuration for operators).
//
// How two nodes share one machine without epmd: with ERL_DIST_PORT set, ejabberdctl starts the
// node with `-erl_epmd_port P -start_epmd false`, and Erlang then assumes port P for *every* node.
// So both nodes listen for distribution on the same port P, each on its own loopback address
// (ej1@127.0.0.1, ej2@127.0.0.2; all of 127.0.0.0/8 is on `lo`). ERL_EPMD_PORT points at a port
// where nothing listens, so the nodes never register with another run's epmd on 4369.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from './ports.js';

const run = promisify(execFile);

export interface ClusterNode {
  /** Erlang node name, e.g. ej1@127.0.0.1. */
  name: string;
  c2sPort: number;
  /** HTTP: WebSocket (/xmpp-websocket), BOSH (/bosh) and the admin API (/api, loopback only). */
  httpPort: number;
  /** XEP-0114 component listener for the balanced call domain. */
  componentPort: number;
}

export interface EjabberdCluster {
  domain: string;
  /** The component domain balanced over `components` connections. */
  callDomain: string;
  secret: string;
  nodes: [ClusterNode, ClusterNode];
  /** Milliseconds from the first `start` to both nodes listing each other in `list_cluster`. */
  startedInMs: number;
  /** Registers an account through node 1's HTTP API (Mnesia shares it with node 2). */
  register(user: string, password: string): Promise<void>;
  /** The node's ejabberd.log (i = 0 or 1). */
  log(i: 0 | 1): string;
  /** Kills both beams by the PIDs they wrote, and removes the directory. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  domain: string;
  /** `component_number` of domain_balancing: must equal the number of component instances run. */
  components: number;
  secret?: string;
}

function nodeYaml(o: { domain: string; callDomain: string; secret: string; components: number; node: ClusterNode }): string {
  // Plain c2s (no STARTTLS) keeps the test free of certificates; PLAIN over loopback only.
  return `hosts:
  - ${o.domain}
loglevel: info
listen:
  - port: ${o.node.c2sPort}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls: false
    access: c2s
  - port: ${o.node.httpPort}
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /xmpp-websocket: ejabberd_http_ws
      /bosh: mod_bosh
      /api: mod_http_api
  - port: ${o.node.componentPort}
    ip: "127.0.0.1"
    module: ejabberd_service
    hosts:
      ${o.callDomain}:
        password: "${o.secret}"
domain_balancing:
  ${o.callDomain}:
    type: bare_destination
    component_number: ${o.components}
auth_method: internal
auth_password_format: plain
registration_timeout: infinity
acl:
  loopback:
    ip: [127.0.0.0/8]
access_rules:
  c2s:
    allow: all
  local:
    allow: all
api_permissions:
  "loopback api":
    from: [ejabberd_ctl, mod_http_api]
    who:
      ip: 127.0.0.1/8
    what: "*"
modules:
  mod_admin_extra: {}
  mod_disco: {}
  mod_ping: {}
  mod_roster: {}
`;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => { s.destroy(); resolve(false); });
  });
}

function beamPid(dir: string): number | undefined {
  try {
    return Number(readFileSync(join(dir, 'ejabberd.pid'), 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` is the beam started from `dir` (a PID file can outlive its process). */
function isOurBeam(pid: number, dir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${dir}/`);
  } catch {
    return false;
  }
}

export async function startEjabberdCluster(opts: ClusterOptions): Promise<EjabberdCluster> {
  const secret = opts.secret ?? 'secret';
  const callDomain = `call.${opts.domain}`;
  const root = mkdtempSync(join(tmpdir(), 'carillon-ejcluster-'));
  const [distPort, epmdPort, ...p] = await freePorts(8);
  const nodes = [1, 2].map((i) => ({
    name: `ej${i}@127.0.0.${i}`, c2sPort: p[(i - 1) * 3]!, httpPort: p[(i - 1) * 3 + 1]!, componentPort: p[(i - 1) * 3 + 2]!,
  })) as [ClusterNode, ClusterNode];
  const cookie = Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  const dirs = nodes.map((node, k) => {
    const dir = join(root, `n${k + 1}`);
    for (const d of ['spool', 'logs']) mkdirSync(join(dir, d), { recursive: true });
    // ejabberdctl passes vm.args (-args_file) to the node and to every ctl client: one cookie for all.
    writeFileSync(join(dir, 'vm.args'), `-setcookie ${cookie}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'ejabberdctl.cfg'), [
      `ERLANG_NODE=${node.name}`,
      `INET_DIST_INTERFACE=127.0.0.${k + 1}`,
      `ERL_DIST_PORT=${distPort}`,
      `export ERL_EPMD_PORT=${epmdPort}`,
      'ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"',
      `EJABBERD_PID_PATH=${dir}/ejabberd.pid`,
      'EJABBERD_BYPASS_WARNINGS=true',
      '',
    ].join('\n'));
    writeFileSync(join(dir, 'ejabberd.yml'), nodeYaml({ domain: opts.domain, callDomain, secret, components: opts.components, node }));
    return dir;
  });
  // ejabberdctl switches to user ejabberd when run as root: its files must be that user's.
  execFileSync('chown', ['-R', 'ejabberd:ejabberd', root]);
  const ctl = (k: number, ...args: string[]) =>
    run('ejabberdctl', ['--config-dir', dirs[k]!, '--logs', join(dirs[k]!, 'logs'), '--spool', join(dirs[k]!, 'spool'), ...args], { timeout: 30_000 });
  const log = (k: number): string => {
    try {
      return readFileSync(join(dirs[k]!, 'logs', 'ejabberd.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const stop = async (): Promise<void> => {
    for (const dir of dirs) {
      const pid = beamPid(dir);
      if (pid && isOurBeam(pid, dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    process.off('exit', onExit);
    if (!process.env.KEEP_EJABBERD) rmSync(root, { recursive: true, force: true });
  };
  // A node is up once its listeners are (they open last, after Mnesia and the modules); this
  // costs a TCP connect, where every `ejabberdctl status` starts an Erlang VM. Polling is bounded,
  // and gives up as soon as the beam is gone.
  const waitStarted = async (k: number, what: string): Promise<void> => {
    const end = Date.now() + 60_000;
    for (;;) {
      if (await portOpen(nodes[k]!.componentPort)) return;
      const pid = beamPid(dirs[k]!);
      if ((pid && !isOurBeam(pid, dirs[k]!)) || Date.now() > end) {
        throw new Error(`ejabberd node ${k + 1} ${what}: ${log(k).split('\n').filter((l) => /\[(error|critical)\]/.test(l)).slice(-3).join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  // A test process that ends without stop() (a crash, mocha's --exit) takes the nodes with it.
  const onExit = (): void => {
    for (const dir of dirs) {
      const pid = beamPid(dir);
      if (pid && isOurBeam(pid, dir)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  };
  process.once('exit', onExit);
  const t0 = Date.now();
  try {
    await Promise.all([ctl(0, 'start'), ctl(1, 'start')]);
    await Promise.all([waitStarted(0, 'did not start'), waitStarted(1, 'did not start')]);
    // join_cluster stops node 2, replaces its schema by node 1's tables and starts it again; it
    // returns once node 2 runs again.
    await ctl(1, 'join_cluster', nodes[0].name);
    await waitStarted(1, 'did not come back after join_cluster');
    const end = Date.now() + 30_000;
    for (;;) {
      const [a, b] = await Promise.all([ctl(0, 'list_cluster'), ctl(1, 'list_cluster')]);
      if (a.stdout.includes(nodes[1].name) && b.stdout.includes(nodes[0].name)) break;
      if (Date.now() > end) throw new Error(`cluster did not form: node 1 lists [${a.stdout.trim()}], node 2 [${b.stdout.trim()}]`);
      await new Promise((r) => setTimeout(r, 300));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    domain: opts.domain,
    callDomain,
    secret,
    nodes,
    startedInMs: Date.now() - t0,
    async register(user, password) {
      const res = await fetch(`http://127.0.0.1:${nodes[0].httpPort}/api/register`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user, host: opts.domain, password }),
      });
      if (!res.ok) throw new Error(`register ${user}: HTTP ${res.status} ${await res.text()}`);
    },
    log: (i) => log(i),
    stop,
  };
}
