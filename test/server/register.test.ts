// In-band registration (XEP-0077), with the XEP's examples: registration, conflicts, the per-IP
// throttle, password change and account removal.
import assert from 'node:assert/strict';
import { connect, startTestServer, stopAll, xml, type TestServer } from './helpers.js';
import { RawConnection } from './raw.js';

async function preAuth(port: number): Promise<RawConnection> {
  const raw = await RawConnection.open(port);
  await raw.secure();
  return raw;
}

function register(raw: RawConnection, id: string, username: string, password: string): void {
  // XEP-0077 Example 3 (with the optional email field a client may send).
  raw.send(`<iq type='set' id='${id}'><query xmlns='jabber:iq:register'><username>${username}</username><password>${password}</password><email>bard@shakespeare.lit</email></query></iq>`);
}

describe('in-band registration (XEP-0077)', function () {
  let srv: TestServer;
  afterEach(async () => srv?.stop());

  it('registers an account that can then sign in, and refuses a taken name with conflict', async () => {
    srv = await startTestServer({ registration: { open: true, throttle: 0 } });
    const raw = await preAuth(srv.ports.c2s!);
    assert.match(raw.received, /<register xmlns="http:\/\/jabber.org\/features\/iq-register"\/>/);
    raw.send(`<iq type='get' id='reg1'><query xmlns='jabber:iq:register'/></iq>`);
    await raw.waitFor(/id="reg1"[\s\S]*<username\/>[\s\S]*<password\/>/);
    register(raw, 'reg2', 'bill', 'Calliope');
    await raw.waitFor(/<iq type="result" id="reg2"\/>/);
    register(raw, 'reg3', 'Bill', 'other');
    await raw.waitFor(/id="reg3"[^>]*type="error"[\s\S]*<conflict|type="error"[^>]*id="reg3"[\s\S]*<conflict/);
    raw.end();
    const bill = await connect(srv, 'bill', 'Calliope');
    assert.match(bill.jid?.toString() ?? '', /^bill@localhost\//);
    await stopAll(bill);
  });

  it('is refused with service-unavailable when registration is closed (the default)', async () => {
    srv = await startTestServer();
    const raw = await preAuth(srv.ports.c2s!);
    assert.doesNotMatch(raw.received, /iq-register/);
    register(raw, 'reg1', 'bill', 'Calliope');
    await raw.waitFor(/<service-unavailable/);
    raw.end();
    assert.equal(srv.server.storage.users.exists('bill'), false);
  });

  it('throttles registrations per IP with resource-constraint', async () => {
    srv = await startTestServer({ registration: { open: true, throttle: 2 } });
    const raw = await preAuth(srv.ports.c2s!);
    for (const [i, name] of ['one', 'two', 'three'].entries()) register(raw, `r${i}`, name, 'pw');
    await raw.waitFor(/<resource-constraint/);
    await raw.waitFor(/<iq type="result" id="r0"\/>[\s\S]*<iq type="result" id="r1"\/>|<iq type="result" id="r1"\/>[\s\S]*<iq type="result" id="r0"\/>/);
    assert.equal(srv.server.storage.users.count(), 2);
    raw.end();
  });

  it('changes the password of a signed-in user and removes the account (§3.2, §3.3)', async () => {
    srv = await startTestServer();
    await srv.users.add('bill@localhost', 'Calliope');
    const bill = await connect(srv, 'bill', 'Calliope');
    await bill.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('username', {}, 'bill'), xml('password', {}, 'newpass'))));
    await stopAll(bill);
    await assert.rejects(connect(srv, 'bill', 'Calliope'), { condition: 'not-authorized' });
    const again = await connect(srv, 'bill', 'newpass');
    await again.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))));
    await stopAll(again);
    assert.equal(srv.server.storage.users.exists('bill'), false);
  });
});
