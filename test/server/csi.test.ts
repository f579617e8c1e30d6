// XEP-0352 Client State Indication with @xmpp/client peers and raw streams, with the XEP's own
// examples (Example 1: the stream feature, 2: <inactive/>, 3: <active/>, 4: in-order processing).
import assert from 'node:assert/strict';
import { resolveConfig } from '../../server/config.js';
import { configSections } from '../../server/core/module.js';
import { heldStanzas } from '../../server/modules/csi.js';
import { MODULES } from '../../server/modules/index.js';
import type { ClientSession } from '../../server/core/session.js';
import { befriend, collect, connect, next, startTestServer, stopAll, xml, type TestServer, type XmlElement, type XmppClient } from './helpers.js';
import { RawConnection } from './raw.js';

const CSI = 'urn:xmpp:csi:0';
const CHATSTATES = 'http://jabber.org/protocol/chatstates';
const SM = 'urn:xmpp:sm:3';
// Example 2 and Example 3, as the XEP writes them.
const INACTIVE = `<inactive xmlns='urn:xmpp:csi:0'/>`;
const ACTIVE = `<active xmlns='urn:xmpp:csi:0'/>`;

const fromRomeo = (el: XmlElement) => el.attrs.from?.startsWith('romeo@localhost') === true;

describe('XEP-0352 Client State Indication', function () {
  let srv: TestServer;
  let juliet: XmppClient;
  let romeo: XmppClient;
  let mercutio: XmppClient;
  const session = (resource = 'balcony'): ClientSession => srv.server.sessions.get('juliet@localhost', resource)!;
  /** Romeo's stanzas sent so far have all been routed (his own ping round trip is done). */
  const romeoDone = async () => romeo.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  const sendRaw = (c: XmppClient, text: string) => (c as unknown as { write(s: string): Promise<void> }).write(text);

  before(async () => {
    srv = await startTestServer();
    for (const u of ['juliet', 'romeo', 'mercutio']) await srv.users.add(`${u}@localhost`, 'secret');
    juliet = await connect(srv, 'juliet', 'secret', { resource: 'balcony', transport: 'tcp' });
    romeo = await connect(srv, 'romeo', 'secret', { resource: 'orchard' });
    mercutio = await connect(srv, 'mercutio', 'secret', { resource: 'street' });
    await befriend(juliet, 'juliet@localhost', romeo, 'romeo@localhost');
    await befriend(juliet, 'juliet@localhost', mercutio, 'mercutio@localhost');
  });
  after(async () => {
    await stopAll(juliet, romeo, mercutio);
    await srv.stop();
  });

  it('offers <csi/> in the stream features after authentication (Example 1), not before', async () => {
    const raw = await RawConnection.open(srv.ports.c2s!);
    try {
      await raw.secure();
      assert.match(raw.received, /<mechanisms /);
      assert.doesNotMatch(raw.received, /urn:xmpp:csi:0/);
      raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from('\u0000juliet\u0000secret').toString('base64')}</auth>`);
      await raw.waitFor(/<success/);
      raw.received = '';
      raw.header();
      await raw.waitFor(/<\/stream:features>/);
      assert.match(raw.received, /<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"\/>/);
      assert.match(raw.received, /<csi xmlns="urn:xmpp:csi:0"\/>/);
    } finally {
      raw.end();
    }
  });

  it('holds presence updates while inactive, only the latest per full JID, and sends them in order on <active/> before what follows (Example 4)', async () => {
    await sendRaw(juliet, INACTIVE);
    // Juliet's ping is answered after her <inactive/> was handled, and the pong (an IQ) goes at once.
    await collect(juliet, () => false).done();
    // One sender after the other (each one's stanzas routed before the next sends): a known order.
    await romeo.send(xml('presence', {}, xml('status', {}, 'one')));
    await romeo.send(xml('presence', {}, xml('status', {}, 'two')));
    await romeoDone();
    await mercutio.send(xml('presence', {}, xml('show', {}, 'away')));
    await mercutio.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await romeo.send(xml('presence', {}, xml('status', {}, 'three')));
    await romeoDone();
    const held = heldStanzas(session());
    assert.equal(held.length, 2, held.join('\n'));
    assert.match(held[0]!, /from="mercutio@localhost\/street"/);
    assert.match(held[1]!, /<status>three<\/status>/);

    const seen = collect(juliet, (el) => el.is('presence'));
    await sendRaw(juliet, ACTIVE);
    // Example 4: <active/> then a ping; what was held is on the wire before the pong.
    const presences = await seen.done();
    assert.deepEqual(
      presences.map((p) => [p.attrs.from, p.getChildText('show') ?? p.getChildText('status')]),
      [
        ['mercutio@localhost/street', 'away'],
        ['romeo@localhost/orchard', 'three'],
      ],
    );
    assert.deepEqual(heldStanzas(session()), []);
  });

  it('delivers a message with a body at once while inactive, after what was held from before it', async () => {
    await sendRaw(juliet, INACTIVE);
    await collect(juliet, () => false).done();
    const order: XmlElement[] = [];
    const record = (el: XmlElement) => void (fromRomeo(el) && order.push(el));
    juliet.on('stanza', record);
    try {
      await romeo.send(xml('presence', {}, xml('show', {}, 'dnd')));
      await romeoDone();
      assert.equal(heldStanzas(session()).length, 1);
      const arrived = next(juliet, (el) => el.is('message') && fromRomeo(el));
      await romeo.send(xml('message', { to: 'juliet@localhost', type: 'chat' }, xml('body', {}, 'Lady, by yonder blessed moon I swear')));
      await arrived;
      assert.deepEqual(order.map((el) => el.name), ['presence', 'message']);
      assert.equal(order[0]!.getChildText('show'), 'dnd');
      assert.deepEqual(heldStanzas(session()), [], 'nothing is left held');
      // Still inactive: the next update is held again.
      await romeo.send(xml('presence', {}, xml('show', {}, 'xa')));
      await romeoDone();
      assert.equal(heldStanzas(session()).length, 1);
    } finally {
      juliet.off('stanza', record);
      await sendRaw(juliet, ACTIVE);
      await collect(juliet, () => false).done();
    }
  });

  it('holds chat states without a body (the latest per sender) and sends them before the next message', async () => {
    await sendRaw(juliet, INACTIVE);
    await collect(juliet, () => false).done();
    const order: XmlElement[] = [];
    const record = (el: XmlElement) => void (fromRomeo(el) && el.is('message') && order.push(el));
    juliet.on('stanza', record);
    try {
      await romeo.send(xml('message', { to: 'juliet@localhost/balcony', type: 'chat' }, xml('composing', { xmlns: CHATSTATES })));
      await romeo.send(xml('message', { to: 'juliet@localhost/balcony', type: 'chat' }, xml('paused', { xmlns: CHATSTATES })));
      await romeoDone();
      const held = heldStanzas(session());
      assert.equal(held.length, 1);
      assert.match(held[0]!, /<paused xmlns="http:\/\/jabber.org\/protocol\/chatstates"\/>/);
      const arrived = next(juliet, (el) => el.is('message') && el.getChildText('body') === 'With love\u2019s light wings');
      await romeo.send(xml('message', { to: 'juliet@localhost/balcony', type: 'chat' }, xml('body', {}, 'With love\u2019s light wings'), xml('active', { xmlns: CHATSTATES })));
      await arrived;
      assert.deepEqual(order.map((el) => (el.getChild('paused', CHATSTATES) ? 'paused' : el.getChildText('body'))), ['paused', 'With love\u2019s light wings']);
    } finally {
      juliet.off('stanza', record);
      await sendRaw(juliet, ACTIVE);
      await collect(juliet, () => false).done();
    }
  });

  it('sends at once what must not wait: subscription requests, <store/>-hinted and call messages, IQs', async () => {
    await sendRaw(juliet, INACTIVE);
    await collect(juliet, () => false).done();
    try {
      const request = next(juliet, (el) => el.is('presence') && el.attrs.type === 'subscribe');
      await srv.users.add('tybalt@localhost', 'secret');
      const tybalt = await connect(srv, 'tybalt', 'secret');
      try {
        await tybalt.send(xml('presence', { to: 'juliet@localhost', type: 'subscribe' }));
        await request;
      } finally {
        await stopAll(tybalt);
      }
      const stored = next(juliet, (el) => el.is('message') && el.getChild('store', 'urn:xmpp:hints') !== undefined);
      await romeo.send(xml('message', { to: 'juliet@localhost/balcony', type: 'chat' }, xml('received', { xmlns: 'urn:xmpp:receipts', id: 'r1' }), xml('store', { xmlns: 'urn:xmpp:hints' })));
      await stored;
      const call = next(juliet, (el) => el.is('message') && el.getChild('propose', 'urn:xmpp:jingle-message:0') !== undefined);
      await romeo.send(xml('message', { to: 'juliet@localhost', type: 'chat' }, xml('propose', { xmlns: 'urn:xmpp:jingle-message:0', id: 'call-1' }, xml('description', { xmlns: 'urn:xmpp:jingle:apps:rtp:1', media: 'audio' }))));
      await call;
      juliet.iqCallee.get('urn:xmpp:ping', 'ping', () => ({}));
      const pong = await romeo.iqCaller.request(xml('iq', { type: 'get', to: 'juliet@localhost/balcony' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      assert.equal(pong.attrs.type, 'result');
    } finally {
      await sendRaw(juliet, ACTIVE);
      await collect(juliet, () => false).done();
    }
  });

  it('does not count held stanzas for XEP-0198: after resumption the held update arrives once', async () => {
    const raw = await RawConnection.open(srv.ports.c2s!);
    await raw.login('juliet', 'secret', 'nurse');
    raw.send(`<enable xmlns='${SM}' resume='true'/>`);
    const [, id] = await raw.waitFor(/<enabled xmlns="urn:xmpp:sm:3" id="([^"]+)"/);
    raw.received = ''; // from here on, what stream management counts
    raw.send(`<presence/>`);
    await raw.waitFor(/<presence[^>]*from="romeo@localhost\/orchard"/);
    raw.send(`${INACTIVE}<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await raw.waitFor(/id="p1"/);
    const before = stanzaCount(raw.received);
    raw.send(`<a xmlns='${SM}' h='${before}'/>`);
    await romeo.send(xml('presence', {}, xml('status', {}, 'held for the nurse')));
    await romeoDone();
    assert.equal(heldStanzas(session('nurse')).length, 1);
    raw.end();
    await raw.waitClosed();

    const again = await RawConnection.open(srv.ports.c2s!);
    try {
      await again.authenticate('juliet', 'secret');
      again.send(`<resume xmlns='${SM}' h='${before}' previd='${id}'/><iq type='get' id='p2' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
      await again.waitFor(/<resumed /);
      await again.waitFor(/id="p2"/);
      const after = again.received.slice(again.received.indexOf('<resumed '));
      assert.equal(after.match(/held for the nurse/g)?.length, 1, after);
      assert.deepEqual(heldStanzas(session('nurse')), [], 'a resumed stream is active');
    } finally {
      again.end();
    }
  });

  it('drops what it holds when the session ends: nothing is handed on to another resource or to offline storage', async () => {
    const raw = await RawConnection.open(srv.ports.c2s!);
    await raw.login('juliet', 'secret', 'tomb');
    raw.send(`<enable xmlns='${SM}' resume='true'/>`);
    await raw.waitFor(/<enabled xmlns="urn:xmpp:sm:3"/);
    raw.send(`<presence/>${INACTIVE}<iq type='get' id='p3' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await raw.waitFor(/id="p3"/);
    const balcony = collect(juliet, (el) => fromRomeo(el) && (el.is('message') || el.getChildText('status') === 'for the tomb'));
    await romeo.send(xml('message', { to: 'juliet@localhost/tomb', type: 'chat' }, xml('composing', { xmlns: CHATSTATES })));
    await romeo.send(xml('presence', {}, xml('status', {}, 'for the tomb')));
    await romeoDone();
    assert.equal(heldStanzas(session('tomb')).length, 2);
    // Closed by the server: what a session had not acknowledged is handed on (XEP-0198 §5); what it held was never sent.
    session('tomb').close();
    await raw.waitClosed();
    assert.equal(srv.server.sessions.get('juliet@localhost', 'tomb'), undefined);
    const handedOn = await balcony.done();
    assert.deepEqual(handedOn.map((el) => el.name), ['presence'], 'the balcony got the presence broadcast itself, and no chat state');
    assert.deepEqual(srv.server.storage.offline.take('juliet'), []);
  });

  it('ends the stream with unsupported-stanza-type for another element of the namespace, as for any unknown top-level element', async () => {
    for (const bad of [`<csi xmlns='${CSI}'/>`, `<dance xmlns='urn:example:unknown'/>`]) {
      const raw = await RawConnection.open(srv.ports.c2s!);
      await raw.login('mercutio', 'secret', 'mab');
      raw.send(bad);
      await raw.waitFor(/<unsupported-stanza-type xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
      await raw.waitClosed();
    }
  });
});

/** Stanzas in what the server sent (none of these nest another). */
function stanzaCount(text: string): number {
  return text.match(/<(message|presence|iq)[\s/>]/g)?.length ?? 0;
}

describe('XEP-0352 settings (csi.maxHeld)', function () {
  it('sends everything held once a session holds more than csi.maxHeld', async () => {
    const srv = await startTestServer({ components: { port: null }, csi: { maxHeld: 1 } });
    const clients: XmppClient[] = [];
    try {
      for (const u of ['juliet', 'romeo', 'mercutio']) await srv.users.add(`${u}@localhost`, 'secret');
      const juliet = await connect(srv, 'juliet', 'secret', { resource: 'balcony' });
      const romeo = await connect(srv, 'romeo', 'secret', { resource: 'orchard' });
      const mercutio = await connect(srv, 'mercutio', 'secret', { resource: 'street' });
      clients.push(juliet, romeo, mercutio);
      await befriend(juliet, 'juliet@localhost', romeo, 'romeo@localhost');
      await befriend(juliet, 'juliet@localhost', mercutio, 'mercutio@localhost');
      await (juliet as unknown as { write(s: string): Promise<void> }).write(INACTIVE);
      await collect(juliet, () => false).done();
      const session = srv.server.sessions.get('juliet@localhost', 'balcony')!;
      const pingFrom = (c: XmppClient) => c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      await romeo.send(xml('presence', {}, xml('show', {}, 'away')));
      await pingFrom(romeo);
      assert.equal(heldStanzas(session).length, 1);
      const both = Promise.all([next(juliet, (el) => el.is('presence') && el.attrs.from === 'romeo@localhost/orchard'), next(juliet, (el) => el.is('presence') && el.attrs.from === 'mercutio@localhost/street')]);
      await mercutio.send(xml('presence', {}, xml('show', {}, 'dnd')));
      await pingFrom(mercutio);
      await both;
      assert.deepEqual(heldStanzas(session), []);
    } finally {
      await stopAll(...clients);
      await srv.stop();
    }
  });

  it('refuses a wrong setting, naming the key', () => {
    const sections = configSections(MODULES);
    assert.deepEqual(resolveConfig({}, undefined, undefined, sections).modules.csi, { maxHeld: 256 });
    assert.throws(() => resolveConfig({ csi: { maxHeld: -1 } }, undefined, undefined, sections), /csi\.maxHeld/);
    assert.throws(() => resolveConfig({ csi: { queue: 3 } }, undefined, undefined, sections), /csi\.queue/);
  });
});
