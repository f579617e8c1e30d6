// Test helpers: a real Carillon on ephemeral loopback ports, and @xmpp/client connections to it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client as xmppClient, xml } from '@xmpp/client';
import { WebSocket } from 'ws';
import { startCarillon, type Carillon, type ConfigInput } from '../../server/index.js';

export { xml };
export type XmppClient = ReturnType<typeof xmppClient>;
export type XmlElement = ReturnType<typeof xml>;

// Node 20 has no global WebSocket; @xmpp/websocket expects one.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
// Our test servers use self-signed certificates.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

export interface TestServer extends Carillon {
  dataDir: string;
  stop(): Promise<void>;
}

export async function startTestServer(extra: ConfigInput = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'carillon-test-'));
  const srv = await startCarillon({
    domain: 'localhost',
    dataDir,
    listen: '127.0.0.1',
    http: { port: 0 },
    https: { port: null },
    c2s: { port: 0 },
    s2s: { port: null },
    components: { port: 0, secrets: { 'call.localhost': 'secret' } },
    call: { enabled: false },
    log: { level: 'silent' },
    ...extra,
  });
  return Object.assign(srv, {
    dataDir,
    stop: async () => {
      await srv.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

export type Transport = 'websocket' | 'tcp';

/** Connects and signs in with @xmpp/client; resolves once online (resource bound). */
export async function connect(srv: Carillon, username: string, password: string, opts: { transport?: Transport; resource?: string; sendPresence?: boolean } = {}): Promise<XmppClient> {
  const transport = opts.transport ?? 'websocket';
  const service = transport === 'websocket' ? `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket` : `xmpp://127.0.0.1:${srv.ports.c2s}`;
  const c = xmppClient({ service, domain: srv.config.domain, username, password, resource: opts.resource });
  c.on('error', () => {});
  // Tests want to see every stanza; @xmpp/client's reconnect would hide failures.
  (c as unknown as { reconnect?: { stop(): void } }).reconnect?.stop();
  await c.start();
  if (opts.sendPresence !== false) await c.send(xml('presence'));
  return c;
}

/** Waits for the next stanza matching `pred`. */
export function next(c: XmppClient, pred: (el: XmlElement) => boolean, timeoutMs = 5000): Promise<XmlElement> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      c.off('stanza', onStanza);
      reject(new Error('timed out waiting for a stanza'));
    }, timeoutMs);
    const onStanza = (el: XmlElement) => {
      if (!pred(el)) return;
      clearTimeout(timer);
      c.off('stanza', onStanza);
      resolve(el);
    };
    c.on('stanza', onStanza);
  });
}

/** Collects stanzas matching `pred` for `ms` milliseconds. */
export async function collect(c: XmppClient, pred: (el: XmlElement) => boolean, ms: number): Promise<XmlElement[]> {
  const out: XmlElement[] = [];
  const on = (el: XmlElement) => {
    if (pred(el)) out.push(el);
  };
  c.on('stanza', on);
  await new Promise((r) => setTimeout(r, ms));
  c.off('stanza', on);
  return out;
}

export async function stopAll(...clients: (XmppClient | undefined)[]): Promise<void> {
  await Promise.all(clients.map((c) => c?.stop().catch(() => {})));
}
