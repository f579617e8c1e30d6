// The BOSH session state machine (server/transport/bosh-session.ts) and the reading of <body/>
// wrappers (bosh-body.ts), without HTTP: rid order and window, hold, wait, the response buffer,
// inactivity and termination (XEP-0124 §§7-14), with the XEP's examples as requests.
import assert from 'node:assert/strict';
import { BoshSession, negotiateVersion, type BoshReply, type BoshRequest, type BoshSessionOptions } from '../../server/transport/bosh-session.js';
import { parseBody, peekIds, xbosh } from '../../server/transport/bosh-body.js';
import { parseXml } from '../../xmpp/xml.js';

const NS = 'http://jabber.org/protocol/httpbind';

function options(over: Partial<BoshSessionOptions> = {}): BoshSessionOptions {
  return { sid: 'SomeSID', wait: 60, hold: 1, inactivity: 60, ver: '1.6', legacy: false, createAttrs: { from: 'localhost' }, ...over };
}

function req(rid: number, payload = '', attrs: Record<string, string> = {}): BoshRequest {
  return { rid, attrs: { rid: String(rid), sid: 'SomeSID', ...attrs }, payload };
}

/** A session with its inputs and end recorded; `send` resolves with the request's reply. */
function harness(over: Partial<BoshSessionOptions> = {}) {
  const inputs: number[] = [];
  const payloads: string[] = [];
  let ended = 0;
  const session = new BoshSession(options(over), {
    input: (r) => {
      inputs.push(r.rid);
      if (r.payload) payloads.push(r.payload);
    },
    ended: () => void ended++,
  });
  const send = (r: BoshRequest) => new Promise<BoshReply>((resolve) => session.handle(r, resolve));
  const start = (r: BoshRequest) => new Promise<BoshReply>((resolve) => session.start(r, resolve));
  return { session, inputs, payloads, send, start, ended: () => ended };
}

const attrsOf = (r: BoshReply) => parseXml(r.body).attrs;

describe('BOSH session (XEP-0124)', () => {
  it('answers the creation request with the session attributes once the server has spoken (§7.2)', async () => {
    const h = harness();
    const created = h.start(req(1573741820));
    h.session.push('<stream:features xmlns:stream="http://etherx.jabber.org/streams"/>');
    const r = await created;
    assert.equal(r.status, 200);
    const a = attrsOf(r);
    assert.deepEqual(
      { sid: a.sid, wait: a.wait, hold: a.hold, requests: a.requests, inactivity: a.inactivity, ver: a.ver, from: a.from },
      { sid: 'SomeSID', wait: '60', hold: '1', requests: '2', inactivity: '60', ver: '1.6', from: 'localhost' },
    );
    assert.match(r.body, /<stream:features/);
    assert.equal(a['xmlns:stream'], 'http://etherx.jabber.org/streams', 'XEP-0206 §3: declared on the wrapper');
  });

  it('forwards payloads in rid order, holding a request until the gap before it fills (§14.2)', async () => {
    const h = harness();
    const first = h.start(req(100));
    const third = h.send(req(102, '<message id="c"/>'));
    assert.deepEqual(h.inputs, [100], 'rid 102 waits for 101');
    const second = h.send(req(101, '<message id="b"/>'));
    assert.deepEqual(h.inputs, [100, 101, 102]);
    assert.deepEqual(h.payloads, ['<message id="b"/>', '<message id="c"/>']);
    // Responses go in rid order too: the older requests are released, the newest is held.
    assert.equal((await first).status, 200);
    assert.equal(attrsOf(await second).type, undefined);
    h.session.push('<message id="for-the-client"/>');
    assert.match((await third).body, /for-the-client/);
  });

  it('releases the held request when a new one arrives, even with nothing to send (§11)', async () => {
    const h = harness();
    const held = h.start(req(1));
    let answered = false;
    void held.then(() => (answered = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(answered, false, 'held while the client has nothing else outstanding');
    void h.send(req(2));
    assert.equal((await held).body, `<body xmlns='${NS}' sid='SomeSID' wait='60' hold='1' requests='2' inactivity='60' polling='5' ver='1.6' from='localhost'/>`);
  });

  it('answers every request at once in a polling session (hold 0, §11 Polling Sessions)', async () => {
    const h = harness({ hold: 0 });
    assert.equal(h.session.requests, 1);
    assert.equal(attrsOf(await h.start(req(1))).hold, '0');
    assert.equal((await h.send(req(2))).body, `<body xmlns='${NS}'/>`);
  });

  it("answers an empty request after 'wait' seconds with an empty body (§8)", async () => {
    const h = harness({ wait: 0.02 });
    await h.start(req(1));
    const r = await h.send(req(2));
    assert.equal(r.body, `<body xmlns='${NS}'/>`);
  });

  it('sends a retransmitted request the same response again, and item-not-found once it is out of the buffer (§14.3)', async () => {
    const h = harness();
    const first = h.start(req(1));
    const second = h.send(req(2));
    await first;
    h.session.push('<message id="once"/>');
    const original = await second;
    void h.send(req(3));
    assert.match(original.body, /once/);
    assert.deepEqual(await h.send(req(2, '')), original, 'XEP-0124 Example "Response not in buffer error" is for older ones');
    assert.deepEqual(h.inputs, [1, 2, 3], 'the payloads of a retransmission are not forwarded again');
    void h.send(req(4));
    void h.send(req(5));
    await new Promise((r) => setImmediate(r));
    const gone = await h.send(req(1));
    assert.deepEqual(attrsOf(gone), { xmlns: NS, type: 'terminate', condition: 'item-not-found' });
    assert.equal(h.ended(), 1);
  });

  it('gives a request that is still held to its retransmission (the first connection broke)', async () => {
    const h = harness();
    const first = h.start(req(1));
    const lost = h.send(req(2));
    await first;
    const again = h.send(req(2));
    h.session.push('<message id="m"/>');
    assert.match((await again).body, /id="m"/);
    let answered = false;
    void lost.then(() => (answered = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(answered, false);
  });

  it('terminates a rid beyond the window with item-not-found, but allows one more to terminate (§12, §14.2)', async () => {
    const far = harness();
    void far.start(req(10));
    assert.deepEqual(attrsOf(await far.send(req(13))), { xmlns: NS, type: 'terminate', condition: 'item-not-found' });
    assert.equal(far.ended(), 1);

    const ending = harness();
    void ending.start(req(10));
    void ending.send(req(12));
    ending.send(req(13, '', { type: 'terminate' })).catch(() => {});
    assert.equal(ending.ended(), 0);
  });

  it('sends legacy clients (no ver) the HTTP codes of §17.1 instead', async () => {
    const h = harness({ legacy: true });
    void h.start(req(10));
    assert.deepEqual(await h.send(req(20)), { status: 404, body: '' });
  });

  it('keeps the terminate for the next request when the server ends the session with nothing held (§13)', async () => {
    const h = harness({ wait: 0.01 });
    await h.start(req(1));
    h.session.push('<message id="last"/>');
    h.session.close('remote-stream-error', ['<conflict xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>']);
    const r = await h.send(req(2));
    const a = attrsOf(r);
    assert.equal(a.type, 'terminate');
    assert.equal(a.condition, 'remote-stream-error');
    assert.match(r.body, /id="last".*<conflict/);
  });

  it("ends the session after 'inactivity' seconds with no request held (§10)", async () => {
    let done!: () => void;
    const ended = new Promise<void>((r) => (done = r));
    const session = new BoshSession(options({ inactivity: 0.02 }), { input: () => {}, ended: () => done() });
    session.start(req(1), () => {});
    session.push('<message/>');
    await ended;
    assert.equal(session.ended, true);
  });

  it('stops processing while paused (rate limits) and goes on at resume', async () => {
    const h = harness();
    void h.start(req(1));
    h.session.pause();
    void h.send(req(2, '<message id="later"/>'));
    assert.deepEqual(h.inputs, [1]);
    h.session.resume();
    assert.deepEqual(h.inputs, [1, 2]);
  });

  it("answers with the lower of the client's version and ours (§7.2)", () => {
    assert.equal(negotiateVersion('1.6'), '1.6');
    assert.equal(negotiateVersion('1.11'), '1.11');
    assert.equal(negotiateVersion('1.12'), '1.11');
    assert.equal(negotiateVersion('2.0'), '1.11');
    assert.equal(negotiateVersion(undefined), '1.11');
  });
});

describe('BOSH <body/> wrapper (XEP-0124 §4, XEP-0206 §3)', () => {
  it('reads XEP-0124 Example "Transmitting payloads" into standalone stanzas', () => {
    const parsed = parseBody(
      `<body rid='1249243562'
      sid='SomeSID'
      xmlns='http://jabber.org/protocol/httpbind'>
  <message to='contact@example.com'
           xmlns='jabber:client'>
    <body>Good morning!</body>
  </message>
  <message to='friend@example.com'
           xmlns='jabber:client'>
    <body>Hey, what&apos;s up?</body>
  </message>
</body>`,
      10_000,
    );
    assert.ok(typeof parsed !== 'string', String(parsed));
    assert.equal(parsed.attrs.rid, '1249243562');
    const [a, b] = parseXml(`<x>${parsed.payload}</x>`).getChildElements();
    assert.equal(a!.attrs.xmlns, 'jabber:client');
    assert.equal(b!.getChildText('body'), "Hey, what's up?");
  });

  it('qualifies stanzas left in the wrapper namespace as jabber:client and copies prefixes they use', () => {
    const parsed = parseBody(`<?xml version='1.0'?><body rid='1' sid='s' xmlns='${NS}' xmlns:stream='http://etherx.jabber.org/streams' xmlns:xmpp='urn:xmpp:xbosh' xmpp:restart='true'><presence/><stream:error/></body>`, 10_000);
    assert.ok(typeof parsed !== 'string', String(parsed));
    assert.equal(parsed.payload, `<presence xmlns="jabber:client"/><stream:error xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams"/>`);
    assert.equal(xbosh(parsed.attrs, 'restart'), 'true');
  });

  it('refuses character data, comments, partial elements, other roots and more than one body', () => {
    for (const bad of [
      `<body rid='1' xmlns='${NS}'>text</body>`,
      `<body rid='1' xmlns='${NS}'><!-- no --></body>`,
      `<body rid='1' xmlns='${NS}'><message>`,
      `<body rid='1' xmlns='jabber:client'/>`,
      `<body rid='1' xmlns='${NS}'/><body rid='2' xmlns='${NS}'/>`,
      `<!DOCTYPE body><body rid='1' xmlns='${NS}'/>`,
      ``,
    ]) {
      assert.equal(typeof parseBody(bad, 10_000), 'string', bad);
    }
  });

  it('finds the sid and rid of a request it cannot parse', () => {
    assert.deepEqual(peekIds(`<body rid='1249243562' sid="SomeSID" xmlns='${NS}'><message>…`), { sid: 'SomeSID', rid: 1249243562 });
  });
});
