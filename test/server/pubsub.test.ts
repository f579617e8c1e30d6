// XEP-0060 Publish-Subscribe at a service of its own (server/modules/pubsub/), between independent
// @xmpp/client users, on XEP-0060's examples (pubsub-fixtures.ts): Hamlet's princely_musings node
// at pubsub.shakespeare.lit, Francisco and Bernardo subscribing.
import assert from 'node:assert/strict';
import { befriend, collect, connect, next, startTestServer, stopAll, xml, type TestServer, type XmppClient } from './helpers.js';
import {
  PUBSUB, OWNER, EVENT, DISCO_INFO, DISCO_ITEMS, DATA, DOMAIN, SVC, NODE, HAMLET, FRANCISCO, BERNARDO, type AppError, fails, entry, EXAMPLE_139, request, create, configure, publish, subscribe, affiliate, ids, isEvent, fieldValue, items,
} from './pubsub-fixtures.js';

describe('Publish-Subscribe service (XEP-0060)', function () {
  let srv: TestServer;
  let hamlet: XmppClient, francisco: XmppClient, bernardo: XmppClient;
  let n = 0;
  /** A node name of its own for each test, so tests do not see each other's nodes. */
  const fresh = () => `${NODE}_${++n}`;

  before(async () => {
    srv = await startTestServer({ domain: DOMAIN, pubsub: { domain: SVC, maxItems: 50 } });
    for (const u of ['hamlet', 'francisco', 'bernardo']) await srv.users.add(u, 'secret');
    [hamlet, francisco, bernardo] = await Promise.all(['hamlet', 'francisco', 'bernardo'].map((u) => connect(srv, u, 'secret')));
  });
  after(async () => {
    await stopAll(hamlet, francisco, bernardo);
    await srv?.stop();
  });

  it('describes itself as pubsub/service with exactly the features it implements (§5.1), and nodes with meta-data (§5.2-§5.4)', async () => {
    const info = (await francisco.iqCaller.request(xml('iq', { type: 'get', to: SVC }, xml('query', { xmlns: DISCO_INFO })))).getChild('query')!;
    assert.deepEqual(info.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`), ['pubsub/service']);
    const features = info.getChildren('feature').map((f) => f.attrs.var as string);
    const expected = [
      'access-open', 'access-presence', 'access-whitelist', 'config-node', 'config-node-max', 'create-and-configure', 'create-nodes', 'delete-items',
      'delete-nodes', 'instant-nodes', 'item-ids', 'manage-subscriptions', 'member-affiliation', 'meta-data', 'modify-affiliations', 'multi-items',
      'outcast-affiliation', 'persistent-items', 'publish', 'publish-options', 'publisher-affiliation', 'purge-nodes', 'retract-items',
      'retrieve-affiliations', 'retrieve-default', 'retrieve-items', 'retrieve-subscriptions', 'rsm', 'subscribe',
    ].map((f) => `${PUBSUB}#${f}`);
    assert.deepEqual(features, [DISCO_INFO, DISCO_ITEMS, PUBSUB, ...expected].sort());

    const node = fresh();
    await create(hamlet, node, EXAMPLE_139); // Example 139
    // Example 9 / 10: the service's nodes; Example 17 / 18: a node's identity and meta-data.
    const list = (await francisco.iqCaller.request(xml('iq', { type: 'get', to: SVC }, xml('query', { xmlns: DISCO_ITEMS })))).getChild('query')!;
    const listed = list.getChildren('item').find((i) => i.attrs.node === node);
    assert.deepEqual(listed?.attrs, { jid: SVC, node, name: 'Princely Musings (Atom)' });
    const meta = (await francisco.iqCaller.request(xml('iq', { type: 'get', to: SVC }, xml('query', { xmlns: DISCO_INFO, node })))).getChild('query')!;
    assert.deepEqual(meta.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`), ['pubsub/leaf']);
    const x = meta.getChild('x', DATA)!;
    assert.equal(fieldValue(x, 'FORM_TYPE'), `${PUBSUB}#meta-data`);
    assert.equal(fieldValue(x, 'pubsub#creator'), HAMLET);
    assert.equal(fieldValue(x, 'pubsub#title'), 'Princely Musings (Atom)');
    assert.equal(fieldValue(x, 'pubsub#access_model'), 'open');
    assert.match(fieldValue(x, 'pubsub#creation_date') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await publish(hamlet, node, 'bnd81g37d61f49fgn581');
    // Example 19: a node's items are disco items named by their ids.
    const its = (await francisco.iqCaller.request(xml('iq', { type: 'get', to: SVC }, xml('query', { xmlns: DISCO_ITEMS, node })))).getChild('query')!;
    assert.deepEqual(its.getChildren('item').map((i) => i.attrs), [{ jid: SVC, name: 'bnd81g37d61f49fgn581' }]);
    await assert.rejects(francisco.iqCaller.request(xml('iq', { type: 'get', to: SVC }, xml('query', { xmlns: DISCO_INFO, node: 'no-such-node' }))), fails('item-not-found'));
  });

  it('creates with and without a configuration, instant nodes, refuses an existing one, configures and deletes with notification (§8.1, §8.2, §8.4)', async () => {
    const node = fresh();
    assert.equal((await create(hamlet, node, EXAMPLE_139)).getChild('pubsub'), undefined); // Example 139, 140
    await assert.rejects(create(hamlet, node), fails('conflict')); // Example 131
    // Example 133 / 134: an instant node gets a NodeID from the service.
    const instant = (await create(hamlet, undefined)).getChild('pubsub', PUBSUB)!.getChild('create')!.attrs.node as string;
    assert.match(instant, /^[0-9a-f]{40}$/);
    // Example 141 / 142: the configuration form holds what Example 139 set.
    const got = (await request(hamlet, 'get', OWNER, xml('configure', { node }))).getChild('pubsub', OWNER)!.getChild('configure')!.getChild('x', DATA)!;
    assert.equal(fieldValue(got, 'FORM_TYPE'), `${PUBSUB}#node_config`);
    assert.equal(fieldValue(got, 'pubsub#title'), 'Princely Musings (Atom)');
    assert.equal(fieldValue(got, 'pubsub#max_items'), '10');
    assert.equal(fieldValue(got, 'pubsub#notify_retract'), '0');
    // Example 148 asks for the roster access model, which is not offered: Example 151 / 138.
    await assert.rejects(configure(hamlet, node, { 'pubsub#access_model': 'roster', 'pubsub#roster_groups_allowed': 'friends' }), fails('not-acceptable', 'unsupported-access-model'));
    // More items than pubsub.maxItems (50 here): not-acceptable (§8.2.5.2 Example 151).
    await assert.rejects(configure(hamlet, node, { 'pubsub#max_items': '51' }), fails('not-acceptable'));
    await assert.rejects(create(hamlet, fresh(), { 'pubsub#max_items': '51' }), fails('not-acceptable'));
    await assert.rejects(configure(francisco, node, { 'pubsub#title': 'mine' }), fails('forbidden')); // Example 144
    await configure(hamlet, node, { 'pubsub#title': 'Musings', 'pubsub#deliver_payloads': '0' }); // Example 148, 150
    const after = (await request(hamlet, 'get', OWNER, xml('configure', { node }))).getChild('pubsub', OWNER)!.getChild('configure')!.getChild('x', DATA)!;
    assert.equal(fieldValue(after, 'pubsub#title'), 'Musings');
    assert.equal(fieldValue(after, 'pubsub#deliver_payloads'), '0');
    // §7.1.2.2 Example 103: without payloads, subscribers get the item id alone.
    await subscribe(francisco, node, FRANCISCO);
    const bare = next(francisco, isEvent(node, 'items'));
    await publish(hamlet, node, 'ae890ac52d0df67ed7cfdf51b644e901');
    const item = (await bare).getChild('event', EVENT)!.getChild('items')!.getChild('item')!;
    assert.equal(item.attrs.id, 'ae890ac52d0df67ed7cfdf51b644e901');
    assert.equal(item.children.length, 0);

    await assert.rejects(request(francisco, 'set', OWNER, xml('delete', { node })), fails('forbidden')); // Example 162
    const deleted = next(francisco, isEvent(node, 'delete')); // Example 161
    await request(hamlet, 'set', OWNER, xml('delete', { node })); // Example 158, 160
    await deleted;
    await assert.rejects(items(francisco, node), fails('item-not-found')); // Example 98
    await assert.rejects(request(hamlet, 'set', OWNER, xml('delete', { node })), fails('item-not-found')); // Example 163
    // The default configuration (§8.3, Example 154 / 155).
    const def = (await request(hamlet, 'get', OWNER, xml('default'))).getChild('pubsub', OWNER)!.getChild('default')!.getChild('x', DATA)!;
    assert.equal(fieldValue(def, 'pubsub#access_model'), 'open');
  });

  it('notifies subscribers of items published, retracted and purged (§6.1, §7.1, §7.2, §8.5)', async () => {
    const node = fresh();
    await create(hamlet, node, { 'pubsub#max_items': '10' });
    // Example 32 / 33: the subscription with its SubID.
    const sub = (await subscribe(francisco, node, FRANCISCO)).getChild('pubsub', PUBSUB)!.getChild('subscription')!;
    assert.equal(sub.attrs.node, node);
    assert.equal(sub.attrs.jid, FRANCISCO);
    assert.equal(sub.attrs.subscription, 'subscribed');
    assert.ok(sub.attrs.subid);
    await subscribe(bernardo, node, `${BERNARDO}/${(bernardo as unknown as { jid: { resource: string } }).jid.resource}`);
    // Example 100 → 101 and the notifications of Example 102, to both subscribers.
    const toFrancisco = next(francisco, isEvent(node, 'items'));
    const toBernardo = next(bernardo, isEvent(node, 'items'));
    const result = await publish(hamlet, node, 'bnd81g37d61f49fgn581');
    assert.equal(result.getChild('pubsub', PUBSUB)!.getChild('publish')!.getChild('item')!.attrs.id, 'bnd81g37d61f49fgn581');
    for (const got of await Promise.all([toFrancisco, toBernardo])) {
      const item = got.getChild('event', EVENT)!.getChild('items')!.getChild('item')!;
      assert.equal(item.attrs.id, 'bnd81g37d61f49fgn581');
      assert.equal(item.getChild('entry', 'http://www.w3.org/2005/Atom')!.getChildText('title'), 'Soliloquy');
    }
    // §7.1.1: without an id the service makes one.
    const made = (await publish(hamlet, node)).getChild('pubsub', PUBSUB)!.getChild('publish')!.getChild('item')!.attrs.id as string;
    assert.ok(made.length > 0);
    // Example 117 → 118 and the notification of Example 119.
    const retracted = next(francisco, isEvent(node, 'items'));
    await request(hamlet, 'set', PUBSUB, xml('retract', { node }, xml('item', { id: 'bnd81g37d61f49fgn581' })));
    assert.equal((await retracted).getChild('event', EVENT)!.getChild('items')!.getChild('retract')!.attrs.id, 'bnd81g37d61f49fgn581');
    assert.deepEqual(ids(await items(francisco, node)), [made]);
    await assert.rejects(request(francisco, 'set', PUBSUB, xml('retract', { node }, xml('item', { id: made }))), fails('forbidden')); // Example 121
    // Example 164 → 165 and the notification of Example 166.
    const purged = next(bernardo, isEvent(node, 'purge'));
    await request(hamlet, 'set', OWNER, xml('purge', { node }));
    await purged;
    assert.deepEqual(ids(await items(francisco, node)), []); // Example 86
    // Example 51 / 52: unsubscribed, Francisco hears nothing more.
    await request(francisco, 'set', PUBSUB, xml('unsubscribe', { node, jid: FRANCISCO }));
    const quiet = collect(francisco, isEvent(node, 'items'));
    const seen = next(bernardo, isEvent(node, 'items'));
    await publish(hamlet, node, 'after');
    await seen;
    assert.deepEqual(await quiet.done(), []);
  });

  it('keeps max_items items, the oldest trimmed, and retrieves all, the newest, by id or by RSM page (§6.5)', async () => {
    const node = fresh();
    await create(hamlet, node, { 'pubsub#max_items': '3' });
    for (const id of ['a', 'b', 'c', 'd', 'e']) await publish(hamlet, node, id, entry(id));
    assert.deepEqual(ids(await items(francisco, node)), ['c', 'd', 'e']); // Example 78 / 79
    assert.deepEqual(ids(await items(francisco, node, { max_items: '2' })), ['d', 'e']); // Example 84 / 85
    assert.deepEqual(ids(await items(francisco, node, {}, xml('item', { id: 'd' }), xml('item', { id: 'a' }))), ['d']); // Example 87, 99
    // Republishing an id makes it the newest.
    await publish(hamlet, node, 'c', entry('c again'));
    assert.deepEqual(ids(await items(francisco, node)), ['d', 'e', 'c']);
    // Lowering max_items trims at once.
    await configure(hamlet, node, { 'pubsub#max_items': '2' });
    assert.deepEqual(ids(await items(francisco, node)), ['e', 'c']);
    // "max" is the service's cap (pubsub.maxItems, 50 here) (§16.4.3, config-node-max).
    await configure(hamlet, node, { 'pubsub#max_items': 'max' });
    for (let i = 0; i < 52; i++) await publish(hamlet, node, `m${i}`);
    assert.equal(ids(await items(francisco, node)).length, 50);
    // Example 80: an RSM page (XEP-0059) of the items, oldest first.
    const page = (await request(francisco, 'get', PUBSUB, xml('items', { node }), xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', {}, '2'))))
      .getChild('pubsub', PUBSUB)!;
    assert.deepEqual(ids(page), ['m2', 'm3']);
    assert.equal(page.getChild('set', 'http://jabber.org/protocol/rsm')!.getChildText('count'), '50');
  });

  it('applies the access models open, presence and whitelist, and the affiliations (§4.1, §4.5, §8.9)', async () => {
    const presence = fresh();
    await create(hamlet, presence, { 'pubsub#access_model': 'presence' });
    await publish(hamlet, presence, 'one');
    await assert.rejects(subscribe(bernardo, presence, BERNARDO), fails('not-authorized', 'presence-subscription-required')); // Example 35
    await assert.rejects(items(bernardo, presence), fails('not-authorized', 'presence-subscription-required')); // Example 93
    await befriend(hamlet, HAMLET, bernardo, BERNARDO);
    assert.deepEqual(ids(await items(bernardo, presence)), ['one']);
    await subscribe(bernardo, presence, BERNARDO);

    const whitelist = fresh();
    await create(hamlet, whitelist, { 'pubsub#access_model': 'whitelist' });
    await publish(hamlet, whitelist, 'secret');
    await assert.rejects(subscribe(francisco, whitelist, FRANCISCO), fails('not-allowed', 'closed-node')); // Example 37
    await assert.rejects(items(francisco, whitelist), fails('not-allowed', 'closed-node')); // Example 95
    // The whitelist node is not listed for Francisco (§5.2).
    const listed = (await francisco.iqCaller.request(xml('iq', { type: 'get', to: SVC }, xml('query', { xmlns: DISCO_ITEMS })))).getChild('query')!;
    assert.equal(listed.getChildren('item').some((i) => i.attrs.node === whitelist), false);
    await assert.rejects(affiliate(francisco, whitelist, FRANCISCO, 'member'), fails('forbidden')); // Example 207
    await affiliate(hamlet, whitelist, FRANCISCO, 'member'); // Example 203 / 204
    assert.deepEqual(ids(await items(francisco, whitelist)), ['secret']);
    await subscribe(francisco, whitelist, FRANCISCO);
    // Example 198 / 199.
    const affs = (await request(hamlet, 'get', OWNER, xml('affiliations', { node: whitelist }))).getChild('pubsub', OWNER)!.getChild('affiliations')!;
    assert.deepEqual(affs.getChildren('affiliation').map((a) => `${a.attrs.jid} ${a.attrs.affiliation}`).sort(), [`${FRANCISCO} member`, `${HAMLET} owner`]);
    // Example 26 / 27 and 20 / 21: Francisco's own affiliations and subscriptions.
    const mine = (await request(francisco, 'get', PUBSUB, xml('affiliations'))).getChild('pubsub', PUBSUB)!.getChild('affiliations')!;
    assert.deepEqual(mine.getChildren('affiliation').map((a) => a.attrs), [{ node: whitelist, affiliation: 'member' }]);
    const subs = (await request(francisco, 'get', PUBSUB, xml('subscriptions', { node: whitelist }))).getChild('pubsub', PUBSUB)!.getChild('subscriptions')!;
    assert.deepEqual(subs.getChildren('subscription').map((s) => [s.attrs.jid, s.attrs.subscription]), [[FRANCISCO, 'subscribed']]);

    // Publishers publish (§4.1); members and others do not (Example 107).
    await assert.rejects(publish(francisco, whitelist, 'mine'), fails('forbidden'));
    await affiliate(hamlet, whitelist, FRANCISCO, 'publisher');
    await publish(francisco, whitelist, 'mine');

    // An outcast loses its subscription and may neither subscribe nor retrieve (Example 41, 97).
    const open = fresh();
    await create(hamlet, open);
    await subscribe(francisco, open, FRANCISCO);
    await affiliate(hamlet, open, FRANCISCO, 'outcast');
    await assert.rejects(subscribe(francisco, open, FRANCISCO), fails('forbidden'));
    await assert.rejects(items(francisco, open), fails('forbidden'));
    const owned = (await request(hamlet, 'get', OWNER, xml('subscriptions', { node: open }))).getChild('pubsub', OWNER)!.getChild('subscriptions')!;
    assert.deepEqual(owned.getChildren('subscription'), []);
    const quiet = collect(francisco, isEvent(open, 'items'));
    await publish(hamlet, open, 'not for outcasts');
    assert.deepEqual(await quiet.done(), []);
    // The node keeps an owner; values outside §4.1 are refused (not-acceptable, as in §8.9.2.4).
    await assert.rejects(affiliate(hamlet, open, HAMLET, 'none'), fails('not-acceptable'));
    await assert.rejects(affiliate(hamlet, open, BERNARDO, 'emperor'), fails('not-acceptable'));
    // Example 190 / 191: the owner subscribes Bernardo; he gets the next notification.
    await request(hamlet, 'set', OWNER, xml('subscriptions', { node: open }, xml('subscription', { jid: BERNARDO, subscription: 'subscribed' })));
    const got = next(bernardo, isEvent(open, 'items'));
    await publish(hamlet, open, 'for bernardo');
    await got;
  });

  it('forgets a deleted account: its subscriptions and affiliations go, its nodes are deleted with notification (§8.4.2)', async () => {
    await srv.users.add('osric', 'secret');
    const osric = await connect(srv, 'osric', 'secret');
    const his = fresh();
    const shared = fresh();
    await create(osric, his);
    await create(hamlet, shared, { 'pubsub#access_model': 'whitelist' });
    await affiliate(hamlet, shared, `osric@${DOMAIN}`, 'member');
    await subscribe(osric, shared, `osric@${DOMAIN}`);
    await subscribe(francisco, his, FRANCISCO);
    const deleted = next(francisco, isEvent(his, 'delete'));
    await srv.users.remove(`osric@${DOMAIN}`);
    await deleted;
    await stopAll(osric);
    await assert.rejects(items(francisco, his), fails('item-not-found'));
    const affs = (await request(hamlet, 'get', OWNER, xml('affiliations', { node: shared }))).getChild('pubsub', OWNER)!.getChild('affiliations')!;
    assert.deepEqual(affs.getChildren('affiliation').map((a) => a.attrs.jid), [HAMLET]);
    const subs = (await request(hamlet, 'get', OWNER, xml('subscriptions', { node: shared }))).getChild('pubsub', OWNER)!.getChild('subscriptions')!;
    assert.deepEqual(subs.getChildren('subscription'), []);
  });

  it('answers errors as XEP-0060 gives them', async () => {
    const node = fresh();
    await create(hamlet, node);
    await subscribe(francisco, node, FRANCISCO);
    await assert.rejects(request(hamlet, 'set', PUBSUB, xml('retract', {}, xml('item', { id: 'x' }))), fails('bad-request', 'nodeid-required')); // Example 123
    await assert.rejects(request(hamlet, 'get', OWNER, xml('configure')), fails('bad-request', 'nodeid-required')); // Example 145
    await assert.rejects(request(hamlet, 'set', PUBSUB, xml('retract', { node })), fails('bad-request', 'item-required')); // Example 124
    await assert.rejects(request(hamlet, 'set', PUBSUB, xml('retract', { node }, xml('item', { id: 'nope' }))), fails('item-not-found')); // Example 122
    await assert.rejects(publish(hamlet, 'no-such-node'), fails('item-not-found')); // Example 109
    await assert.rejects(request(hamlet, 'set', PUBSUB, xml('publish', { node }, xml('item', { id: 'x' }))), fails('bad-request', 'payload-required')); // Example 114
    await assert.rejects(request(hamlet, 'set', PUBSUB, xml('publish', { node }, xml('item', {}, entry(), entry()))), fails('bad-request', 'invalid-payload')); // Example 112
    await assert.rejects(subscribe(francisco, node, BERNARDO), fails('bad-request', 'invalid-jid')); // Example 34
    await assert.rejects(subscribe(francisco, 'no-such-node', FRANCISCO), fails('item-not-found')); // Example 45
    await assert.rejects(request(bernardo, 'set', PUBSUB, xml('unsubscribe', { node, jid: BERNARDO })), fails('unexpected-request', 'not-subscribed')); // Example 54
    await assert.rejects(request(francisco, 'set', PUBSUB, xml('unsubscribe', { node, jid: FRANCISCO, subid: 'wrong' })), fails('not-acceptable', 'invalid-subid')); // Example 57
    await assert.rejects(request(bernardo, 'set', PUBSUB, xml('unsubscribe', { node, jid: FRANCISCO })), fails('forbidden')); // Example 55
    // §7.1.5: publish-options are preconditions on the node's configuration.
    await assert.rejects(publish(hamlet, node, 'p', entry(), { 'pubsub#access_model': 'whitelist' }), fails('conflict', 'precondition-not-met'));
    await publish(hamlet, node, 'p', entry(), { 'pubsub#access_model': 'open' });
    // Subscription options (§6.3) are not offered: <unsupported feature='subscription-options'/>.
    await assert.rejects(request(francisco, 'set', PUBSUB, xml('options', { node, jid: FRANCISCO })), (e: AppError) => e.condition === 'feature-not-implemented' && e.application?.attrs.feature === 'subscription-options');
    // What the service does not serve: an unknown payload (RFC 6120 §8.4) and messages.
    await assert.rejects(francisco.iqCaller.request(xml('iq', { type: 'get', to: SVC }, xml('query', { xmlns: 'urn:example:nothing' }))), fails('service-unavailable'));
    const bounced = next(francisco, (el) => el.is('message') && el.attrs.type === 'error' && el.attrs.from === SVC);
    await francisco.send(xml('message', { to: SVC, id: 'm1' }, xml('body', {}, 'hello')));
    assert.equal((await bounced).getChild('error')!.getChildren('service-unavailable').length, 1);
    // A node that keeps no items: retrieval and purge say so (Example 91, 169).
    const transient = fresh();
    await create(hamlet, transient, { 'pubsub#persist_items': '0' });
    await assert.rejects(items(francisco, transient), (e: AppError) => e.condition === 'feature-not-implemented' && e.application?.attrs.feature === 'persistent-items');
    await assert.rejects(request(hamlet, 'set', OWNER, xml('purge', { node: transient })), (e: AppError) => e.condition === 'feature-not-implemented' && e.application?.attrs.feature === 'persistent-items');
  });
});
