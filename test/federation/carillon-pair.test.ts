// Two Carillon servers federate over loopback: one.test and two.test, pinned to each other with
// `s2s.hosts`, self-signed certificates, so every stream authenticates with Server Dialback.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { Federation } from '../../federation/index.js';
import { startServer, pinEachOther, User, xml, isMessageBody, isPresence, type TestServer, type Element } from './helpers.js';

const require = createRequire(import.meta.url);
const { component } = require('@xmpp/component') as {
  component(o: { service: string; domain: string; password: string }): {
    on(ev: string, fn: (el: Element) => void): void;
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(el: Element): Promise<void>;
  };
};

describe('federation: two Carillon servers', function () {
  this.timeout(60000);
  let one: TestServer;
  let two: TestServer;
  let alice: User;
  let bob: User;

  before(async () => {
    one = await startServer('one.test', { components: { port: 0, secrets: { 'call.one.test': 'secret' } } });
    two = await startServer('two.test');
    pinEachOther(one, two);
    // A component's domain is a domain of its own on the network (found by SRV records in real life).
    two.config.s2s.hosts['call.one.test'] = `127.0.0.1:${one.ports.s2s}`;
    await one.users.add('alice@one.test', 'pw-alice');
    await two.users.add('bob@two.test', 'pw-bob');
    alice = await User.connect(one.ports.c2s!, 'one.test', 'alice', 'pw-alice', 'laptop');
    bob = await User.connect(two.ports.c2s!, 'two.test', 'bob', 'pw-bob', 'phone');
    await alice.send(xml('presence'));
    await bob.send(xml('presence'));
  });

  after(async () => {
    await alice?.stop();
    await bob?.stop();
    await one?.stop();
    await two?.stop();
  });

  it('alice on one.test sends bob on two.test a message', async () => {
    await alice.send(xml('message', { to: 'bob@two.test', type: 'chat', id: 'm1' }, xml('body', {}, 'hello two')));
    const m = await bob.waitFor(isMessageBody('hello two'));
    assert.equal(m.attrs.from, 'alice@one.test/laptop');
    assert.equal(m.attrs.to, 'bob@two.test');
  });

  it('bob answers across the other direction', async () => {
    await bob.send(xml('message', { to: 'alice@one.test/laptop', type: 'chat' }, xml('body', {}, 'hello one')));
    const m = await alice.waitFor(isMessageBody('hello one'));
    assert.equal(m.attrs.from, 'bob@two.test/phone');
  });

  it('keeps the order of stanzas sent while the stream comes up', async () => {
    const three = await startServer('three.test');
    try {
      pinEachOther(three, two);
      await three.users.add('carol@three.test', 'pw');
      const carol = await User.connect(three.ports.c2s!, 'three.test', 'carol', 'pw');
      for (let i = 0; i < 20; i++) await carol.send(xml('message', { to: 'bob@two.test/phone', type: 'chat' }, xml('body', {}, `n${i}`)));
      const got: string[] = [];
      for (let i = 0; i < 20; i++) got.push((await bob.waitFor((el) => el.is('message') && el.attrs.from === 'carol@three.test/test')).getChildText('body')!);
      assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => `n${i}`));
      await carol.stop();
    } finally {
      await three.stop();
    }
  });

  it('completes the subscription handshake across servers and shares presence', async () => {
    await alice.send(xml('presence', { to: 'bob@two.test', type: 'subscribe' }));
    const req = await bob.waitFor(isPresence('alice@one.test', 'subscribe'), 8000, 'the subscription request');
    assert.equal(req.attrs.from, 'alice@one.test');
    await bob.send(xml('presence', { to: 'alice@one.test', type: 'subscribed' }));
    const ok = await alice.waitFor(isPresence('bob@two.test', 'subscribed'), 8000, 'the approval');
    assert.equal(ok.attrs.from, 'bob@two.test');
    // RFC 6121 §3.1.5: the contact's server then sends the contact's current presence.
    await alice.waitFor(isPresence('bob@two.test/phone', undefined), 8000, "bob's presence");
    const roster = await alice.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    const item = roster.getChild('query')!.getChildren('item').find((i) => i.attrs.jid === 'bob@two.test');
    assert.equal(item?.attrs.subscription, 'to');
  });

  it('broadcasts a presence change to the remote subscriber', async () => {
    await bob.send(xml('presence', {}, xml('show', {}, 'away'), xml('status', {}, 'lunch')));
    const p = await alice.waitFor((el) => isPresence('bob@two.test/phone', undefined)(el) && el.getChildText('show') === 'away', 8000, 'the away presence');
    assert.equal(p.getChildText('status'), 'lunch');
  });

  it("answers a probe across: a new session of alice learns bob's presence (RFC 6121 §4.3)", async () => {
    const tablet = await User.connect(one.ports.c2s!, 'one.test', 'alice', 'pw-alice', 'tablet');
    try {
      await tablet.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
      await tablet.send(xml('presence'));
      const p = await tablet.waitFor(isPresence('bob@two.test/phone', undefined), 8000, "bob's presence after the probe");
      assert.equal(p.getChildText('show'), 'away');
    } finally {
      await tablet.stop();
    }
  });

  it('answers IQs across: ping the remote server, a remote vCard, disco of a remote account', async () => {
    const pong = await alice.iq(xml('iq', { type: 'get', to: 'two.test' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(pong.attrs.type, 'result');
    assert.equal(pong.attrs.from, 'two.test');
    await bob.iq(xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Bob Two'))));
    const vcard = await alice.iq(xml('iq', { type: 'get', to: 'bob@two.test' }, xml('vCard', { xmlns: 'vcard-temp' })));
    assert.equal(vcard.getChild('vCard')?.getChildText('FN'), 'Bob Two');
    const info = await bob.iq(xml('iq', { type: 'get', to: 'one.test' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    assert.ok(features.includes('urn:xmpp:ping'), features.join(' '));
  });

  it('carries an IQ to a remote full JID and its error reply back', async () => {
    const err = await alice.iq(xml('iq', { type: 'get', to: 'bob@two.test/nowhere' }, xml('ping', { xmlns: 'urn:xmpp:ping' }))).catch((e: { condition?: string }) => e);
    assert.equal((err as { condition?: string }).condition, 'service-unavailable');
  });

  it('carries call signalling: an XEP-0353 proposal and a Jingle IQ to a remote full JID', async () => {
    await alice.send(
      xml('message', { to: 'bob@two.test', type: 'chat', id: 'jmi1' },
        xml('propose', { xmlns: 'urn:xmpp:jingle-message:0', id: 'call-1' }, xml('description', { xmlns: 'urn:xmpp:jingle:apps:rtp:1', media: 'audio' })),
        xml('store', { xmlns: 'urn:xmpp:hints' })),
    );
    const propose = await bob.waitFor((el) => el.is('message') && el.getChild('propose', 'urn:xmpp:jingle-message:0') !== undefined);
    assert.equal(propose.getChild('propose', 'urn:xmpp:jingle-message:0')?.attrs.id, 'call-1');
    const callee = (bob.xmpp as unknown as { iqCallee: { set(ns: string, name: string, fn: () => unknown): void } }).iqCallee;
    callee.set('urn:xmpp:jingle:1', 'jingle', () => true);
    const reply = await alice.iq(
      xml('iq', { type: 'set', to: 'bob@two.test/phone' },
        xml('jingle', { xmlns: 'urn:xmpp:jingle:1', action: 'session-initiate', sid: 'call-1', initiator: 'alice@one.test/laptop' })),
    );
    assert.equal(reply.attrs.type, 'result');
    assert.equal(reply.attrs.from, 'bob@two.test/phone');
  });

  it('reaches a component of one.test from two.test and back', async () => {
    const comp = component({ service: `xmpp://127.0.0.1:${one.ports.components}`, domain: 'call.one.test', password: 'secret' });
    comp.on('error', () => {});
    const got = new Promise<Element>((resolve) => comp.on('stanza', (el) => el.is('message') && resolve(el)));
    await comp.start();
    try {
      await bob.send(xml('message', { to: 'room@call.one.test', type: 'chat' }, xml('body', {}, 'to the component')));
      const m = await got;
      assert.equal(m.attrs.from, 'bob@two.test/phone');
      await comp.send(xml('message', { from: 'room@call.one.test', to: 'bob@two.test/phone', type: 'chat' }, xml('body', {}, 'from the component')));
      const back = await bob.waitFor(isMessageBody('from the component'));
      assert.equal(back.attrs.from, 'room@call.one.test');
    } finally {
      await comp.stop().catch(() => {});
    }
  });

  it('bounces with remote-server-not-found once the peer is down', async () => {
    await two.stop();
    await alice.send(xml('message', { to: 'bob@two.test', type: 'chat', id: 'lost' }, xml('body', {}, 'anyone?')));
    const e = await alice.waitFor((el) => el.is('message') && el.attrs.type === 'error' && el.attrs.id === 'lost', 8000, 'the bounce');
    assert.equal(e.attrs.from, 'bob@two.test');
    assert.ok(e.getChild('error')?.getChild('remote-server-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas'), e.toString());
    assert.equal((one.server.remote as Federation).stats.outgoing.length, 0);
  });
});
