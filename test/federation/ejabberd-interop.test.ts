// Interop with ejabberd 23.01 from Debian as a second peer: carillon.test ↔ ejabberd.test over
// dialback (self-signed certificates on both sides).
import assert from 'node:assert/strict';
import { startServer, User, xml, isMessageBody, isPresence, type TestServer } from './helpers.js';
import { startEjabberd, type Ejabberd } from './ejabberd.js';
import { startDns, type TestDns } from './dns-server.js';

describe('federation interop: Carillon and ejabberd 23.01', function () {
  this.timeout(60000);
  let ejabberd: Ejabberd;
  let dns: TestDns;
  let carillon: TestServer;
  let alice: User;
  let juliet: User;

  before(async () => {
    carillon = await startServer('carillon.test', { s2s: { port: 0, hosts: {} } });
    dns = await startDns({ 'carillon.test': { ip: '127.0.0.1', s2sPort: carillon.ports.s2s!, srvTarget: 'localhost' } });
    ejabberd = await startEjabberd('ejabberd.test', dns.port);
    carillon.config.s2s.hosts['ejabberd.test'] = `127.0.0.1:${ejabberd.s2sPort}`;
    await ejabberd.register('juliet', 'pw-juliet');
    await carillon.users.add('alice@carillon.test', 'pw-alice');
    alice = await User.connect(carillon.ports.c2s!, 'carillon.test', 'alice', 'pw-alice', 'web');
    juliet = await User.connect(ejabberd.c2sPort, 'ejabberd.test', 'juliet', 'pw-juliet', 'balcony');
    for (const u of [alice, juliet]) {
      await u.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
      await u.send(xml('presence'));
    }
  });

  after(async function () {
    if (this.currentTest?.state === 'failed' && ejabberd) console.log(ejabberd.log().split('\n').filter((l) => /s2s|dialback/i.test(l)).slice(-30).join('\n'));
    await alice?.stop();
    await juliet?.stop();
    await ejabberd?.stop();
    await carillon?.stop();
    await dns?.close();
  });

  it('delivers messages both ways', async () => {
    await alice.send(xml('message', { to: 'juliet@ejabberd.test', type: 'chat' }, xml('body', {}, 'to ejabberd')));
    const m = await juliet.waitFor(isMessageBody('to ejabberd'), 15000);
    assert.equal(m.attrs.from, 'alice@carillon.test/web');
    await juliet.send(xml('message', { to: 'alice@carillon.test', type: 'chat' }, xml('body', {}, 'to carillon')));
    const r = await alice.waitFor(isMessageBody('to carillon'), 15000);
    assert.equal(r.attrs.from, 'juliet@ejabberd.test/balcony');
  });

  it('completes a subscription from Carillon to ejabberd and shares presence', async () => {
    await alice.send(xml('presence', { to: 'juliet@ejabberd.test', type: 'subscribe' }));
    await juliet.waitFor(isPresence('alice@carillon.test', 'subscribe'), 10000, 'the request');
    await juliet.send(xml('presence', { to: 'alice@carillon.test', type: 'subscribed' }));
    await alice.waitFor(isPresence('juliet@ejabberd.test', 'subscribed'), 10000, 'the approval');
    await alice.waitFor(isPresence('juliet@ejabberd.test/balcony', undefined), 10000, "juliet's presence");
  });

  it('completes a subscription from ejabberd to Carillon', async () => {
    await juliet.send(xml('presence', { to: 'alice@carillon.test', type: 'subscribe' }));
    await alice.waitFor(isPresence('juliet@ejabberd.test', 'subscribe'), 10000, 'the request');
    await alice.send(xml('presence', { to: 'juliet@ejabberd.test', type: 'subscribed' }));
    await juliet.waitFor(isPresence('alice@carillon.test', 'subscribed'), 10000, 'the approval');
    await juliet.waitFor(isPresence('alice@carillon.test/web', undefined), 10000, "alice's presence");
  });
});
