// A throwaway Prosody (Debian's package) with a component port, for interop tests.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Prosody {
  domain: string;
  c2sPort: number;
  componentPort: number;
  componentDomain: string;
  secret: string;
  dir: string;
  register(user: string, password: string): void;
  stop(): Promise<void>;
}

function waitPort(port: number, ms = 10000): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tryOnce = (): void => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(); });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`port ${port} not listening`));
        else setTimeout(tryOnce, 50);
      });
    };
    tryOnce();
  });
}

/** Start Prosody on ports base+222 (c2s) and base+347 (component); base in 21000-21999. */
export async function startProsody(base: number, domain = 'localhost'): Promise<Prosody> {
  const dir = mkdtempSync(join(tmpdir(), 'carillon-prosody-'));
  mkdirSync(join(dir, 'data'));
  const c2sPort = base + 222;
  const componentPort = base + 347;
  const componentDomain = `call.${domain}`;
  const cfg = join(dir, 'prosody.cfg.lua');
  writeFileSync(cfg, `
run_as_root = true
pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
admin_socket = "${dir}/data/prosody.sock"
log = { { levels = { min = "info" }, to = "file", filename = "${dir}/prosody.log" }; { levels = { min = "error" }, to = "console" } }
interfaces = { "127.0.0.1" }
c2s_ports = { ${c2sPort} }
s2s_ports = { ${base + 269} }
component_ports = { ${componentPort} }
component_interface = "127.0.0.1"
http_ports = { }
https_ports = { }
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "register"; "presence" }
authentication = "internal_plain"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
s2s_require_encryption = false
limits = { c2s = { rate = "10mb/s" } }
VirtualHost "${domain}"
Component "${componentDomain}"
  component_secret = "secret"
`);
  const proc: ChildProcess = spawn('prosody', ['--config', cfg, '-F'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
  proc.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
  try {
    await Promise.all([waitPort(c2sPort), waitPort(componentPort)]);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`prosody did not start: ${(e as Error).message}\n${output}`);
  }
  return {
    domain, c2sPort, componentPort, componentDomain, secret: 'secret', dir,
    register(user, password) {
      execFileSync('prosodyctl', ['--config', cfg, 'register', user, domain, password], { stdio: 'ignore' });
    },
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
