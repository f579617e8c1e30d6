// ICE over TCP to the forwarding unit on one port (`media.tcpPort`), for participants whose
// network lets no UDP through: RFC 6544 passive candidates, RFC 4571 framing (a 16-bit length
// before each STUN/DTLS/SRTP packet).
//
// werift 0.24 (lib/ice/src/stun/tcpProtocol.js) can do ICE-TCP, but each peer connection listens
// on a port of its own (TcpPassiveProtocol, one net.Server per connection, `iceUseTcp`). An
// operator opens one port, so here one listener takes every connection on `tcpPort` and hands it
// to the right peer connection: RFC 6544 §7.1 has the active side (the browser) open the
// connection and send its connectivity check first, and that STUN Binding request's USERNAME is
// "<our ufrag>:<its ufrag>" (RFC 8445 §7.2.2), so its first part names the peer connection. The
// connection is then given to that peer connection's own passive TCP protocol, which does the
// rest of ICE, DTLS and SRTP on it as if it had accepted it itself; the candidates we announce
// carry `tcpPort` instead of werift's private port.
import { createServer, type Server, type Socket } from 'node:net';
import type { RTCPeerConnection } from 'werift';

/** The parts of werift's ICE connection and TCP protocol used here (werift keeps them public in JS). */
interface PassiveProtocol {
  type: string;
  localCandidate?: { transport: string; tcptype?: string };
  registerSocket(socket: Socket, remoteAddr?: readonly [string, number]): unknown;
}
interface IceConnection {
  localUsername: string;
  userHistory?: Record<string, string>;
  protocols: PassiveProtocol[];
}

/** The first frame must arrive within this long and be at most this large (a Binding request is ~100 bytes). */
const FIRST_FRAME_MS = 10_000;
const FIRST_FRAME_MAX = 1500;
/** Connections not yet identified at once: more are closed at once, so a flood of idle connections costs little. */
const MAX_PENDING = 256;

const STUN_MAGIC = 0x2112a442;
const ATTR_USERNAME = 0x0006;

/** The USERNAME of a STUN Binding request (RFC 5389 §6, §15.3), or undefined if `msg` is not one. */
export function bindingUsername(msg: Buffer): string | undefined {
  if (msg.length < 20 || msg.readUInt16BE(0) !== 0x0001 || msg.readUInt32BE(4) !== STUN_MAGIC) return undefined;
  const end = Math.min(msg.length, 20 + msg.readUInt16BE(2));
  for (let i = 20; i + 4 <= end; ) {
    const type = msg.readUInt16BE(i);
    const len = msg.readUInt16BE(i + 2);
    if (i + 4 + len > end) return undefined;
    if (type === ATTR_USERNAME) return msg.subarray(i + 4, i + 4 + len).toString('utf8');
    i += 4 + len + ((4 - (len % 4)) % 4);
  }
  return undefined;
}

/** One listener per address and port, shared by the peer connections that use it. */
export class IceTcpListener {
  private readonly peers = new Set<RTCPeerConnection>();
  private server?: Server;
  private opening?: Promise<void>;
  private pending = 0;

  constructor(readonly port: number, readonly host: string, private readonly onError: (err: Error) => void = () => undefined) {}

  /** Takes `pc`'s TCP connections from now on; the listener opens with the first peer connection and closes after the last. */
  add(pc: RTCPeerConnection): void {
    this.peers.add(pc);
    if (!this.server) this.open();
  }

  remove(pc: RTCPeerConnection): void {
    this.peers.delete(pc);
    if (this.peers.size === 0) this.close();
  }

  /** Resolves once listening (for tests and start-up logs). */
  listening(): Promise<void> {
    return this.opening ?? Promise.resolve();
  }

  private open(): void {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    this.opening = new Promise((resolve) => {
      server.once('listening', () => resolve());
      server.once('error', (err) => {
        this.onError(err);
        if (this.server === server) this.server = undefined;
        resolve();
      });
    });
    server.listen({ port: this.port, host: this.host });
  }

  private close(): void {
    this.server?.close();
    this.server = undefined;
    this.opening = undefined;
  }

  /** Reads the first RFC 4571 frame, finds its peer connection, and hands the socket over. */
  private accept(socket: Socket): void {
    if (this.pending >= MAX_PENDING) { socket.destroy(); return; }
    this.pending += 1;
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), FIRST_FRAME_MS);
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      this.pending -= 1;
      clearTimeout(timer);
      socket.off('data', onData);
    };
    socket.once('close', done);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 2) return;
      const len = buf.readUInt16BE(0);
      if (len > FIRST_FRAME_MAX) { done(); socket.destroy(); return; }
      if (buf.length < 2 + len) return;
      done();
      const username = bindingUsername(buf.subarray(2, 2 + len));
      const ours = username?.split(':')[0];
      const target = ours ? this.passiveFor(ours) : undefined;
      if (!target || !socket.remoteAddress || !socket.remotePort) { socket.destroy(); return; }
      target.registerSocket(socket, [socket.remoteAddress, socket.remotePort]);
      // werift's handler was attached just now: give it what was already read, the first frame included
      socket.emit('data', buf);
    };
    socket.on('data', onData);
    socket.on('error', () => { done(); socket.destroy(); });
  }

  /** The passive TCP protocol of the peer connection whose local ufrag is `ufrag` (current or before an ICE restart). */
  private passiveFor(ufrag: string): PassiveProtocol | undefined {
    for (const pc of this.peers) {
      for (const t of pc.iceTransports) {
        const conn = (t as unknown as { connection: IceConnection }).connection;
        if (conn.localUsername !== ufrag && !(conn.userHistory && Object.hasOwn(conn.userHistory, ufrag))) continue;
        return conn.protocols.find((p) => p.type === 'tcp' && p.localCandidate?.tcptype === 'passive');
      }
    }
    return undefined;
  }
}

const listeners = new Map<string, IceTcpListener>();

/** The shared listener for `host`:`port` (one per process and address). */
export function iceTcpListener(port: number, host = '0.0.0.0', onError?: (err: Error) => void): IceTcpListener {
  const key = `${host}:${port}`;
  let l = listeners.get(key);
  if (!l) {
    l = new IceTcpListener(port, host, onError);
    listeners.set(key, l);
  }
  return l;
}

/**
 * The candidates we announce, in SDP: a TCP passive candidate gets `tcpPort` in place of werift's
 * own listening port; TCP active ones (port 9, RFC 6544 §4.5) are dropped, since the forwarding
 * unit only ever waits to be connected to.
 */
export function announceTcpPort(sdp: string, tcpPort: number): string {
  return sdp
    .split('\r\n')
    .filter((line) => !/^a=candidate:\S+ \d+ tcp \d+ \S+ \d+ typ \w+.* tcptype active/i.test(line))
    .map((line) => line.replace(/^(a=candidate:\S+ \d+ tcp \d+ \S+ )\d+( typ \w+.* tcptype passive)/i, `$1${tcpPort}$2`))
    .join('\r\n');
}
