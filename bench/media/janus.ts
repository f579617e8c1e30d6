// A Janus 1.1 (Debian `janus`) instance for the media benchmark, in a directory of its own: only the
// VideoRoom plugin and the WebSockets transport, ICE on loopback only, no STUN/TURN. Nothing is read
// from /etc/janus.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killAndWait, waitPort } from '../servers/proc.js';

/**
 * Janus (src/ice.c, janus_ice_setup_local) skips every interface flagged IFF_LOOPBACK before it
 * looks at `ice_enforce_list`, so on loopback it offers no usable candidate; libnice then falls back
 * to the other interfaces. Preloaded, this getifaddrs() wrapper clears the flag on "lo" so that
 * `ice_enforce_list = "lo"` selects 127.0.0.1 and nothing else.
 */
const LOOPBACK_SHIM = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>
int getifaddrs(struct ifaddrs **ifap) {
  static int (*next)(struct ifaddrs **) = NULL;
  if (next == NULL) next = (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
  int rc = next(ifap);
  if (rc == 0)
    for (struct ifaddrs *i = *ifap; i != NULL; i = i->ifa_next)
      if (i->ifa_name != NULL && strcmp(i->ifa_name, "lo") == 0) i->ifa_flags &= ~IFF_LOOPBACK;
  return rc;
}
`;

function janusLibDir(): string {
  for (const d of ['/usr/lib/x86_64-linux-gnu/janus', '/usr/lib/aarch64-linux-gnu/janus', '/usr/lib/janus']) {
    if (existsSync(join(d, 'plugins/libjanus_videoroom.so'))) return d;
  }
  throw new Error('Janus plugins not found (apt-get install -y janus)');
}

/** Comma-separated names of every library in a folder but `keep`, for Janus's `disable` lists. */
function others(dir: string, keep: string): string {
  try {
    return readdirSync(dir).filter((f) => /^libjanus_.*\.so$/.test(f) && f !== keep).join(',');
  } catch {
    return '';
  }
}

export interface JanusPorts {
  /** Janus API over WebSocket (subprotocol janus-protocol). */
  ws: number;
  /** One UDP port per PeerConnection (bundle + rtcp-mux). */
  rtp: [number, number];
}

export class JanusInstance {
  pid = 0;
  version = 'Janus';
  private proc: ChildProcess | null = null;
  constructor(readonly dir: string, readonly ports: JanusPorts) {}

  get url(): string {
    return `ws://127.0.0.1:${this.ports.ws}`;
  }

  /** Writes janus.jcfg and the two plugin/transport configs, and builds the loopback shim with gcc. */
  private configure(): void {
    const lib = janusLibDir();
    const dir = this.dir;
    writeFileSync(join(dir, 'lo-ice-shim.c'), LOOPBACK_SHIM);
    const cc = spawnSync('gcc', ['-shared', '-fPIC', '-O2', '-o', join(dir, 'lo-ice-shim.so'), join(dir, 'lo-ice-shim.c'), '-ldl'], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`gcc failed building the Janus loopback shim: ${cc.stderr || cc.error}`);
    writeFileSync(join(dir, 'janus.jcfg'), `general: {
  configs_folder = "${dir}"
  plugins_folder = "${lib}/plugins"
  transports_folder = "${lib}/transports"
  events_folder = "${lib}/events"
  loggers_folder = "${lib}/loggers"
  log_to_stdout = false
  log_to_file = "${dir}/janus.log"
  debug_level = 3
  interface = "127.0.0.1"   # the address in SDP c= lines (else the first non-loopback one)
  session_timeout = 60
}
certificates: {
  # none: Janus makes a self-signed DTLS certificate at start
}
media: {
  ipv6 = false
  rtp_port_range = "${this.ports.rtp[0]}-${this.ports.rtp[1]}"
  no_media_timer = 1
  slowlink_threshold = 0
}
nat: {
  full_trickle = false
  ice_lite = false
  ice_tcp = false
  ignore_mdns = true
  ice_enforce_list = "lo"
}
plugins: { disable = "${others(`${lib}/plugins`, 'libjanus_videoroom.so')}" }
transports: { disable = "${others(`${lib}/transports`, 'libjanus_websockets.so')}" }
loggers: { disable = "${others(`${lib}/loggers`, '')}" }
events: { broadcast = false disable = "${others(`${lib}/events`, '')}" }
`);
    writeFileSync(join(dir, 'janus.transport.websockets.jcfg'), `general: {
  json = "plain"
  ws = true
  ws_port = ${this.ports.ws}
  ws_ip = "127.0.0.1"
  wss = false
  ws_logging = "err,warn"
}
admin: { admin_ws = false admin_wss = false }
`);
    // Rooms are created over the API by the load generator.
    writeFileSync(join(dir, 'janus.plugin.videoroom.jcfg'), 'general: {\n  string_ids = false\n}\n');
  }

  async start(): Promise<void> {
    this.configure();
    const v = spawnSync('janus', ['--version'], { encoding: 'utf8' });
    const m = /Janus version:\s*\d+\s*\(([\d.]+)\)/.exec(`${v.stdout}${v.stderr}`); // "Janus version: 1102 (1.1.2)"
    this.version = m ? `Janus ${m[1]}` : 'Janus';
    const env = { ...process.env, LD_PRELOAD: join(this.dir, 'lo-ice-shim.so') };
    // Not daemonized: its PID is the process whose CPU and memory are measured.
    this.proc = spawn('janus', ['-F', this.dir, '-C', join(this.dir, 'janus.jcfg')], { env, stdio: 'ignore' });
    this.pid = this.proc.pid ?? 0;
    const proc = this.proc;
    await waitPort(this.ports.ws, 20_000, () => proc.exitCode === null);
    await new Promise((r) => setTimeout(r, 300));
    if (proc.exitCode !== null) throw new Error(`janus exited (code ${proc.exitCode}); is port ${this.ports.ws} in use?`);
  }

  async stop(): Promise<void> {
    if (this.pid) await killAndWait(this.pid, 5_000);
    this.pid = 0;
    this.proc = null;
  }
}
