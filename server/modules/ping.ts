// XEP-0199: XMPP Ping, answered by the server for itself and for accounts.
import { NS } from '../../xmpp/namespaces.js';
import { defineModule } from '../core/module.js';

export default defineModule({
  name: 'ping',
  setup(m) {
    m.iq('get', 'both', NS.PING, () => undefined);
  },
});
