// XEP-0368: servers that publish _xmpps-server._tcp are reached with TLS from the first byte, found
// through SRV records on a loopback DNS server (no pins).
import assert from 'node:assert/strict';
import { startFederation, type Federation } from '../../federation/index.js';
import { startServer, User, xml, isMessageBody, type TestServer } from './helpers.js';
import { startDns, type TestDns } from './dns-server.js';

describe('federation: direct TLS found by SRV (XEP-0368)', function () {
  this.timeout(60000);
  let dns: TestDns;
  let one: TestServer;
  let two: TestServer;
  let fedOne: Federation;
  let fedTwo: Federation;
  let alice: User;
  let bob: User;

  before(async () => {
    // The zones are filled in once the federation ports are known.
    dns = await startDns({});
    const dnsServers = [`127.0.0.1:${dns.port}`];
    one = await startServer('one.test', { s2s: { port: null, hosts: {} } });
    two = await startServer('two.test', { s2s: { port: null, hosts: {} } });
    fedOne = await startFederation(one, { port: 0, directTlsPort: 0, dnsServers });
    fedTwo = await startFederation(two, { port: 0, directTlsPort: 0, dnsServers });
    Object.assign(dns.zones, {
      'one.test': { ip: '127.0.0.1', s2sPort: fedOne.port!, s2sTlsPort: fedOne.directTlsPort! },
      'two.test': { ip: '127.0.0.1', s2sPort: fedTwo.port!, s2sTlsPort: fedTwo.directTlsPort! },
    });
    await one.users.add('alice@one.test', 'pw');
    await two.users.add('bob@two.test', 'pw');
    alice = await User.connect(one.ports.c2s!, 'one.test', 'alice', 'pw');
    bob = await User.connect(two.ports.c2s!, 'two.test', 'bob', 'pw');
    for (const u of [alice, bob]) await u.send(xml('presence'));
  });

  after(async () => {
    for (const u of [alice, bob]) await u?.stop();
    for (const s of [one, two]) await s?.stop();
    await dns?.close();
  });

  it('connects with direct TLS both ways and authenticates with dialback', async () => {
    await alice.send(xml('message', { to: 'bob@two.test', type: 'chat' }, xml('body', {}, 'over direct TLS')));
    await bob.waitFor(isMessageBody('over direct TLS'));
    await bob.send(xml('message', { to: 'alice@one.test', type: 'chat' }, xml('body', {}, 'and back')));
    await alice.waitFor(isMessageBody('and back'));
    assert.deepEqual(fedOne.stats.outgoing, [{ from: 'one.test', to: 'two.test', auth: 'dialback', tls: 'direct' }]);
    assert.deepEqual(fedTwo.stats.outgoing, [{ from: 'two.test', to: 'one.test', auth: 'dialback', tls: 'direct' }]);
  });
});
