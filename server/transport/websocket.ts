// WebSocket transport (RFC 7395): each message carries whole XML elements.
import type { WebSocket } from 'ws';
import type { Transport } from './transport.js';

export class WebSocketTransport implements Transport {
  readonly framing = 'frames' as const;
  readonly name = 'websocket' as const;
  private closeHandlers: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    readonly secure: boolean,
    readonly remoteAddress: string,
    readonly httpScheme: 'http' | 'https',
  ) {
    ws.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      for (const h of this.closeHandlers) h();
    });
    ws.on('error', () => ws.terminate());
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(text: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(text);
  }

  end(graceMs = 5000): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000);
    setTimeout(() => this.ws.terminate(), graceMs).unref();
  }

  destroy(): void {
    this.ws.terminate();
  }

  /** ws stops reading from its socket (and emitting messages) while paused. */
  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  onData(handler: (chunk: Buffer | string) => void): void {
    this.ws.on('message', (data, isBinary) => {
      // RFC 7395 §3.2: XMPP frames are text; the ws library hands them over as Buffers.
      if (isBinary) return handler('\u0000'); // a NUL is never well-formed: the stream fails
      handler(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data));
    });
  }

  onClose(handler: () => void): void {
    this.closeHandlers.push(handler);
  }
}
