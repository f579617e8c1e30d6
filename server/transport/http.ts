// HTTP and HTTPS: the web client (static files from client/dist), XEP-0156 host-meta, XMPP over
// WebSocket (RFC 7395) at /xmpp-websocket — koa for HTTP, ws for the upgrade — and the routes
// given to createHttpApp (modules' endpoints, XMPP over BOSH at /http-bind: bosh.ts).
import http from 'node:http';
import https from 'node:https';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import { WebSocketServer } from 'ws';
import type { Logger } from '../log.js';
import type { TlsMaterial } from '../tls.js';
import { WebSocketTransport } from './websocket.js';
import type { Transport } from './transport.js';
import { listen, type Listener } from './listeners.js';
import type { ConnectionGate } from './connection-limits.js';
import type { HttpRoute } from '../core/server.js';
import { escapeXml } from '../../xmpp/xml.js';

export const WS_PATH = '/xmpp-websocket';

// From server/transport/ in the sources (run by tsx) or dist/server/transport/ once compiled.
const here = fileURLToPath(new URL('.', import.meta.url));
const CLIENT_DIR = [resolve(here, '../../client/dist'), resolve(here, '../../../client/dist')].find((d) => existsSync(join(d, '..', 'build.mjs'))) ?? resolve(here, '../../client/dist');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

function isLoopback(addr: string | undefined): boolean {
  return !!addr && (addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.'));
}

export function createHttpApp(opts: {
  log: Logger;
  clientDir?: string;
  routes?: readonly HttpRoute[];
  /** The path of the BOSH endpoint, when it is served (listed in host-meta). */
  boshPath?: string;
}): Koa {
  const app = new Koa();
  const clientDir = opts.clientDir ?? CLIENT_DIR;
  app.silent = true;
  app.use(async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    await next();
  });
  app.use(async (ctx, next) => {
    // XEP-0156 §3: host-meta (XRD) and host-meta.json (JRD) point clients at our WebSocket and
    // BOSH endpoints, on the scheme and host the document was asked for.
    const links = [{ rel: 'urn:xmpp:alt-connections:websocket', href: `${ctx.protocol === 'https' ? 'wss' : 'ws'}://${ctx.host}${WS_PATH}` }];
    if (opts.boshPath) links.push({ rel: 'urn:xmpp:alt-connections:xbosh', href: `${ctx.protocol}://${ctx.host}${opts.boshPath}` });
    if (ctx.path === '/.well-known/host-meta') {
      ctx.set('Access-Control-Allow-Origin', '*');
      ctx.type = 'application/xrd+xml';
      const xrd = links.map((l) => `  <Link rel="${l.rel}" href="${escapeXml(l.href)}"/>\n`).join('');
      ctx.body = `<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n${xrd}</XRD>\n`;
      return;
    }
    if (ctx.path === '/.well-known/host-meta.json') {
      ctx.set('Access-Control-Allow-Origin', '*');
      ctx.body = { links };
      return;
    }
    await next();
  });
  // Modules' endpoints (core/module.ts `http`), e.g. XEP-0363 uploads.
  const routes = opts.routes ?? [];
  app.use(async (ctx, next) => {
    const route = routes.find((r) => ctx.path.startsWith(r.prefix));
    if (route) return route.handler(ctx);
    await next();
  });
  app.use(async (ctx) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return;
    const rel = ctx.path === '/' ? 'index.html' : decodeURIComponent(ctx.path.slice(1));
    const file = normalize(join(clientDir, rel));
    if (!file.startsWith(clientDir + sep)) return;
    try {
      const st = await stat(file);
      if (!st.isFile()) return;
      ctx.type = TYPES[extname(file)] ?? 'application/octet-stream';
      ctx.set('Cache-Control', rel === 'index.html' ? 'no-cache' : 'max-age=300');
      ctx.body = await readFile(file);
    } catch {
      if (rel === 'index.html') {
        ctx.type = 'text/plain';
        ctx.body = 'Carillon: the web client is not built (run `npm run build`).';
      }
    }
  });
  return app;
}

/** Serves the app and upgrades /xmpp-websocket (subprotocol "xmpp", RFC 7395 §3.1) to XMPP. */
export async function listenHttp(
  host: string,
  port: number,
  app: Koa,
  accept: (t: Transport) => void,
  opts: {
    tls?: TlsMaterial;
    maxPayload: number;
    log: Logger;
    name: string;
    /** Connection limits for XMPP over WebSocket, counted at the upgrade (page loads are not XMPP connections). */
    gate?: { limits: ConnectionGate; refuse(t: Transport): void };
  },
): Promise<Listener> {
  // Node ends a request that has not fully arrived after 5 minutes (requestTimeout), which would cut
  // off a large file upload (XEP-0363, modules/upload) on a slow link; headers must still arrive
  // within headersTimeout (60 s), which is what guards against slow clients.
  const timeouts = { requestTimeout: 0, headersTimeout: 60_000 };
  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key, ...timeouts }, app.callback()) : http.createServer(timeouts, app.callback());
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxPayload,
    handleProtocols: (protocols) => (protocols.has('xmpp') ? 'xmpp' : false),
  });
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== WS_PATH) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (ws.protocol !== 'xmpp') return ws.close(1002, 'the "xmpp" subprotocol is required');
      const addr = req.socket.remoteAddress ?? '';
      // Loopback connections count as secure: a local client, or a TLS-terminating proxy in front.
      const t = new WebSocketTransport(ws, !!opts.tls || isLoopback(addr), addr, opts.tls ? 'https' : 'http');
      const gate = opts.gate;
      if (gate) {
        if (!gate.limits.admit(addr, 'c2s')) return gate.refuse(t);
        t.onClose(() => gate.limits.release(addr));
      }
      accept(t);
    });
  });
  return listen(server, host, port, {
    beforeClose: () => {
      for (const c of wss.clients) c.terminate();
    },
  });
}
