// Idle s2s streams close after `s2s.idleTimeout`; the next stanza brings a new stream up.
import assert from 'node:assert/strict';
import { startFederation, type Federation } from '../../federation/index.js';
import { until } from '../support/until.js';
import { startServer, pinEachOther, User, xml, isMessageBody, type TestServer } from './helpers.js';

describe('federation: idle streams', function () {
  this.timeout(60000);
  let one: TestServer;
  let two: TestServer;
  let fed: Federation;
  let alice: User;
  let bob: User;

  before(async () => {
    one = await startServer('one.test', { s2s: { port: null, hosts: {} } });
    fed = await startFederation(one, { port: 0, idleMs: 400 });
    two = await startServer('two.test', { s2s: { port: 0, hosts: {}, idleTimeout: 1 } });
    pinEachOther(one, two);
    await one.users.add('alice@one.test', 'pw');
    await two.users.add('bob@two.test', 'pw');
    alice = await User.connect(one.ports.c2s!, 'one.test', 'alice', 'pw');
    bob = await User.connect(two.ports.c2s!, 'two.test', 'bob', 'pw');
    await bob.send(xml('presence'));
  });

  after(async () => {
    await alice?.stop();
    await bob?.stop();
    await one?.stop();
    await two?.stop();
  });

  it('closes the idle outgoing stream and reconnects on the next stanza', async () => {
    await alice.send(xml('message', { to: 'bob@two.test', type: 'chat' }, xml('body', {}, 'first')));
    await bob.waitFor(isMessageBody('first'));
    assert.equal(fed.stats.outgoing.length, 1);
    // 400 ms without traffic close it; the stream list is the only outside view of that.
    await until(() => fed.stats.outgoing.length === 0, 'the idle stream to close', 5000);
    await alice.send(xml('message', { to: 'bob@two.test', type: 'chat' }, xml('body', {}, 'second')));
    await bob.waitFor(isMessageBody('second'));
    assert.equal(fed.stats.outgoing.length, 1);
  });
});
