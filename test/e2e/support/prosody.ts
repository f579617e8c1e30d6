// A throwaway Prosody 0.12 (Debian package) with WebSocket, for the interop run of the web client.
// Ports 20500-20999 are this folder's; the instance lives in a temp dir removed on stop.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

export interface Prosody {
  domain: string;
  /** The ICE server the client should learn through XEP-0215. */
  stunUrl: string;
  websocketUrl: string;
  addUser(local: string, password: string): void;
  /** Stops and starts the same instance (same ports and data). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function waitPort(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`prosody did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startProsody(base = 20500): Promise<Prosody> {
  const dir = mkdtempSync(join(tmpdir(), 'carillon-e2e-prosody-'));
  const domain = 'localhost';
  const c2s = base + 222;
  const httpPort = base + 280;
  mkdirSync(join(dir, 'data'));
  const cfg = join(dir, 'prosody.cfg.lua');
  writeFileSync(cfg, `
run_as_root = true
pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
admin_socket = "${dir}/data/prosody.sock"
log = { { levels = { min = "info" }, to = "file", filename = "${dir}/prosody.log" }; { levels = { min = "error" }, to = "console" }; }
interfaces = { "127.0.0.1" }
c2s_ports = { ${c2s} }
s2s_ports = { }
component_ports = { }
http_ports = { ${httpPort} }
http_interfaces = { "127.0.0.1" }
https_ports = { }
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "register"; "websocket"; "carbons"; "smacks"; "presence"; "offline"; "external_services" }
modules_disabled = { "s2s"; "tls" }
authentication = "internal_hashed"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
consider_websocket_secure = true
cross_domain_websocket = true
limits = { c2s = { rate = "10mb/s" } }
-- XEP-0215: a STUN server for the client to find (nothing needs to answer on it: host
-- candidates connect on loopback either way)
external_services = { { type = "stun", transport = "udp", host = "127.0.0.1", port = ${base + 478} } }
VirtualHost "${domain}"
`);
  const launch = async (): Promise<ChildProcess> => {
    const proc = spawn('prosody', ['--config', cfg, '-F'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (d) => { stderr += d; });
    try {
      await waitPort(c2s, 10_000);
      await waitPort(httpPort, 10_000);
    } catch (err) {
      proc.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${stderr}`);
    }
    return proc;
  };
  const kill = async (proc: ChildProcess) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };
  let proc: ChildProcess;
  try {
    proc = await launch();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    domain,
    stunUrl: `stun:127.0.0.1:${base + 478}`,
    websocketUrl: `ws://127.0.0.1:${httpPort}/xmpp-websocket`,
    addUser(local, password) {
      execFileSync('prosodyctl', ['--config', cfg, 'register', local, domain, password], { stdio: 'pipe' });
    },
    async restart() {
      await kill(proc);
      proc = await launch();
    },
    async stop() {
      await kill(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
