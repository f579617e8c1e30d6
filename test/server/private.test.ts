// XEP-0049 Private XML Storage from outside with @xmpp/client, with the XEP's examples (Hamlet's
// Exodus preferences) and the XEP-0048 bookmarks that clients keep there.
import assert from 'node:assert/strict';
import { connect, startTestServer, stopAll, xml, type TestServer, type XmppClient } from './helpers.js';

const NS = 'jabber:iq:private';
const query = (...children: ReturnType<typeof xml>[]) => xml('query', { xmlns: NS }, ...children);
const condition = (e: { condition?: string }) => e.condition;

describe('XEP-0049 Private XML Storage', function () {
  let srv: TestServer;
  let hamlet: XmppClient;
  let macbeth: XmppClient;

  before(async () => {
    srv = await startTestServer({ domain: 'shakespeare.lit', components: { port: null } });
    await srv.users.add('hamlet@shakespeare.lit', 'secret');
    await srv.users.add('macbeth@shakespeare.lit', 'secret');
    hamlet = await connect(srv, 'hamlet', 'secret', { resource: 'denmark' });
    macbeth = await connect(srv, 'macbeth', 'secret');
  });
  after(async () => {
    await stopAll(hamlet, macbeth);
    await srv.stop();
  });

  it('is announced by the server', async () => {
    const r = await hamlet.iqCaller.request(xml('iq', { type: 'get', to: 'shakespeare.lit' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(r.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === NS));
  });

  it('stores and returns private data (Examples 1, 2), and an empty element for what was never stored', async () => {
    const empty = await hamlet.iqCaller.request(xml('iq', { type: 'get' }, query(xml('exodus', { xmlns: 'exodus:prefs' }))));
    assert.equal(empty.getChild('query', NS)!.getChild('exodus', 'exodus:prefs')!.children.length, 0);
    const set = await hamlet.iqCaller.request(xml('iq', { type: 'set', id: '1001' }, query(xml('exodus', { xmlns: 'exodus:prefs' }, xml('defaultnick', {}, 'Hamlet')))));
    assert.equal(set.attrs.type, 'result');
    const got = await hamlet.iqCaller.request(xml('iq', { type: 'get', id: '1002' }, query(xml('exodus', { xmlns: 'exodus:prefs' }))));
    assert.equal(got.getChild('query', NS)!.getChild('exodus', 'exodus:prefs')!.getChildText('defaultnick'), 'Hamlet');
  });

  it('keeps each namespace apart and survives a new session (XEP-0048 bookmarks)', async () => {
    await hamlet.iqCaller.request(xml('iq', { type: 'set' }, query(xml('storage', { xmlns: 'storage:bookmarks' }, xml('conference', { jid: 'council@chat.shakespeare.lit', autojoin: 'true' })))));
    const again = await connect(srv, 'hamlet', 'secret', { resource: 'elsinore' });
    try {
      const r = await again.iqCaller.request(xml('iq', { type: 'get' }, query(xml('storage', { xmlns: 'storage:bookmarks' }))));
      assert.equal(r.getChild('query', NS)!.getChild('storage', 'storage:bookmarks')!.getChild('conference')!.attrs.jid, 'council@chat.shakespeare.lit');
      const prefs = await again.iqCaller.request(xml('iq', { type: 'get' }, query(xml('exodus', { xmlns: 'exodus:prefs' }))));
      assert.equal(prefs.getChild('query', NS)!.getChild('exodus', 'exodus:prefs')!.getChildText('defaultnick'), 'Hamlet');
    } finally {
      await stopAll(again);
    }
  });

  it('forbids another user to read or write it (Example 3)', async () => {
    await assert.rejects(
      macbeth.iqCaller.request(xml('iq', { type: 'set', to: 'hamlet@shakespeare.lit', id: '1003' }, query(xml('exodus', { xmlns: 'exodus:prefs' }, xml('defaultnick', {}, 'Macbeth'))))),
      (e: { condition?: string }) => condition(e) === 'forbidden',
    );
    await assert.rejects(macbeth.iqCaller.request(xml('iq', { type: 'get', to: 'hamlet@shakespeare.lit' }, query(xml('exodus', { xmlns: 'exodus:prefs' })))), (e: { condition?: string }) => condition(e) === 'forbidden');
    const mine = await hamlet.iqCaller.request(xml('iq', { type: 'get' }, query(xml('exodus', { xmlns: 'exodus:prefs' }))));
    assert.equal(mine.getChild('query', NS)!.getChild('exodus', 'exodus:prefs')!.getChildText('defaultnick'), 'Hamlet');
  });

  it('refuses a query without a child with not-acceptable (Example 4) and a get of two namespaces with bad-request', async () => {
    await assert.rejects(hamlet.iqCaller.request(xml('iq', { type: 'set', id: '1004' }, query())), (e: { condition?: string }) => condition(e) === 'not-acceptable');
    await assert.rejects(hamlet.iqCaller.request(xml('iq', { type: 'get' }, query())), (e: { condition?: string }) => condition(e) === 'not-acceptable');
    await assert.rejects(
      hamlet.iqCaller.request(xml('iq', { type: 'get' }, query(xml('a', { xmlns: 'urn:example:a' }), xml('b', { xmlns: 'urn:example:b' })))),
      (e: { condition?: string }) => condition(e) === 'bad-request',
    );
  });
});
