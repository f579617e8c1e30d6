// A transport is a byte pipe: it moves XML text and knows nothing of stanzas. TCP (with STARTTLS or
// direct TLS) and WebSocket implement it; streams above use it without knowing which one it is.
import type tls from 'node:tls';

export interface Transport {
  /** 'stream' for one <stream:stream> document over bytes; 'frames' for RFC 7395 WebSocket messages. */
  readonly framing: 'stream' | 'frames';
  /** Whether the bytes are protected by TLS (or the connection is trusted as if they were). */
  readonly secure: boolean;
  readonly remoteAddress: string;
  send(text: string): void;
  /** Ends the connection after the queued bytes are written. */
  end(): void;
  /** Ends the connection at once, dropping whatever is queued (a peer that does not read). */
  destroy(): void;
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
