// Ad-hoc commands (XEP-0050) and the service administration commands (XEP-0133), with the XEPs'
// examples: the bard of shakespeare.lit is the admin, Juliet the account he manages.
import assert from 'node:assert/strict';
import { ConfigError, resolveConfig } from '../../server/config.js';
import { configSections } from '../../server/core/module.js';
import { MODULES } from '../../server/modules/index.js';
import { connect, next, startTestServer, stopAll, xml, type TestServer, type XmppClient, type XmlElement } from './helpers.js';

const DOMAIN = 'shakespeare.lit';
const CMD = 'http://jabber.org/protocol/commands';
const ADMIN = 'http://jabber.org/protocol/admin';
const DATA = 'jabber:x:data';
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const ADD_USER = `${ADMIN}#add-user`;
const DELETE_USER = `${ADMIN}#delete-user`;
const CHANGE_PASSWORD = `${ADMIN}#change-user-password`;
const ANNOUNCE = `${ADMIN}#announce`;

/** A command request to the server; resolves with the <command/> of the result. */
async function command(c: XmppClient, attrs: Record<string, string>, ...children: XmlElement[]): Promise<XmlElement> {
  const r = await c.iqCaller.request(xml('iq', { type: 'set', to: DOMAIN, 'xml:lang': 'en' }, xml('command', { xmlns: CMD, ...attrs }, ...children)));
  return r.getChild('command', CMD)!;
}

/** A submitted form, FORM_TYPE first as in the XEP-0133 examples. */
function submit(fields: Record<string, string | string[]>): XmlElement {
  const all = { FORM_TYPE: ADMIN, ...fields };
  return xml('x', { xmlns: DATA, type: 'submit' }, ...Object.entries(all).map(([v, values]) => xml('field', { var: v }, ...[values].flat().map((value) => xml('value', {}, value)))));
}

/** Executes `node` and submits `fields` in the session it opened. */
async function run(c: XmppClient, node: string, fields: Record<string, string | string[]>): Promise<XmlElement> {
  const form = await command(c, { node, action: 'execute' });
  assert.equal(form.attrs.status, 'executing');
  return command(c, { node, sessionid: form.attrs.sessionid }, submit(fields));
}

const fieldVars = (x: XmlElement) => x.getChildren('field').map((f) => f.attrs.var);
type AppError = { condition: string; application?: XmlElement };

describe('ad-hoc commands (XEP-0050) and service administration (XEP-0133)', function () {
  let srv: TestServer;
  const open: XmppClient[] = [];
  const login = async (user: string, password = 'secret', opts: Parameters<typeof connect>[3] = {}) => {
    const c = await connect(srv, user, password, opts);
    open.push(c);
    return c;
  };

  beforeEach(async () => {
    srv = await startTestServer({ domain: DOMAIN, components: { port: null }, admins: ['bard@shakespeare.lit'] });
    for (const u of ['bard', 'iago']) await srv.users.add(`${u}@${DOMAIN}`, 'secret');
  });
  afterEach(async () => {
    await stopAll(...open.splice(0));
    await srv.stop();
  });

  it('announces the feature and lists the admin commands to admins only (XEP-0050 Examples 1-4)', async () => {
    const bard = await login('bard', 'secret', { resource: 'globe' });
    const iago = await login('iago');
    const info = await bard.iqCaller.request(xml('iq', { type: 'get', to: DOMAIN }, xml('query', { xmlns: DISCO_INFO })));
    assert.ok(info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === CMD));
    const list = async (c: XmppClient) => {
      const r = await c.iqCaller.request(xml('iq', { type: 'get', to: DOMAIN }, xml('query', { xmlns: DISCO_ITEMS, node: CMD })));
      const q = r.getChild('query', DISCO_ITEMS)!;
      assert.equal(q.attrs.node, CMD);
      return q.getChildren('item');
    };
    const items = await list(bard);
    assert.deepEqual(items.map((i) => i.attrs.node), [ADD_USER, DELETE_USER, CHANGE_PASSWORD, ANNOUNCE]);
    assert.ok(items.every((i) => i.attrs.jid === DOMAIN && i.attrs.name));
    assert.deepEqual(await list(iago), []);
  });

  it('describes a command node to whoever may run it (Examples 5-6), forbidden to others', async () => {
    const bard = await login('bard');
    const iago = await login('iago');
    const info = (c: XmppClient, node: string) => c.iqCaller.request(xml('iq', { type: 'get', to: DOMAIN }, xml('query', { xmlns: DISCO_INFO, node })));
    const q = (await info(bard, ADD_USER)).getChild('query', DISCO_INFO)!;
    assert.equal(q.attrs.node, ADD_USER);
    const identity = q.getChild('identity')!;
    assert.deepEqual([identity.attrs.category, identity.attrs.type, identity.attrs.name], ['automation', 'command-node', 'Add User']);
    assert.deepEqual(q.getChildren('feature').map((f) => f.attrs.var), [CMD, DATA]);
    const listNode = (await info(iago, CMD)).getChild('query', DISCO_INFO)!.getChild('identity')!;
    assert.deepEqual([listNode.attrs.category, listNode.attrs.type], ['automation', 'command-list']);
    await assert.rejects(info(iago, ADD_USER), { condition: 'forbidden' });
    await assert.rejects(info(bard, `${ADMIN}#shutdown`), { condition: 'item-not-found' });
  });

  it('adds a user in two stages (XEP-0133 §4.1, Examples 1-4), then refuses the same user with conflict', async () => {
    const bard = await login('bard', 'secret', { resource: 'globe' });
    // Example 1 → Example 2: the form, in a new session.
    const form = await command(bard, { action: 'execute', node: ADD_USER });
    assert.equal(form.attrs.node, ADD_USER);
    assert.equal(form.attrs.status, 'executing');
    assert.ok(form.attrs.sessionid);
    const actions = form.getChild('actions')!;
    assert.equal(actions.attrs.execute, 'complete');
    assert.deepEqual(actions.children.map((c) => (c as XmlElement).name), ['complete']);
    const x = form.getChild('x', DATA)!;
    assert.equal(x.attrs.type, 'form');
    assert.equal(x.getChildText('title'), 'Adding a User');
    assert.deepEqual(fieldVars(x), ['FORM_TYPE', 'accountjid', 'password', 'password-verify']);
    assert.equal(x.getChildren('field')[0]!.getChildText('value'), ADMIN);
    assert.deepEqual(x.getChildren('field').map((f) => f.attrs.type), ['hidden', 'jid-single', 'text-private', 'text-private']);
    // Example 3 (its extra fields are ignored) → Example 4.
    const done = await command(
      bard,
      { node: ADD_USER, sessionid: form.attrs.sessionid },
      submit({ accountjid: 'juliet@shakespeare.lit', password: 'R0m30', 'password-verify': 'R0m30', email: 'juliet@capulet.com', given_name: 'Juliet', surname: 'Capulet' }),
    );
    assert.equal(done.attrs.status, 'completed');
    assert.equal(done.attrs.sessionid, form.attrs.sessionid);
    assert.equal(done.getChild('note')!.attrs.type, 'info');
    assert.equal(done.getChildText('note'), 'Account juliet@shakespeare.lit created.');
    const juliet = await login('juliet', 'R0m30');
    assert.match(juliet.jid!.toString(), /^juliet@shakespeare\.lit\//);
    // The session has ended: its id is not accepted again.
    await assert.rejects(command(bard, { node: ADD_USER, sessionid: form.attrs.sessionid }, submit({ accountjid: 'juliet@shakespeare.lit' })), (e: AppError) => e.condition === 'bad-request' && e.application?.name === 'bad-sessionid');
    await assert.rejects(run(bard, ADD_USER, { accountjid: 'juliet@shakespeare.lit', password: 'x', 'password-verify': 'x' }), { condition: 'conflict' });
  });

  it('refuses a form it cannot take with bad-payload and lets the same session try again', async () => {
    const bard = await login('bard');
    const form = await command(bard, { node: ADD_USER });
    const sessionid = form.attrs.sessionid;
    const badPayload = (e: AppError) => e.condition === 'bad-request' && e.application?.name === 'bad-payload';
    await assert.rejects(command(bard, { node: ADD_USER, sessionid }, submit({ accountjid: 'juliet@shakespeare.lit', password: 'R0m30', 'password-verify': 'Romeo' })), badPayload);
    await assert.rejects(command(bard, { node: ADD_USER, sessionid }, submit({ accountjid: 'juliet@capulet.com', password: 'R0m30', 'password-verify': 'R0m30' })), badPayload);
    await assert.rejects(command(bard, { node: ADD_USER, sessionid }), badPayload);
    const done = await command(bard, { node: ADD_USER, sessionid }, submit({ accountjid: 'juliet@shakespeare.lit', password: 'R0m30', 'password-verify': 'R0m30' }));
    assert.equal(done.attrs.status, 'completed');
    assert.equal(srv.server.storage.users.exists('juliet'), true);
  });

  it("changes a user's password (§4.7, Examples 25-28)", async () => {
    await srv.users.add(`juliet@${DOMAIN}`, 'R0m30');
    const bard = await login('bard');
    const form = await command(bard, { action: 'execute', node: CHANGE_PASSWORD });
    const x = form.getChild('x', DATA)!;
    assert.equal(x.getChildText('title'), 'Changing a User Password');
    assert.deepEqual(fieldVars(x), ['FORM_TYPE', 'accountjid', 'password']);
    const done = await command(bard, { node: CHANGE_PASSWORD, sessionid: form.attrs.sessionid }, submit({ accountjid: 'juliet@shakespeare.lit', password: 'V3r0n4' }));
    assert.equal(done.attrs.status, 'completed');
    assert.equal(done.getChildText('note'), 'Password of juliet@shakespeare.lit changed.');
    await assert.rejects(connect(srv, 'juliet', 'R0m30'), (e: Error & { condition?: string }) => e.condition === 'not-authorized');
    await login('juliet', 'V3r0n4');
    await assert.rejects(run(bard, CHANGE_PASSWORD, { accountjid: 'rosaline@shakespeare.lit', password: 'x' }), { condition: 'item-not-found' });
  });

  it('deletes users and ends their sessions (§4.2, Examples 5-8)', async () => {
    await srv.users.add(`juliet@${DOMAIN}`, 'R0m30');
    const juliet = await login('juliet', 'R0m30');
    const ended = new Promise<string>((resolve) => juliet.on('error', (e: Error & { condition?: string }) => resolve(e.condition ?? e.message)));
    const bard = await login('bard');
    const form = await command(bard, { action: 'execute', node: DELETE_USER });
    const x = form.getChild('x', DATA)!;
    assert.equal(x.getChildText('title'), 'Deleting a User');
    assert.deepEqual(fieldVars(x), ['FORM_TYPE', 'accountjids']);
    assert.equal(x.getChildren('field')[1]!.attrs.type, 'jid-multi');
    // Every JID is checked before any account is deleted.
    await assert.rejects(command(bard, { node: DELETE_USER, sessionid: form.attrs.sessionid }, submit({ accountjids: ['juliet@shakespeare.lit', 'rosaline@shakespeare.lit'] })), { condition: 'item-not-found' });
    assert.equal(srv.server.storage.users.exists('juliet'), true);
    const done = await run(bard, DELETE_USER, { accountjids: ['juliet@shakespeare.lit'] });
    assert.equal(done.attrs.status, 'completed');
    assert.equal(done.getChildText('note'), 'Deleted juliet@shakespeare.lit.');
    assert.equal(await ended, 'not-authorized');
    assert.equal(srv.server.storage.users.exists('juliet'), false);
  });

  it('sends an announcement to everyone online (§4.23)', async () => {
    const iago = await login('iago');
    const bard = await login('bard');
    const form = await command(bard, { action: 'execute', node: ANNOUNCE });
    assert.deepEqual(fieldVars(form.getChild('x', DATA)!), ['FORM_TYPE', 'subject', 'announcement']);
    const got = next(iago, (el) => el.is('message') && el.attrs.from === DOMAIN);
    const own = next(bard, (el) => el.is('message') && el.attrs.from === DOMAIN);
    const lines = ['Attention! This service will be going down for', 'maintenance in 2 minutes. Please log off now!', 'We apologize for the inconvenience.'];
    const done = await command(bard, { node: ANNOUNCE, sessionid: form.attrs.sessionid }, submit({ subject: 'Maintenance', announcement: lines }));
    assert.equal(done.attrs.status, 'completed');
    assert.equal(done.getChildText('note'), 'Announcement sent to 2 sessions.');
    for (const m of [await got, await own]) {
      assert.equal(m.attrs.type, 'headline');
      assert.equal(m.getChildText('subject'), 'Maintenance');
      assert.equal(m.getChildText('body'), lines.join('\n'));
    }
  });

  it('cancels a session (XEP-0050 Examples 18-19), after which its id is a bad-sessionid', async () => {
    const bard = await login('bard');
    const form = await command(bard, { action: 'execute', node: ANNOUNCE });
    const canceled = await command(bard, { node: ANNOUNCE, sessionid: form.attrs.sessionid, action: 'cancel' });
    assert.equal(canceled.attrs.status, 'canceled');
    assert.equal(canceled.attrs.sessionid, form.attrs.sessionid);
    assert.equal(canceled.children.length, 0);
    const badSession = (e: AppError) => e.condition === 'bad-request' && e.application?.name === 'bad-sessionid';
    await assert.rejects(command(bard, { node: ANNOUNCE, sessionid: form.attrs.sessionid }, submit({ announcement: 'hello' })), badSession);
    await assert.rejects(command(bard, { node: ANNOUNCE, sessionid: 'announce:20040408T0337Z' }, submit({ announcement: 'hello' })), badSession);
    // A session belongs to the requester's full JID.
    const other = await login('bard', 'secret', { resource: 'stratford' });
    const mine = await command(bard, { node: ANNOUNCE });
    await assert.rejects(command(other, { node: ANNOUNCE, sessionid: mine.attrs.sessionid, action: 'cancel' }), badSession);
    // One stage only: prev and next are not allowed; unknown actions are malformed.
    await assert.rejects(command(bard, { node: ANNOUNCE, sessionid: mine.attrs.sessionid, action: 'prev' }), (e: AppError) => e.condition === 'bad-request' && e.application?.name === 'bad-action');
    await assert.rejects(command(bard, { node: ANNOUNCE, sessionid: mine.attrs.sessionid, action: 'jump' }), (e: AppError) => e.condition === 'bad-request' && e.application?.name === 'malformed-action');
  });

  it('refuses unknown nodes with item-not-found and non-admins with forbidden', async () => {
    const iago = await login('iago');
    await assert.rejects(command(iago, { node: 'config', action: 'execute' }), { condition: 'item-not-found' });
    await assert.rejects(command(iago, { node: ADD_USER, action: 'execute' }), { condition: 'forbidden' });
    await assert.rejects(command(iago, { node: DELETE_USER, sessionid: 'delete-user:20040408T0337Z' }, submit({ accountjids: 'bard@shakespeare.lit' })), { condition: 'forbidden' });
    assert.equal(srv.server.storage.users.exists('bard'), true);
  });

  const bad: [unknown, string][] = [
    [['bard@shakespeare.lit', 'not a jid@shakespeare.lit'], 'admins[1]'],
    [['bard@shakespeare.lit/globe'], 'admins[0]'],
    [['shakespeare.lit'], 'admins[0]'],
    ['bard@shakespeare.lit', 'admins'],
  ];
  for (const [admins, key] of bad) {
    it(`refuses admins ${JSON.stringify(admins)} naming "${key}"`, () => {
      assert.throws(
        () => resolveConfig({ admins }, '/etc/carillon.json', undefined, configSections(MODULES)),
        (e: unknown) => e instanceof ConfigError && e.key === key && e.message.includes('/etc/carillon.json'),
      );
    });
  }
});
