// A throwaway Prosody 0.12 (Debian's package) serving one domain on loopback, as a federation peer.
// It finds other servers only through DNS, so the config forwards libunbound to our test DNS server.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Prosody {
  domain: string;
  c2sPort: number;
  s2sPort: number;
  dir: string;
  register(user: string, password: string): void;
  log(): string;
  stop(): Promise<void>;
}

function waitPort(port: number, ms = 10000): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`port ${port} not listening`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Starts Prosody for `domain`: c2s on base+222, s2s on base+269; `dnsPort` is the loopback DNS server. */
export async function startProsody(domain: string, base: number, dnsPort: number, opts: { secureAuth?: boolean } = {}): Promise<Prosody> {
  const dir = mkdtempSync(join(tmpdir(), 'carillon-fed-prosody-'));
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'certs'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', `/CN=${domain}`,
    '-addext', `subjectAltName=DNS:${domain},DNS:*.${domain}`, '-keyout', join(dir, 'certs', `${domain}.key`), '-out', join(dir, 'certs', `${domain}.crt`)], { stdio: 'ignore' });
  const c2sPort = base + 222;
  const s2sPort = base + 269;
  const cfg = join(dir, 'prosody.cfg.lua');
  writeFileSync(cfg, `
run_as_root = true
pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
certificates = "${dir}/certs"
admin_socket = "${dir}/data/prosody.sock"
log = { { levels = { min = "debug" }, to = "file", filename = "${dir}/prosody.log" }; { levels = { min = "error" }, to = "console" } }
interfaces = { "127.0.0.1" }
c2s_ports = { ${c2sPort} }
s2s_ports = { ${s2sPort} }
component_ports = { }
http_ports = { }
https_ports = { }
modules_enabled = { "roster"; "saslauth"; "tls"; "dialback"; "disco"; "ping"; "register"; "private"; "vcard_legacy"; "pep" }
modules_disabled = { "s2s_bidi" }
authentication = "internal_plain"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
s2s_require_encryption = true
s2s_secure_auth = ${opts.secureAuth ? 'true' : 'false'}
limits = { c2s = { rate = "10mb/s" }; s2sin = { rate = "10mb/s" } }
unbound = { resolvconf = false; hoststxt = false; forward = "127.0.0.1@${dnsPort}";
            options = { ["do-not-query-localhost:"] = "no"; ["local-zone:"] = "test. transparent" } }
VirtualHost "${domain}"
`);
  const proc: ChildProcess = spawn('prosody', ['--config', cfg, '-F'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  try {
    await Promise.all([waitPort(c2sPort), waitPort(s2sPort)]);
  } catch (e) {
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`prosody did not start: ${(e as Error).message}\n${output}`);
  }
  return {
    domain,
    c2sPort,
    s2sPort,
    dir,
    register(user, password) {
      execFileSync('prosodyctl', ['--config', cfg, 'register', user, domain, password], { stdio: 'ignore' });
    },
    log: () => readFileSync(join(dir, 'prosody.log'), 'utf8'),
    async stop() {
      if (proc.exitCode === null && proc.pid) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      if (!process.env.KEEP_PROSODY) rmSync(dir, { recursive: true, force: true });
    },
  };
}
