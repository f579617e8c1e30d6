// Personal Eventing Protocol (XEP-0163) on the XEP-0060 subset clients use, between independent
// clients (@xmpp/client) that advertise XEP-0115 capabilities and answer the server's disco#info.
// Fixtures are the XEPs' own examples: Juliet's tune (XEP-0163 §1.2), a nickname (XEP-0172),
// avatar metadata (XEP-0084), bookmarks (XEP-0402), and the capabilities of XEP-0115 §5.2, §5.3.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verificationString, verifyCaps } from '../../xmpp/caps.js';
import { applyPublishOptions, DEFAULT_CONFIG } from '../../server/modules/pep/config.js';
import { openSqliteStorage } from '../../server/storage/sqlite.js';
import { parseXml } from '../../xmpp/xml.js';
import { collect, connect, next, ping, startTestServer, stopAll, xml, type TestServer, type XmppClient, type XmlElement } from './helpers.js';

const PUBSUB = 'http://jabber.org/protocol/pubsub';
const OWNER = 'http://jabber.org/protocol/pubsub#owner';
const EVENT = 'http://jabber.org/protocol/pubsub#event';
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const CAPS = 'http://jabber.org/protocol/caps';
const TUNE = 'http://jabber.org/protocol/tune';
const NICK = 'http://jabber.org/protocol/nick';
const AVATAR_META = 'urn:xmpp:avatar:metadata';
const BOOKMARKS = 'urn:xmpp:bookmarks:1';
const MICROBLOG = 'urn:xmpp:microblog:0';

// XEP-0115 §5.2 and §5.3.
const SIMPLE = `<query xmlns='http://jabber.org/protocol/disco#info' node='http://code.google.com/p/exodus#QgayPKawpkPSDYmwT/WM94uAlu0='>
  <identity category='client' name='Exodus 0.9.1' type='pc'/>
  <feature var='http://jabber.org/protocol/caps'/>
  <feature var='http://jabber.org/protocol/disco#info'/>
  <feature var='http://jabber.org/protocol/disco#items'/>
  <feature var='http://jabber.org/protocol/muc'/>
</query>`;
const COMPLEX = `<query xmlns='http://jabber.org/protocol/disco#info' node='http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w='>
  <identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>
  <identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>
  <feature var='http://jabber.org/protocol/caps'/>
  <feature var='http://jabber.org/protocol/disco#info'/>
  <feature var='http://jabber.org/protocol/disco#items'/>
  <feature var='http://jabber.org/protocol/muc'/>
  <x xmlns='jabber:x:data' type='result'>
    <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
    <field var='ip_version' type='text-multi'><value>ipv4</value><value>ipv6</value></field>
    <field var='os'><value>Mac</value></field>
    <field var='os_version'><value>10.5.1</value></field>
    <field var='software'><value>Psi</value></field>
    <field var='software_version'><value>0.11</value></field>
  </x>
</query>`;

// XEP-0163 §1.2 Example 1: Juliet publishes what she is listening to.
const tune = () =>
  xml(
    'tune',
    { xmlns: TUNE },
    xml('artist', {}, 'Gerald Finzi'),
    xml('length', {}, '255'),
    xml('source', {}, 'Music for "Love\'s Labors Lost" (Suite for small orchestra)'),
    xml('title', {}, 'Introduction (Allegro vigoroso)'),
    xml('track', {}, '1'),
  );
// XEP-0172 §4.5 Example 3 and XEP-0084 §4.2 Example 3.
const nick = (n: string) => xml('nick', { xmlns: NICK }, n);
const avatarMeta = () =>
  xml('metadata', { xmlns: AVATAR_META }, xml('info', { bytes: '12345', id: '111f4b3c50d7b0df729d299bc6f8e9ef9066971f', height: '64', type: 'image/png', width: '64' }));
// XEP-0402 §3.3 Example 3.
const bookmark = (name: string) =>
  xml('conference', { xmlns: BOOKMARKS, name, autojoin: 'true' }, xml('nick', {}, 'JC'));

// XEP-0277 §3.1: a microblog entry (Atom).
const entry = (title: string) => xml('entry', { xmlns: 'http://www.w3.org/2005/Atom' }, xml('title', { type: 'text' }, title));

function publishOptions(fields: Record<string, string>): XmlElement {
  return xml(
    'publish-options',
    {},
    xml(
      'x',
      { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, `${PUBSUB}#publish-options`)),
      ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))),
    ),
  );
}

function publish(c: XmppClient, node: string, payload: XmlElement, opts: { id?: string; options?: Record<string, string> } = {}): Promise<XmlElement> {
  return c.iqCaller.request(
    xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node }, xml('item', { id: opts.id }, payload)), ...(opts.options ? [publishOptions(opts.options)] : []))),
  );
}

async function items(c: XmppClient, owner: string, node: string, opts: { max?: number; ids?: string[] } = {}): Promise<XmlElement[]> {
  const r = await c.iqCaller.request(
    xml('iq', { type: 'get', to: owner }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node, max_items: opts.max?.toString() }, ...(opts.ids ?? []).map((id) => xml('item', { id }))))),
  );
  return r.getChild('pubsub', PUBSUB)!.getChild('items')!.getChildren('item');
}

const isEvent = (node: string) => (el: XmlElement) => el.is('message') && el.getChild('event', EVENT)?.getChild('items')?.attrs.node === node;

interface CapsClient {
  client: XmppClient;
  /** disco#info queries the server sent this client. */
  queries: string[];
  presence: () => XmlElement;
  /** Resolves once every query received so far has been answered (the answer written out). */
  answered: () => Promise<void>;
}

/** A client advertising `features` in its capabilities (XEP-0115 §4), answering disco#info for node#ver. */
function advertise(client: XmppClient, features: string[], opts: { ver?: string } = {}): CapsClient {
  const all = [...new Set([DISCO_INFO, CAPS, ...features])].sort();
  const ver = opts.ver ?? createHash('sha1').update(`client/pc//Carillon test<${all.map((f) => `${f}<`).join('')}`).digest('base64');
  const queries: string[] = [];
  let replies = 0;
  const waiting = new Set<() => void>();
  client.on('send', (el: XmlElement) => {
    if (!el.is('iq') || el.attrs.type !== 'result' || !el.getChild('query', DISCO_INFO)) return;
    replies++;
    for (const w of [...waiting]) w();
  });
  const answered = () => new Promise<void>((resolve) => {
    const check = () => {
      if (replies < queries.length) return;
      waiting.delete(check);
      resolve();
    };
    waiting.add(check);
    check();
  });
  client.iqCallee.get(DISCO_INFO, 'query', ({ stanza }) => {
    const node = stanza.getChild('query', DISCO_INFO)!.attrs.node as string;
    queries.push(node);
    return xml('query', { xmlns: DISCO_INFO, node }, xml('identity', { category: 'client', type: 'pc', name: 'Carillon test' }), ...all.map((f) => xml('feature', { var: f })));
  });
  return { client, queries, answered, presence: () => xml('presence', {}, xml('c', { xmlns: CAPS, hash: 'sha-1', node: 'https://carillon.example/test', ver })) };
}

/**
 * Lets the server finish with a client's presence and caps. A first ping returns after the server
 * handled the presence, so its disco#info query (if the ver was not known) has arrived; once that
 * is answered, a second ping returns after the server took the answer in.
 */
async function settle(c: CapsClient): Promise<void> {
  await ping(c.client);
  await c.answered();
  await ping(c.client);
}

describe('Personal Eventing Protocol (XEP-0163)', function () {
  describe('entity capabilities verification (XEP-0115 §5)', () => {
    it('builds the verification string of §5.2 and §5.3 and checks their hashes', () => {
      assert.equal(
        verificationString(parseXml(SIMPLE)),
        'client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<',
      );
      assert.equal(verifyCaps({ hash: 'sha-1', ver: 'QgayPKawpkPSDYmwT/WM94uAlu0=' }, parseXml(SIMPLE)), true);
      assert.equal(verifyCaps({ hash: 'sha-1', ver: 'q07IKJEyjvHSyhy//CH0CxmKi8w=' }, parseXml(COMPLEX)), true);
      assert.equal(verifyCaps({ hash: 'sha-1', ver: 'QgayPKawpkPSDYmwT/WM94uAlu0=' }, parseXml(COMPLEX)), false);
      assert.equal(verifyCaps({ hash: 'sha-1', ver: 'q07IKJEyjvHSyhy//CH0CxmKi8w=' }, parseXml(SIMPLE)), false);
      assert.equal(verifyCaps({ hash: 'no-such-hash', ver: 'QgayPKawpkPSDYmwT/WM94uAlu0=' }, parseXml(SIMPLE)), false);
    });

    it('refuses replies §5.4 says not to trust: duplicate features, a FORM_TYPE that is not hidden', () => {
      const dup = SIMPLE.replace('</query>', "<feature var='http://jabber.org/protocol/muc'/></query>");
      assert.equal(verificationString(parseXml(dup)), undefined);
      const shown = COMPLEX.replace("var='FORM_TYPE' type='hidden'", "var='FORM_TYPE' type='text-single'");
      assert.equal(verificationString(parseXml(shown)), undefined);
    });
  });

  describe('publish-options preconditions (XEP-0060 §7.1.5)', () => {
    const form = (fields: Record<string, string>) => parseXml(publishOptions(fields).getChild('x')!.toString());
    const table: [string, Record<string, string> | undefined, Record<string, string>, string | Record<string, string>][] = [
      ['a new node takes the defaults', undefined, {}, { ...DEFAULT_CONFIG }],
      ['a new node takes the options', undefined, { 'pubsub#access_model': 'open' }, { ...DEFAULT_CONFIG, 'pubsub#access_model': 'open' }],
      ['"1" is the boolean true', undefined, { 'pubsub#persist_items': '1', 'pubsub#max_items': 'max' }, { ...DEFAULT_CONFIG, 'pubsub#max_items': 'max' }],
      ['an existing node that matches', { ...DEFAULT_CONFIG, 'pubsub#access_model': 'whitelist' }, { 'pubsub#access_model': 'whitelist' }, { ...DEFAULT_CONFIG, 'pubsub#access_model': 'whitelist' }],
      ['an existing node configured otherwise', { ...DEFAULT_CONFIG }, { 'pubsub#access_model': 'open' }, 'precondition-not-met'],
      ['an unknown access model', undefined, { 'pubsub#access_model': 'roster' }, 'precondition-not-met'],
      ['an option not supported', undefined, { 'pubsub#title': 'x' }, 'precondition-not-met'],
      ['a negative item count', undefined, { 'pubsub#max_items': '-1' }, 'precondition-not-met'],
      ['options fixed here, stated as they are', undefined, { 'pubsub#deliver_payloads': '1', 'pubsub#notification_type': 'headline' }, { ...DEFAULT_CONFIG }],
      ['options fixed here, asked otherwise', undefined, { 'pubsub#deliver_payloads': 'false' }, 'precondition-not-met'],
      ['no retraction notices', undefined, { 'pubsub#notify_retract': '0' }, { ...DEFAULT_CONFIG, 'pubsub#notify_retract': 'false' }],
    ];
    for (const [name, existing, fields, expected] of table) {
      it(name, () => {
        if (typeof expected === 'string') {
          assert.throws(() => applyPublishOptions(existing, form(fields)), (e: { condition: string; extra: { name: string }[] }) => e.condition === 'conflict' && e.extra[0]?.name === expected);
        } else {
          assert.deepEqual(applyPublishOptions(existing, Object.keys(fields).length ? form(fields) : undefined), expected);
        }
      });
    }
  });

  describe('storage', () => {
    it('keeps the newest max_items items, a republished id as the newest, across reopening', () => {
      const dir = mkdtempSync(join(tmpdir(), 'carillon-pep-'));
      try {
        let s = openSqliteStorage(dir);
        s.pep.putNode('juliet', { node: BOOKMARKS, config: { 'pubsub#max_items': '2' } });
        for (const id of ['a', 'b', 'c']) s.pep.publish('juliet', BOOKMARKS, { id, xml: `<item id='${id}'/>` }, 2);
        assert.deepEqual(s.pep.items('juliet', BOOKMARKS).map((i) => i.id), ['b', 'c']);
        s.pep.publish('juliet', BOOKMARKS, { id: 'b', xml: "<item id='b'><x/></item>" }, 2);
        assert.deepEqual(s.pep.items('juliet', BOOKMARKS).map((i) => i.id), ['c', 'b']);
        assert.deepEqual(s.pep.items('juliet', BOOKMARKS, 1), [{ id: 'b', xml: "<item id='b'><x/></item>" }]);
        s.close();
        s = openSqliteStorage(dir);
        assert.deepEqual(s.pep.node('juliet', BOOKMARKS)?.config, { 'pubsub#max_items': '2' });
        s.pep.trim('juliet', BOOKMARKS, 1);
        assert.deepEqual(s.pep.items('juliet', BOOKMARKS).map((i) => i.id), ['b']);
        assert.equal(s.pep.retract('juliet', BOOKMARKS, 'b'), true);
        assert.equal(s.pep.retract('juliet', BOOKMARKS, 'b'), false);
        assert.equal(s.pep.deleteNode('juliet', BOOKMARKS), true);
        assert.equal(s.pep.node('juliet', BOOKMARKS), undefined);
        s.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('over the wire', function () {
    let srv: TestServer;
    const open: XmppClient[] = [];
    const login = async (user: string, resource: string) => {
      const c = await connect(srv, user, 'secret', { resource, sendPresence: false });
      open.push(c);
      return c;
    };
    /** Signs in advertising `features`, sends presence with caps, and waits for the server to take it in. */
    const online = async (user: string, resource: string, features: string[]) => {
      const c = advertise(await login(user, resource), features);
      await c.client.send(c.presence());
      await settle(c);
      return c;
    };
    const JULIET = 'juliet@capulet.lit';
    const ALL = [TUNE, NICK, AVATAR_META, BOOKMARKS].map((n) => `${n}+notify`);

    before(async () => {
      srv = await startTestServer({ domain: 'capulet.lit', components: { port: null } });
      for (const u of ['juliet', 'romeo', 'nurse', 'benvolio']) await srv.users.add(`${u}@capulet.lit`, 'secret');
      // Romeo and the Nurse share presence with Juliet (state Both); Benvolio does not.
      const juliet = await connect(srv, 'juliet', 'secret');
      for (const u of ['romeo', 'nurse']) {
        const c = await connect(srv, u, 'secret');
        const jid = `${u}@capulet.lit`;
        for (const [from, to, toJid, fromJid] of [[juliet, c, jid, JULIET], [c, juliet, JULIET, jid]] as const) {
          const asked = next(to, (el) => el.is('presence') && el.attrs.type === 'subscribe');
          await from.send(xml('presence', { to: toJid, type: 'subscribe' }));
          await asked;
          const approved = next(from, (el) => el.is('presence') && el.attrs.type === 'subscribed');
          await to.send(xml('presence', { to: fromJid, type: 'subscribed' }));
          await approved;
        }
        await stopAll(c);
      }
      await stopAll(juliet);
    });
    afterEach(async () => stopAll(...open.splice(0)));
    after(() => srv.stop());

    it('notifies the owner and contacts with +notify caps, not a contact without (XEP-0163 §1.2, §4)', async () => {
      const romeo = await online('romeo', 'orchard', [TUNE, `${TUNE}+notify`]);
      const nurse = await online('nurse', 'chamber', [TUNE]); // supports tunes, wants no notifications
      const balcony = await online('juliet', 'balcony', [`${TUNE}+notify`]);
      assert.equal(romeo.queries[0], `https://carillon.example/test#${romeo.presence().getChild('c', CAPS)!.attrs.ver}`);

      const toRomeo = next(romeo.client, isEvent(TUNE));
      const toOwner = next(balcony.client, isEvent(TUNE));
      const toNurse = collect(nurse.client, isEvent(TUNE));
      const result = await publish(balcony.client, TUNE, tune());
      const id = result.getChild('pubsub', PUBSUB)!.getChild('publish')!.getChild('item')!.attrs.id;
      assert.ok(id, 'the service names an item published without an id (XEP-0060 §7.1.2)');

      for (const msg of [await toRomeo, await toOwner]) {
        assert.equal(msg.attrs.from, JULIET, '§4.3.1: from the bare JID of the account');
        assert.equal(msg.attrs.type, 'headline');
        const item = msg.getChild('event', EVENT)!.getChild('items')!.getChild('item')!;
        assert.equal(item.attrs.id, id);
        assert.equal(item.getChild('tune', TUNE)!.getChildText('title'), 'Introduction (Allegro vigoroso)');
      }
      assert.equal((await toRomeo).attrs.to, 'romeo@capulet.lit/orchard');
      assert.deepEqual(await toNurse.done(), []);
    });

    it('sends the last published item on initial presence, also while the owner is offline (§4.3.4)', async () => {
      const balcony = await online('juliet', 'balcony', []);
      await publish(balcony.client, NICK, nick('Juliet'), { id: 'current', options: { 'pubsub#access_model': 'open' } });
      await publish(balcony.client, TUNE, tune(), { id: 'finzi' });
      await stopAll(balcony.client);

      const c = advertise(await login('romeo', 'garden'), [`${NICK}+notify`, `${TUNE}+notify`]);
      const events = collect(c.client, (el) => el.is('message') && !!el.getChild('event', EVENT));
      await c.client.send(c.presence());
      await settle(c);
      const got = await events.done();
      const byNode = new Map(got.map((m) => [m.getChild('event', EVENT)!.getChild('items')!.attrs.node, m]));
      assert.equal(got.length, 2);
      assert.equal(byNode.get(NICK)!.getChild('event', EVENT)!.getChild('items')!.getChild('item')!.getChildText('nick', NICK), 'Juliet');
      assert.equal(byNode.get(TUNE)!.getChild('event', EVENT)!.getChild('items')!.getChild('item')!.attrs.id, 'finzi');

      // The owner's own new resource gets them too.
      const own = advertise(await login('juliet', 'chamber'), [`${NICK}+notify`]);
      const mine = next(own.client, isEvent(NICK));
      await own.client.send(own.presence());
      assert.equal((await mine).getChild('event', EVENT)!.getChild('items')!.getChild('item')!.attrs.id, 'current');
    });

    it('resolves capabilities once per verified ver and again for one that does not verify (XEP-0115 §5.4)', async () => {
      const first = await online('romeo', 'one', [`${AVATAR_META}+notify`, 'urn:carillon:test:cache']);
      const second = await online('romeo', 'two', [`${AVATAR_META}+notify`, 'urn:carillon:test:cache']);
      assert.equal(first.queries.length + second.queries.length, 1);

      const liarA = advertise(await login('nurse', 'a'), [`${AVATAR_META}+notify`], { ver: 'bm90IGEgcmVhbCBoYXNoIGF0IGFsbA==' });
      await liarA.client.send(liarA.presence());
      await settle(liarA);
      const liarB = advertise(await login('nurse', 'b'), [`${AVATAR_META}+notify`], { ver: 'bm90IGEgcmVhbCBoYXNoIGF0IGFsbA==' });
      await liarB.client.send(liarB.presence());
      await settle(liarB);
      assert.equal(liarA.queries.length, 1);
      assert.equal(liarB.queries.length, 1, 'an unverified ver is not cached');

      // Both kinds of resource are interested in avatar metadata (XEP-0084 §4.2).
      const juliet = await online('juliet', 'balcony', []);
      const waits = [first, second, liarA, liarB].map((c) => next(c.client, isEvent(AVATAR_META)));
      await publish(juliet.client, AVATAR_META, avatarMeta(), { id: '111f4b3c50d7b0df729d299bc6f8e9ef9066971f' });
      for (const w of waits) assert.equal((await w).getChild('event', EVENT)!.getChild('items')!.getChild('item')!.getChild('metadata', AVATAR_META)!.getChild('info')!.attrs.width, '64');
    });

    it('applies the access models presence, open and whitelist (XEP-0060 §4.5, §6.5.9)', async () => {
      const juliet = await online('juliet', 'balcony', ALL);
      const romeo = await online('romeo', 'orchard', ALL);
      const benvolio = await online('benvolio', 'street', ALL);
      await publish(juliet.client, TUNE, tune(), { id: 'presence-only' });
      await publish(juliet.client, NICK, nick('Jules'), { id: 'open', options: { 'pubsub#access_model': 'open' } });
      const toRomeo = collect(romeo.client, isEvent(BOOKMARKS));
      const toOwner = next(juliet.client, isEvent(BOOKMARKS));
      await publish(juliet.client, BOOKMARKS, bookmark('The Play'), {
        id: 'theplay@conference.shakespeare.lit',
        options: { 'pubsub#access_model': 'whitelist', 'pubsub#persist_items': 'true', 'pubsub#max_items': 'max', 'pubsub#send_last_published_item': 'never' },
      });
      await toOwner;
      assert.deepEqual(await toRomeo.done(), [], 'a whitelist node notifies its owner only');

      assert.equal((await items(romeo.client, JULIET, TUNE))[0]!.attrs.id, 'presence-only');
      await assert.rejects(items(benvolio.client, JULIET, TUNE), (e: { condition: string; application?: XmlElement }) => e.condition === 'not-authorized' && e.application?.name === 'presence-subscription-required');
      assert.equal((await items(benvolio.client, JULIET, NICK))[0]!.getChildText('nick', NICK), 'Jules');
      await assert.rejects(items(romeo.client, JULIET, BOOKMARKS), (e: { condition: string; application?: XmlElement }) => e.condition === 'not-allowed' && e.application?.name === 'closed-node');
      assert.equal((await items(juliet.client, JULIET, BOOKMARKS))[0]!.getChild('conference', BOOKMARKS)!.attrs.name, 'The Play');

      // §7.1.5: options that contradict the node's configuration.
      await assert.rejects(publish(juliet.client, TUNE, tune(), { options: { 'pubsub#access_model': 'open' } }), (e: { condition: string; application?: XmlElement }) => e.condition === 'conflict' && e.application?.name === 'precondition-not-met');
      // Only the owner publishes (§7.1.3.1).
      await assert.rejects(
        romeo.client.iqCaller.request(xml('iq', { type: 'set', to: JULIET }, xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node: TUNE }, xml('item', {}, tune()))))),
        { condition: 'forbidden' },
      );
    });

    it('retrieves all items, the newest max_items, or by id; retracts with notification; deletes (XEP-0060 §6.5, §7.2, §8.4)', async () => {
      const juliet = await online('juliet', 'balcony', [`${MICROBLOG}+notify`]);
      const opts = { 'pubsub#max_items': '3' };
      for (const post of ['a', 'b', 'c', 'd']) await publish(juliet.client, MICROBLOG, entry(post), { id: post, options: opts });
      assert.deepEqual((await items(juliet.client, JULIET, MICROBLOG)).map((i) => i.attrs.id), ['b', 'c', 'd'], 'max_items 3 keeps the newest three');
      assert.deepEqual((await items(juliet.client, JULIET, MICROBLOG, { max: 2 })).map((i) => i.attrs.id), ['c', 'd']);
      const byId = await items(juliet.client, JULIET, MICROBLOG, { ids: ['c'] });
      assert.equal(byId.length, 1);
      assert.equal(byId[0]!.getChild('entry', 'http://www.w3.org/2005/Atom')!.getChildText('title'), 'c');

      const retracted = next(juliet.client, (el) => el.is('message') && !!el.getChild('event', EVENT)?.getChild('items')?.getChild('retract'));
      await juliet.client.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB }, xml('retract', { node: MICROBLOG, notify: 'true' }, xml('item', { id: 'c' })))));
      assert.equal((await retracted).getChild('event', EVENT)!.getChild('items')!.getChild('retract')!.attrs.id, 'c');
      assert.deepEqual((await items(juliet.client, JULIET, MICROBLOG)).map((i) => i.attrs.id), ['b', 'd']);
      await assert.rejects(
        juliet.client.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB }, xml('retract', { node: MICROBLOG }, xml('item', { id: 'c' }))))),
        { condition: 'item-not-found' },
      );
      // pubsub#notify_retract (default true) speaks when the request does not; notify='false' silences it.
      const retractNotice = (el: XmlElement) => el.is('message') && !!el.getChild('event', EVENT)?.getChild('items')?.getChild('retract');
      const byDefault = next(juliet.client, retractNotice);
      await juliet.client.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB }, xml('retract', { node: MICROBLOG }, xml('item', { id: 'b' })))));
      assert.equal((await byDefault).getChild('event', EVENT)!.getChild('items')!.getChild('retract')!.attrs.id, 'b');
      const silent = collect(juliet.client, retractNotice);
      await juliet.client.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB }, xml('retract', { node: MICROBLOG, notify: 'false' }, xml('item', { id: 'd' })))));
      assert.deepEqual(await silent.done(), []);
      assert.deepEqual(await items(juliet.client, JULIET, MICROBLOG), []);

      const deleted = next(juliet.client, (el) => el.is('message') && el.getChild('event', EVENT)?.getChild('delete')?.attrs.node === MICROBLOG);
      await juliet.client.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: OWNER }, xml('delete', { node: MICROBLOG }))));
      await deleted;
      await assert.rejects(items(juliet.client, JULIET, MICROBLOG), { condition: 'item-not-found' });
    });

    it('gets and sets the node configuration (XEP-0060 §8.2)', async () => {
      const juliet = await online('juliet', 'balcony', []);
      const benvolio = await online('benvolio', 'street', []);
      await publish(juliet.client, AVATAR_META, avatarMeta(), { id: 'one' });
      const field = (form: XmlElement, v: string) => form.getChildren('field').find((f) => f.attrs.var === v)?.getChildText('value');
      const get = async () =>
        (await juliet.client.iqCaller.request(xml('iq', { type: 'get' }, xml('pubsub', { xmlns: OWNER }, xml('configure', { node: AVATAR_META }))))).getChild('pubsub', OWNER)!.getChild('configure')!.getChild('x', 'jabber:x:data')!;
      const before = await get();
      assert.equal(field(before, 'FORM_TYPE'), `${PUBSUB}#node_config`);
      assert.equal(field(before, 'pubsub#access_model'), 'presence');
      assert.equal(field(before, 'pubsub#max_items'), '1');
      await assert.rejects(items(benvolio.client, JULIET, AVATAR_META), { condition: 'not-authorized' });

      const submit = (fields: Record<string, string>) =>
        juliet.client.iqCaller.request(
          xml('iq', { type: 'set' }, xml('pubsub', { xmlns: OWNER }, xml('configure', { node: AVATAR_META }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
            xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, `${PUBSUB}#node_config`)),
            ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))))))),
        );
      await submit({ 'pubsub#access_model': 'open', 'pubsub#max_items': '5' });
      const after = await get();
      assert.equal(field(after, 'pubsub#access_model'), 'open');
      assert.equal(field(after, 'pubsub#max_items'), '5');
      assert.equal((await items(benvolio.client, JULIET, AVATAR_META))[0]!.attrs.id, 'one');
      await assert.rejects(submit({ 'pubsub#access_model': 'authorize' }), { condition: 'not-acceptable' });
      await assert.rejects(
        benvolio.client.iqCaller.request(xml('iq', { type: 'get', to: JULIET }, xml('pubsub', { xmlns: OWNER }, xml('configure', { node: AVATAR_META })))),
        { condition: 'forbidden' },
      );
    });

    it('describes the account as a PEP service in disco#info and lists visible nodes in disco#items (XEP-0163 §6)', async () => {
      const juliet = await online('juliet', 'balcony', []);
      const romeo = await online('romeo', 'orchard', []);
      await publish(juliet.client, TUNE, tune(), { id: 'visible' });
      await publish(juliet.client, BOOKMARKS, bookmark('secret'), { id: 'hidden', options: { 'pubsub#access_model': 'whitelist' } });
      const info = (await romeo.client.iqCaller.request(xml('iq', { type: 'get', to: JULIET }, xml('query', { xmlns: DISCO_INFO })))).getChild('query', DISCO_INFO)!;
      assert.ok(info.getChildren('identity').some((i) => i.attrs.category === 'pubsub' && i.attrs.type === 'pep'));
      assert.ok(info.getChildren('identity').some((i) => i.attrs.category === 'account' && i.attrs.type === 'registered'));
      const features = info.getChildren('feature').map((f) => f.attrs.var);
      for (const f of ['publish', 'auto-create', 'publish-options', 'access-open', 'access-presence', 'access-whitelist', 'retract-items', 'retrieve-items', 'delete-nodes', 'config-node', 'last-published']) {
        assert.ok(features.includes(`${PUBSUB}#${f}`), f);
      }
      const listed = async (c: XmppClient) =>
        (await c.iqCaller.request(xml('iq', { type: 'get', to: JULIET }, xml('query', { xmlns: DISCO_ITEMS })))).getChild('query', DISCO_ITEMS)!.getChildren('item').map((i) => i.attrs.node);
      const romeoSees = await listed(romeo.client);
      assert.ok(romeoSees.includes(TUNE));
      assert.ok(!romeoSees.includes(BOOKMARKS));
      assert.ok((await listed(juliet.client)).includes(BOOKMARKS));

      // XEP-0060 §5.3, §5.5: a node's own disco#info and disco#items.
      const nodeInfo = (await romeo.client.iqCaller.request(xml('iq', { type: 'get', to: JULIET }, xml('query', { xmlns: DISCO_INFO, node: TUNE })))).getChild('query', DISCO_INFO)!;
      assert.equal(nodeInfo.getChild('identity')!.attrs.type, 'leaf');
      const nodeItems = (await romeo.client.iqCaller.request(xml('iq', { type: 'get', to: JULIET }, xml('query', { xmlns: DISCO_ITEMS, node: TUNE })))).getChild('query', DISCO_ITEMS)!;
      assert.deepEqual(nodeItems.getChildren('item').map((i) => i.attrs.name), ['visible']);
      await assert.rejects(romeo.client.iqCaller.request(xml('iq', { type: 'get', to: JULIET }, xml('query', { xmlns: DISCO_INFO, node: BOOKMARKS }))), { condition: 'not-allowed' });
    });
  });
});
