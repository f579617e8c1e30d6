// XEP-0357 Push Notifications: an app server attached as an XEP-0114 component (@xmpp/component)
// receives what the server publishes; clients are @xmpp/client and raw streams. Fixtures are the
// XEP's own examples (0.4.1: Examples 5, 8-11 and 15, and the shape of 12 and 13).
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { rmSync } from 'node:fs';
import componentPkg from '@xmpp/component';
import { resolveConfig } from '../../server/config.js';
import { configSections } from '../../server/core/module.js';
import { MODULES } from '../../server/modules/index.js';
import { pushCounters } from '../../server/modules/push.js';
import { until } from '../support/until.js';
import { connect, next, startTestServer, stopAll, xml, type TestServer, type XmlElement, type XmppClient } from './helpers.js';
import { RawConnection } from './raw.js';

const PUSH = 'urn:xmpp:push:0';
const PUBSUB = 'http://jabber.org/protocol/pubsub';
const SERVICE = 'push-5.client.example'; // the XEP's app server
const NODE = 'yxs32uqsflafdk3iuqo';
const SECRET = 'app-server-secret';
const SM = 'urn:xmpp:sm:3';

// Example 8, and Example 9 (its second <value> closed, which the XEP's text leaves open).
const ENABLE = `<iq type='set' id='x42'><enable xmlns='urn:xmpp:push:0' jid='push-5.client.example' node='yxs32uqsflafdk3iuqo' /></iq>`;
const ENABLE_WITH_OPTIONS = `<iq type='set' id='x43'>
  <enable xmlns='urn:xmpp:push:0' jid='push-5.client.example' node='yxs32uqsflafdk3iuqo'>
    <x xmlns='jabber:x:data'>
      <field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>
      <field var='secret'><value>eruio234vzxc2kla-91</value></field>
    </x>
  </enable>
</iq>`;
// Examples 10 and 11.
const DISABLE_ALL = `<iq type='set' id='x97'><disable xmlns='urn:xmpp:push:0' jid='push-5.client.example' /></iq>`;
const DISABLE_NODE = `<iq type='set' id='x98'><disable xmlns='urn:xmpp:push:0' jid='push-5.client.example' node='yxs32uqsflafdk3iuqo' /></iq>`;

const { component: xmppComponent } = componentPkg as unknown as { component: (o: { service: string; domain: string; password: string }) => Component };
interface Component {
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  on(ev: string, fn: (...a: unknown[]) => void): void;
  iqCallee: { get(ns: string, name: string, fn: (ctx: { stanza: XmlElement }) => unknown): void; set(ns: string, name: string, fn: (ctx: { stanza: XmlElement }) => unknown): void };
  iqCaller: { request(el: XmlElement): Promise<XmlElement> };
}

/** The app server: records each publish and answers it with `answer` (a result unless told otherwise). */
class AppServer extends EventEmitter {
  readonly publishes: XmlElement[] = [];
  answer: (iq: XmlElement) => XmlElement | true = () => true;
  private comp!: Component;

  async start(srv: TestServer): Promise<void> {
    this.comp = xmppComponent({ service: `xmpp://127.0.0.1:${srv.ports.components}`, domain: SERVICE, password: SECRET });
    this.comp.on('error', () => {});
    this.comp.iqCallee.set(PUBSUB, 'pubsub', ({ stanza }) => {
      this.publishes.push(stanza);
      this.emit('publish', stanza);
      return this.answer(stanza);
    });
    this.comp.iqCallee.get('urn:xmpp:ping', 'ping', () => true);
    await this.comp.start();
  }

  stop(): Promise<unknown> {
    return this.comp.stop().catch(() => {});
  }

  /** Writes raw XML to the server, and waits for a ping round trip so the server has handled it. */
  async send(text: string): Promise<void> {
    await (this.comp as unknown as { write(s: string): Promise<void> }).write(text);
    await this.comp.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  }

  /** Resolves with the next publish. */
  async nextPublish(): Promise<XmlElement> {
    const [iq] = (await once(this, 'publish')) as [XmlElement];
    return iq;
  }

  /**
   * The publishes from now until `after` has run and a ping from `via` to the app server came
   * back: the server sends its publishes as it routes the message, before that ping, on the same
   * connection to the component, so once the pong is in every publish the message caused is here.
   */
  async during(via: XmppClient, after: () => Promise<unknown>): Promise<XmlElement[]> {
    const start = this.publishes.length;
    await after();
    await via.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await via.iqCaller.request(xml('iq', { type: 'get', to: SERVICE }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    return this.publishes.slice(start);
  }
}

/** The fields of the notification's urn:xmpp:push:summary form (§7). */
function summary(iq: XmlElement): Record<string, string> {
  const form = iq.getChild('pubsub', PUBSUB)!.getChild('publish')!.getChild('item')!.getChild('notification', PUSH)!.getChild('x', 'jabber:x:data')!;
  const out: Record<string, string> = {};
  for (const f of form.getChildren('field')) out[f.attrs.var as string] = f.getChildText('value') ?? '';
  return out;
}

async function sendFixture(c: XmppClient, text: string, id: string): Promise<XmlElement> {
  const reply = next(c, (el) => el.is('iq') && el.attrs.id === id);
  await (c as unknown as { write(s: string): Promise<void> }).write(text);
  return reply;
}

const chat = (to: string, body: string) => xml('message', { to, type: 'chat' }, xml('body', {}, body));
const propose = (to: string, id: string) =>
  xml('message', { to, type: 'chat' }, xml('propose', { xmlns: 'urn:xmpp:jingle-message:0', id }, xml('description', { xmlns: 'urn:xmpp:jingle:apps:rtp:1', media: 'audio' })), xml('store', { xmlns: 'urn:xmpp:hints' }));

describe('XEP-0357 Push Notifications', function () {
  let srv: TestServer;
  let app: AppServer;
  let romeo: XmppClient;

  before(async () => {
    srv = await startTestServer({ components: { port: 0, secrets: { [SERVICE]: SECRET } } });
    for (const u of ['juliet', 'romeo']) await srv.users.add(`${u}@localhost`, 'secret');
    app = new AppServer();
    await app.start(srv);
    romeo = await connect(srv, 'romeo', 'secret', { resource: 'orchard' });
  });
  after(async () => {
    await stopAll(romeo);
    await app.stop();
    await srv.stop();
  });
  afterEach(() => {
    app.answer = () => true;
  });

  /** Juliet's phone: signs in and enables push with `fixture`. */
  async function phone(fixture = ENABLE_WITH_OPTIONS, id = 'x43'): Promise<XmppClient> {
    const c = await connect(srv, 'juliet', 'secret', { resource: 'phone' });
    const r = await sendFixture(c, fixture, id);
    assert.equal(r.attrs.type, 'result', r.toString());
    return c;
  }

  it('is a feature of the account (Example 5), on its bare JID', async () => {
    const r = await romeo.iqCaller.request(xml('iq', { type: 'get', to: 'romeo@localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(r.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === PUSH));
  });

  it('notifies once for a message to an account whose push client is offline (Examples 9, 13), publish options and all', async () => {
    const j = await phone();
    await stopAll(j);
    await until(() => srv.server.sessions.get('juliet@localhost', 'phone') === undefined, 'the phone session to end');
    const publishes = await app.during(romeo, () => romeo.send(chat('juliet@localhost', 'Wherefore art thou, Romeo?')));
    assert.equal(publishes.length, 1);
    const iq = publishes[0]!;
    assert.equal(iq.attrs.from, 'juliet@localhost');
    assert.equal(iq.getChild('pubsub', PUBSUB)!.getChild('publish')!.attrs.node, NODE);
    assert.deepEqual(summary(iq), {
      FORM_TYPE: 'urn:xmpp:push:summary',
      'message-count': '1',
      'last-message-sender': 'romeo@localhost/orchard',
      // push.includeBody is off: the body stays home, and the placeholder marks the push important.
      'last-message-body': 'New Message!',
    });
    const options = iq.getChild('pubsub', PUBSUB)!.getChild('publish-options')!.getChild('x', 'jabber:x:data')!;
    const secret = options.getChildren('field').find((f) => f.attrs.var === 'secret');
    assert.equal(secret?.getChildText('value'), 'eruio234vzxc2kla-91');
  });

  it('notifies for an XEP-0353 call proposal with a high-priority push, even while the client is online and active', async () => {
    const j = await phone(ENABLE, 'x42');
    try {
      const ring = next(j, (el) => el.is('message') && el.getChild('propose', 'urn:xmpp:jingle-message:0') !== undefined);
      const publishes = await app.during(romeo, () => romeo.send(propose('juliet@localhost', 'call-1')));
      await ring;
      assert.equal(publishes.length, 1);
      assert.equal(summary(publishes[0]!)['last-message-body'], 'New Message!');
      assert.equal(publishes[0]!.getChild('pubsub', PUBSUB)!.getChild('publish-options'), undefined, 'Example 8 gave no options');
    } finally {
      await stopAll(j);
    }
    const offline = await app.during(romeo, () => romeo.send(propose('juliet@localhost', 'call-2')));
    assert.equal(offline.length, 1);
    assert.notEqual(summary(offline[0]!)['last-message-body'], '');
  });

  it('does not notify while the client is online and active; does once it is inactive (XEP-0352)', async () => {
    const j = await phone();
    try {
      const got = next(j, (el) => el.is('message') && el.getChildText('body') === 'by any other name');
      assert.deepEqual(await app.during(romeo, () => romeo.send(chat('juliet@localhost', 'by any other name'))), []);
      await got;
      await (j as unknown as { write(s: string): Promise<void> }).write(`<inactive xmlns='urn:xmpp:csi:0'/>`);
      await j.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      const stillDelivered = next(j, (el) => el.is('message') && el.getChildText('body') === 'would smell as sweet');
      const publishes = await app.during(romeo, () => romeo.send(chat('juliet@localhost', 'would smell as sweet')));
      assert.equal(publishes.length, 1);
      await stillDelivered;
      // Chat states and receipts alone are not worth a push.
      const quiet = await app.during(romeo, () => romeo.send(xml('message', { to: 'juliet@localhost', type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' }))));
      assert.deepEqual(quiet, []);
    } finally {
      await stopAll(j);
    }
  });

  it('notifies once for a session hibernated by stream management (its TCP connection dropped unclosed)', async () => {
    const raw = await RawConnection.open(srv.ports.c2s!);
    await raw.login('juliet', 'secret', 'phone');
    raw.send(`<enable xmlns='${SM}' resume='true'/>`);
    await raw.waitFor(/<enabled xmlns="urn:xmpp:sm:3"/);
    raw.send(`<presence/>${ENABLE}`);
    await raw.waitFor(/<iq [^>]*id="x42"[^>]*type="result"|<iq [^>]*type="result"[^>]*id="x42"/);
    raw.end();
    await raw.waitClosed();
    const session = () => srv.server.sessions.get('juliet@localhost', 'phone');
    await until(() => session()?.hibernating === true, 'the session to hibernate');
    try {
      const publishes = await app.during(romeo, () => romeo.send(chat('juliet@localhost', 'Parting is such sweet sorrow')));
      assert.equal(publishes.length, 1);
      assert.equal(summary(publishes[0]!)['last-message-sender'], 'romeo@localhost/orchard');
    } finally {
      session()?.close();
    }
  });

  it('notifies once, when the session hibernates, for the messages its dead connection never acknowledged', async () => {
    const raw = await RawConnection.open(srv.ports.c2s!);
    await raw.login('juliet', 'secret', 'phone');
    raw.send(`<enable xmlns='${SM}' resume='true'/>`);
    await raw.waitFor(/<enabled xmlns="urn:xmpp:sm:3"/);
    raw.send(`<presence/>${ENABLE}`);
    await raw.waitFor(/<iq [^>]*id="x42"[^>]*type="result"|<iq [^>]*type="result"[^>]*id="x42"/);
    // Delivered to a session that looks alive: no push yet, and the client never acknowledges them.
    const live = await app.during(romeo, async () => {
      await romeo.send(chat('juliet@localhost', 'Good night, good night!'));
      await romeo.send(chat('juliet@localhost', 'Sleep dwell upon thine eyes'));
    });
    assert.deepEqual(live, []);
    await raw.waitFor(/Sleep dwell upon thine eyes/);
    const before = app.publishes.length;
    raw.end();
    await raw.waitClosed();
    const session = () => srv.server.sessions.get('juliet@localhost', 'phone');
    await until(() => session()?.hibernating === true, 'the session to hibernate');
    try {
      await app.during(romeo, async () => {});
      const publishes = app.publishes.slice(before);
      assert.equal(publishes.length, 1);
      assert.deepEqual(summary(publishes[0]!), { FORM_TYPE: 'urn:xmpp:push:summary', 'message-count': '2', 'last-message-sender': 'romeo@localhost/orchard', 'last-message-body': 'New Message!' });
    } finally {
      session()?.close();
    }
  });

  it('stops on <disable/>: one node (Example 11), or every node of the service (Example 10)', async () => {
    const j = await phone();
    const other = await sendFixture(j, `<iq type='set' id='x44'><enable xmlns='urn:xmpp:push:0' jid='${SERVICE}' node='second-node'/></iq>`, 'x44');
    assert.equal(other.attrs.type, 'result');
    assert.equal((await sendFixture(j, DISABLE_NODE, 'x98')).attrs.type, 'result');
    await stopAll(j);
    await until(() => srv.server.sessions.get('juliet@localhost', 'phone') === undefined, 'the phone session to end');
    const one = await app.during(romeo, () => romeo.send(chat('juliet@localhost', 'one node left')));
    assert.deepEqual(one.map((iq) => iq.getChild('pubsub', PUBSUB)!.getChild('publish')!.attrs.node), ['second-node']);

    const k = await connect(srv, 'juliet', 'secret', { resource: 'phone' });
    assert.equal((await sendFixture(k, DISABLE_ALL, 'x97')).attrs.type, 'result');
    await stopAll(k);
    await until(() => srv.server.sessions.get('juliet@localhost', 'phone') === undefined, 'the phone session to end');
    assert.deepEqual(await app.during(romeo, () => romeo.send(chat('juliet@localhost', 'nobody is told'))), []);
  });

  it('disables a registration the app server refuses (§7.1), keeps one it asks to wait, and does not loop', async () => {
    const j = await phone();
    await stopAll(j);
    await until(() => srv.server.sessions.get('juliet@localhost', 'phone') === undefined, 'the phone session to end');
    const counters = pushCounters.get(srv.server)!;
    const error = (type: string, condition: string) => () => xml('error', { type }, xml(condition, { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }));
    app.answer = error('wait', 'recipient-unavailable'); // what p2 answers when the vendor's push failed
    assert.equal((await app.during(romeo, () => romeo.send(chat('juliet@localhost', 'try later')))).length, 1);
    await until(() => counters.deferred === 1, 'the wait error to be counted');
    app.answer = error('cancel', 'item-not-found'); // p2: no such device any more
    assert.equal((await app.during(romeo, () => romeo.send(chat('juliet@localhost', 'gone?')))).length, 1);
    await until(() => counters.disabled === 1, 'the registration to be disabled');
    app.answer = () => true;
    assert.deepEqual(await app.during(romeo, () => romeo.send(chat('juliet@localhost', 'not pushed'))), []);
    assert.equal(counters.disabled, 1);
  });

  it('stops when the service withdraws the account\u2019s affiliation (Example 15)', async () => {
    const j = await phone(ENABLE, 'x42');
    await stopAll(j);
    await until(() => srv.server.sessions.get('juliet@localhost', 'phone') === undefined, 'the phone session to end');
    assert.equal((await app.during(romeo, () => romeo.send(chat('juliet@localhost', 'still pushed')))).length, 1);
    // From someone else it means nothing.
    await (romeo as unknown as { write(s: string): Promise<void> }).write(`<message to='juliet@localhost'><pubsub xmlns='${PUBSUB}' node='${NODE}'><affiliation jid='juliet@localhost' affiliation='none'/></pubsub></message>`);
    assert.equal((await app.during(romeo, () => romeo.send(chat('juliet@localhost', 'pushed again')))).length, 1);
    await app.send(`<message from='${SERVICE}' to='juliet@localhost'>
  <pubsub xmlns='http://jabber.org/protocol/pubsub' node='yxs32uqsflafdk3iuqo'>
    <affiliation jid='juliet@localhost' affiliation='none' />
  </pubsub>
</message>`);
    assert.deepEqual(await app.during(romeo, () => romeo.send(chat('juliet@localhost', 'not pushed'))), []);
  });

  it('refuses bad requests: no jid, a malformed one, the account itself, foreign publish options, another account', async () => {
    const j = await connect(srv, 'juliet', 'secret', { resource: 'tablet' });
    try {
      const cases: Array<[string, string]> = [
        [`<iq type='set' id='b1'><enable xmlns='${PUSH}' node='n'/></iq>`, 'bad-request'],
        [`<iq type='set' id='b2'><enable xmlns='${PUSH}' jid='@bad' node='n'/></iq>`, 'jid-malformed'],
        [`<iq type='set' id='b3'><enable xmlns='${PUSH}' jid='juliet@localhost' node='n'/></iq>`, 'bad-request'],
        [`<iq type='set' id='b4'><enable xmlns='${PUSH}' jid='${SERVICE}' node='n'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:example:other</value></field></x></enable></iq>`, 'bad-request'],
        [`<iq type='set' id='b5' to='romeo@localhost'><enable xmlns='${PUSH}' jid='${SERVICE}' node='n'/></iq>`, 'forbidden'],
        [`<iq type='set' id='b6'><register xmlns='${PUSH}' jid='${SERVICE}'/></iq>`, 'bad-request'],
      ];
      for (const [text, condition] of cases) {
        const id = /id='(b\d)'/.exec(text)![1]!;
        const r = await sendFixture(j, text, id);
        assert.equal(r.attrs.type, 'error', text);
        const conditions = r.getChild('error')!.getChildElements().filter((c) => c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas' && c.name !== 'text').map((c) => c.name);
        assert.deepEqual(conditions, [condition], `${text}: ${r.toString()}`);
      }
    } finally {
      await stopAll(j);
    }
  });
});

describe('XEP-0357 settings and persistence', function () {
  it('keeps registrations across a restart, and includes the body with push.includeBody', async () => {
    const first = await startTestServer({ components: { port: 0, secrets: { [SERVICE]: SECRET } } });
    const dataDir = first.dataDir;
    await first.users.add('juliet@localhost', 'secret');
    await first.users.add('romeo@localhost', 'secret');
    const j = await connect(first, 'juliet', 'secret', { resource: 'phone' });
    assert.equal((await sendFixture(j, ENABLE, 'x42')).attrs.type, 'result');
    await stopAll(j);
    await first.close();

    const second = await startTestServer({ components: { port: 0, secrets: { [SERVICE]: SECRET } }, dataDir, push: { includeBody: true, includeSender: false } });
    const app = new AppServer();
    let r: XmppClient | undefined;
    try {
      await app.start(second);
      r = await connect(second, 'romeo', 'secret');
      const publishes = await app.during(r, () => r!.send(chat('juliet@localhost', 'What light through yonder window breaks?')));
      assert.equal(publishes.length, 1);
      assert.deepEqual(summary(publishes[0]!), { FORM_TYPE: 'urn:xmpp:push:summary', 'message-count': '1', 'last-message-body': 'What light through yonder window breaks?' });
    } finally {
      await stopAll(r);
      await app.stop();
      await second.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a wrong setting, naming the key', () => {
    const sections = configSections(MODULES);
    assert.deepEqual(resolveConfig({}, undefined, undefined, sections).modules.push, { includeBody: false, includeSender: true, importantBody: 'New Message!', maxRegistrations: 5 });
    assert.throws(() => resolveConfig({ push: { includeBody: 'yes' } }, undefined, undefined, sections), /push\.includeBody/);
    assert.throws(() => resolveConfig({ push: { importantBody: 3 } }, undefined, undefined, sections), /push\.importantBody/);
    assert.throws(() => resolveConfig({ push: { maxRegistrations: 0 } }, undefined, undefined, sections), /push\.maxRegistrations/);
    assert.throws(() => resolveConfig({ push: { withBody: true } }, undefined, undefined, sections), /push\.withBody/);
  });
});
