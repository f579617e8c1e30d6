// XMPP over BOSH (XEP-0124 v1.11.2, XEP-0206 v1.4) at /http-bind: a StanzaJS client signs in and
// chats with an @xmpp/client WebSocket user; raw requests check the protocol's details.
import assert from 'node:assert/strict';
import { createClient, type Agent } from 'stanza';
import { collect, connect, isPresence, next, ping, startTestServer, stopAll, xml, type TestServer, type XmppClient } from './helpers.js';
import { until } from '../support/until.js';
import { configSections } from '../../server/core/module.js';
import { MODULES } from '../../server/modules/index.js';
import { resolveConfig } from '../../server/config.js';
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
  if (process.env.BOSH_DEBUG) client.on('raw', (dir, data) => console.log(dir, data));
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

    // A type='terminate' request ends the session (XEP-0124 §13): the directed presence's
    // recipient is told (RFC 6121 §4.6.3).
    const seen = next(bob, isPresence('alice@localhost/stanza'));
    alice.sendPresence();
    alice.sendPresence({ to: 'bob@localhost' });
    await seen;
    const gone = next(bob, isPresence('alice@localhost/stanza', 'unavailable'));
    alice.disconnect();
    await gone;
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

  /** Polls until `done` holds for the messages received (at most `max` requests); returns their bodies. */
  async function pollMessages(a: RawBosh, done: (bodies: string[]) => boolean, max = 20): Promise<string[]> {
    const bodies: string[] = [];
    for (let i = 0; i < max && !done(bodies); i++) {
      for (const s of stanzas(await a.send())) if (s.name === 'message') bodies.push(s.getChildText('body') ?? '');
    }
    return bodies;
  }

  it('answers a retransmitted rid with the same response, losing and repeating nothing (§14.3)', async () => {
    bob = await connect(srv, 'bob', 'bob-pw');
    const a = new RawBosh(boshUrl(srv));
    await a.login('alice', 'alice-pw', 'localhost', 10);
    const rid = a.rid;
    const request = a.request();
    const held = post(a.url, request);
    await bob.send(xml('message', { to: a.jid, type: 'chat' }, xml('body', {}, 'one')));
    const first = await held;
    assert.deepEqual(stanzas(first).map((s) => s.getChildText('body')), ['one']);
    // The client lost that response: the same request again gets the same response.
    const again = await post(a.url, request);
    assert.equal(again.text, first.text);
    assert.equal(again.body.attrs.type, undefined);
    // And the next request in sequence goes on from there: 'one' is not delivered twice.
    await bob.send(xml('message', { to: a.jid, type: 'chat' }, xml('body', {}, 'two')));
    assert.deepEqual(await pollMessages(a, (b) => b.includes('two')), ['two']);
    assert.ok(a.rid > rid + 1);
    await a.send('', { type: 'terminate' });
  });

  it('forwards requests that arrive out of order in rid order (§14.2)', async () => {
    bob = await connect(srv, 'bob', 'bob-pw');
    const a = new RawBosh(boshUrl(srv));
    await a.login('alice', 'alice-pw', 'localhost', 10);
    const msg = (text: string) => `<message to='bob@localhost' type='chat' xmlns='jabber:client'><body>${text}</body></message>`;
    const one = a.request(msg('one'));
    const two = a.request(msg('two'));
    const got: string[] = [];
    bob.on('stanza', (el) => el.is('message') && got.push(el.getChildText('body') ?? ''));
    const bobGotTwo = next(bob, (el) => el.is('message') && el.getChildText('body') === 'two');
    // One connection, the later rid first: the server holds it until the gap is filled.
    const responses = pipelined(srv.ports.http!, [two, one]);
    await bobGotTwo;
    assert.deepEqual(got, ['one', 'two']);
    // The later request is still held (hold=1): a message for alice releases it.
    await bob.send(xml('message', { to: a.jid, type: 'chat' }, xml('body', {}, 'three')));
    const [forTwo, forOne] = await responses;
    assert.match(forTwo!, /<body>three<\/body>/);
    assert.doesNotMatch(forOne!, /<message/);
    await a.send('', { type: 'terminate' });
  });

  it('terminates a request for an unknown sid or a rid out of the window with item-not-found (§14.2, §17.2)', async () => {
    const unknown = await post(boshUrl(srv), body({ rid: 1249243562, sid: 'SomeSID' }));
    assert.equal(unknown.status, 200);
    assert.equal(unknown.body.attrs.type, 'terminate');
    assert.equal(unknown.body.attrs.condition, 'item-not-found');

    bob = await connect(srv, 'bob', 'bob-pw');
    const a = new RawBosh(boshUrl(srv));
    await a.login('alice', 'alice-pw', 'localhost');
    const seen = next(bob, isPresence(a.jid));
    await a.send(`<presence xmlns='jabber:client'/><presence to='bob@localhost' xmlns='jabber:client'/>`);
    await seen;
    const gone = next(bob, isPresence(a.jid, 'unavailable'));
    // XEP-0124 Example 'Unexpected rid error': beyond the window of `requests` (2) rids.
    const far = await post(a.url, body({ rid: a.rid + 5, sid: a.sid }));
    assert.equal(far.body.attrs.type, 'terminate');
    assert.equal(far.body.attrs.condition, 'item-not-found');
    await gone;
    const after = await a.send();
    assert.equal(after.body.attrs.condition, 'item-not-found');
  });

  it('terminates malformed XML with bad-request and the session with it', async () => {
    const a = new RawBosh(boshUrl(srv));
    await a.login('alice', 'alice-pw', 'localhost');
    const broken = await post(a.url, `<body rid='${a.rid++}' sid='${a.sid}' xmlns='${NS_HTTPBIND}'><message><body>unclosed</message></body>`);
    assert.equal(broken.body.attrs.type, 'terminate');
    assert.equal(broken.body.attrs.condition, 'bad-request');
    assert.equal((await a.send()).body.attrs.condition, 'item-not-found');

    // RFC 6120 §11.1 restrictions hold in the wrapper too: no comments.
    const b = new RawBosh(boshUrl(srv));
    await b.login('alice', 'alice-pw', 'localhost');
    const comment = await post(b.url, `<body rid='${b.rid++}' sid='${b.sid}' xmlns='${NS_HTTPBIND}'><!-- hi --></body>`);
    assert.equal(comment.body.attrs.condition, 'bad-request');
    const notBosh = await post(boshUrl(srv), `<stream rid='1' xmlns='jabber:client'/>`);
    assert.equal(notBosh.body.attrs.condition, 'bad-request');
  });

  it("answers with the Content-Type the session request named in 'content' (§7.1)", async () => {
    const r = await post(boshUrl(srv), body({ rid: 77, to: 'localhost', wait: 1, hold: 1, ver: '1.6', content: 'text/plain; charset=utf-8' }));
    assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
    const end = await post(boshUrl(srv), body({ rid: 78, sid: r.body.attrs.sid, type: 'terminate' }));
    assert.equal(end.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(end.body.attrs.type, 'terminate');
  });

  it('refuses a session request without our domain (§17.2 improper-addressing, host-unknown)', async () => {
    const none = await post(boshUrl(srv), body({ rid: 1573741820, wait: 60, hold: 1, ver: '1.6' }));
    assert.equal(none.body.attrs.condition, 'improper-addressing');
    const other = await post(boshUrl(srv), body({ rid: 1573741820, to: 'jabber.org', wait: 60, hold: 1, ver: '1.6' }));
    assert.equal(other.body.attrs.condition, 'host-unknown');
  });

  it('ends the session at a client terminate after delivering its payloads (XEP-0124 §13)', async () => {
    bob = await connect(srv, 'bob', 'bob-pw');
    const a = new RawBosh(boshUrl(srv));
    await a.login('alice', 'alice-pw', 'localhost');
    const seen = next(bob, isPresence(a.jid));
    await a.send(`<presence xmlns='jabber:client'/><presence to='bob@localhost' xmlns='jabber:client'/>`);
    await seen;
    const last = next(bob, (el) => el.is('message') && el.getChildText('body') === 'bye');
    const gone = next(bob, isPresence(a.jid, 'unavailable'));
    // XEP-0124 Example 'Session termination by client', with a message before the presence.
    const end = await a.send(`<message to='bob@localhost' type='chat' xmlns='jabber:client'><body>bye</body></message><presence type='unavailable' xmlns='jabber:client'/>`, { type: 'terminate' });
    assert.equal(end.body.attrs.type, 'terminate');
    assert.equal(end.body.attrs.condition, undefined);
    await last;
    await gone;
    assert.equal((await a.send()).body.attrs.condition, 'item-not-found');
    await ping(bob);
  });
});

/** Polls until a message with `text` arrives (at most 20 requests); resolves with the bodies of the messages seen. */
async function pollMessagesFrom(a: RawBosh, text: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < 20 && !bodies.includes(text); i++) {
    for (const st of stanzas(await a.send())) if (st.name === 'message') bodies.push(st.getChildText('body') ?? '');
  }
  return bodies;
}

describe('BOSH limits', function () {
  let srv: TestServer | undefined;
  let bob: XmppClient | undefined;
  afterEach(async () => {
    await stopAll(bob);
    bob = undefined;
    await srv?.stop();
    srv = undefined;
  });

  async function start(extra: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
    srv = await startTestServer(extra);
    await srv.users.add('alice@localhost', 'alice-pw');
    await srv.users.add('bob@localhost', 'bob-pw');
    return srv;
  }

  it('checks the bosh keys at startup, naming the key', () => {
    const sections = configSections(MODULES);
    assert.throws(() => resolveConfig({ bosh: { maxWait: 0 } }, undefined, undefined, sections), /config key "bosh.maxWait": must be an integer from 1 to 120/);
    assert.throws(() => resolveConfig({ bosh: { enabled: 'yes' } }, undefined, undefined, sections), /config key "bosh.enabled": must be true or false/);
    assert.throws(() => resolveConfig({ bosh: { wait: 10 } }, undefined, undefined, sections), /config key "bosh.wait": unknown key/);
    assert.deepEqual(resolveConfig({}, undefined, undefined, sections).modules.bosh, { enabled: true, maxWait: 60, maxInactivity: 60 });
  });

  it('serves no /http-bind and lists no BOSH in host-meta with bosh.enabled false', async () => {
    const s = await start({ bosh: { enabled: false } });
    const res = await fetch(boshUrl(s), { method: 'POST', body: body({ rid: 1, to: 'localhost', ver: '1.6' }) });
    assert.equal(res.status, 404);
    const xrd = await (await fetch(`http://127.0.0.1:${s.ports.http}/.well-known/host-meta`)).text();
    assert.doesNotMatch(xrd, /xbosh/);
    assert.match(xrd, /alt-connections:websocket/);
  });

  it('serves BOSH on the HTTPS port too, listed there with its https address', async () => {
    const s = await start({ https: { port: 0 } });
    const base = `https://127.0.0.1:${s.ports.https}`;
    const jrd = (await (await fetch(`${base}/.well-known/host-meta.json`)).json()) as { links: { rel: string; href: string }[] };
    assert.equal(jrd.links.find((l) => l.rel === 'urn:xmpp:alt-connections:xbosh')?.href, `${base}/http-bind`);
    const a = new RawBosh(`${base}/http-bind`);
    await a.login('alice', 'alice-pw', 'localhost');
    assert.equal(a.jid, 'alice@localhost/httpclient');
    assert.equal((await a.send('', { type: 'terminate' })).body.attrs.type, 'terminate');
  });

  it('ends a session after bosh.maxInactivity seconds without a request (§10)', async () => {
    const s = await start({ bosh: { maxInactivity: 1 } });
    bob = await connect(s, 'bob', 'bob-pw');
    const a = new RawBosh(boshUrl(s));
    const created = await a.login('alice', 'alice-pw', 'localhost', 1);
    assert.equal(created.attrs.inactivity, '1');
    const seen = next(bob, isPresence(a.jid));
    await a.send(`<presence xmlns='jabber:client'/><presence to='bob@localhost' xmlns='jabber:client'/>`);
    await seen;
    // No more requests: the session is given up silently, and the C2s session ends as dropped.
    await next(bob, isPresence(a.jid, 'unavailable'), 20_000);
    assert.equal((await a.send()).body.attrs.condition, 'item-not-found');
  });

  it('hibernates an inactive session with XEP-0198 resumption, and resumes it over a new BOSH session', async () => {
    const s = await start({ bosh: { maxInactivity: 1 } });
    bob = await connect(s, 'bob', 'bob-pw');
    const a = new RawBosh(boshUrl(s));
    await a.login('alice', 'alice-pw', 'localhost', 1);
    const enabled = (await a.send(`<enable xmlns='urn:xmpp:sm:3' resume='true'/>`)).body.getChild('enabled', 'urn:xmpp:sm:3');
    assert.ok(enabled?.attrs.id);
    const seen = next(bob, isPresence(a.jid));
    await a.send(`<presence xmlns='jabber:client'/><presence to='bob@localhost' xmlns='jabber:client'/>`);
    await seen;
    const unavailable = collect(bob, isPresence(a.jid, 'unavailable'));
    // Quiet: the BOSH session ends as a dropped connection, and the C2s session waits (§5).
    await until(() => [...s.server.sessions.all()].some((x) => x.hibernating === true), 'the session to hibernate');
    const b = new RawBosh(boshUrl(s));
    await b.authenticate('alice', 'alice-pw', 'localhost', 1);
    const resumed = await b.send(`<resume xmlns='urn:xmpp:sm:3' previd='${enabled.attrs.id}' h='0'/>`);
    assert.equal(resumed.body.getChild('resumed', 'urn:xmpp:sm:3')?.attrs.previd, enabled.attrs.id, resumed.text);
    assert.deepEqual(await unavailable.done(), [], 'the contact never saw the session go');
    const got = pollMessagesFrom(b, 'after resume');
    await bob.send(xml('message', { to: a.jid, type: 'chat' }, xml('body', {}, 'after resume')));
    assert.deepEqual(await got, ['after resume']);
    await b.send('', { type: 'terminate' });
  });

  it('closes a session that does not authenticate within limits.negotiationSeconds', async () => {
    const s = await start({ limits: { negotiationSeconds: 1 } });
    const a = new RawBosh(boshUrl(s));
    const created = await post(a.url, body({ rid: a.rid++, to: 'localhost', wait: 5, hold: 1, ver: '1.6' }));
    a.sid = created.body.attrs.sid;
    // The next request is held, and answered when the server gives up on the stream.
    const r = await a.send();
    assert.equal(r.body.attrs.type, 'terminate');
    assert.equal(r.body.attrs.condition, 'remote-stream-error');
    assert.ok(r.body.getChild('connection-timeout', 'urn:ietf:params:xml:ns:xmpp-streams'), r.text);
  });

  it('terminates a body over limits.maxStanzaBytes (or the pre-auth limit before SASL) with policy-violation', async () => {
    const s = await start({ limits: { maxStanzaBytes: 10_000, maxStanzaBytesPreAuth: 1024 } });
    const pre = new RawBosh(boshUrl(s));
    const created = await post(pre.url, body({ rid: pre.rid++, to: 'localhost', wait: 1, hold: 1, ver: '1.6' }));
    pre.sid = created.body.attrs.sid;
    const big = await pre.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${'A'.repeat(3000)}</auth>`);
    assert.equal(big.body.attrs.condition, 'policy-violation');

    const a = new RawBosh(boshUrl(s));
    await a.login('alice', 'alice-pw', 'localhost');
    const huge = await a.send(`<message to='bob@localhost' xmlns='jabber:client'><body>${'x'.repeat(20_000)}</body></message>`);
    assert.equal(huge.body.attrs.type, 'terminate');
    assert.equal(huge.body.attrs.condition, 'policy-violation');
    assert.equal((await a.send()).body.attrs.condition, 'item-not-found');
    await until(() => s.connections.count === 0, 'the sessions to be released');
  });

  it('counts a BOSH session as one connection for limits.connectionsPerIp', async () => {
    const s = await start({ limits: { connectionsPerIp: 1 } });
    const a = new RawBosh(boshUrl(s));
    await a.login('alice', 'alice-pw', 'localhost');
    assert.equal(s.connections.countFor('127.0.0.1'), 1);
    const refused = await post(boshUrl(s), body({ rid: 42, to: 'localhost', wait: 1, hold: 1, ver: '1.6' }));
    assert.equal(refused.body.attrs.type, 'terminate');
    assert.equal(refused.body.attrs.condition, 'remote-stream-error');
    assert.ok(refused.body.getChild('policy-violation', 'urn:ietf:params:xml:ns:xmpp-streams'), refused.text);
    await a.send('', { type: 'terminate' });
    await until(() => s.connections.count === 0, 'the session to be released');
    const b = new RawBosh(boshUrl(s));
    await b.login('alice', 'alice-pw', 'localhost');
  });

  it('delays rather than drops what a client sends over limits.c2s.rate', async () => {
    const s = await start({ limits: { c2s: { rate: 1000, burst: 1 } } });
    bob = await connect(s, 'bob', 'bob-pw');
    const a = new RawBosh(boshUrl(s));
    await a.login('alice', 'alice-pw', 'localhost');
    const texts = Array.from({ length: 6 }, (_, i) => `${i}:${'r'.repeat(700)}`);
    const msg = (t: string) => `<message to='bob@localhost' type='chat' xmlns='jabber:client'><body>${t}</body></message>`;
    const got: string[] = [];
    bob.on('stanza', (el) => el.is('message') && got.push(el.getChildText('body') ?? ''));
    const last = next(bob, (el) => el.is('message') && el.getChildText('body') === texts[5], 30_000);
    // Two requests of three messages each, about 2.3 kB apiece, against a 1 kB/s bucket.
    const first = a.send(texts.slice(0, 3).map(msg).join(''));
    const second = a.send(texts.slice(3).map(msg).join(''));
    await last;
    assert.deepEqual(got, texts);
    await Promise.all([first, second]);
  });
});
