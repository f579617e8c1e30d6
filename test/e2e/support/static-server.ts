// Serves client/dist on 127.0.0.1 for servers that do not serve the client themselves (Prosody),
// plus an XEP-0156 host-meta.json pointing at their WebSocket endpoint.
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

export const CLIENT_DIST = fileURLToPath(new URL('../../../client/dist', import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

export interface StaticServer { url: string; close(): Promise<void> }

export async function serveClient(websocketUrl: string): Promise<StaticServer> {
  const server = http.createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/.well-known/host-meta.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
      res.end(JSON.stringify({ links: [{ rel: 'urn:xmpp:alt-connections:websocket', href: websocketUrl }] }));
      return;
    }
    const file = normalize(join(CLIENT_DIST, path === '/' ? 'index.html' : path.slice(1)));
    if (!file.startsWith(CLIENT_DIST + sep)) { res.writeHead(403).end(); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
