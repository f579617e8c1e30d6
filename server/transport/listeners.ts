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

/**
 * Starts `server` on host:port and returns it as a Listener. Every connection it accepts is
 * tracked, so that close() can end them (a server stops only once its connections are gone);
 * `beforeClose` ends what runs over them first (WebSocket clients get a proper close).
 */
export async function listen(server: net.Server, host: string, port: number, opts: { backlog?: number; beforeClose?: () => void } = {}): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog: opts.backlog }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((done) => {
        opts.beforeClose?.();
        for (const s of sockets) s.destroy();
        server.close(() => done());
      }),
  };
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
    if (!secure && !admitted(socket)) return opts.gate!.refuse(new TcpTransport(socket, secure));
    accept(new TcpTransport(socket, secure));
  };
  const server = opts.tls
    ? tls.createServer({ cert: opts.tls.cert, key: opts.tls.key, ALPNProtocols: ['xmpp-client'], handshakeTimeout: opts.handshakeTimeout }, (s) => onSocket(s, true))
    : net.createServer((s) => onSocket(s, false));
  if (opts.tls) {
    // Over the limits, a direct TLS connection is closed at once: a stream error would cost a handshake.
    server.on('connection', (raw: net.Socket) => {
      if (!admitted(raw)) raw.destroy();
    });
  }
  server.on('error', (err) => opts.log.error({ err }, `${opts.name} listener error`));
  // A TLS handshake that fails only concerns that connection.
  server.on('tlsClientError', () => {});
  return listen(server, host, port, { backlog: 4096 });
}
