// Free loopback ports for test servers and interop peers, so that two suites can run on one
// machine at once. Our own servers listen on port 0 and report what they got; these helpers are
// for the peers that need a number up front (Prosody, ejabberd, the DNS server, media ranges).
//
// The race: a port found free here is closed again before the peer binds it, so another process
// may take it in between. Ports come from a random spot in a wide range (and the kernel's own
// choice for single ports), which makes that unlikely; a test that loses the race fails to start
// its peer with "address in use" and is simply run again.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

const HOST = '127.0.0.1';

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: HOST, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind({ port, address: HOST, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** Ports handed out by this process, so that two calls never return the same one. */
const given = new Set<number>();

/** A port free for both TCP and UDP on 127.0.0.1: the kernel's pick for port 0, checked for UDP too. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen({ port: 0, host: HOST }, () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    if (!given.has(port) && (await udpFree(port))) {
      given.add(port);
      return port;
    }
  }
  throw new Error('no free port found');
}

/** `n` distinct free ports. */
export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await freePort());
  return out;
}

/**
 * A block of `n` contiguous ports, each free for UDP and TCP, at a random offset in 24000–32767:
 * for media port ranges. That stretch lies below Linux's ephemeral range (32768–60999), so the
 * outgoing connections of the tests themselves do not land in a block, and above the fixed ports
 * older test suites used (20000–23999). Resolves with the first and last port of the block.
 */
export async function freePortRange(n: number, lo = 24000, hi = 32768): Promise<{ portMin: number; portMax: number }> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const start = lo + Math.floor(Math.random() * (hi - lo - n));
    let ok = true;
    for (let p = start; p < start + n && ok; p++) ok = !given.has(p) && (await udpFree(p)) && (await tcpFree(p));
    if (ok) {
      for (let p = start; p < start + n; p++) given.add(p);
      return { portMin: start, portMax: start + n - 1 };
    }
  }
  throw new Error(`no block of ${n} free ports found`);
}
