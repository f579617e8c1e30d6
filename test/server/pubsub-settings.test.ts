// The publish-subscribe service's settings (pubsub.createNodes, maxNodesPerUser, domain, maxItems),
// its persistence across a restart, and the PEP item cap (limits.pepItems).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { configSections } from '../../server/core/module.js';
import { resolveConfig } from '../../server/config.js';
import { MODULES } from '../../server/modules/index.js';
import { connect, next, startTestServer, stopAll, xml, type XmppClient, type XmlElement } from './helpers.js';
import {
  PUBSUB, OWNER, EVENT, DISCO_ITEMS, DATA, DOMAIN, SVC, NODE, HAMLET, FRANCISCO, fails, entry, nodeConfig, request, create, configure, publish, subscribe, affiliate, ids, isEvent, fieldValue, items,
} from './pubsub-fixtures.js';

describe('Publish-Subscribe service settings', function () {
  it('has the defaults it documents and names a key it refuses', () => {
    const sections = configSections(MODULES);
    const c = resolveConfig({}, undefined, undefined, sections);
    assert.deepEqual(c.modules.pubsub, { domain: null, createNodes: 'users', maxItems: 256, maxNodesPerUser: 100 });
    assert.equal(c.limits.pepItems, 256);
    assert.throws(() => resolveConfig({ pubsub: { createNodes: 'everyone' } }, undefined, undefined, sections), /pubsub\.createNodes/);
    assert.throws(() => resolveConfig({ pubsub: { maxItems: 0 } }, undefined, undefined, sections), /pubsub\.maxItems/);
    assert.throws(() => resolveConfig({ pubsub: { domain: 'a b' } }, undefined, undefined, sections), /pubsub\.domain/);
    assert.throws(() => resolveConfig({ pubsub: { nodes: 1 } }, undefined, undefined, sections), /pubsub\.nodes/);
    assert.throws(() => resolveConfig({ limits: { pepItems: 0 } }, undefined, undefined, sections), /limits\.pepItems/);
  });

  it('lets only the admins create nodes with createNodes "admins" (§8.1.1 Example 130), and caps nodes per account (maxNodesPerUser)', async () => {
    const srv = await startTestServer({ domain: DOMAIN, admins: [HAMLET], pubsub: { createNodes: 'admins', maxNodesPerUser: 2 } });
    let hamlet: XmppClient | undefined, francisco: XmppClient | undefined;
    try {
      await srv.users.add('hamlet', 'secret');
      await srv.users.add('francisco', 'secret');
      hamlet = await connect(srv, 'hamlet', 'secret');
      francisco = await connect(srv, 'francisco', 'secret');
      // The default domain: pubsub.<domain>, listed in the server's disco#items.
      const service = `pubsub.${DOMAIN}`;
      const items = (await francisco.iqCaller.request(xml('iq', { type: 'get', to: DOMAIN }, xml('query', { xmlns: DISCO_ITEMS })))).getChild('query')!;
      assert.ok(items.getChildren('item').some((i) => i.attrs.jid === service));
      const mk = (c: XmppClient, node: string) => c.iqCaller.request(xml('iq', { type: 'set', to: service }, xml('pubsub', { xmlns: PUBSUB }, xml('create', { node }))));
      await assert.rejects(mk(francisco, 'mine'), fails('forbidden'));
      await mk(hamlet, 'one');
      await mk(hamlet, 'two');
      await assert.rejects(mk(hamlet, 'three'), fails('policy-violation'));
    } finally {
      await stopAll(hamlet, francisco);
      await srv.stop();
    }
  });

  it('lets every local account create nodes by default, and keeps nodes, items, subscriptions and affiliations across a restart', async () => {
    const first = await startTestServer({ domain: DOMAIN, pubsub: { domain: SVC } });
    const dataDir = first.dataDir;
    let hamlet: XmppClient | undefined, francisco: XmppClient | undefined;
    try {
      await first.users.add('hamlet', 'secret');
      await first.users.add('francisco', 'secret');
      hamlet = await connect(first, 'hamlet', 'secret');
      await create(hamlet, NODE, { 'pubsub#access_model': 'whitelist', 'pubsub#max_items': '5', 'pubsub#title': 'Princely Musings (Atom)' });
      await affiliate(hamlet, NODE, FRANCISCO, 'member');
      await publish(hamlet, NODE, 'bnd81g37d61f49fgn581');
      francisco = await connect(first, 'francisco', 'secret');
      await subscribe(francisco, NODE, FRANCISCO);
      await stopAll(hamlet, francisco);
      await first.close();

      const second = await startTestServer({ domain: DOMAIN, dataDir, pubsub: { domain: SVC } });
      try {
        hamlet = await connect(second, 'hamlet', 'secret');
        francisco = await connect(second, 'francisco', 'secret');
        assert.deepEqual(ids(await items(francisco, NODE)), ['bnd81g37d61f49fgn581']);
        const got = (await request(hamlet, 'get', OWNER, xml('configure', { node: NODE }))).getChild('pubsub', OWNER)!.getChild('configure')!.getChild('x', DATA)!;
        assert.equal(fieldValue(got, 'pubsub#title'), 'Princely Musings (Atom)');
        assert.equal(fieldValue(got, 'pubsub#max_items'), '5');
        const event = next(francisco, isEvent(NODE, 'items'));
        await publish(hamlet, NODE, 'after-restart');
        assert.equal((await event).getChild('event', EVENT)!.getChild('items')!.getChild('item')!.attrs.id, 'after-restart');
        assert.deepEqual(ids(await items(francisco, NODE)), ['bnd81g37d61f49fgn581', 'after-restart']);
      } finally {
        await stopAll(hamlet, francisco);
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('caps a PEP node at limits.pepItems: a configuration asking for more is refused, publishing beyond trims', async () => {
    const srv = await startTestServer({ domain: DOMAIN, limits: { pepItems: 3 } });
    let hamlet: XmppClient | undefined;
    try {
      await srv.users.add('hamlet', 'secret');
      hamlet = await connect(srv, 'hamlet', 'secret');
      const pep = (...children: XmlElement[]) => hamlet!.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB }, ...children)));
      const cfg = (max: string) => hamlet!.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: OWNER }, xml('configure', { node: 'urn:xmpp:microblog:0' }, nodeConfig({ 'pubsub#max_items': max })))));
      await pep(xml('publish', { node: 'urn:xmpp:microblog:0' }, xml('item', { id: 'a' }, entry('a'))));
      await assert.rejects(cfg('4'), fails('not-acceptable'));
      await cfg('max');
      for (const id of ['b', 'c', 'd', 'e']) await pep(xml('publish', { node: 'urn:xmpp:microblog:0' }, xml('item', { id }, entry(id))));
      const r = await hamlet.iqCaller.request(xml('iq', { type: 'get', to: HAMLET }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: 'urn:xmpp:microblog:0' }))));
      assert.deepEqual(ids(r.getChild('pubsub', PUBSUB)!), ['c', 'd', 'e']);
      // The same engine pages PEP items with RSM (XEP-0060 §6.5.4): the last page of one.
      const page = await hamlet.iqCaller.request(xml('iq', { type: 'get', to: HAMLET }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: 'urn:xmpp:microblog:0' }), xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', {}, '1'), xml('before')))));
      assert.deepEqual(ids(page.getChild('pubsub', PUBSUB)!), ['e']);
    } finally {
      await stopAll(hamlet);
      await srv.stop();
    }
  });
});
