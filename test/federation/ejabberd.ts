// A throwaway ejabberd 23.01 (Debian's package) serving one domain on loopback, as a second
// federation peer. ejabberd looks up SRV records with Erlang's resolver (which `inetrc` points at
// our loopback DNS server) but resolves the SRV target with the system's getaddrinfo, so the test
// DNS server names `localhost` as the target.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from '../support/ports.js';
import { until } from '../support/until.js';

const run = promisify(execFile);

export interface Ejabberd {
  domain: string;
  c2sPort: number;
  s2sPort: number;
  register(user: string, password: string): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The PID listening on a TCP port, from /proc (no extra tools). */
function pidListening(port: number): number | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A') inodes.add(cols[9]!);
    }
  }
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(pid);
      } catch {
        /* gone */
      }
    }
  }
  return undefined;
}

let started = 0;

/**
 * Starts ejabberd for `domain` on free c2s and s2s ports, resolving other domains through the DNS
 * server on `dnsPort`. The Erlang node name is unique to this process, so instances of several
 * test runs can share the machine's epmd.
 */
export async function startEjabberd(domain: string, dnsPort: number): Promise<Ejabberd> {
  const dir = mkdtempSync(join(tmpdir(), 'carillon-fed-ejabberd-'));
  for (const d of ['spool', 'logs', 'certs']) mkdirSync(join(dir, d));
  const [c2sPort, s2sPort] = (await freePorts(2)) as [number, number];
  const nodeName = `carillonfed${process.pid}x${++started}`;
  const node = `${nodeName}@127.0.0.1`;
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', `/CN=${domain}`, '-addext', `subjectAltName=DNS:${domain},DNS:*.${domain}`,
    '-keyout', join(dir, 'certs', 'key.pem'), '-out', join(dir, 'certs', 'crt.pem')], { stdio: 'ignore' });
  writeFileSync(join(dir, 'certs', `${domain}.pem`), readFileSync(join(dir, 'certs', 'crt.pem'), 'utf8') + readFileSync(join(dir, 'certs', 'key.pem'), 'utf8'));
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'inetrc'), `{resolv_conf, ""}.\n{hosts_file, ""}.\n{lookup, [dns]}.\n{nameserver, {127,0,0,1}, ${dnsPort}}.\n{timeout, 1000}.\n{retry, 1}.\n`);
  writeFileSync(join(dir, 'ejabberdctl.cfg'), `ERLANG_NODE=${node}\nINET_DIST_INTERFACE=127.0.0.1\nERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"\nexport ERL_EPMD_ADDRESS=127.0.0.1\nEJABBERD_PID_PATH=${dir}/ejabberd.pid\n`);
  writeFileSync(join(dir, 'ejabberd.yml'), `hosts:
  - ${domain}
loglevel: debug
certfiles:
  - ${dir}/certs/${domain}.pem
listen:
  - port: ${c2sPort}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls: true
    access: c2s
  - port: ${s2sPort}
    ip: "127.0.0.1"
    module: ejabberd_s2s_in
s2s_use_starttls: required
outgoing_s2s_families: [ipv4]
auth_method: internal
auth_password_format: plain
access_rules:
  c2s:
    allow: all
  s2s:
    allow: all
  local:
    allow: all
modules:
  mod_disco: {}
  mod_ping: {}
  mod_roster: {}
  mod_s2s_dialback: {}
  mod_vcard: {}
`);
  execFileSync('chown', ['-R', 'ejabberd:ejabberd', dir]);
  const epmdWasRunning = await portOpen(4369);
  const ctl = (...args: string[]) => run('ejabberdctl', ['--config-dir', dir, '--logs', join(dir, 'logs'), '--spool', join(dir, 'spool'), ...args], { timeout: 30000 });
  const beamPid = () => {
    try {
      return Number(readFileSync(join(dir, 'ejabberd.pid'), 'utf8').trim()) || undefined;
    } catch {
      return pidListening(c2sPort);
    }
  };
  try {
    await ctl('start');
    await ctl('started');
  } catch (e) {
    // Whatever came up must not outlive the failed start.
    const pid = beamPid();
    if (pid) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const beam = beamPid();
  const epmd = epmdWasRunning ? undefined : pidListening(4369);
  return {
    domain,
    c2sPort,
    s2sPort,
    async register(user, password) {
      await ctl('register', user, domain, password);
    },
    log: () => {
      try {
        return readFileSync(join(dir, 'logs', 'ejabberd.log'), 'utf8');
      } catch {
        return '';
      }
    },
    async stop() {
      const kill = (pid: number | undefined) => {
        try {
          if (pid) process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      };
      kill(beam);
      if (epmd) {
        // The epmd we started may since serve other Erlang nodes on this machine: leave it to them.
        // It forgets our node when the node's connection to it closes, once the process is gone.
        const names = () => run('epmd', ['-names']).then((r) => r.stdout, () => '');
        await until(async () => !new RegExp(`^name ${nodeName} `, 'm').test(await names()), `epmd to forget ${nodeName}`, 10_000);
        if (!/^name /m.test(await names())) kill(epmd);
      }
      if (!process.env.KEEP_EJABBERD) rmSync(dir, { recursive: true, force: true });
    },
  };
}
