// Federation test helpers: Carillon servers on loopback with s2s, and users that record stanzas.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, xml, type XmppClient } from '@xmpp/client';
import type { Element } from 'ltx';
import { startCarillon, type Carillon, type ConfigInput } from '../../server/index.js';

export { xml };
export type { Element };

// Test servers use self-signed certificates; users connect over STARTTLS.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

export interface TestServer extends Carillon {
  stop(): Promise<void>;
}

/**
 * A self-signed certificate for a domain and its subdomains, with an EC key: as untrusted as the one
 * Carillon makes on first start, but made in milliseconds where an RSA key takes a second or more.
 */
export function selfSignedCertificate(dir: string, domain: string): { cert: string; key: string } {
  const cert = join(dir, `${domain}.crt`);
  const key = join(dir, `${domain}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${domain}`,
    '-addext', `subjectAltName=DNS:${domain},DNS:*.${domain}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

/** A Carillon for `domain` on ephemeral loopback ports, federation on unless `s2s.port` is null. */
export async function startServer(domain: string, extra: ConfigInput = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'carillon-fed-'));
  const srv = await startCarillon({
    domain,
    dataDir,
    listen: '127.0.0.1',
    http: { port: null },
    https: { port: null },
    c2s: { port: 0 },
    s2s: { port: 0, hosts: {} },
    components: { port: 0, secrets: {} },
    call: { enabled: false },
    log: { level: (process.env.FED_LOG as 'debug' | undefined) ?? 'silent' },
    tls: selfSignedCertificate(dataDir, domain),
    ...extra,
  });
  let stopped = false;
  return Object.assign(srv, {
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await srv.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** Points `a` at `b`'s s2s port and back (the `s2s.hosts` pins). */
export function pinEachOther(a: Carillon, b: Carillon): void {
  a.config.s2s.hosts[b.config.domain] = `127.0.0.1:${b.ports.s2s}`;
  b.config.s2s.hosts[a.config.domain] = `127.0.0.1:${a.ports.s2s}`;
}

/** A signed-in user that keeps what it receives until a test waits for it. */
export class User {
  received: Element[] = [];
  private waiters: { pred: (el: Element) => boolean; resolve: (el: Element) => void }[] = [];
  jid = '';

  constructor(readonly xmpp: XmppClient) {}

  static async connect(port: number, domain: string, username: string, password: string, resource = 'test'): Promise<User> {
    const xmpp = client({ service: `xmpp://127.0.0.1:${port}`, domain, username, password, resource });
    const u = new User(xmpp);
    xmpp.on('error', () => {});
    xmpp.reconnect.stop();
    // The library waits 2 s per step by default; a loaded test machine can take longer to negotiate TLS.
    (xmpp as unknown as { timeout: number }).timeout = 15000;
    xmpp.on('stanza', (el: Element) => {
      const i = u.waiters.findIndex((w) => w.pred(el));
      if (i >= 0) u.waiters.splice(i, 1)[0]!.resolve(el);
      else u.received.push(el);
    });
    await xmpp.start();
    u.jid = String(xmpp.jid);
    return u;
  }

  send(el: Element): Promise<void> {
    return this.xmpp.send(el);
  }

  /** The first stanza, already received or still to come, that matches. */
  waitFor(pred: (el: Element) => boolean, ms = 8000, what = 'a stanza'): Promise<Element> {
    const i = this.received.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.received.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (el: Element) => {
          clearTimeout(t);
          resolve(el);
        },
      };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`${this.jid}: timed out waiting for ${what}; got: ${this.received.map(String).join('\n') || 'nothing'}`));
      }, ms);
      this.waiters.push(w);
    });
  }

  iq(el: Element, ms = 8000): Promise<Element> {
    return this.xmpp.iqCaller.request(el, ms);
  }

  async stop(): Promise<void> {
    await this.xmpp.stop().catch(() => {});
  }
}

export const isMessageBody = (body: string) => (el: Element) => el.is('message') && el.getChildText('body') === body;
export const isPresence = (from: string, type?: string) => (el: Element) => el.is('presence') && (el.attrs.from === from || el.attrs.from?.startsWith(`${from}/`)) && el.attrs.type === type;
