// A throwaway Prosody 0.12 (Debian's package) on loopback, for interop tests: a c2s port always,
// and on request a component port, federation (s2s with a certificate and dialback, finding peers
// through a loopback DNS server) and WebSocket. Every port (c2s, s2s, HTTP, components, and the STUN
// server announced through XEP-0215) is a free one allocated at start, so instances never collide.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './ports.js';

export interface ProsodyOptions {
  domain?: string;
  /** An external component (XEP-0114) with its secret. */
  component?: { domain: string; secret: string };
  /** Server-to-server: peers are found through the DNS server on this loopback UDP port. */
  federation?: { dnsPort: number; secureAuth?: boolean };
  /** XMPP over WebSocket on the HTTP port, with carbons, smacks and a STUN server in XEP-0215. */
  websocket?: boolean;
  /** More of Prosody's own modules to enable (mod_<name>), beyond the ones above. */
  modules?: string[];
  /** Log level of the file log (prosody.log in the instance's folder). */
  logLevel?: 'debug' | 'info';
}

export interface Prosody {
  domain: string;
  dir: string;
  c2sPort: number;
  s2sPort: number;
  httpPort: number;
  componentPort: number;
  websocketUrl: string;
  stunUrl: string;
  register(user: string, password: string): void;
  log(): string;
  /** Stops and starts the same instance (same ports and data). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function waitPort(port: number, ms = 10_000): Promise<void> {
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

export async function startProsody(opts: ProsodyOptions): Promise<Prosody> {
  const domain = opts.domain ?? 'localhost';
  const [c2s, s2s, http, component, stun] = await freePorts(5);
  const dir = mkdtempSync(join(tmpdir(), 'carillon-prosody-'));
  mkdirSync(join(dir, 'data'));
  const ports = { c2s: c2s!, s2s: s2s!, http: http!, component: component!, stun: stun! };
  const modules = ['roster', 'saslauth', 'disco', 'ping', 'register', 'presence', ...(opts.modules ?? [])];
  const lines: string[] = [];
  if (opts.federation) {
    mkdirSync(join(dir, 'certs'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', `/CN=${domain}`,
      '-addext', `subjectAltName=DNS:${domain},DNS:*.${domain}`, '-keyout', join(dir, 'certs', `${domain}.key`), '-out', join(dir, 'certs', `${domain}.crt`)], { stdio: 'ignore' });
    modules.push('tls', 'dialback', 'private', 'vcard_legacy', 'pep');
    lines.push(
      `certificates = "${dir}/certs"`,
      `modules_disabled = { "s2s_bidi" }`,
      `s2s_require_encryption = true`,
      `s2s_secure_auth = ${opts.federation.secureAuth ? 'true' : 'false'}`,
      // libunbound refuses loopback servers and the .test TLD unless told (see INTEROP notes in docs/federation.md).
      `unbound = { resolvconf = false; hoststxt = false; forward = "127.0.0.1@${opts.federation.dnsPort}";`,
      `            options = { ["do-not-query-localhost:"] = "no"; ["local-zone:"] = "test. transparent" } }`,
    );
  } else {
    lines.push(`modules_disabled = { "s2s"; "tls" }`, `s2s_require_encryption = false`);
  }
  if (opts.websocket) {
    modules.push('websocket', 'carbons', 'smacks', 'offline', 'external_services');
    lines.push(
      `http_interfaces = { "127.0.0.1" }`,
      `consider_websocket_secure = true`,
      `cross_domain_websocket = true`,
      `external_services = { { type = "stun", transport = "udp", host = "127.0.0.1", port = ${ports.stun} } }`,
    );
  }
  const cfg = join(dir, 'prosody.cfg.lua');
  writeFileSync(cfg, `
run_as_root = true
pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
admin_socket = "${dir}/data/prosody.sock"
log = { { levels = { min = "${opts.logLevel ?? 'info'}" }, to = "file", filename = "${dir}/prosody.log" }; { levels = { min = "error" }, to = "console" } }
interfaces = { "127.0.0.1" }
c2s_ports = { ${ports.c2s} }
s2s_ports = { ${opts.federation ? ports.s2s : ''} }
component_ports = { ${opts.component ? ports.component : ''} }
component_interface = "127.0.0.1"
http_ports = { ${opts.websocket ? ports.http : ''} }
https_ports = { }
modules_enabled = { ${modules.map((m) => `"${m}"`).join('; ')} }
authentication = "internal_hashed"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
limits = { c2s = { rate = "10mb/s" }; s2sin = { rate = "10mb/s" } }
${lines.join('\n')}
VirtualHost "${domain}"
${opts.component ? `Component "${opts.component.domain}"\n  component_secret = "${opts.component.secret}"` : ''}
`);
  const waitFor = [ports.c2s, ...(opts.federation ? [ports.s2s] : []), ...(opts.component ? [ports.component] : []), ...(opts.websocket ? [ports.http] : [])];

  const launch = async (): Promise<ChildProcess> => {
    const proc = spawn('prosody', ['--config', cfg, '-F'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await Promise.all(waitFor.map((p) => waitPort(p)));
    } catch (e) {
      proc.kill('SIGKILL');
      throw new Error(`prosody did not start: ${(e as Error).message}\n${output}`);
    }
    return proc;
  };
  const kill = async (proc: ChildProcess): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  };

  let proc: ChildProcess;
  try {
    proc = await launch();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    domain,
    dir,
    c2sPort: ports.c2s,
    s2sPort: ports.s2s,
    httpPort: ports.http,
    componentPort: ports.component,
    websocketUrl: `ws://127.0.0.1:${ports.http}/xmpp-websocket`,
    stunUrl: `stun:127.0.0.1:${ports.stun}`,
    register(user, password) {
      execFileSync('prosodyctl', ['--config', cfg, 'register', user, domain, password], { stdio: 'ignore' });
    },
    log: () => readFileSync(join(dir, 'prosody.log'), 'utf8'),
    async restart() {
      await kill(proc);
      proc = await launch();
    },
    async stop() {
      await kill(proc);
      if (!process.env.KEEP_PROSODY) rmSync(dir, { recursive: true, force: true });
    },
  };
}
