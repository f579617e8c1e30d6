// Prosody 0.12 (Debian's package) as an anchor: hashed credentials, STARTTLS, open in-band
// registration without throttling for loopback, warn-level logs, no archive (no mod_mam).
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { ensureDebianPackages, killAndWait, makeCert, spawnWithLimit, waitPort, writeText } from './proc.js';
import { targetFor, type BenchServer, type ServerOptions } from './types.js';
import type { Target } from '../load/session.js';

export class ProsodyServer implements BenchServer {
  readonly name = 'prosody' as const;
  version = 'prosody';
  pid = 0;
  target: Target;
  notes = [
    'authentication = internal_hashed (SCRAM-SHA-1 stored keys)',
    'network_backend = epoll (0.12 default), nagle = false (TCP_NODELAY like the others), no mod_mam, no mod_limits',
    'registration_whitelist = 127.0.0.1 (no throttle)',
  ];
  private proc: ChildProcess | null = null;

  constructor(private readonly o: ServerOptions) {
    this.target = targetFor(o);
  }

  async start(): Promise<void> {
    ensureDebianPackages(['prosody', 'lua-unbound'], this.o.log);
    try {
      const v = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'prosody'], { encoding: 'utf8' });
      this.version = `Prosody ${v}`;
    } catch {
      /* keep the name */
    }
    const dir = this.o.workDir;
    mkdirSync(`${dir}/data`, { recursive: true });
    mkdirSync(`${dir}/certs`, { recursive: true });
    makeCert(`${dir}/certs`, this.o.domain);
    const p = this.o.ports;
    writeText(`${dir}/prosody.cfg.lua`, `-- benchmark instance
run_as_root = true
pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
certificates = "${dir}/certs"
log = { { levels = { min = "warn" }, to = "file", filename = "${dir}/prosody.log" } }
interfaces = { "127.0.0.1" }
c2s_ports = { ${p.c2s} }
s2s_ports = { ${p.s2s} }
component_ports = { ${p.components} }
component_interface = "127.0.0.1"
http_ports = { ${p.http} }
http_interfaces = { "127.0.0.1" }
https_ports = { }
http_default_host = "${this.o.domain}"
network_backend = "epoll"
network_settings = { nagle = false }  -- TCP_NODELAY, as ejabberd and Carillon do
modules_enabled = {
  "roster"; "saslauth"; "tls"; "dialback"; "disco"; "ping"; "register"; "websocket";
  "carbons"; "pep"; "blocklist"; "vcard_legacy"; "private"; "smacks"; "csi_simple"; "offline";
}
authentication = "internal_hashed"
allow_registration = true
registration_whitelist = { "127.0.0.1" }
min_seconds_between_registrations = 0
c2s_require_encryption = false
consider_websocket_secure = true
s2s_secure_auth = false
VirtualHost "${this.o.domain}"
`);
    this.proc = spawnWithLimit('prosody', ['--config', `${dir}/prosody.cfg.lua`, '-F'], { cwd: dir, log: `${dir}/console.log` });
    this.pid = this.proc.pid ?? 0;
    const proc = this.proc;
    await waitPort(p.c2s, 15_000, () => proc.exitCode === null);
  }

  async stop(): Promise<void> {
    if (this.pid) await killAndWait(this.pid);
    this.proc = null;
  }
}
