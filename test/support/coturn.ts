// Debian's coturn (turnserver) for tests: a relay on loopback with TURN REST authentication
// (`use-auth-secret` + `static-auth-secret`), as docs/nat.md deploys it next to Carillon, in a
// scratch directory, stopped by its PID. `--allow-loopback-peers` because every peer here is on
// 127.0.0.1 (coturn refuses loopback peers with 403 otherwise).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, freePortRange } from './ports.js';
import { until } from './until.js';

export interface Coturn {
  /** STUN/TURN over UDP and TCP on 127.0.0.1. */
  port: number;
  /** The relayed addresses' port range. */
  relay: { portMin: number; portMax: number };
  realm: string;
  secret: string;
  dir: string;
  /** turnserver's log so far. */
  log(): string;
  stop(): Promise<void>;
}

/** True once something answers a STUN Binding request (RFC 5389 §6) on `port` with a success response. */
function answersBinding(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const req = Buffer.alloc(20);
    req.writeUInt16BE(0x0001, 0);
    req.writeUInt32BE(0x2112a442, 4);
    randomBytes(12).copy(req, 8);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 500);
    sock.on('message', (buf) => done(buf.length >= 20 && buf.readUInt16BE(0) === 0x0101 && buf.subarray(8, 20).equals(req.subarray(8, 20))));
    sock.on('error', () => done(false));
    sock.send(req, port, '127.0.0.1');
  });
}

export async function startCoturn(opts: { secret: string; realm: string; relayPorts?: number }): Promise<Coturn> {
  const dir = mkdtempSync(join(tmpdir(), 'carillon-coturn-'));
  const port = await freePort();
  const relay = await freePortRange(opts.relayPorts ?? 20);
  const logFile = join(dir, 'turnserver.log');
  const proc: ChildProcess = spawn('turnserver', [
    '-n', '--listening-ip=127.0.0.1', `--listening-port=${port}`, '--relay-ip=127.0.0.1', `--min-port=${relay.portMin}`, `--max-port=${relay.portMax}`,
    '--use-auth-secret', `--static-auth-secret=${opts.secret}`, `--realm=${opts.realm}`, '--no-tls', '--no-dtls', '--no-cli',
    '--allow-loopback-peers', '--no-multicast-peers', '--fingerprint',
    `--log-file=${logFile}`, '--simple-log', `--pidfile=${join(dir, 'turnserver.pid')}`, `--userdb=${join(dir, 'turndb')}`,
  ], { stdio: 'ignore' });
  const log = () => { try { return readFileSync(logFile, 'utf8'); } catch { return ''; } };
  const stop = async () => {
    if (proc.pid !== undefined && proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise((resolve) => proc.once('exit', resolve));
      process.kill(proc.pid, 'SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`turnserver exited (${code}):\n${log()}`))));
  exited.catch(() => undefined);
  try {
    await Promise.race([exited, until(() => answersBinding(port), 'turnserver to answer STUN', 15_000)]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, relay, realm: opts.realm, secret: opts.secret, dir, log, stop };
}
