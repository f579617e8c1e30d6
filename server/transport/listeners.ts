// The network listeners: TCP c2s (STARTTLS), direct TLS c2s (XEP-0368) and the XEP-0114 component port.
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../log.js';
import type { TlsMaterial } from '../tls.js';
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
  opts: { tls?: TlsMaterial; log: Logger; name: string },
): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const onSocket = (socket: net.Socket, secure: boolean) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    accept(new TcpTransport(socket, secure));
  };
  const server = opts.tls
    ? tls.createServer({ cert: opts.tls.cert, key: opts.tls.key, ALPNProtocols: ['xmpp-client'] }, (s) => onSocket(s, true))
    : net.createServer((s) => onSocket(s, false));
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
