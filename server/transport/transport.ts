// A transport is a byte pipe: it moves XML text and knows nothing of stanzas. TCP (with STARTTLS or
// direct TLS) and WebSocket implement it; streams above use it without knowing which one it is.
import type tls from 'node:tls';

export interface Transport {
  /** 'stream' for one <stream:stream> document over bytes; 'frames' for RFC 7395 WebSocket messages. */
  readonly framing: 'stream' | 'frames';
  /** Which transport it is, for the operator's metrics. */
  readonly name: 'tcp' | 'websocket' | 'bosh';
  /** Whether the bytes are protected by TLS (or the connection is trusted as if they were). */
  readonly secure: boolean;
  /**
   * For WebSocket and BOSH: which of the server's HTTP listeners the connection came in on (the
   * scheme a browser page that opened it has, short of a proxy in front); undefined for TCP.
   */
  readonly httpScheme?: 'http' | 'https';
  readonly remoteAddress: string;
  send(text: string): void;
  /**
   * Ends the connection after the queued bytes are written; a peer that has not closed its side
   * after `graceMs` (default 5 s) is disconnected.
   */
  end(graceMs?: number): void;
  /** Ends the connection at once, dropping what is queued. */
  destroy(): void;
  /**
   * Stops reading from the connection (back-pressure: the peer's writes back up in TCP) until
   * resume(). A chunk already read may still be delivered after pause().
   */
  pause(): void;
  resume(): void;
  /** Upgrades to TLS in place (STARTTLS); only for 'stream' transports. */
  startTls?(context: tls.SecureContext, options?: { requestCert?: boolean }): Promise<void>;
  /** The peer certificate after TLS, if any (for SASL EXTERNAL on s2s). */
  peerCertificate?(): tls.PeerCertificate | undefined;
  /** Whether that certificate chains to a trusted root (after TLS). */
  readonly peerAuthorized?: boolean;
  onData(handler: (chunk: Buffer | string) => void): void;
  onClose(handler: () => void): void;
  /** Backpressure: bytes queued in user space. */
  readonly bufferedAmount: number;
}
