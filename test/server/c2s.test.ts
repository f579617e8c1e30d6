// Client connections (RFC 6120): STARTTLS, SASL, binding — through @xmpp/client, an independent
// client library, over WebSocket (RFC 7395) and TCP with STARTTLS, and raw where a library can't go.
import assert from 'node:assert/strict';
import { connect, startTestServer, stopAll, xml, type TestServer } from './helpers.js';
import { RawConnection } from './raw.js';
import { client as xmppClient } from '@xmpp/client';

describe('client connections', function () {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
    await srv.users.add('alice@localhost', 'wonderland');
  });
  after(() => srv.stop());

  for (const transport of ['websocket', 'tcp'] as const) {
    it(`signs in over ${transport} with SCRAM and binds the requested resource`, async () => {
      const c = await connect(srv, 'alice', 'wonderland', { transport, resource: `res-${transport}` });
      assert.equal(c.jid?.toString(), `alice@localhost/res-${transport}`);
      const pong = await c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      assert.equal(pong.attrs.type, 'result');
      await stopAll(c);
    });

    it(`refuses a wrong password over ${transport} with not-authorized`, async () => {
      await assert.rejects(connect(srv, 'alice', 'wrong', { transport }), (e: Error & { condition?: string }) => e.condition === 'not-authorized');
    });
  }

  it('offers only STARTTLS (required) before TLS on TCP, and closes the stream when skipped', async () => {
    const raw = await RawConnection.open(srv.ports.c2s!);
    raw.header();
    await raw.waitFor(/<\/stream:features>/);
    assert.match(raw.received, /<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required\/><\/starttls>/);
    assert.doesNotMatch(raw.received, /mechanisms/);
    raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHdvbmRlcmxhbmQ=</auth>`);
    await raw.waitFor(/<policy-violation/);
    await raw.waitClosed();
  });

  it('offers SCRAM-SHA-256, SCRAM-SHA-1 and PLAIN after STARTTLS, and signs in with PLAIN', async () => {
    const raw = await RawConnection.open(srv.ports.c2s!);
    await raw.secure();
    for (const m of ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']) assert.match(raw.received, new RegExp(`<mechanism>${m}</mechanism>`));
    raw.received = '';
    raw.header();
    raw.end();
    const raw2 = await RawConnection.open(srv.ports.c2s!);
    assert.equal(await raw2.login('alice', 'wonderland'), 'alice@localhost/raw');
    raw2.end();
  });

  it('refuses stanzas before authentication with not-authorized', async () => {
    const raw = await RawConnection.open(srv.ports.c2s!);
    await raw.secure();
    raw.send(`<message to='alice@localhost'><body>hi</body></message>`);
    await raw.waitFor(/<not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
    await raw.waitClosed();
  });

  it('answers a stream to an unknown domain with host-unknown', async () => {
    const raw = await RawConnection.open(srv.ports.c2s!);
    raw.header('elsewhere.example');
    await raw.waitFor(/<host-unknown/);
    await raw.waitClosed();
  });

  it('ends the older session with <conflict/> when a resource is bound twice (RFC 6120 §7.7.2.2)', async () => {
    const first = await connect(srv, 'alice', 'wonderland', { resource: 'phone' });
    const conflict = new Promise<string>((resolve) => first.on('error', (e: Error & { condition?: string }) => resolve(e.condition ?? e.message)));
    const second = await connect(srv, 'alice', 'wonderland', { resource: 'phone', transport: 'tcp' });
    assert.equal(await conflict, 'conflict');
    assert.equal(second.jid?.toString(), 'alice@localhost/phone');
    await stopAll(first, second);
  });

  it('accepts direct TLS connections (XEP-0368) when c2s.directTlsPort is set', async () => {
    const tlsSrv = await startTestServer({ c2s: { port: 0, directTlsPort: 0 } });
    try {
      await tlsSrv.users.add('alice@localhost', 'wonderland');
      const c = xmppClient({ service: `xmpps://127.0.0.1:${tlsSrv.ports.c2sDirectTls}`, domain: 'localhost', username: 'alice', password: 'wonderland' });
      c.on('error', () => {});
      await c.start();
      assert.match(c.jid?.toString() ?? '', /^alice@localhost\//);
      await c.stop();
    } finally {
      await tlsSrv.stop();
    }
  });

  it('serves XEP-0156 host-meta pointing at the WebSocket endpoint', async () => {
    const base = `http://127.0.0.1:${srv.ports.http}`;
    const xrd = await (await fetch(`${base}/.well-known/host-meta`)).text();
    assert.match(xrd, new RegExp(`rel="urn:xmpp:alt-connections:websocket" href="ws://127.0.0.1:${srv.ports.http}/xmpp-websocket"`));
    const jrd = (await (await fetch(`${base}/.well-known/host-meta.json`)).json()) as { links: { rel: string; href: string }[] };
    assert.equal(jrd.links[0]!.href, `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`);
  });
});
