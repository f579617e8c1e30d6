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
  // a stream open waits up to 20 s (the library's 2 s fail on a loaded machine, not on the server)
  const c = xmppClient({ service, domain: srv.config.domain, username, password, resource: opts.resource });
  (c as unknown as { timeout: number }).timeout = 20_000;
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

/**
 * An XEP-0199 ping to the client's own server, resolved by its result. The server handles a
 * stream's stanzas in order and routes synchronously, so once the result is in, everything the
 * client sent before has been handled, and everything the server sent the client before has arrived.
 */
export async function ping(c: XmppClient): Promise<void> {
  const domain = (c as unknown as { jid?: { domain: string } }).jid?.domain;
  await c.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}

export interface Collector {
  /** Ends with a ping round trip (see ping()) and resolves with what matched until its result. */
  done(): Promise<XmlElement[]>;
}

/**
 * Records stanzas matching `pred` from now on: for "nothing else arrives" checks. Call done() once
 * whatever would cause such a stanza has been handled by the server (the sender's own request
 * answered, or a stanza it caused seen elsewhere).
 */
export function collect(c: XmppClient, pred: (el: XmlElement) => boolean): Collector {
  const out: XmlElement[] = [];
  const on = (el: XmlElement) => {
    if (pred(el)) out.push(el);
  };
  c.on('stanza', on);
  return {
    async done() {
      try {
        await ping(c);
      } finally {
        c.off('stanza', on);
      }
      return out;
    },
  };
}

export const isPresence = (from: string, type?: string) => (el: XmlElement) => el.is('presence') && el.attrs.from?.startsWith(from) === true && el.attrs.type === type;

/** The subscription handshake of RFC 6121 §3.1 both ways, leaving `a` and `b` in state Both. */
export async function befriend(a: XmppClient, aJid: string, b: XmppClient, bJid: string): Promise<void> {
  for (const [from, to, toJid, fromJid] of [[a, b, bJid, aJid], [b, a, aJid, bJid]] as const) {
    const request = next(to, isPresence(fromJid, 'subscribe'));
    await from.send(xml('presence', { to: toJid, type: 'subscribe' }));
    await request;
    const approved = next(from, isPresence(toJid, 'subscribed'));
    await to.send(xml('presence', { to: fromJid, type: 'subscribed' }));
    await approved;
  }
}

export async function stopAll(...clients: (XmppClient | undefined)[]): Promise<void> {
  await Promise.all(clients.map((c) => c?.stop().catch(() => {})));
}
