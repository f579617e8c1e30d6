// The publish-subscribe service of one Carillon (pubsub.one.test) used by a user of another
// (bob@two.test) over federation: remote users subscribe and retrieve items as the access model
// allows (XEP-0060 §4.5), receive notifications through the service's own s2s stream, and may not
// create nodes.
import assert from 'node:assert/strict';
import { startServer, pinEachOther, User, xml, type TestServer, type Element } from './helpers.js';

const PUBSUB = 'http://jabber.org/protocol/pubsub';
const OWNER = 'http://jabber.org/protocol/pubsub#owner';
const EVENT = 'http://jabber.org/protocol/pubsub#event';
const SVC = 'pubsub.one.test';
type AppError = { condition: string; application?: Element };

describe('federation: the pubsub service of one server, used from another', function () {
  this.timeout(60000);
  let one: TestServer;
  let two: TestServer;
  let alice: User;
  let bob: User;
  const ps = (u: User, type: 'get' | 'set', ns: string, child: Element) => u.iq(xml('iq', { type, to: SVC }, xml('pubsub', { xmlns: ns }, child)), 15000);
  const config = (fields: Record<string, string>) =>
    xml('configure', {}, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, `${PUBSUB}#node_config`)), ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v)))));

  before(async () => {
    one = await startServer('one.test');
    two = await startServer('two.test');
    pinEachOther(one, two);
    // The service's domain is a domain of its own on the network, served by one.test's s2s port.
    two.config.s2s.hosts[SVC] = `127.0.0.1:${one.ports.s2s}`;
    await one.users.add('alice@one.test', 'pw-alice');
    await two.users.add('bob@two.test', 'pw-bob');
    alice = await User.connect(one.ports.c2s!, 'one.test', 'alice', 'pw-alice', 'laptop');
    bob = await User.connect(two.ports.c2s!, 'two.test', 'bob', 'pw-bob', 'phone');
    // Available, so that headline notifications to his bare JID reach the resource (RFC 6121 §8.5.2: with none available, a headline is dropped).
    await bob.send(xml('presence'));
  });

  after(async () => {
    await alice?.stop();
    await bob?.stop();
    await one?.stop();
    await two?.stop();
  });

  it('lets a remote user subscribe to an open node, receive its notifications and read it; not a whitelist node; not create', async () => {
    await alice.iq(xml('iq', { type: 'set', to: SVC }, xml('pubsub', { xmlns: PUBSUB }, xml('create', { node: 'news' }), config({ 'pubsub#access_model': 'open' }))));
    await alice.iq(xml('iq', { type: 'set', to: SVC }, xml('pubsub', { xmlns: PUBSUB }, xml('create', { node: 'private' }), config({ 'pubsub#access_model': 'whitelist' }))));
    const sub = await ps(bob, 'set', PUBSUB, xml('subscribe', { node: 'news', jid: 'bob@two.test' }));
    assert.equal(sub.getChild('pubsub', PUBSUB)!.getChild('subscription')!.attrs.subscription, 'subscribed');
    await ps(alice, 'set', PUBSUB, xml('publish', { node: 'news' }, xml('item', { id: 'n1' }, xml('entry', { xmlns: 'http://www.w3.org/2005/Atom' }, xml('title', {}, 'Federated')))));
    const event = await bob.waitFor((el) => el.is('message') && el.attrs.from === SVC && !!el.getChild('event', EVENT), 15000, 'the notification');
    assert.equal(event.getChild('event', EVENT)!.getChild('items')!.getChild('item')!.attrs.id, 'n1');
    const got = await ps(bob, 'get', PUBSUB, xml('items', { node: 'news' }));
    assert.deepEqual(got.getChild('pubsub', PUBSUB)!.getChild('items')!.getChildren('item').map((i) => i.attrs.id), ['n1']);
    await assert.rejects(ps(bob, 'get', PUBSUB, xml('items', { node: 'private' })), (e: AppError) => e.condition === 'not-allowed' && e.application?.name === 'closed-node');
    await assert.rejects(ps(bob, 'set', PUBSUB, xml('create', { node: 'bobs' })), (e: AppError) => e.condition === 'forbidden');
    // The owner sees the remote subscriber (§8.8.1).
    const subs = await ps(alice, 'get', OWNER, xml('subscriptions', { node: 'news' }));
    assert.deepEqual(subs.getChild('pubsub', OWNER)!.getChild('subscriptions')!.getChildren('subscription').map((s) => s.attrs.jid), ['bob@two.test']);
  });
});
