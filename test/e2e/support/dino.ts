// Dino (Debian's dino-im 0.4) as a real native peer, headless: its own X server (Xvfb), session
// bus (for AT-SPI), PulseAudio with a null sink whose monitor is the microphone (fed a tone), and
// Dino itself in a private mount namespace where the system CA bundle includes the test's CA
// (Dino accepts no self-signed certificate and has no "trust this" dialog) and an LD_PRELOAD
// that sends its DNS queries to the test's DNS server (Dino has no host/port setting: it finds
// the c2s port by SRV). Nothing outside the test's directory changes. Driven by AT-SPI
// (support/dino/drive.py).
//
// The microphone is suspended (a PulseAudio source that delivers nothing) until the test opens it
// with microphone(true) once Dino's media pipeline runs. Dino 0.4.2 builds a call's pipeline in
// two steps (libdino's stream_created handler links the microphone, then the RTP stream is
// created): the microphone's source element is already PLAYING while the encoder behind it is
// not yet, and a first sample arriving in that window is refused (GStreamer FLOW_FLUSHING), which
// stops the source's streaming task for the rest of the call: the call connects, sound from the
// web reaches Dino, and Dino sends nothing but RTCP. A live microphone hits this now and then,
// more often on a loaded machine (GST_DEBUG=basesrc:5 shows "pausing after gst_pad_push() =
// flushing" on pulsedevice1). A source that delivers nothing yet cannot hit it.
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, openSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { until } from '../../support/until.js';

const HERE = fileURLToPath(new URL('./dino/', import.meta.url));
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** What the test needs from the system, by command, with the Debian package that brings it. */
const NEEDS: Array<[string, string]> = [
  ['dino-im', 'dino-im'], ['Xvfb', 'xvfb'], ['xdotool', 'xdotool'], ['dbus-daemon', 'dbus'],
  ['pulseaudio', 'pulseaudio'], ['pactl', 'pulseaudio-utils'], ['pacat', 'pulseaudio-utils'],
  ['/usr/libexec/at-spi-bus-launcher', 'at-spi2-core'], ['gcc', 'gcc'], ['openssl', 'openssl'], ['unshare', 'util-linux'],
];

/** Fails (never skips) with what is missing and how to install it. */
export function checkPrerequisites(): void {
  const missing = NEEDS.filter(([cmd]) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0).map(([, pkg]) => pkg);
  if (spawnSync('/usr/bin/python3', ['-c', 'import pyatspi']).status !== 0) missing.push('python3-pyatspi');
  const problems: string[] = [];
  if (missing.length) problems.push(`missing packages: apt-get install ${[...new Set(missing)].join(' ')} gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-pulseaudio gstreamer1.0-nice`);
  if (process.getuid?.() !== 0) problems.push('root is needed for the private mount namespace (unshare -m) that shows Dino the test CA');
  if (!existsSync(CA_BUNDLE)) problems.push(`no system CA bundle at ${CA_BUNDLE}`);
  if (problems.length) throw new Error(`The Dino interop test cannot run: ${problems.join('; ')}.`);
}

/** A test CA and a certificate for `domain` (and 127.0.0.1) signed by it. */
export function testCertificates(dir: string, domain: string): { cert: string; key: string; caBundle: string } {
  mkdirSync(dir, { recursive: true });
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=Carillon test CA',
    '-keyout', f('ca.key'), '-out', f('ca.crt'), '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${domain}`, '-keyout', f('server.key'), '-out', f('server.csr'));
  writeFileSync(f('ext.cnf'), `subjectAltName=DNS:${domain},DNS:*.${domain},IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('ext.cnf'), '-out', f('server.crt'));
  writeFileSync(f('ca-bundle.crt'), readFileSync(CA_BUNDLE, 'utf8') + '\n' + readFileSync(f('ca.crt'), 'utf8'));
  return { cert: f('server.crt'), key: f('server.key'), caBundle: f('ca-bundle.crt') };
}

/** 300 ms tone bursts of changing pitch and 200 ms of silence (s16le mono 48 kHz): speech-like, so Opus sends it. */
function tone(): Readable {
  const rate = 48000;
  let n = 0;
  return new Readable({
    read() {
      const f = [330, 440, 550, 660, 495][n++ % 5]!;
      const buf = Buffer.alloc(rate * 0.5 * 2);
      for (let i = 0; i < rate * 0.3; i++) buf.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * f * i) / rate)), i * 2);
      this.push(buf);
    },
  });
}

function firstLine(stream: NodeJS.ReadableStream, what: string, ms = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let acc = '';
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    stream.on('data', (d: Buffer) => {
      acc += d.toString();
      const i = acc.indexOf('\n');
      if (i >= 0) { clearTimeout(t); resolve(acc.slice(0, i).trim()); }
    });
  });
}

/** DINO_DEBUG=1: Dino's own debug messages in its log; DINO_DEBUG=nice: libnice's ICE checks too; GST_DEBUG is passed on. */
function debugEnv(): NodeJS.ProcessEnv {
  const level = process.env.DINO_DEBUG;
  if (!level) return {};
  const gst = process.env.GST_DEBUG ? { GST_DEBUG: process.env.GST_DEBUG, GST_DEBUG_NO_COLOR: '1' } : {};
  return { G_MESSAGES_DEBUG: 'all', ...(level === 'nice' ? { NICE_DEBUG: 'all' } : {}), ...gst };
}

export interface DinoOptions {
  dir: string;
  caBundle: string;
  dnsPort: number;
  jid: string;
  password: string;
  resource: string;
}

export class DinoDesktop {
  readonly env: NodeJS.ProcessEnv;
  private readonly procs: ChildProcess[] = [];
  private dino?: ChildProcess;
  private runs = 0;

  private constructor(readonly opts: DinoOptions, env: NodeJS.ProcessEnv) {
    this.env = env;
  }

  /** X, the session bus, PulseAudio and the microphone signal; then Dino, signed in to `jid`. */
  static async start(opts: DinoOptions): Promise<DinoDesktop> {
    const { dir } = opts;
    const run = join(dir, 'run');
    const home = join(dir, 'home');
    mkdirSync(run, { recursive: true, mode: 0o700 });
    mkdirSync(home, { recursive: true });
    execFileSync('gcc', ['-shared', '-fPIC', '-o', join(dir, 'resolvshim.so'), join(HERE, 'resolvshim.c'), '-ldl']);
    const base: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, LANG: 'C.UTF-8', HOME: home, XDG_RUNTIME_DIR: run,
      XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local/share'), XDG_CACHE_HOME: join(home, '.cache'),
      GDK_BACKEND: 'x11', NO_AT_BRIDGE: '0', GTK_A11Y: 'atspi',
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(run, 'bus')}`, PULSE_SERVER: `unix:${join(run, 'pulse.sock')}`,
    };
    const d = new DinoDesktop(opts, base);
    // what the desktop's programs say goes to a file: a pipe nobody reads fills and blocks them
    const errors = openSync(join(dir, 'desktop.log'), 'a');
    let errorsOpen = true;
    try {
      const x = d.spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], ['ignore', 'ignore', errors, 'pipe']);
      base.DISPLAY = `:${await firstLine(x.stdio[3] as NodeJS.ReadableStream, 'Xvfb to report its display')}`;
      const bus = d.spawn('dbus-daemon', ['--session', `--address=${base.DBUS_SESSION_BUS_ADDRESS}`, '--nofork', '--nopidfile', '--print-address=1'], ['ignore', 'pipe', errors]);
      await firstLine(bus.stdout!, 'the session bus');
      d.spawn('pulseaudio', ['-n', '--daemonize=no', '--exit-idle-time=-1', '--use-pid-file=no', '--disable-shm=yes',
        `--load=module-native-protocol-unix socket=${join(run, 'pulse.sock')} auth-anonymous=1`,
        '--load=module-null-sink sink_name=nullsink',
        '--load=module-remap-source source_name=mic master=nullsink.monitor source_properties=device.description=TestMic'], ['ignore', 'ignore', errors]);
      await until(() => spawnSync('pactl', ['info'], { env: base }).status === 0, 'PulseAudio to answer', 15_000);
      execFileSync('pactl', ['set-default-source', 'mic'], { env: base });
      execFileSync('pactl', ['set-default-sink', 'nullsink'], { env: base });
      d.microphone(false);
      const mic = d.spawn('pacat', ['--device=nullsink', '--format=s16le', '--rate=48000', '--channels=1', '--latency-msec=100'], ['pipe', 'ignore', errors]);
      tone().pipe(mic.stdin!).on('error', () => undefined);
      closeSync(errors); // the programs hold their own copies
      errorsOpen = false;

      // first run creates Dino's database; the account goes into it while Dino is stopped
      await d.runDino();
      const db = join(base.XDG_DATA_HOME!, 'dino', 'dino.db');
      await until(async () => existsSync(db) && (await d.drive('has-frame', '', 1)), 'Dino\'s first window', 30_000);
      await d.stopDino();
      const sql = new Database(db);
      sql.prepare('INSERT INTO account (bare_jid, resourcepart, password, alias, enabled) VALUES (?, ?, ?, ?, 1)').run(opts.jid, opts.resource, opts.password, '');
      sql.close();
      await d.runDino();
      return d;
    } catch (e) {
      if (errorsOpen) closeSync(errors);
      await d.stop();
      throw e;
    }
  }

  private spawn(cmd: string, args: string[], stdio: Array<'ignore' | 'pipe' | number>, env = this.env): ChildProcess {
    const p = spawn(cmd, args, { env, stdio });
    p.on('error', () => undefined);
    this.procs.push(p);
    return p;
  }

  private async runDino(): Promise<void> {
    const { dir, caBundle, dnsPort } = this.opts;
    const log = createWriteStream(join(dir, `dino-${this.runs++}.log`));
    const script = `mount --bind '${caBundle}' ${CA_BUNDLE} && exec dino-im --print-xmpp=all`;
    this.dino = spawn('unshare', ['-m', '--propagation', 'private', 'bash', '-c', script], {
      env: { ...this.env, LD_PRELOAD: join(dir, 'resolvshim.so'), DNS_PORT: String(dnsPort), ...debugEnv() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.dino.stdout!.pipe(log);
    this.dino.stderr!.pipe(log);
  }

  private async stopDino(): Promise<void> {
    const p = this.dino;
    this.dino = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000)).then(() => p.kill('SIGKILL'))]);
    await exited;
  }

  /** Opens (a tone reaches Dino) or suspends (Dino's recording gets no samples) the microphone; see the header. */
  microphone(on: boolean): void {
    execFileSync('pactl', ['suspend-source', 'mic', on ? '0' : '1'], { env: this.env });
  }

  /** Dino stopped and started again on the same account, for a fresh state after a failure. */
  async restart(): Promise<void> {
    await this.stopDino();
    await this.runDino();
  }

  /** Dino's stanza log (--print-xmpp=all) of the current run. */
  log(): string {
    return readFileSync(join(this.opts.dir, `dino-${this.runs - 1}.log`), 'utf8');
  }

  /** One AT-SPI command (support/dino/drive.py); true when it found what it looked for. */
  drive(cmd: string, arg = '', timeoutS = 20): Promise<boolean> {
    return new Promise((resolve) => {
      const p = spawn('/usr/bin/python3', [join(HERE, 'drive.py'), cmd, arg, String(timeoutS)], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
      p.on('exit', (code) => { (this as { lastDrive?: string }).lastDrive = out; resolve(code === 0); });
    });
  }

  /** The accessibility tree of Dino's windows, for a failure message. */
  async tree(): Promise<string> {
    await this.drive('dump', '40', 1);
    return (this as { lastDrive?: string }).lastDrive ?? '';
  }

  /** Types into the focused widget and presses Return (xdotool: AT-SPI cannot type into GTK 4's text view). */
  type(text: string): void {
    execFileSync('xdotool', ['type', '--delay', '20', text], { env: this.env });
    execFileSync('xdotool', ['key', 'Return'], { env: this.env });
  }

  async stop(): Promise<void> {
    await this.stopDino();
    // the accessibility bus and registry were started by our session bus (activation): stop
    // those, found by that bus address in their environment, then what we started ourselves
    const bus = `DBUS_SESSION_BUS_ADDRESS=${this.env.DBUS_SESSION_BUS_ADDRESS}`;
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (!/at-spi/.test(cmd)) continue;
        if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(bus)) process.kill(Number(pid));
      } catch { /* gone already */ }
    }
    for (const p of this.procs.reverse()) if (p.exitCode === null) p.kill();
  }
}
