// XMPP over BOSH (XEP-0124 v1.11.2, XEP-0206 v1.4) at /http-bind: a StanzaJS client signs in and
// chats with an @xmpp/client WebSocket user; raw requests check the protocol's details.
import assert from 'node:assert/strict';
import { createClient, type Agent } from 'stanza';
import { connect, isPresence, next, ping, startTestServer, stopAll, xml, type TestServer, type XmppClient } from './helpers.js';
import { RawBosh, body, pipelined, post, stanzas } from './bosh-raw.js';

const NS_HTTPBIND = 'http://jabber.org/protocol/httpbind';

function boshUrl(srv: TestServer): string {
  return `http://127.0.0.1:${srv.ports.http}/http-bind`;
}

/** Signs in with StanzaJS over BOSH only; resolves once its session has started. */
async function stanzaClient(srv: TestServer, user: string, password: string): Promise<Agent> {
  const client = createClient({ jid: `${user}@localhost`, password, resource: 'stanza', transports: { bosh: boshUrl(srv), websocket: false } });
  const started = new Promise<void>((resolve, reject) => {
    client.once('session:started', () => resolve());
    client.once('disconnected', () => reject(new Error('disconnected before the session started')));
  });
  client.connect();
  await started;
  return client;
}

describe('BOSH (XEP-0124, XEP-0206)', function () {
  let srv: TestServer;
  let bob: XmppClient | undefined;
  const stanzaClients: Agent[] = [];

  before(async () => {
    srv = await startTestServer({ bosh: { maxWait: 30 } });
    await srv.users.add('alice@localhost', 'alice-pw');
    await srv.users.add('bob@localhost', 'bob-pw');
  });
  afterEach(async () => {
    for (const c of stanzaClients.splice(0)) c.disconnect();
    await stopAll(bob);
    bob = undefined;
  });
  after(() => srv.stop());

  it('signs in StanzaJS over BOSH and chats both ways with a WebSocket user', async () => {
    bob = await connect(srv, 'bob', 'bob-pw');
    const alice = await stanzaClient(srv, 'alice', 'alice-pw');
    stanzaClients.push(alice);
    assert.equal(alice.transport?.constructor.name, 'BOSH');
    assert.match(alice.jid, /^alice@localhost\/stanza$/);

    const got = new Promise<string>((resolve) => alice.on('message', (m) => m.body && resolve(m.body)));
    await bob.send(xml('message', { to: 'alice@localhost/stanza', type: 'chat' }, xml('body', {}, 'hello over BOSH')));
    assert.equal(await got, 'hello over BOSH');

    const reply = next(bob, (el) => el.is('message') && el.getChildText('body') === 'hello back');
    alice.sendMessage({ to: 'bob@localhost', type: 'chat', body: 'hello back' });
    assert.equal((await reply).attrs.from, 'alice@localhost/stanza');
  });

  it('answers the session creation request with the attributes of XEP-0124 §7.2 and XEP-0206 §4', async () => {
    // XEP-0206 Example 1 (to our domain; 'route' is ignored by a server that serves one domain).
    const request = `<body content='text/xml; charset=utf-8' hold='2' rid='1573741820' to='localhost' route='xmpp:localhost:9999' secure='true' wait='60' xml:lang='en' xmpp:version='1.0' ver='1.6' xmlns='${NS_HTTPBIND}' xmlns:xmpp='urn:xmpp:xbosh' xmlns:stream='http://etherx.jabber.org/streams'/>`;
    const r = await post(boshUrl(srv), request);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/xml; charset=utf-8');
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    const a = r.body.attrs;
    assert.match(a.sid, /^[0-9a-f]{32}$/);
    assert.equal(a.wait, '30', 'no longer than bosh.maxWait');
    assert.equal(a.hold, '1', 'at most one request held');
    assert.equal(a.requests, '2');
    assert.equal(a.inactivity, '60');
    assert.equal(a.polling, '5');
    assert.equal(a.ver, '1.6', "the client's version, lower than ours");
    assert.equal(a.from, 'localhost');
    assert.equal(a.secure, 'true');
    assert.equal(a['xmpp:version'], '1.0');
    assert.equal(a['xmpp:restartlogic'], 'true');
    assert.equal(a['xmlns:xmpp'], 'urn:xmpp:xbosh');
    assert.ok(a.authid, 'the stream id');
    const features = r.body.getChild('features');
    assert.ok(features, r.text);
    assert.ok(features.getChild('mechanisms', 'urn:ietf:params:xml:ns:xmpp-sasl'));
    const end = await post(boshUrl(srv), body({ rid: 1573741821, sid: a.sid, type: 'terminate' }));
    assert.equal(end.body.attrs.type, 'terminate');
  });

  it('answers a CORS preflight and lists BOSH in host-meta next to the WebSocket (XEP-0156)', async () => {
    const pre = await fetch(boshUrl(srv), { method: 'OPTIONS', headers: { Origin: 'https://converse.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /Content-Type/i);

    const base = `http://127.0.0.1:${srv.ports.http}`;
    const xrd = await (await fetch(`${base}/.well-known/host-meta`)).text();
    assert.match(xrd, new RegExp(`<Link rel="urn:xmpp:alt-connections:xbosh" href="${base}/http-bind"/>`));
    assert.match(xrd, /rel="urn:xmpp:alt-connections:websocket"/);
    const jrd = (await (await fetch(`${base}/.well-known/host-meta.json`)).json()) as { links: { rel: string; href: string }[] };
    assert.deepEqual(
      jrd.links.find((l) => l.rel === 'urn:xmpp:alt-connections:xbosh'),
      { rel: 'urn:xmpp:alt-connections:xbosh', href: `${base}/http-bind` },
    );
  });
});
