// XEP-0092: Software Version of the server.
import { NS } from '../../xmpp/namespaces.js';
import { x } from '../../xmpp/xml.js';
import { defineModule } from '../core/module.js';
import { VERSION } from '../version.js';

export default defineModule({
  name: 'version',
  setup(m) {
    m.iq('get', 'host', NS.VERSION, () =>
      x('query', { xmlns: NS.VERSION }, x('name', null, 'Carillon'), x('version', null, VERSION), x('os', null, `Node.js ${process.version}`)),
    );
  },
});
