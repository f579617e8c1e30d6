// XEP-0092: Software Version of the server.
import { NS } from '../../xmpp/namespaces.js';
import { x } from '../../xmpp/xml.js';
import type { XmppServer } from '../core/server.js';
import { VERSION } from '../version.js';

export function registerVersion(server: XmppServer): void {
  server.handleIq('get', 'host', NS.VERSION, () =>
    x('query', { xmlns: NS.VERSION }, x('name', null, 'Carillon'), x('version', null, VERSION), x('os', null, `Node.js ${process.version}`)),
  );
}
