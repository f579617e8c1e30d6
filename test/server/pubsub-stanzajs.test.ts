// The publish-subscribe service through StanzaJS's pubsub API (the client library of the web
// client), for wire compatibility with what a real client sends and expects: node creation with a
// configuration form, publish, subscribe, notifications as 'pubsub:published' / 'pubsub:retracted'
// events, items, affiliations.
import assert from 'node:assert/strict';
import { createClient, type Agent } from 'stanza';
import { startTestServer, type TestServer } from './helpers.js';

const SVC = 'pubsub.localhost';
const NS_TUNE = 'http://jabber.org/protocol/tune';

async function login(srv: TestServer, user: string): Promise<Agent> {
  const c = createClient({ jid: `${user}@localhost`, password: 'secret', resource: 'stanzajs', transports: { websocket: `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, bosh: false } });
  const started = new Promise<void>((resolve, reject) => {
    c.once('session:started', () => resolve());
    c.once('stream:error', (e) => reject(new Error(String(e.condition))));
  });
  c.connect();
  await started;
  c.sendPresence();
  return c;
}

describe('Publish-Subscribe service with StanzaJS (XEP-0060)', function () {
  let srv: TestServer;
  let hamlet: Agent, francisco: Agent;

  before(async () => {
    srv = await startTestServer();
    await srv.users.add('hamlet', 'secret');
    await srv.users.add('francisco', 'secret');
    hamlet = await login(srv, 'hamlet');
    francisco = await login(srv, 'francisco');
  });
  after(async () => {
    for (const c of [hamlet, francisco]) c?.disconnect();
    await srv?.stop();
  });

  it('creates, configures, publishes, notifies, retracts and lists affiliations as StanzaJS asks', async () => {
    await hamlet.createNode(SVC, 'princely_musings', {
      type: 'submit',
      fields: [
        { name: 'FORM_TYPE', type: 'hidden', value: 'http://jabber.org/protocol/pubsub#node_config' },
        { name: 'pubsub#title', value: 'Princely Musings (Atom)' },
        { name: 'pubsub#max_items', value: '10' },
      ],
    });
    const config = await hamlet.getNodeConfig(SVC, 'princely_musings');
    assert.equal(config.fields?.find((f) => f.name === 'pubsub#title')?.value, 'Princely Musings (Atom)');
    const sub = await francisco.subscribeToNode(SVC, 'princely_musings');
    assert.equal(sub.state, 'subscribed');
    assert.ok(sub.subid);
    const published = new Promise<string | undefined>((resolve) => francisco.once('pubsub:published', (m) => resolve(m.pubsub.items.published?.[0]?.id)));
    // XEP-0163 §1.2 Example 1's tune, a payload StanzaJS knows how to write.
    await hamlet.publish(SVC, 'princely_musings', { itemType: NS_TUNE, artist: 'Gerald Finzi', title: 'Introduction (Allegro vigoroso)' }, 'bnd81g37d61f49fgn581');
    assert.equal(await published, 'bnd81g37d61f49fgn581');
    const fetched = await francisco.getItems(SVC, 'princely_musings');
    assert.deepEqual(fetched.items?.map((i) => i.id), ['bnd81g37d61f49fgn581']);
    assert.equal((fetched.items?.[0]?.content as { artist?: string } | undefined)?.artist, 'Gerald Finzi');
    const retracted = new Promise<string | undefined>((resolve) => francisco.once('pubsub:retracted', (m) => resolve(m.pubsub.items.retracted?.[0])));
    await hamlet.retract(SVC, 'princely_musings', 'bnd81g37d61f49fgn581', true);
    assert.equal(await retracted, 'bnd81g37d61f49fgn581');
    const affs = await hamlet.getNodeAffiliations(SVC, 'princely_musings');
    assert.deepEqual(affs.items?.map((a) => [a.jid, a.affiliation]), [['hamlet@localhost', 'owner']]);
  });
});
