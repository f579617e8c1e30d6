// XEP-0313 Message Archive Management (with XEP-0359 stanza ids and XEP-0441 preferences) from
// outside with @xmpp/client. Examples are numbered as in XEP-0313 0.8 (the last text with the
// examples in this order): 1 the archived message with its stanza-id, 2–4 a query, its results and
// fin, 6 with, 7–8 start/end, 9–11 after-id/before-id/ids, 14–15 the form, 17 two results, 18–22
// paging with RSM, 23 the last page, 24 a flipped page, 25–26 metadata, 28–29 disco; sections likewise.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { resolveConfig } from '../../server/config.js';
import { configSections } from '../../server/core/module.js';
import { MODULES } from '../../server/modules/index.js';
import { connect, next, ping, startTestServer, stopAll, xml, type TestServer, type XmppClient, type XmlElement } from './helpers.js';

const MAM = 'urn:xmpp:mam:2';
const SID = 'urn:xmpp:sid:0';
const RSM = 'http://jabber.org/protocol/rsm';
const FORWARD = 'urn:xmpp:forward:0';
const DATA = 'jabber:x:data';
const HINTS = 'urn:xmpp:hints';
const CARBONS = 'urn:xmpp:carbons:2';
const DOMAIN = 'capulet.lit';
const condition = (e: Error) => (e as Error & { condition?: string }).condition;

interface QueryOpts {
  queryid?: string;
  fields?: Record<string, string | string[]>;
  max?: number;
  after?: string;
  before?: string;
  flip?: boolean;
  to?: string;
}

interface Results {
  results: XmlElement[];
  fin: XmlElement;
  /** The archive ids, in the order the results came. */
  ids: string[];
  /** The forwarded messages' bodies, likewise. */
  bodies: string[];
  complete: boolean;
}

/** A query (§4) and its results: the result messages that came before the IQ result, then <fin/>. */
async function query(c: XmppClient, opts: QueryOpts = {}): Promise<Results> {
  const queryid = opts.queryid ?? `q${Math.random().toString(36).slice(2)}`;
  const form = opts.fields
    ? xml(
        'x',
        { xmlns: DATA, type: 'submit' },
        xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, MAM)),
        ...Object.entries(opts.fields).map(([name, v]) => xml('field', { var: name }, ...(Array.isArray(v) ? v : [v]).map((s) => xml('value', {}, s)))),
      )
    : undefined;
  const paging = [
    ...(opts.max !== undefined ? [xml('max', {}, String(opts.max))] : []),
    ...(opts.after !== undefined ? [xml('after', {}, opts.after)] : []),
    ...(opts.before !== undefined ? [xml('before', {}, opts.before)] : []),
  ];
  const children = [...(form ? [form] : []), ...(paging.length ? [xml('set', { xmlns: RSM }, ...paging)] : []), ...(opts.flip ? [xml('flip-page')] : [])];
  const results: XmlElement[] = [];
  const on = (el: XmlElement) => {
    if (el.is('message') && el.getChild('result', MAM)?.attrs.queryid === queryid) results.push(el);
  };
  c.on('stanza', on);
  try {
    const r = await c.iqCaller.request(xml('iq', { type: 'set', to: opts.to }, xml('query', { xmlns: MAM, queryid }, ...children)));
    const fin = r.getChild('fin', MAM)!;
    assert.ok(fin, 'the IQ result carries <fin/>');
    return {
      results,
      fin,
      ids: results.map((m) => m.getChild('result', MAM)!.attrs.id as string),
      bodies: results.map((m) => forwarded(m).getChildText('body') ?? ''),
      complete: fin.attrs.complete === 'true',
    };
  } finally {
    c.off('stanza', on);
  }
}

/** The archived message inside a result. */
function forwarded(result: XmlElement): XmlElement {
  return result.getChild('result', MAM)!.getChild('forwarded', FORWARD)!.getChild('message')!;
}

const stanzaIds = (el: XmlElement) => el.getChildren('stanza-id', SID);
const chat = (to: string, body: string, ...extra: XmlElement[]) => xml('message', { to, type: 'chat', id: `m${Math.random().toString(36).slice(2)}` }, xml('body', {}, body), ...extra);
const hasBody = (body: string) => (el: XmlElement) => el.is('message') && el.getChildText('body') === body;

describe('XEP-0313 Message Archive Management', function () {
  let srv: TestServer;
  const open: XmppClient[] = [];
  let n = 0;
  /** Fresh accounts for one test (archives are per account): juliet → juliet7@capulet.lit. */
  const cast = async (...names: string[]): Promise<string[]> => {
    n++;
    const jids = names.map((name) => `${name}${n}@${DOMAIN}`);
    for (const j of jids) await srv.users.add(j, 'secret');
    return jids;
  };
  const login = async (jid: string, opts: { resource?: string; sendPresence?: boolean } = {}) => {
    const c = await connect(srv, jid.split('@')[0]!, 'secret', { transport: 'tcp', ...opts });
    open.push(c);
    return c;
  };

  before(async () => {
    srv = await startTestServer({ domain: DOMAIN, components: { port: null } });
  });
  afterEach(async () => {
    await stopAll(...open.splice(0));
  });
  after(() => srv.stop());

  it('is announced on the account, with the extended fields and stanza ids (§7, Examples 28–29)', async () => {
    const [juliet] = await cast('juliet');
    const c = await login(juliet!, { resource: 'balcony' });
    const r = await c.iqCaller.request(xml('iq', { type: 'get', to: juliet, id: 'disco1' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const features = r.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    for (const f of [MAM, `${MAM}#extended`, SID]) assert.ok(features.includes(f), `${f} in ${features.join(' ')}`);
  });

  it('returns the query form with the supported fields, none required (§4.1.5, Examples 14–15)', async () => {
    const [juliet] = await cast('juliet');
    const c = await login(juliet!);
    const r = await c.iqCaller.request(xml('iq', { type: 'get', id: 'form1' }, xml('query', { xmlns: MAM })));
    const form = r.getChild('query', MAM)!.getChild('x', DATA)!;
    assert.equal(form.attrs.type, 'form');
    const fields = form.getChildren('field');
    assert.deepEqual(Object.fromEntries(fields.map((f) => [f.attrs.var, f.attrs.type])), {
      FORM_TYPE: 'hidden',
      with: 'jid-single',
      start: 'text-single',
      end: 'text-single',
      'before-id': 'text-single',
      'after-id': 'text-single',
      ids: 'list-multi',
    });
    assert.equal(fields[0]!.getChildText('value'), MAM);
    assert.ok(fields.every((f) => !f.getChild('required')));
    assert.ok(fields.find((f) => f.attrs.var === 'ids')!.getChild('validate', 'http://jabber.org/protocol/xdata-validate')!.getChild('open'));
  });

  it('archives a chat in both directions and stamps the live copy with the archive id (§3.5 Example 1, §4 Examples 2–4, 17)', async () => {
    const [juliet, romeo] = await cast('juliet', 'romeo');
    const j = await login(juliet!, { resource: 'balcony' });
    const r = await login(romeo!, { resource: 'orchard' });
    const line = "Call me but love, and I'll be new baptized; Henceforth I never will be Romeo.";
    const live = next(j, hasBody(line));
    await r.send(chat(juliet!, line));
    const got = await live;
    const sids = stanzaIds(got);
    assert.equal(sids.length, 1);
    assert.equal(sids[0]!.attrs.by, juliet);
    assert.match(sids[0]!.attrs.id as string, /^[A-Za-z0-9_-]{16}$/);
    const answer = 'What man art thou that thus bescreen\u2019d in night so stumblest on my counsel?';
    await j.send(chat(`${romeo}/orchard`, answer));
    await next(r, hasBody(answer));

    const mine = await query(j, { queryid: 'f27' });
    assert.deepEqual(mine.bodies, [line, answer]);
    assert.equal(mine.ids[0], sids[0]!.attrs.id, 'the stanza-id is the archive id');
    for (const m of mine.results) {
      assert.equal(m.attrs.to, `${juliet}/balcony`, 'results go to the requesting resource');
      assert.ok(m.attrs.from === undefined || m.attrs.from === juliet, 'results come from the archive');
      const result = m.getChild('result', MAM)!;
      assert.equal(result.attrs.queryid, 'f27');
      const delay = result.getChild('forwarded', FORWARD)!.getChild('delay', 'urn:xmpp:delay')!;
      assert.ok(Math.abs(Date.parse(delay.attrs.stamp as string) - Date.now()) < 60_000);
    }
    const incoming = forwarded(mine.results[0]!);
    assert.equal(incoming.attrs.xmlns, 'jabber:client');
    assert.deepEqual([incoming.attrs.from, incoming.attrs.to, incoming.attrs.type], [`${romeo}/orchard`, juliet, 'chat']);
    const outgoing = forwarded(mine.results[1]!);
    assert.deepEqual([outgoing.attrs.from, outgoing.attrs.to], [`${juliet}/balcony`, `${romeo}/orchard`]);
    assert.equal(mine.complete, true);
    const set = mine.fin.getChild('set', RSM)!;
    assert.equal(set.getChildText('first'), mine.ids[0]);
    assert.equal(set.getChild('first')!.attrs.index, '0');
    assert.equal(set.getChildText('last'), mine.ids[1]);
    assert.equal(set.getChildText('count'), '2');

    // Romeo's own archive: the same conversation, under its own ids.
    const his = await query(r);
    assert.deepEqual(his.bodies, [line, answer]);
    assert.ok(!his.ids.includes(mine.ids[0]!) && !his.ids.includes(mine.ids[1]!));
  });

  it('archives messages for an offline user, and the offline copy carries the archive id', async () => {
    const [juliet, romeo] = await cast('juliet', 'romeo');
    const r = await login(romeo!);
    await r.send(chat(juliet!, 'Wherefore art thou?'));
    await ping(r);
    const j = await login(juliet!, { sendPresence: false });
    const offline = next(j, hasBody('Wherefore art thou?'));
    await j.send(xml('presence'));
    const got = await offline;
    assert.ok(got.getChild('delay', 'urn:xmpp:delay'), 'delivered from offline storage');
    const sid = stanzaIds(got);
    assert.equal(sid.length, 1);
    const mine = await query(j);
    assert.deepEqual(mine.ids, [sid[0]!.attrs.id]);
    assert.deepEqual((await query(r)).bodies, ['Wherefore art thou?']);
  });

  it('keeps call proposals (XEP-0353) and <store/> hints; not chat states, receipts, <no-store/>, headlines, groupchat or errors', async () => {
    const [juliet, romeo] = await cast('juliet', 'romeo');
    const j = await login(juliet!);
    const r = await login(romeo!);
    const propose = xml(
      'message',
      { to: juliet, type: 'chat', id: 'jmi1' },
      xml('propose', { xmlns: 'urn:xmpp:jingle-message:0', id: 'call1' }, xml('description', { xmlns: 'urn:xmpp:jingle:apps:rtp:1', media: 'audio' })),
      xml('store', { xmlns: HINTS }),
    );
    const retract = xml('message', { to: juliet, type: 'chat', id: 'jmi2' }, xml('retract', { xmlns: 'urn:xmpp:jingle-message:0', id: 'call1' }));
    const hinted = xml('message', { to: juliet, type: 'chat', id: 'hint1' }, xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: 'x' }), xml('store', { xmlns: HINTS }));
    const skipped = [
      xml('message', { to: juliet, type: 'chat', id: 'cs1' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })),
      xml('message', { to: juliet, type: 'chat', id: 'rc1' }, xml('received', { xmlns: 'urn:xmpp:receipts', id: 'm1' })),
      xml('message', { to: juliet, type: 'chat', id: 'ns1' }, xml('body', {}, 'forget me'), xml('no-store', { xmlns: HINTS })),
      xml('message', { to: juliet, type: 'chat', id: 'np1' }, xml('body', {}, 'forget me too'), xml('no-permanent-store', { xmlns: HINTS })),
      xml('message', { to: juliet, type: 'headline', id: 'hl1' }, xml('body', {}, 'news')),
      xml('message', { to: juliet, type: 'error', id: 'er1' }, xml('body', {}, 'oops'), xml('error', { type: 'cancel' }, xml('undefined-condition', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }))),
    ];
    const live = next(j, (el) => el.attrs.id === 'jmi1');
    for (const m of [...skipped, propose, retract, hinted]) await r.send(m);
    const got = await live;
    await ping(r);
    await ping(j);
    assert.equal(stanzaIds(got).length, 1, 'the proposal is stamped');
    const mine = await query(j);
    assert.deepEqual(mine.results.map((m) => forwarded(m).attrs.id), ['jmi1', 'jmi2', 'hint1']);
    assert.equal(mine.ids[0], stanzaIds(got)[0]!.attrs.id);
    const his = await query(r);
    assert.deepEqual(his.results.map((m) => forwarded(m).attrs.id), ['jmi1', 'jmi2', 'hint1'], 'outgoing likewise');
    // A normal message with a body is a conversation too; a groupchat message is not (and is refused).
    await r.send(xml('message', { to: juliet, id: 'nm1' }, xml('body', {}, 'a normal message')));
    await r.send(xml('message', { to: juliet, type: 'groupchat', id: 'gc1' }, xml('body', {}, 'to the room')));
    await ping(r);
    assert.deepEqual((await query(j)).results.map((m) => forwarded(m).attrs.id), ['jmi1', 'jmi2', 'hint1', 'nm1']);
  });

  it('archives no blocked message, in either direction (§6.1, XEP-0191)', async () => {
    const [juliet, romeo, tybalt] = await cast('juliet', 'romeo', 'tybalt');
    const j = await login(juliet!);
    const r = await login(romeo!);
    const t = await login(tybalt!);
    await j.iqCaller.request(xml('iq', { type: 'set' }, xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: tybalt }))));
    await t.send(chat(juliet!, 'a blocked insult'));
    await j.send(chat(tybalt!, 'a message to a blocked contact'));
    const live = next(j, hasBody('from Romeo'));
    await r.send(chat(juliet!, 'from Romeo'));
    await live;
    await ping(t);
    assert.deepEqual((await query(j)).bodies, ['from Romeo']);
    // Tybalt did send his: it is in his own archive, refused by Juliet's server.
    assert.deepEqual((await query(t)).bodies, ['a blocked insult']);
  });

  it('puts the archive id on carbons: received copies, and sent copies under the sender\u2019s id only (§3.5)', async () => {
    const [juliet, romeo] = await cast('juliet', 'romeo');
    const balcony = await login(juliet!, { resource: 'balcony' });
    const chamber = await login(juliet!, { resource: 'chamber' });
    const r = await login(romeo!, { resource: 'orchard' });
    await chamber.iqCaller.request(xml('iq', { type: 'set' }, xml('enable', { xmlns: CARBONS })));
    const copy = next(chamber, (el) => !!el.getChild('received', CARBONS));
    await r.send(chat(`${juliet}/balcony`, 'to the balcony'));
    const inner = (await copy).getChild('received', CARBONS)!.getChild('forwarded', FORWARD)!.getChild('message')!;
    const [archived] = (await query(balcony)).ids;
    assert.deepEqual(stanzaIds(inner).map((s) => [s.attrs.by, s.attrs.id]), [[juliet, archived]]);

    const sent = next(chamber, (el) => !!el.getChild('sent', CARBONS));
    const delivered = next(r, hasBody('from the balcony'));
    await balcony.send(chat(romeo!, 'from the balcony'));
    const sentInner = (await sent).getChild('sent', CARBONS)!.getChild('forwarded', FORWARD)!.getChild('message')!;
    const atRomeo = await delivered;
    const mine = await query(balcony);
    assert.deepEqual(stanzaIds(sentInner).map((s) => [s.attrs.by, s.attrs.id]), [[juliet, mine.ids[1]]]);
    // Romeo sees only his own archive's id, never Juliet's.
    const hisIds = (await query(r)).ids;
    assert.deepEqual(stanzaIds(atRomeo).map((s) => [s.attrs.by, s.attrs.id]), [[romeo, hisIds[1]]]);
  });

  it('removes a stanza-id claiming to be the recipient\u2019s archive (XEP-0359 §3.1)', async () => {
    const [juliet, romeo] = await cast('juliet', 'romeo');
    const j = await login(juliet!);
    const r = await login(romeo!);
    const live = next(j, hasBody('forged'));
    await r.send(chat(juliet!, 'forged', xml('stanza-id', { xmlns: SID, by: juliet, id: 'fake' }), xml('stanza-id', { xmlns: SID, by: 'elsewhere.example', id: 'other' })));
    const got = await live;
    const ours = stanzaIds(got).filter((s) => s.attrs.by === juliet);
    assert.equal(ours.length, 1);
    assert.notEqual(ours[0]!.attrs.id, 'fake');
    assert.ok(stanzaIds(got).some((s) => s.attrs.by === 'elsewhere.example'), 'others\u2019 ids are left alone');
    const mine = await query(j);
    assert.deepEqual(mine.ids, [ours[0]!.attrs.id]);
    const stored = forwarded(mine.results[0]!);
    assert.ok(!stanzaIds(stored).some((s) => s.attrs.id === 'fake'), 'the forged id is not archived either');
  });

  describe('paging 500 messages', function () {
    let juliet: string;
    let j: XmppClient;
    let all: string[];
    before(async () => {
      const [jj, romeo] = await cast('juliet', 'romeo');
      juliet = jj!;
      const r = await connect(srv, romeo!.split('@')[0]!, 'secret', { transport: 'tcp' });
      j = await connect(srv, juliet.split('@')[0]!, 'secret', { transport: 'tcp' });
      const last = next(j, hasBody('line 499'), 20_000);
      await Promise.all(Array.from({ length: 500 }, (_, i) => r.send(chat(juliet, `line ${i}`))));
      await last;
      await stopAll(r);
      all = Array.from({ length: 500 }, (_, i) => `line ${i}`);
    });
    after(() => stopAll(j));

    it('pages forwards with <after/>: no gap, no duplicate, complete on the last page only (Examples 18–20, 22)', async () => {
      const bodies: string[] = [];
      const ids = new Set<string>();
      let after: string | undefined;
      let pages = 0;
      for (;;) {
        const page = await query(j, { max: 70, ...(after !== undefined ? { after } : {}) });
        pages++;
        bodies.push(...page.bodies);
        for (const id of page.ids) ids.add(id);
        const set = page.fin.getChild('set', RSM)!;
        assert.equal(set.getChildText('count'), '500');
        assert.equal(set.getChild('first')!.attrs.index, String((pages - 1) * 70));
        assert.equal(set.getChildText('last'), page.ids[page.ids.length - 1]);
        if (page.complete) break;
        assert.equal(page.ids.length, 70);
        after = set.getChildText('last')!;
        assert.ok(pages < 20);
      }
      assert.equal(pages, 8);
      assert.deepEqual(bodies, all);
      assert.equal(ids.size, 500);
    });

    it('pages backwards from the last page with <before/>: no gap, no duplicate (Example 23)', async () => {
      const pages: string[][] = [];
      let before = '';
      for (;;) {
        const page = await query(j, { max: 120, before });
        pages.unshift(page.bodies);
        if (page.complete) break;
        assert.equal(page.ids.length, 120);
        before = page.ids[0]!;
        assert.ok(pages.length < 20);
      }
      assert.equal(pages.length, 5);
      assert.deepEqual(pages[pages.length - 1], all.slice(380), 'the last page holds the newest, oldest first');
      assert.deepEqual(pages.flat(), all);
    });

    it('limits a page to 50 by default and to 250 at most; max 0 counts only (§4.3.1)', async () => {
      const dflt = await query(j);
      assert.equal(dflt.ids.length, 50);
      assert.equal(dflt.complete, false);
      const big = await query(j, { max: 1000 });
      assert.equal(big.ids.length, 250);
      assert.equal(big.complete, false);
      const none = await query(j, { max: 0 });
      assert.equal(none.ids.length, 0);
      assert.equal(none.fin.getChild('set', RSM)!.getChildText('count'), '500');
    });

    it('takes the ids between after-id and before-id, and single items by id (Examples 9–11), and flips a page (Example 24)', async () => {
      const firstPage = await query(j, { max: 250 });
      const ids = firstPage.ids;
      const between = await query(j, { fields: { 'after-id': ids[10]!, 'before-id': ids[20]! } });
      assert.deepEqual(between.bodies, all.slice(11, 20));
      assert.equal(between.complete, true);
      const paged = await query(j, { fields: { 'after-id': ids[10]!, 'before-id': ids[200]! }, max: 5 });
      assert.deepEqual(paged.bodies, all.slice(11, 16));
      assert.equal(paged.complete, false);
      const lastOfRange = await query(j, { fields: { 'after-id': ids[10]!, 'before-id': ids[200]! }, max: 5, before: '' });
      assert.deepEqual(lastOfRange.bodies, all.slice(195, 200), 'the last page before before-id');
      const after = await query(j, { fields: { 'after-id': ids[247]! }, max: 2 });
      assert.deepEqual(after.bodies, all.slice(248, 250));
      const picked = await query(j, { fields: { ids: [ids[3]!, ids[7]!] } });
      assert.deepEqual(picked.bodies, ['line 3', 'line 7']);
      const flipped = await query(j, { max: 3, after: ids[4]!, flip: true });
      assert.deepEqual(flipped.bodies, ['line 7', 'line 6', 'line 5'], 'the same page, newest first');
      assert.equal(flipped.fin.getChild('set', RSM)!.getChildText('first'), ids[5], 'first and last are still in archive order');
    });

    it('answers item-not-found for an unknown id in <after/>, <before/>, after-id, before-id or ids (Example 21)', async () => {
      const cases: QueryOpts[] = [{ after: 'nonexistent' }, { before: 'nonexistent' }, { fields: { 'after-id': 'nonexistent' } }, { fields: { 'before-id': 'nonexistent' } }, { fields: { ids: ['nonexistent'] } }];
      for (const opts of cases) {
        await assert.rejects(query(j, opts), (e: Error) => condition(e) === 'item-not-found', JSON.stringify(opts));
      }
    });

    it('returns the archive\u2019s first and last items as metadata (§5, Examples 25–26)', async () => {
      const r = await j.iqCaller.request(xml('iq', { type: 'get', id: 'jui8921rr9' }, xml('metadata', { xmlns: MAM })));
      const md = r.getChild('metadata', MAM)!;
      const [first] = (await query(j, { max: 1 })).ids;
      const [last] = (await query(j, { max: 1, before: '' })).ids;
      assert.equal(md.getChild('start')!.attrs.id, first);
      assert.equal(md.getChild('end')!.attrs.id, last);
      assert.ok(!Number.isNaN(Date.parse(md.getChild('end')!.attrs.timestamp as string)));
    });
  });

  it('returns empty metadata for an empty archive', async () => {
    const [juliet] = await cast('juliet');
    const j = await login(juliet!);
    const r = await j.iqCaller.request(xml('iq', { type: 'get' }, xml('metadata', { xmlns: MAM })));
    assert.equal(r.getChild('metadata', MAM)!.children.length, 0);
  });

  it('filters by with, bare or full, and by start and end (§4.1.1 Example 6, §4.1.2 Examples 7–8)', async () => {
    const [juliet, romeo, nurse] = await cast('juliet', 'romeo', 'nurse');
    const j = await login(juliet!);
    const orchard = await login(romeo!, { resource: 'orchard' });
    const garden = await login(romeo!, { resource: 'garden' });
    const nu = await login(nurse!);
    const before = new Date(Date.now() - 1000).toISOString();
    for (const [c, body] of [[orchard, 'from the orchard'], [nu, 'from the nurse'], [garden, 'from the garden']] as const) {
      const live = next(j, hasBody(body));
      await c.send(chat(juliet!, body));
      await live;
    }
    await j.send(chat(`${romeo}/garden`, 'to the garden'));
    await ping(j);
    assert.deepEqual((await query(j, { fields: { with: romeo! } })).bodies, ['from the orchard', 'from the garden', 'to the garden']);
    assert.deepEqual((await query(j, { fields: { with: `${romeo}/garden` } })).bodies, ['from the garden', 'to the garden']);
    const full = await query(j, { fields: { with: `${romeo}/garden` }, max: 1 });
    assert.deepEqual([full.bodies, full.complete], [['from the garden'], false]);
    assert.deepEqual((await query(j, { fields: { with: `${romeo}/garden` }, max: 1, after: full.ids[0]! })).bodies, ['to the garden']);
    assert.deepEqual((await query(j, { fields: { with: nurse! } })).bodies, ['from the nurse']);
    assert.equal((await query(j, { fields: { start: before } })).ids.length, 4);
    assert.equal((await query(j, { fields: { start: new Date(Date.now() + 60_000).toISOString() } })).ids.length, 0);
    assert.equal((await query(j, { fields: { start: '2010-06-07T00:00:00Z', end: '2010-07-07T13:23:54Z' } })).ids.length, 0);
    assert.equal((await query(j, { fields: { end: new Date(Date.now() + 60_000).toISOString(), with: nurse! } })).ids.length, 1);
    await assert.rejects(query(j, { fields: { start: 'yesterday' } }), (e: Error) => condition(e) === 'bad-request');
    await assert.rejects(query(j, { fields: { 'include-groupchat': 'true' } }), (e: Error) => condition(e) === 'feature-not-implemented', '§4.1.5: an unknown field');
  });

  it('lets only the owner query an archive (§8.1: forbidden)', async () => {
    const [juliet, romeo] = await cast('juliet', 'romeo');
    const r = await login(romeo!);
    await assert.rejects(query(r, { to: juliet }), (e: Error) => condition(e) === 'forbidden');
    await assert.rejects(r.iqCaller.request(xml('iq', { type: 'get', to: juliet }, xml('prefs', { xmlns: MAM }))), (e: Error) => condition(e) === 'forbidden');
  });

  it('follows the preferences: default never, always for a JID, roster (XEP-0441)', async () => {
    const [juliet, romeo, nurse] = await cast('juliet', 'romeo', 'nurse');
    const j = await login(juliet!);
    const r = await login(romeo!);
    const nu = await login(nurse!);
    const prefs = (c: XmppClient, attrs: Record<string, string>, always: string[] = [], never: string[] = []) =>
      c.iqCaller.request(
        xml('iq', { type: 'set' }, xml('prefs', { xmlns: MAM, ...attrs }, xml('always', {}, ...always.map((a) => xml('jid', {}, a))), xml('never', {}, ...never.map((a) => xml('jid', {}, a))))),
      );
    const get = await j.iqCaller.request(xml('iq', { type: 'get' }, xml('prefs', { xmlns: MAM })));
    assert.equal(get.getChild('prefs', MAM)!.attrs.default, 'always', 'the configured default');

    const set = await prefs(j, { default: 'never' }, [nurse!]);
    const echoed = set.getChild('prefs', MAM)!;
    assert.equal(echoed.attrs.default, 'never');
    assert.deepEqual(echoed.getChild('always')!.getChildren('jid').map((e) => e.getText()), [nurse]);
    const send = async (from: XmppClient, body: string): Promise<XmlElement> => {
      const live = next(j, hasBody(body));
      await from.send(chat(juliet!, body));
      return live;
    };
    const unarchived = await send(r, 'not kept');
    assert.equal(stanzaIds(unarchived).length, 0, 'nothing archived, nothing stamped');
    await send(nu, 'kept: the nurse is always');
    await j.send(chat(romeo!, 'not kept either'));
    await ping(j);
    assert.deepEqual((await query(j)).bodies, ['kept: the nurse is always']);
    assert.equal((await query(r)).ids.length, 2, 'Romeo\u2019s own archive is his business');

    // always, but never for Romeo
    await prefs(j, { default: 'always' }, [], [romeo!]);
    await send(r, 'still not kept');
    await send(nu, 'kept again');
    assert.deepEqual((await query(j)).bodies, ['kept: the nurse is always', 'kept again']);

    // roster: only contacts in the roster
    await prefs(j, { default: 'roster' }, [], []);
    await j.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: romeo }))));
    await send(r, 'kept: Romeo is in the roster');
    await send(nu, 'not kept: the nurse is not');
    const after = await j.iqCaller.request(xml('iq', { type: 'get' }, xml('prefs', { xmlns: MAM })));
    assert.equal(after.getChild('prefs', MAM)!.attrs.default, 'roster');
    assert.deepEqual((await query(j)).bodies, ['kept: the nurse is always', 'kept again', 'kept: Romeo is in the roster']);
    await assert.rejects(prefs(j, { default: 'sometimes' }), (e: Error) => condition(e) === 'bad-request');
  });

  it('deletes the archive with the account', async () => {
    const [juliet, romeo] = await cast('juliet', 'romeo');
    const j = await login(juliet!);
    const r = await login(romeo!);
    const live = next(j, hasBody('soon gone'));
    await r.send(chat(juliet!, 'soon gone'));
    await live;
    const user = juliet!.split('@')[0]!;
    assert.equal(srv.server.storage.modules.query('mam', user, { max: 10 }).count, 1);
    assert.equal(await srv.users.remove(juliet!), true);
    assert.equal(srv.server.storage.modules.query('mam', user, { max: 10 }).count, 0);
    await srv.users.add(juliet!, 'secret');
    const again = await login(juliet!);
    assert.deepEqual((await query(again)).ids, []);
    assert.equal((await query(r)).ids.length, 1, 'the other party keeps its own');
  });
});

describe('XEP-0313 archive retention (mam.retentionDays)', function () {
  it('removes items older than the retention at start, and keeps the rest', async () => {
    const first = await startTestServer({ domain: DOMAIN, components: { port: null } });
    const dataDir = first.dataDir;
    await first.users.add(`juliet@${DOMAIN}`, 'secret');
    await first.users.add(`romeo@${DOMAIN}`, 'secret');
    const j = await connect(first, 'juliet', 'secret', { transport: 'tcp' });
    const r = await connect(first, 'romeo', 'secret', { transport: 'tcp' });
    const live = next(j, hasBody('recent'));
    await r.send(chat(`juliet@${DOMAIN}`, 'recent'));
    await live;
    await stopAll(j, r);
    // An item from 40 days ago, as if it had been archived then.
    const old = Date.now() - 40 * 86_400_000;
    first.server.storage.modules.append('mam', 'juliet', { id: 'old1', ts: old, with: `romeo@${DOMAIN}`, xml: `<message from='romeo@${DOMAIN}/x' to='juliet@${DOMAIN}' type='chat'><body>old</body></message>` });
    assert.equal(first.server.storage.modules.query('mam', 'juliet', { max: 10 }).count, 2);
    await first.close();

    const second = await startTestServer({ domain: DOMAIN, components: { port: null }, dataDir, mam: { retentionDays: 30 } } as Parameters<typeof startTestServer>[0]);
    try {
      const j2 = await connect(second, 'juliet', 'secret', { transport: 'tcp' });
      const got = await query(j2);
      assert.deepEqual(got.bodies, ['recent']);
      await stopAll(j2);
    } finally {
      await second.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a wrong setting', () => {
    const sections = configSections(MODULES);
    assert.deepEqual(resolveConfig({}, undefined, undefined, sections).modules.mam, { default: 'always', retentionDays: 365 });
    assert.throws(() => resolveConfig({ mam: { default: 'sometimes' } }, undefined, undefined, sections), /mam\.default/);
    assert.throws(() => resolveConfig({ mam: { retentionDays: -1 } }, undefined, undefined, sections), /mam\.retentionDays/);
    assert.throws(() => resolveConfig({ mam: { keep: true } }, undefined, undefined, sections), /mam\.keep/);
  });
});
