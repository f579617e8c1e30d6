// XEP-0115 caps of the server in its stream features (§6.3), checked from outside with @xmpp/client:
// the advertised 'ver' must be the hash of what disco#info on node#ver answers (§5.4), and change
// when the features do.
import assert from 'node:assert/strict';
import { client as xmppClient } from '@xmpp/client';
import { parseXml } from '../../xmpp/xml.js';
import { verifyCaps } from '../../xmpp/caps.js';
import { startTestServer, stopAll, xml, type TestServer, type XmlElement } from './helpers.js';

const CAPS = 'http://jabber.org/protocol/caps';

async function signInCollectingFeatures(srv: TestServer): Promise<{ c: ReturnType<typeof xmppClient>; features: XmlElement[] }> {
  const c = xmppClient({ service: `xmpp://127.0.0.1:${srv.ports.c2s}`, domain: srv.config.domain, username: 'juliet', password: 'secret' });
  c.on('error', () => {});
  const features: XmlElement[] = [];
  c.on('element', (el: XmlElement) => {
    if (el.name === 'stream:features') features.push(el);
  });
  await c.start();
  return { c, features };
}

describe('XEP-0115 caps in the stream features', function () {
  for (const open of [false, true]) {
    it(`advertises a ver that matches disco#info on node#ver (registration ${open ? 'open' : 'closed'})`, async () => {
      const srv = await startTestServer({ domain: 'capulet.com', components: { port: null }, registration: { open } });
      await srv.users.add('juliet@capulet.com', 'secret');
      const { c, features } = await signInCollectingFeatures(srv);
      try {
        // Before and after authentication (the features after STARTTLS and after SASL).
        const caps = features.map((f) => f.getChild('c', CAPS)).filter((x): x is XmlElement => !!x);
        assert.ok(caps.length >= 2, `caps in ${caps.length} of ${features.length} feature sets`);
        const { hash, node, ver } = caps[caps.length - 1]!.attrs as Record<string, string>;
        assert.equal(hash, 'sha-1');
        assert.equal(caps[0]!.attrs.ver, ver);
        const r = await c.iqCaller.request(xml('iq', { type: 'get', to: 'capulet.com' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: `${node}#${ver}` })));
        const q = r.getChild('query')!;
        assert.equal(q.attrs.node, `${node}#${ver}`);
        assert.ok(verifyCaps({ hash, ver }, parseXml(q.toString())), `ver ${ver} is the hash of ${q.toString()}`);
        assert.equal(q.getChildren('feature').some((f) => f.attrs.var === 'jabber:iq:register'), open);
        // Any other node is not ours.
        await assert.rejects(
          c.iqCaller.request(xml('iq', { type: 'get', to: 'capulet.com' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: `${node}#nope` }))),
          (e: { condition?: string }) => e.condition === 'item-not-found',
        );
      } finally {
        await stopAll(c);
        await srv.stop();
      }
    });
  }

  it('gives different vers to servers with different features', async () => {
    const vers: string[] = [];
    for (const open of [false, true]) {
      const srv = await startTestServer({ domain: 'capulet.com', components: { port: null }, registration: { open } });
      await srv.users.add('juliet@capulet.com', 'secret');
      const { c, features } = await signInCollectingFeatures(srv);
      vers.push(features.at(-1)!.getChild('c', CAPS)!.attrs.ver as string);
      await stopAll(c);
      await srv.stop();
    }
    assert.notEqual(vers[0], vers[1]);
  });
});
