// The web client against Prosody 0.12 (Debian), found through XEP-0156 host-meta served beside
// the page: proof that it works with another server's WebSocket endpoint, not only ours.
import { startProsody } from '../support/prosody.js';
import { serveClient } from './support/static-server.js';
import { webClientScenario } from './support/scenario.js';

webClientScenario('Prosody', async () => {
  const prosody = await startProsody({ websocket: true });
  const web = await serveClient(prosody.websocketUrl);
  return {
    pageUrl: web.url,
    websocketUrl: prosody.websocketUrl,
    iceServers: [prosody.stunUrl],
    domain: prosody.domain,
    addUser: async (local, password) => prosody.register(local, password),
    restart: () => prosody.restart(),
    stop: async () => {
      await web.close();
      await prosody.stop();
    },
  };
});
