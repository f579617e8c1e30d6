// Per-user quotas. Offline storage (limits.offlineMessages): over it a message is bounced with
// <service-unavailable/> (RFC 6121 §8.5.2.1.1). The roster size (limits.rosterItems): a roster set
// over it gets <not-allowed/> (RFC 6121 §2.3.3); a subscription request from a contact not in a
// full roster is refused with a presence error and stored nowhere; the user's own subscribe to a
// new contact is refused the same way.
import assert from 'node:assert/strict';
import { collect, connect, next, startTestServer, stopAll, xml, type TestServer, type XmlElement, type XmppClient } from './helpers.js';

const ROSTER = 'jabber:iq:roster';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

function rosterSet(c: XmppClient, jid: string, name?: string): Promise<XmlElement> {
  return c.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: ROSTER }, xml('item', { jid, name }))));
}

async function rosterJids(c: XmppClient): Promise<string[]> {
  const r = await c.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
  return (r.getChild('query', ROSTER)!.getChildren('item') as XmlElement[]).map((i) => i.attrs.jid!).sort();
}

const condition = (err: unknown): string | undefined => (err as { condition?: string }).condition;

describe('offline storage quota (limits.offlineMessages)', function () {
  this.timeout(30_000);
  let srv: TestServer;
  let romeo: XmppClient;
  before(async () => {
    srv = await startTestServer({ limits: { offlineMessages: 2 } });
    for (const u of ['juliet', 'romeo']) await srv.users.add(`${u}@localhost`, 'secret');
    romeo = await connect(srv, 'romeo', 'secret');
  });
  after(async () => {
    await stopAll(romeo);
    await srv.stop();
  });

  it('stores up to the quota, bounces the rest with service-unavailable, and delivers what it stored once', async () => {
    const errors = collect(romeo, (el) => el.is('message') && el.attrs.type === 'error');
    for (let i = 1; i <= 4; i++) await romeo.send(xml('message', { to: 'juliet@localhost', type: 'chat', id: `o${i}` }, xml('body', {}, `offline ${i}`)));
    const bounced = await errors.done();
    assert.deepEqual(bounced.map((e) => e.attrs.id), ['o3', 'o4']);
    for (const e of bounced) assert.ok(e.getChild('error')?.getChild('service-unavailable', STANZAS), e.toString());
    assert.equal(srv.server.storage.offline.largestQueue(), 2);
    const juliet = await connect(srv, 'juliet', 'secret', { sendPresence: false });
    try {
      const stored = collect(juliet, (el) => el.is('message') && el.getChild('body') !== undefined);
      await juliet.send(xml('presence'));
      assert.deepEqual((await stored.done()).map((m) => m.attrs.id), ['o1', 'o2']);
      assert.equal(srv.server.storage.offline.largestQueue(), 0, 'taken from the store');
    } finally {
      await stopAll(juliet);
    }
  });
});

describe('roster size limit (limits.rosterItems)', function () {
  this.timeout(30_000);
  let srv: TestServer;
  let juliet: XmppClient;
  let romeo: XmppClient;
  let nurse: XmppClient;
  before(async () => {
    srv = await startTestServer({ limits: { rosterItems: 3 } });
    for (const u of ['juliet', 'romeo', 'nurse', 'tybalt']) await srv.users.add(`${u}@localhost`, 'secret');
    juliet = await connect(srv, 'juliet', 'secret');
    romeo = await connect(srv, 'romeo', 'secret');
    nurse = await connect(srv, 'nurse', 'secret');
    await rosterJids(juliet); // an interested resource (RFC 6121 §2.2)
  });
  after(async () => {
    await stopAll(juliet, romeo, nurse);
    await srv.stop();
  });

  it('refuses a roster set over the limit with not-allowed; changing or removing an item still works', async () => {
    for (const jid of ['nurse@localhost', 'benvolio@example.net', 'mercutio@example.net']) await rosterSet(juliet, jid);
    const refused = await rosterSet(juliet, 'paris@example.net').then(() => undefined, (e: unknown) => e);
    assert.equal(condition(refused), 'not-allowed');
    assert.deepEqual(await rosterJids(juliet), ['benvolio@example.net', 'mercutio@example.net', 'nurse@localhost']);
    // An item already there is not a new one.
    await rosterSet(juliet, 'mercutio@example.net', 'Mercutio');
    await juliet.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: ROSTER }, xml('item', { jid: 'mercutio@example.net', subscription: 'remove' }))));
    await rosterSet(juliet, 'paris@example.net');
    assert.deepEqual(await rosterJids(juliet), ['benvolio@example.net', 'nurse@localhost', 'paris@example.net']);
    assert.equal(srv.server.storage.roster.count('juliet'), 3);
  });

  it('refuses a subscription request from a contact not in a full roster with a presence error, and stores nothing', async () => {
    const atJuliet = collect(juliet, (el) => el.is('presence') && el.attrs.type === 'subscribe');
    const error = next(romeo, (el) => el.is('presence') && el.attrs.type === 'error' && el.attrs.from === 'juliet@localhost');
    await romeo.send(xml('presence', { to: 'juliet@localhost', type: 'subscribe' }));
    const err = await error;
    assert.ok(err.getChild('error')?.getChild('not-allowed', STANZAS), err.toString());
    assert.equal(srv.server.storage.roster.item('juliet', 'romeo@localhost'), undefined, 'no pending request stored');
    assert.equal(srv.server.storage.roster.count('juliet'), 3);
    // A contact that is in the roster may still ask.
    const fromNurse = next(juliet, (el) => el.is('presence') && el.attrs.type === 'subscribe' && el.attrs.from === 'nurse@localhost');
    await nurse.send(xml('presence', { to: 'juliet@localhost', type: 'subscribe' }));
    await fromNurse;
    assert.deepEqual((await atJuliet.done()).map((p) => p.attrs.from), ['nurse@localhost'], 'only the request from the contact in the roster arrived');
  });

  it("refuses the user's own subscribe to a new contact in a full roster; nothing reaches the contact", async () => {
    const tybalt = await connect(srv, 'tybalt', 'secret');
    try {
      const atTybalt = collect(tybalt, (el) => el.is('presence') && el.attrs.type === 'subscribe');
      const error = next(juliet, (el) => el.is('presence') && el.attrs.type === 'error' && el.attrs.from === 'tybalt@localhost');
      await juliet.send(xml('presence', { to: 'tybalt@localhost', type: 'subscribe' }));
      const err = await error;
      assert.ok(err.getChild('error')?.getChild('not-allowed', STANZAS), err.toString());
      assert.deepEqual(await atTybalt.done(), []);
      assert.deepEqual(await rosterJids(juliet), ['benvolio@example.net', 'nurse@localhost', 'paris@example.net']);
      // To a contact already in the roster, a subscribe goes out as usual.
      const atNurse = next(nurse, (el) => el.is('presence') && el.attrs.type === 'subscribe' && el.attrs.from === 'juliet@localhost');
      await juliet.send(xml('presence', { to: 'nurse@localhost', type: 'subscribe' }));
      await atNurse;
    } finally {
      await stopAll(tybalt);
    }
  });
});
