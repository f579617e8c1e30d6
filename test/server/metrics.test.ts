// The operator's /metrics (docs/configuration.md): Prometheus text format on a loopback listener of
// its own. Scraped before and after things happen; the counters and gauges move accordingly.
import assert from 'node:assert/strict';
import { freePortRange } from '../support/ports.js';
import { untilValue } from '../support/until.js';
import { connect, next, ping, startTestServer, stopAll, xml, type TestServer, type XmppClient } from './helpers.js';
import { RawConnection } from './raw.js';

type Samples = Map<string, number>;

/**
 * Parses the text exposition format (version 0.0.4): every sample's metric has its # HELP and
 * # TYPE first, counters are named *_total; returns samples keyed `name{labels as written}`.
 */
function parse(text: string): Samples {
  const out: Samples = new Map();
  const typed = new Map<string, string>();
  const helped = new Set<string>();
  assert.ok(text.endsWith('\n'), 'ends with a line feed');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (m) {
      if (m[1] === 'TYPE') {
        assert.match(m[3]!, /^(counter|gauge)$/, line);
        typed.set(m[2]!, m[3]!);
      } else helped.add(m[2]!);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+]+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const [, name, labels, value] = m;
    assert.ok(helped.has(name!) && typed.has(name!), `${name} without # HELP and # TYPE first`);
    if (typed.get(name!) === 'counter') assert.match(name!, /_total$/);
    out.set(`${name}${labels ?? ''}`, Number(value));
  }
  return out;
}

describe('/metrics', function () {
  this.timeout(30_000);
  let srv: TestServer;
  let alice: XmppClient | undefined;
  let bob: XmppClient | undefined;
  before(async () => {
    srv = await startTestServer({
      metrics: { port: 0 },
      limits: { maxStanzaBytes: 20_000 },
      call: { enabled: true, media: { ...(await freePortRange(20)), publicAddress: null } },
    });
    for (const u of ['alice', 'bob', 'carol']) await srv.users.add(`${u}@localhost`, 'secret');
  });
  after(async () => {
    await stopAll(alice, bob);
    await srv.stop();
  });

  async function scrape(): Promise<Samples> {
    const res = await fetch(`http://127.0.0.1:${srv.ports.metrics}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    return parse(await res.text());
  }
  const get = (s: Samples, key: string): number => {
    const v = s.get(key);
    assert.ok(v !== undefined, `no sample ${key}`);
    return v;
  };

  it('listens on loopback only, on a port of its own, and serves nothing else', async () => {
    assert.equal(srv.config.metrics.listen, '127.0.0.1');
    assert.notEqual(srv.ports.metrics, null);
    assert.equal((await fetch(`http://127.0.0.1:${srv.ports.metrics}/`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${srv.ports.metrics}/metrics`, { method: 'POST' })).status, 405);
    // Not on the public HTTP port.
    const web = await fetch(`http://127.0.0.1:${srv.ports.http}/metrics`);
    assert.doesNotMatch(await web.text(), /carillon_/);
  });

  it('counts sessions by transport, and stanzas in and out', async () => {
    const before = await scrape();
    assert.equal(get(before, 'carillon_sessions{transport="c2s_tcp"}'), 0);
    assert.equal(get(before, 'carillon_sessions{transport="c2s_websocket"}'), 0);
    assert.equal(get(before, 'carillon_sessions{transport="c2s_bosh"}'), 0);
    assert.equal(get(before, 'carillon_sessions{transport="component"}'), 1, 'the call service');
    assert.equal(get(before, 'carillon_sessions{transport="s2s_in"}'), 0);
    assert.equal(get(before, 'carillon_sessions{transport="s2s_out"}'), 0);

    alice = await connect(srv, 'alice', 'secret', { transport: 'websocket' });
    bob = await connect(srv, 'bob', 'secret', { transport: 'tcp' });
    const got = next(bob, (el) => el.getChildText('body') === 'counted');
    for (let i = 0; i < 10; i++) await alice.send(xml('message', { to: 'bob@localhost', type: 'chat' }, xml('body', {}, i === 9 ? 'counted' : `${i}`)));
    await got;
    const after = await scrape();
    assert.equal(get(after, 'carillon_sessions{transport="c2s_tcp"}'), 1);
    assert.equal(get(after, 'carillon_sessions{transport="c2s_websocket"}'), 1);
    assert.equal(get(after, 'carillon_sessions{transport="c2s_bosh"}'), 0, 'WebSocket sessions are not counted as BOSH');
    const d = (key: string) => get(after, key) - get(before, key);
    assert.ok(d('carillon_stanzas_total{stream="c2s",direction="in"}') >= 10, 'stanzas in');
    assert.ok(d('carillon_stanzas_total{stream="c2s",direction="out"}') >= 10, 'stanzas out');
  });

  it('reports the offline store', async () => {
    const before = await scrape();
    await alice!.send(xml('message', { to: 'carol@localhost', type: 'chat' }, xml('body', {}, 'for later')));
    await alice!.send(xml('message', { to: 'carol@localhost', type: 'chat' }, xml('body', {}, 'and this')));
    await ping(alice!);
    const after = await scrape();
    assert.equal(get(after, 'carillon_offline_messages') - get(before, 'carillon_offline_messages'), 2);
    assert.ok(get(after, 'carillon_offline_bytes') > get(before, 'carillon_offline_bytes') + 2 * 'for later'.length);
    assert.equal(get(before, 'carillon_offline_messages_max'), 0);
    assert.equal(get(after, 'carillon_offline_messages_max'), 2, "carol's queue is the largest");
  });

  it('counts rate-limit pauses, and shows the streams paused now', async () => {
    // The default limits.c2s: 10 KiB/s with 2 s of burst; 30 kB at once is 1 s over it.
    const before = await scrape();
    assert.equal(get(before, 'carillon_streams_rate_limited{stream="c2s"}'), 0);
    const raw = await RawConnection.open(srv.ports.c2s!);
    await raw.login('carol', 'secret', 'hasty');
    const body = 'B'.repeat(9_000);
    raw.send(Array.from({ length: 3 }, (_, i) => `<message to='nobody@localhost' id='hasty${i}'><body>${body}</body></message>`).join(''));
    // The pause has no event of its own to wait for: scrape until it shows (bounded).
    const paused = await untilValue(scrape, (s) => get(s, 'carillon_streams_rate_limited{stream="c2s"}') === 1, 'a paused stream', 10_000);
    const d = (s: Samples, key: string) => get(s, key) - get(before, key);
    assert.ok(d(paused, 'carillon_rate_limit_pauses_total{stream="c2s"}') >= 1);
    // Reading resumes once the debt is repaid; a ping answered shows all three messages were read.
    raw.send(`<iq type='get' id='after-pause'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await raw.waitFor(/id="after-pause"/, 10_000);
    const resumed = await scrape();
    assert.equal(get(before, 'carillon_streams_rate_limited{stream="c2s"}'), 0, 'no stream paused before');
    raw.end();
  });

  it('counts streams closed for policy, and shows timeouts from 0', async () => {
    const before = await scrape();
    assert.equal(get(before, 'carillon_streams_closed_total{stream="c2s",condition="connection-timeout"}'), 0);
    const raw = await RawConnection.open(srv.ports.c2s!);
    await raw.login('carol', 'secret');
    raw.send(`<message to='alice@localhost'><body>${'A'.repeat(30_000)}</body></message>`);
    await raw.waitFor(/<policy-violation/);
    await raw.waitClosed();
    const after = await scrape();
    assert.equal(get(after, 'carillon_streams_closed_total{stream="c2s",condition="policy-violation"}') - get(before, 'carillon_streams_closed_total{stream="c2s",condition="policy-violation"}'), 1);
  });

  it('shows hibernating sessions and what became of unacknowledged stanzas', async () => {
    const before = await scrape();
    const raw = await RawConnection.open(srv.ports.c2s!);
    await raw.login('carol', 'secret', 'sleepy');
    raw.send(`<enable xmlns='urn:xmpp:sm:3' resume='true'/>`);
    await raw.waitFor(/<enabled /);
    raw.send(`<presence/>`);
    await raw.waitFor(/<presence/);
    raw.end();
    await raw.waitClosed();
    // The server notices the drop when the socket closes on its side: scrape until it has (bounded).
    let s = await scrape();
    for (let i = 0; i < 50 && get(s, 'carillon_sessions_hibernating') === 0; i++) {
      await ping(alice!);
      s = await scrape();
    }
    assert.equal(get(s, 'carillon_sessions_hibernating'), 1);

    // A session without resumption that ends with a message unread: it goes to bob's other resource.
    const plain = await RawConnection.open(srv.ports.c2s!);
    await plain.login('bob', 'secret', 'unread');
    plain.send(`<enable xmlns='urn:xmpp:sm:3'/>`);
    await plain.waitFor(/<enabled /);
    await alice!.send(xml('message', { to: 'bob@localhost/unread', type: 'chat', id: 'unread' }, xml('body', {}, 'not acked')));
    await plain.waitFor(/id="unread"/);
    const copy = next(bob!, (el) => el.attrs.id === 'unread');
    plain.end();
    await copy;
    const after = await scrape();
    assert.equal(get(after, 'carillon_unacked_stanzas_total{outcome="message"}') - get(before, 'carillon_unacked_stanzas_total{outcome="message"}'), 1);
  });

  it('reports call rooms and participants', async () => {
    const before = await scrape();
    assert.equal(get(before, 'carillon_call_participants'), 0);
    const rooms = get(before, 'carillon_call_rooms');
    const joined = next(alice!, (el) => el.is('presence') && el.attrs.from === 'metrics@call.localhost/alice');
    await alice!.send(xml('presence', { to: 'metrics@call.localhost/alice' }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    await joined;
    const after = await scrape();
    assert.equal(get(after, 'carillon_call_rooms'), rooms + 1);
    assert.equal(get(after, 'carillon_calls'), 0);
  });
});
