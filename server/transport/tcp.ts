// TCP transport, plain (upgradable with STARTTLS, RFC 6120 §5) or direct TLS (XEP-0368).
import type net from 'node:net';
import tls from 'node:tls';
import type { Transport } from './transport.js';

/** How long an ended connection may take to close its side before we destroy it. */
export const END_GRACE_MS = 5000;

export class TcpTransport implements Transport {
  readonly framing = 'stream' as const;
  readonly name = 'tcp' as const;
  private socket: net.Socket | tls.TLSSocket;
  private dataHandler: (chunk: Buffer | string) => void = () => {};
  private closeHandlers: (() => void)[] = [];
  private closed = false;
  private paused = false;
  /** The socket corked for this turn of the event loop, if any (see send). */
  private corked?: net.Socket;
  private readonly listeners = {
    data: (chunk: Buffer) => this.dataHandler(chunk),
    error: () => this.socket.destroy(),
    close: () => this.fireClose(),
  };
  secure: boolean;

  constructor(socket: net.Socket, secure = false) {
    this.socket = socket;
    this.secure = secure;
    socket.setNoDelay(true);
    this.attach(socket);
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  private attach(socket: net.Socket): void {
    socket.on('data', this.listeners.data);
    socket.on('error', this.listeners.error);
    socket.on('close', this.listeners.close);
    if (this.paused) socket.pause();
  }

  /**
   * Before a TLS upgrade: only our own listeners leave the plain socket (others, such as the
   * listener's bookkeeping, stay), and what is corked goes out first (the <proceed/>).
   */
  private detach(socket: net.Socket): void {
    socket.off('data', this.listeners.data);
    socket.off('error', this.listeners.error);
    if (this.corked === socket) {
      this.corked = undefined;
      socket.uncork();
    }
  }

  private fireClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.closeHandlers) h();
  }

  /**
   * Writes are corked until the end of the current turn of the event loop, so the stanzas routed
   * for one input chunk leave in one TLS record and one syscall instead of one each.
   */
  send(text: string): void {
    const socket = this.socket;
    if (this.closed || !socket.writable) return;
    if (this.corked !== socket) {
      this.corked = socket;
      socket.cork();
      process.nextTick(() => {
        if (this.corked === socket) this.corked = undefined;
        socket.uncork();
      });
    }
    socket.write(text);
  }

  end(graceMs = END_GRACE_MS): void {
    if (this.closed) return;
    this.socket.end();
    // A peer that never closes its side must not hold the socket forever (RFC 6120 §4.4).
    setTimeout(() => this.socket.destroy(), graceMs).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }

  pause(): void {
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    this.paused = false;
    if (!this.closed) this.socket.resume();
  }

  startTls(context: tls.SecureContext, options: { requestCert?: boolean } = {}): Promise<void> {
    const raw = this.socket;
    this.detach(raw);
    return new Promise((resolve, reject) => {
      const secure = new tls.TLSSocket(raw, {
        isServer: true,
        secureContext: context,
        requestCert: options.requestCert ?? false,
        rejectUnauthorized: false,
      });
      this.socket = secure;
      this.attach(secure);
      secure.once('secure', () => {
        this.secure = true;
        resolve();
      });
      secure.once('error', reject);
    });
  }

  /**
   * The initiating side of STARTTLS (RFC 6120 §5.4.3.3), for outgoing server-to-server streams: the
   * TLS handshake runs over the existing connection; certificate checks are left to the caller.
   */
  startTlsClient(options: tls.ConnectionOptions): Promise<void> {
    const raw = this.socket;
    this.detach(raw);
    return new Promise((resolve, reject) => {
      const secure = tls.connect({ ...options, socket: raw });
      this.socket = secure;
      this.attach(secure);
      secure.once('secureConnect', () => {
        this.secure = true;
        resolve();
      });
      secure.once('error', reject);
    });
  }

  /** Whether the peer presented a certificate that chains to a root of our secure context (after TLS). */
  get peerAuthorized(): boolean {
    const s = this.socket as tls.TLSSocket;
    if (s.authorized === true) return true;
    // A TLSSocket made by hand (STARTTLS, server side) never sets `authorized`; OpenSSL's own
    // verdict on the chain is on the handle (null when it verified).
    const handle = (s as unknown as { _handle?: { verifyError?(): Error | null } })._handle;
    return this.peerCertificate() !== undefined && typeof handle?.verifyError === 'function' && handle.verifyError() === null;
  }

  peerCertificate(): tls.PeerCertificate | undefined {
    const s = this.socket as tls.TLSSocket;
    if (typeof s.getPeerCertificate !== 'function') return undefined;
    const c = s.getPeerCertificate();
    return c && Object.keys(c).length ? c : undefined;
  }

  onData(handler: (chunk: Buffer | string) => void): void {
    this.dataHandler = handler;
  }

  onClose(handler: () => void): void {
    this.closeHandlers.push(handler);
  }
}
