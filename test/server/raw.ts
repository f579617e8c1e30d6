// A raw XMPP connection for tests that must send what no client library would: bad XML, spoofed
// addresses, oversized stanzas. Reads everything the server says into `received`.
import net from 'node:net';
import tls from 'node:tls';

export class RawConnection {
  received = '';
  closed = false;
  private socket: net.Socket;
  /** Called after every change to `received` or `closed`. */
  private readonly watchers = new Set<() => void>();

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  private attach(s: net.Socket): void {
    s.setNoDelay(true); // round trips are measured: no Nagle delay on small writes
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      this.received += d;
      this.changed();
    });
    s.on('close', () => {
      this.closed = true;
      this.changed();
    });
    s.on('error', () => {});
  }

  private changed(): void {
    for (const w of [...this.watchers]) w();
  }

  /** Resolves with `check()`'s first defined result, checked now and after every data or close event. */
  private watch<T>(check: () => T | undefined, timeoutMs: number, failure: () => string): Promise<T> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.watchers.delete(test);
      };
      const test = () => {
        const v = check();
        if (v === undefined) return;
        done();
        resolve(v);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(failure()));
      }, timeoutMs);
      this.watchers.add(test);
      test();
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawConnection(s)));
      s.once('error', reject);
    });
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /**
   * Writes `chunk` over and over, as fast as the server reads it, until `total` bytes are sent,
   * the connection closes or `stop()` says so; resolves with the bytes written.
   */
  async pump(chunk: Buffer, total: number, stop: () => boolean): Promise<number> {
    let sent = 0;
    while (sent < total && !this.closed && !stop()) {
      sent += chunk.length;
      if (this.socket.write(chunk)) continue;
      await new Promise<void>((resolve) => {
        const go = () => {
          this.socket.off('drain', go);
          this.watchers.delete(go);
          resolve();
        };
        this.socket.on('drain', go);
        this.watchers.add(go);
      });
    }
    return sent;
  }

  /** Waits until the received text matches. */
  waitFor(pattern: RegExp, timeoutMs = 5000): Promise<RegExpMatchArray> {
    return this.watch(() => this.received.match(pattern) ?? undefined, timeoutMs, () => `timed out waiting for ${pattern}; got: ${this.received.slice(-500)}`);
  }

  /** Waits for the connection to close. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    await this.watch(() => (this.closed ? true : undefined), timeoutMs, () => 'connection still open');
  }

  /** STARTTLS (RFC 6120 §5.4) on an opened stream, then a fresh stream header. */
  async startTls(domain = 'localhost'): Promise<void> {
    this.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
    await this.waitFor(/<proceed[^>]*\/>/);
    this.socket.removeAllListeners('data');
    const secure = tls.connect({ socket: this.socket, servername: domain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.received = '';
    this.socket = secure;
    this.attach(secure);
  }

  header(domain = 'localhost'): void {
    this.send(`<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
  }

  /** Opens a stream and negotiates TLS; `received` then holds the post-TLS features. */
  async secure(): Promise<void> {
    this.header();
    await this.waitFor(/<\/stream:features>/);
    await this.startTls();
    this.header();
    await this.waitFor(/<\/stream:features>/);
  }

  /** Opens a stream, negotiates TLS and authenticates with PLAIN; `received` then holds the post-auth features. */
  async authenticate(user: string, password: string): Promise<void> {
    await this.secure();
    this.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\u0000${user}\u0000${password}`).toString('base64')}</auth>`);
    await this.waitFor(/<success/);
    this.received = '';
    this.header();
    await this.waitFor(/<\/stream:features>/);
  }

  /** Opens a stream, negotiates TLS and authenticates with PLAIN; resolves with the bound JID. */
  async login(user: string, password: string, resource = 'raw'): Promise<string> {
    await this.authenticate(user, password);
    this.send(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    const m = await this.waitFor(/<jid>([^<]+)<\/jid>/);
    this.received = '';
    return m[1]!;
  }

  /** Stops reading: what the server sends piles up in the socket buffers, then in the server. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  end(): void {
    this.socket.destroy();
  }
}
