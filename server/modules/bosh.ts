// XMPP over BOSH (XEP-0124, XEP-0206): the `bosh` configuration section. The transport itself is
// server/transport/bosh.ts, mounted by server/index.ts next to the WebSocket endpoint; this module
// owns its keys so that they are checked at startup like every module's.
import { defineModule } from '../core/module.js';
import { parseBoshSettings, type BoshSettings } from '../transport/bosh.js';

export default defineModule<BoshSettings>({
  name: 'bosh',
  config: { key: 'bosh', parse: (raw, c) => parseBoshSettings(raw, c) },
  setup: () => {},
});
