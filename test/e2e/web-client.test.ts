// The web client end to end against Carillon's own server, which serves the page and
// /xmpp-websocket on its HTTP port (the default a user gets from `npm start`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCarillon } from '../../server/index.js';
import { webClientScenario } from './support/scenario.js';

webClientScenario('Carillon', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'carillon-e2e-'));
  const start = (httpPort: number) => startCarillon({
    domain: 'localhost',
    dataDir,
    http: { port: httpPort },
    https: { port: null },
    c2s: { port: null },
    s2s: { port: null },
    components: { port: null },
  });
  let srv = await start(0);
  const port = srv.ports.http!;
  return {
    pageUrl: `http://127.0.0.1:${port}/`,
    websocketUrl: `ws://127.0.0.1:${port}/xmpp-websocket`,
    domain: 'localhost',
    addUser: (local, password) => srv.users.add(`${local}@localhost`, password),
    restart: async () => {
      await srv.close();
      srv = await start(port);
    },
    stop: async () => {
      await srv.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
