// The XEP-0114 component port, with @xmpp/component as the independent component.
import assert from 'node:assert/strict';
import componentPkg from '@xmpp/component';
import { connect, next, startTestServer, stopAll, xml, type TestServer, type XmlElement } from './helpers.js';
import { RawConnection } from './raw.js';
import { createHash } from 'node:crypto';

const { component: xmppComponent } = componentPkg as unknown as { component: (o: { service: string; domain: string; password: string }) => ComponentClient };
interface ComponentClient {
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  send(el: unknown): Promise<void>;
  on(ev: string, fn: (...a: any[]) => void): void;
  iqCallee: { get(ns: string, name: string, fn: (ctx: { stanza: XmlElement }) => unknown): void };
}

describe('components (XEP-0114)', function () {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ components: { port: 0, secrets: { 'echo.localhost': 's3cret' } } });
    await srv.users.add('alice@localhost', 'secret');
  });
  after(() => srv.stop());

  it('attaches with the handshake and routes stanzas both ways', async () => {
    const comp = xmppComponent({ service: `xmpp://127.0.0.1:${srv.ports.components}`, domain: 'echo.localhost', password: 's3cret' });
    comp.on('error', () => {});
    comp.on('stanza', (el: XmlElement) => {
      if (el.is('message') && el.attrs.type !== 'error') {
        void comp.send(xml('message', { from: el.attrs.to, to: el.attrs.from, type: 'chat' }, xml('body', {}, `echo: ${el.getChildText('body')}`)));
      }
    });
    comp.iqCallee.get('urn:xmpp:ping', 'ping', () => ({}));
    await comp.start();
    const alice = await connect(srv, 'alice', 'secret');
    const reply = next(alice, (el) => el.is('message'));
    await alice.send(xml('message', { to: 'room@echo.localhost', type: 'chat' }, xml('body', {}, 'hello')));
    const m = await reply;
    assert.equal(m.attrs.from, 'room@echo.localhost');
    assert.equal(m.getChildText('body'), 'echo: hello');
    const pong = await alice.iqCaller.request(xml('iq', { type: 'get', to: 'echo.localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(pong.attrs.type, 'result');
    // The server lists attached components in its disco#items.
    const items = await alice.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    assert.ok(items.getChild('query')!.getChildren('item').some((i: XmlElement) => i.attrs.jid === 'echo.localhost'));
    await stopAll(alice);
    await comp.stop();
  });

  async function handshake(domain: string, secret: string): Promise<RawConnection> {
    const raw = await RawConnection.open(srv.ports.components!);
    raw.send(`<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='${domain}'>`);
    const [, id] = await raw.waitFor(/<stream:stream[^>]* id="([^"]+)"/);
    raw.send(`<handshake>${createHash('sha1').update(id + secret).digest('hex')}</handshake>`);
    return raw;
  }

  it('refuses a wrong secret with not-authorized', async () => {
    const raw = await handshake('echo.localhost', 'wrong');
    await raw.waitFor(/<not-authorized/);
    await raw.waitClosed();
  });

  it('refuses an unknown component domain with host-unknown', async () => {
    const raw = await RawConnection.open(srv.ports.components!);
    raw.send(`<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='other.localhost'>`);
    await raw.waitFor(/<host-unknown/);
    await raw.waitClosed();
  });

  it('refuses stanzas from outside the component domain with invalid-from', async () => {
    const raw = await handshake('echo.localhost', 's3cret');
    await raw.waitFor(/<handshake\/>/);
    raw.send(`<message from='alice@localhost' to='alice@localhost'><body>spoof</body></message>`);
    await raw.waitFor(/<invalid-from/);
    await raw.waitClosed();
  });
});
