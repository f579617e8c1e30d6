// XEP-0199: XMPP Ping, answered by the server for itself and for accounts.
import { NS } from '../../xmpp/namespaces.js';
import type { XmppServer } from '../core/server.js';

export function registerPing(server: XmppServer): void {
  server.handleIq('get', 'both', NS.PING, () => undefined);
}
