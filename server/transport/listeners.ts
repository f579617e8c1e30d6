// The network listeners: TCP c2s (STARTTLS), direct TLS c2s (XEP-0368) and the XEP-0114 component port.
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../log.js';
import type { TlsMaterial } from '../tls.js';
import type { ConnectionGate } from './connection-limits.js';
import { TcpTransport } from './tcp.js';
import type { Transport } from './transport.js';

export interface Listener {
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port and hands each connection, wrapped as a Transport, to `accept`. */
export async function listenTcp(
  host: string,
  port: number,
  accept: (t: Transport) => void,
  opts: {
    tls?: TlsMaterial;
    log: Logger;
    name: string;
    /** Connection limits: a connection over them is refused before anything is read from it. */
    gate?: { limits: ConnectionGate; kind: 'c2s' | 's2s'; refuse(t: TcpTransport): void };
    /** Milliseconds for a direct TLS handshake (tls only). */
    handshakeTimeout?: number;
  },
): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  /** Counts a new connection against the limits (on the raw socket, before any TLS handshake). */
  const admitted = (raw: net.Socket): boolean => {
    const gate = opts.gate;
    if (!gate) return true;
    const ip = raw.remoteAddress ?? '';
    if (!gate.limits.admit(ip, gate.kind)) return false;
    raw.once('close', () => gate.limits.release(ip));
    return true;
  };
  const onSocket = (socket: net.Socket, secure: boolean) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (!secure && !admitted(socket)) return opts.gate!.refuse(new TcpTransport(socket, secure));
    accept(new TcpTransport(socket, secure));
  };
  const server = opts.tls
    ? tls.createServer({ cert: opts.tls.cert, key: opts.tls.key, ALPNProtocols: ['xmpp-client'], handshakeTimeout: opts.handshakeTimeout }, (s) => onSocket(s, true))
    : net.createServer((s) => onSocket(s, false));
  if (opts.tls) {
    // Over the limits, a direct TLS connection is closed at once: a stream error would cost a handshake.
    server.on('connection', (raw: net.Socket) => {
      sockets.add(raw);
      raw.on('close', () => sockets.delete(raw));
      if (!admitted(raw)) raw.destroy();
    });
  }
  server.on('error', (err) => opts.log.error({ err }, `${opts.name} listener error`));
  // A TLS handshake that fails only concerns that connection.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as net.AddressInfo).port;
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
