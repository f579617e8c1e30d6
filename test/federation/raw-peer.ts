// A hand-driven s2s peer for misbehaviour tests: opens a stream to a server, negotiates STARTTLS,
// then sends whatever the test says and records what comes back.
import net from 'node:net';
import tls from 'node:tls';
import { StreamParser } from '../../xmpp/parser.js';
import type { Element } from '../../xmpp/xml.js';

export class RawPeer {
  readonly elements: Element[] = [];
  header: Record<string, string> = {};
  closed = false;
  private socket: net.Socket;
  private parser: StreamParser;
  private waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.parser = this.newParser();
    this.listen(socket);
  }

  private newParser(): StreamParser {
    return new StreamParser(
      { framing: 'stream', maxStanzaBytes: 1 << 20 },
      {
        streamStart: (attrs) => {
          this.header = attrs;
          this.wake();
        },
        element: (el) => {
          this.elements.push(el);
          this.wake();
        },
        streamEnd: () => {
          this.closed = true;
          this.wake();
        },
        error: () => {},
      },
    );
  }

  private listen(socket: net.Socket): void {
    socket.on('data', (d: Buffer) => this.parser.write(d));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Connects to 127.0.0.1:port as `from` → `to`, through STARTTLS, up to the features after TLS. */
  static async open(port: number, from: string, to: string): Promise<RawPeer> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r, j) => socket.once('connect', r).once('error', j));
    const peer = new RawPeer(socket);
    peer.sendHeader(from, to);
    await peer.waitFor((el) => el.name === 'stream:features');
    peer.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    await peer.waitFor((el) => el.name === 'proceed');
    socket.removeAllListeners('data');
    const secure = tls.connect({ socket, servername: to, rejectUnauthorized: false });
    await new Promise((r) => secure.once('secureConnect', r));
    peer.socket = secure;
    peer.parser = peer.newParser();
    peer.elements.length = 0;
    peer.listen(secure);
    peer.sendHeader(from, to);
    await peer.waitFor((el) => el.name === 'stream:features');
    return peer;
  }

  sendHeader(from: string, to: string): void {
    this.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='${from}' to='${to}' version='1.0'>`);
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** The first recorded element matching, waiting up to `ms`. */
  async waitFor(pred: (el: Element) => boolean, ms = 5000): Promise<Element> {
    const until = Date.now() + ms;
    for (;;) {
      const el = this.elements.find(pred);
      if (el) return el;
      if (this.closed) throw new Error(`stream closed; got ${this.elements.map(String).join(' ')}`);
      const left = until - Date.now();
      if (left <= 0) throw new Error(`timed out; got ${this.elements.map(String).join(' ')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async waitClosed(ms = 5000): Promise<void> {
    const until = Date.now() + ms;
    while (!this.closed) {
      const left = until - Date.now();
      if (left <= 0) throw new Error('the server did not close the stream');
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A TCP listener that accepts connections and never says a word (a stuck peer). */
export async function startSilentListener(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let count = 0;
  const server = net.createServer((s) => {
    count++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
