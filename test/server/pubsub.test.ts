// XEP-0060 Publish-Subscribe at a service of its own (server/modules/pubsub/), between independent
// @xmpp/client users. The fixtures are XEP-0060 (1.25) examples: Hamlet's princely_musings node at
// pubsub.shakespeare.lit with the weblog entry of Example 100, Francisco and Bernardo subscribing.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { configSections } from '../../server/core/module.js';
import { resolveConfig } from '../../server/config.js';
import { MODULES } from '../../server/modules/index.js';
import { befriend, collect, connect, next, startTestServer, stopAll, xml, type TestServer, type XmppClient, type XmlElement } from './helpers.js';

const PUBSUB = 'http://jabber.org/protocol/pubsub';
const OWNER = 'http://jabber.org/protocol/pubsub#owner';
const EVENT = 'http://jabber.org/protocol/pubsub#event';
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const DATA = 'jabber:x:data';
const DOMAIN = 'denmark.lit';
const SVC = 'pubsub.shakespeare.lit';
const NODE = 'princely_musings';
const HAMLET = `hamlet@${DOMAIN}`;
const FRANCISCO = `francisco@${DOMAIN}`;
const BERNARDO = `bernardo@${DOMAIN}`;

type AppError = { condition: string; application?: XmlElement };
const fails = (condition: string, app?: string) => (e: AppError) => e.condition === condition && (app === undefined || e.application?.name === app);

// Example 100: the weblog entry Hamlet publishes.
const entry = (title = 'Soliloquy') =>
  xml(
    'entry',
    { xmlns: 'http://www.w3.org/2005/Atom' },
    xml('title', {}, title),
    xml('summary', {}, 'To be, or not to be: that is the question'),
    xml('link', { rel: 'alternate', type: 'text/html', href: 'http://denmark.lit/2003/12/13/atom03' }),
    xml('id', {}, 'tag:denmark.lit,2003:entry-32397'),
    xml('published', {}, '2003-12-13T18:30:02Z'),
    xml('updated', {}, '2003-12-13T18:30:02Z'),
  );

const form = (type: string, fields: Record<string, string>) =>
  xml('x', { xmlns: DATA, type: 'submit' }, xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, type)), ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))));
const nodeConfig = (fields: Record<string, string>) => form(`${PUBSUB}#node_config`, fields);

// Example 139's configuration (pubsub#item_expire and the rest we do not offer are ignored).
const EXAMPLE_139 = {
  'pubsub#title': 'Princely Musings (Atom)', 'pubsub#deliver_notifications': '1', 'pubsub#deliver_payloads': '1', 'pubsub#persist_items': '1',
  'pubsub#max_items': '10', 'pubsub#item_expire': '604800', 'pubsub#access_model': 'open', 'pubsub#publish_model': 'publishers',
  'pubsub#purge_offline': '0', 'pubsub#send_last_published_item': 'never', 'pubsub#presence_based_delivery': 'false',
  'pubsub#notification_type': 'headline', 'pubsub#notify_config': '0', 'pubsub#notify_delete': '0', 'pubsub#notify_retract': '0',
  'pubsub#notify_sub': '0', 'pubsub#max_payload_size': '1028', 'pubsub#type': 'http://www.w3.org/2005/Atom',
};

const request = (c: XmppClient, type: 'get' | 'set', ns: string, ...children: XmlElement[]) => c.iqCaller.request(xml('iq', { type, to: SVC }, xml('pubsub', { xmlns: ns }, ...children)));
const create = (c: XmppClient, node: string | undefined, config?: Record<string, string>) =>
  request(c, 'set', PUBSUB, xml('create', { node }), ...(config ? [xml('configure', {}, nodeConfig(config))] : []));
const configure = (c: XmppClient, node: string, fields: Record<string, string>) => request(c, 'set', OWNER, xml('configure', { node }, nodeConfig(fields)));
const publish = (c: XmppClient, node: string, id?: string, payload = entry(), options?: Record<string, string>) =>
  request(c, 'set', PUBSUB, xml('publish', { node }, xml('item', { id }, payload)), ...(options ? [xml('publish-options', {}, form(`${PUBSUB}#publish-options`, options))] : []));
const subscribe = (c: XmppClient, node: string, jid: string) => request(c, 'set', PUBSUB, xml('subscribe', { node, jid }));
const affiliate = (c: XmppClient, node: string, jid: string, affiliation: string) => request(c, 'set', OWNER, xml('affiliations', { node }, xml('affiliation', { jid, affiliation })));
async function items(c: XmppClient, node: string, attrs: Record<string, string> = {}, ...children: XmlElement[]): Promise<XmlElement> {
  return (await request(c, 'get', PUBSUB, xml('items', { node, ...attrs }, ...children))).getChild('pubsub', PUBSUB)!;
}
const ids = (p: XmlElement) => p.getChild('items')!.getChildren('item').map((i) => i.attrs.id as string);
const isEvent = (node: string, child: string) => (el: XmlElement) => el.is('message') && el.attrs.from === SVC && el.getChild('event', EVENT)?.getChildren(child).some((c) => c.attrs.node === node) === true;
const fieldValue = (x: XmlElement, name: string) => x.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value');

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
    // More items than pubsub.maxItems (50 here): not-acceptable (§8.2.5.4 Example 151).
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
    // The node keeps an owner (§8.9.2.4); values outside §4.1 are refused.
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
    // A node that keeps no items: retrieval and purge say so (Example 91, 169).
    const transient = fresh();
    await create(hamlet, transient, { 'pubsub#persist_items': '0' });
    await assert.rejects(items(francisco, transient), (e: AppError) => e.condition === 'feature-not-implemented' && e.application?.attrs.feature === 'persistent-items');
    await assert.rejects(request(hamlet, 'set', OWNER, xml('purge', { node: transient })), (e: AppError) => e.condition === 'feature-not-implemented' && e.application?.attrs.feature === 'persistent-items');
  });
});

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
    } finally {
      await stopAll(hamlet);
      await srv.stop();
    }
  });
});
