// XEP-0115 Entity Capabilities of the server itself: a <c/> in the stream features (§6.3), so a
// client learns what the server offers without a disco#info round trip, and the answer to
// disco#info on node#ver (§6.2). The 'ver' is the sha-1 of the server's disco#info (§5.2).
import { CAPS_NS, capsVer } from '../../xmpp/caps.js';
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import { PRIORITY } from '../core/events.js';
import { defineModule } from '../core/module.js';
import { hostInfo } from './disco.js';

export default defineModule({
  name: 'caps',
  setup(m) {
    const { server } = m;
    // §4: the node names the software; this deployment's own URI is as good a name as any.
    const node = `xmpp:${server.domain}`;
    // Modules declare their features while they are set up, so 'ver' is computed on first use.
    let ver: string | undefined;
    const current = (): string => (ver ??= capsVer(hostInfo(server)) ?? '');
    const element = (): Element => x('c', { xmlns: CAPS_NS, hash: 'sha-1', node, ver: current() });

    m.on('stream-features', ({ features }) => {
      features.cnode(element());
    });
    m.on(`iq-get/host/${NS.DISCO_INFO}`, (e) => {
      if (e.payload.attrs.node !== `${node}#${current()}`) return;
      return server.answer(e, () => {
        const q = hostInfo(server);
        q.attrs.node = e.payload.attrs.node;
        return q;
      });
    }, PRIORITY.NORMAL + 1);
  },
});
