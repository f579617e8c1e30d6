// XEP-0402 PEP Native Bookmarks unified with XEP-0048 (XEP-0402 §5.3) between independent clients
// (@xmpp/client) of one account: a XEP-0402 client (Conversations, Dino), one that keeps its
// bookmarks in private XML storage (Gajim, older Converse.js) and one that keeps them in the
// 'storage:bookmarks' PEP node. Fixtures are the XEPs' examples.
import assert from 'node:assert/strict';
import { fromLegacy, fromNative, sameBookmark, toLegacy, toNative } from '../../server/modules/bookmarks.js';
import { writePrivate } from '../../server/modules/private.js';
import { parseXml } from '../../xmpp/xml.js';
import { befriend, collect, connect, next, ping, startTestServer, stopAll, xml, type TestServer, type XmppClient, type XmlElement } from './helpers.js';
import { advertise, announce, EVENT, isEvent, items, publish, retract, type CapsClient } from './pep-clients.js';

const NATIVE = 'urn:xmpp:bookmarks:1';
const LEGACY = 'storage:bookmarks';
const PRIVATE = 'jabber:iq:private';

// XEP-0402 §3.3 Example 7: the publish-options a client adds a bookmark with.
const NATIVE_OPTIONS = { 'pubsub#persist_items': 'true', 'pubsub#max_items': 'max', 'pubsub#send_last_published_item': 'never', 'pubsub#access_model': 'whitelist' };
// XEP-0048 §3.3 (XEP-0223 §3): storage:bookmarks in PEP.
const LEGACY_OPTIONS = { 'pubsub#persist_items': 'true', 'pubsub#access_model': 'whitelist' };

// XEP-0402 §3.3 Example 7: "The Play's the Thing" (with the optional <password/> of §2).
const THEPLAY = 'theplay@conference.shakespeare.lit';
const thePlay = (password?: string) =>
  xml('conference', { xmlns: NATIVE, name: "The Play's the Thing", autojoin: 'true' }, xml('nick', {}, 'JC'), ...(password ? [xml('password', {}, password)] : []));
// XEP-0048 §3.2 Example 1 (Council of Oberon) and Example 2 (a URL), as an older client stores them.
const COUNCIL = 'council@conference.underhill.org';
const councilLegacy = (nick = 'Puck') => xml('conference', { name: 'Council of Oberon', autojoin: 'true', jid: COUNCIL }, xml('nick', {}, nick), xml('password', {}, 'Titania'));
const works = () => xml('url', { name: 'Complete Works of Shakespeare', url: 'http://the-tech.mit.edu/Shakespeare/' });
const storage = (...children: XmlElement[]) => xml('storage', { xmlns: LEGACY }, ...children);

describe('XEP-0402 PEP Native Bookmarks, unified with XEP-0048', function () {
  describe('conversion', () => {
    it('reads a <conference/> item (§2 Examples 1–3) and writes it back', () => {
      const oberon = parseXml(`<conference xmlns='${NATIVE}' name='Council of Oberon' autojoin='true'><nick>Puck</nick></conference>`);
      assert.deepEqual(fromNative(COUNCIL, oberon), { jid: COUNCIL, name: 'Council of Oberon', autojoin: true, nick: 'Puck', password: undefined, extensions: undefined });
      assert.deepEqual(fromNative(COUNCIL, parseXml(`<conference xmlns='${NATIVE}'/>`)), { jid: COUNCIL, name: undefined, autojoin: false, nick: undefined, password: undefined, extensions: undefined });
      const withState = parseXml(`<conference xmlns='${NATIVE}' name='Council of Oberon' autojoin='1'><nick>Puck</nick><extensions><state xmlns='http://myclient.example/bookmark/state' minimized='true'/></extensions></conference>`);
      const b = fromNative(COUNCIL, withState)!;
      assert.equal(b.autojoin, true, 'xs:boolean "1"');
      assert.equal(toNative(b).toString(), `<conference xmlns="${NATIVE}" name="Council of Oberon" autojoin="true"><nick>Puck</nick><extensions><state xmlns="http://myclient.example/bookmark/state" minimized="true"/></extensions></conference>`);
      assert.equal(fromNative('not a room/jid', oberon), undefined, 'the item id must be a room JID');
      assert.equal(fromNative(COUNCIL, parseXml(`<conference xmlns='${LEGACY}'/>`)), undefined);
    });

    it('casts items into storage:bookmarks with the jid set to the item id (§5.3.1), keeping URL bookmarks', () => {
      const { bookmarks, rest } = fromLegacy(parseXml(storage(councilLegacy(), works()).toString()));
      assert.deepEqual(bookmarks, [{ jid: COUNCIL, name: 'Council of Oberon', autojoin: true, nick: 'Puck', password: 'Titania' }]);
      assert.equal(
        toLegacy(bookmarks, rest).toString(),
        `<storage xmlns="${LEGACY}"><conference jid="${COUNCIL}" name="Council of Oberon" autojoin="true"><nick>Puck</nick><password>Titania</password></conference><url name="Complete Works of Shakespeare" url="http://the-tech.mit.edu/Shakespeare/"/></storage>`,
      );
      assert.ok(sameBookmark(bookmarks[0]!, fromNative(COUNCIL, toNative(bookmarks[0]!))!), 'a round trip changes nothing');
      const twice = fromLegacy(parseXml(storage(councilLegacy('Puck'), councilLegacy('Robin'), xml('conference', { name: 'no jid' })).toString()));
      assert.deepEqual(twice.bookmarks.map((b) => b.nick), ['Robin'], 'one bookmark per room; one without a jid is no bookmark');
    });
  });

  describe('over the wire', function () {
    let srv: TestServer;
    const open: XmppClient[] = [];
    let n = 0;
    before(async () => {
      srv = await startTestServer({ domain: 'capulet.lit', components: { port: null } });
    });
    afterEach(async () => stopAll(...open.splice(0)));
    after(() => srv.stop());

    /** A new account with a XEP-0402 client (wants its notifications) and two older clients. */
    async function account(): Promise<{ user: string; jid: string; native: CapsClient; gajim: XmppClient; legacyPep: CapsClient }> {
      n++;
      const user = `juliet${n}`;
      await srv.users.add(`${user}@capulet.lit`, 'secret');
      const login = async (resource: string, features: string[]) => {
        const c = advertise(await connect(srv, user, 'secret', { resource, sendPresence: false }), features);
        open.push(c.client);
        await announce(c);
        return c;
      };
      const native = await login('balcony', [`${NATIVE}+notify`]);
      const gajim = (await login('gajim', [])).client;
      const legacyPep = await login('legacy', [`${LEGACY}+notify`]);
      return { user, jid: `${user}@capulet.lit`, native, gajim, legacyPep };
    }
    const getPrivate = async (c: XmppClient) =>
      (await c.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: PRIVATE }, xml('storage', { xmlns: LEGACY }))))).getChild('query', PRIVATE)!.getChild('storage', LEGACY)!;
    const setPrivate = (c: XmppClient, s: XmlElement) => c.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: PRIVATE }, s)));
    const legacyPepStorage = async (c: XmppClient) => {
      const current = await items(c, undefined, LEGACY);
      assert.deepEqual(current.map((i) => i.attrs.id), ['current']);
      return current[0]!.getChild('storage', LEGACY)!;
    };
    const conferences = (s: XmlElement) =>
      s.getChildren('conference').map((c) => ({ jid: c.attrs.jid, name: c.attrs.name, autojoin: c.attrs.autojoin, nick: c.getChildText('nick'), password: c.getChildText('password') }));
    const eventItems = (el: XmlElement) => el.getChild('event', EVENT)!.getChild('items')!;

    it('announces #compat and #compat-pep on the account (§5.3, §6)', async () => {
      const { native } = await account();
      const r = await native.client.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      const features = r.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
      assert.ok(features.includes(`${NATIVE}#compat`) && features.includes(`${NATIVE}#compat-pep`));
    });

    it('shows a bookmark added with XEP-0402 (§3.3 Example 7) in private storage and in PEP storage:bookmarks', async () => {
      const { native, gajim, legacyPep } = await account();
      const legacyEvent = next(legacyPep.client, isEvent(LEGACY));
      const r = await publish(native.client, NATIVE, THEPLAY, thePlay('Hamlet'), NATIVE_OPTIONS);
      assert.equal(r.attrs.type, 'result');
      const expected = [{ jid: THEPLAY, name: "The Play's the Thing", autojoin: 'true', nick: 'JC', password: 'Hamlet' }];
      assert.deepEqual(conferences(await getPrivate(gajim)), expected);
      assert.deepEqual(conferences(await legacyPepStorage(legacyPep.client)), expected);
      // XEP-0048 clients on PEP hear of it as they would of another XEP-0048 client's change.
      assert.deepEqual(conferences(eventItems(await legacyEvent).getChild('item')!.getChild('storage', LEGACY)!), expected);
    });

    it('turns a list stored in private XML (as Gajim does) into XEP-0402 items, with notifications (§5.3.2, §4 Example 11)', async () => {
      const { native, gajim, legacyPep } = await account();
      const event = next(native.client, isEvent(NATIVE));
      await setPrivate(gajim, storage(councilLegacy(), works()));
      const item = eventItems(await event).getChild('item')!;
      assert.equal(item.attrs.id, COUNCIL, '§2: the item id is the room JID');
      const conf = item.getChild('conference', NATIVE)!;
      assert.deepEqual([conf.attrs.name, conf.attrs.autojoin, conf.getChildText('nick'), conf.getChildText('password')], ['Council of Oberon', 'true', 'Puck', 'Titania']);
      assert.deepEqual((await items(native.client, undefined, NATIVE)).map((i) => i.attrs.id), [COUNCIL]);
      // The XEP-0048 PEP copy has the list as written, URL bookmark included; so has private storage.
      const pep = await legacyPepStorage(legacyPep.client);
      assert.deepEqual(conferences(pep), [{ jid: COUNCIL, name: 'Council of Oberon', autojoin: 'true', nick: 'Puck', password: 'Titania' }]);
      assert.equal(pep.getChild('url')?.attrs.url, 'http://the-tech.mit.edu/Shakespeare/');
      assert.equal((await getPrivate(gajim)).getChild('url')?.attrs.name, 'Complete Works of Shakespeare');
    });

    it('notifies only what changed in a replacement list, and retracts what it dropped (§5.3.2, §4 Example 12)', async () => {
      const { native, gajim } = await account();
      await publish(native.client, NATIVE, THEPLAY, thePlay(), NATIVE_OPTIONS);
      await setPrivate(gajim, storage(councilLegacy(), ...(await getPrivate(gajim)).getChildren('conference')));
      await ping(native.client);

      // Gajim renames its nick in one room and drops the other.
      const events = collect(native.client, isEvent(NATIVE));
      await setPrivate(gajim, storage(councilLegacy('Robin')));
      await ping(gajim);
      const seen = (await events.done()).map((el) => {
        const body = eventItems(el);
        const retracted = body.getChild('retract');
        return retracted ? `retract ${retracted.attrs.id}` : `item ${body.getChild('item')!.attrs.id} ${body.getChild('item')!.getChild('conference', NATIVE)!.getChildText('nick')}`;
      });
      assert.deepEqual(seen.sort(), [`item ${COUNCIL} Robin`, `retract ${THEPLAY}`]);
      assert.deepEqual((await items(native.client, undefined, NATIVE)).map((i) => i.attrs.id), [COUNCIL]);
    });

    it('removes a bookmark retracted with XEP-0402 (§3.4 Example 9) from both older copies', async () => {
      const { native, gajim, legacyPep } = await account();
      await publish(native.client, NATIVE, THEPLAY, thePlay(), NATIVE_OPTIONS);
      await setPrivate(gajim, storage(...(await getPrivate(gajim)).getChildren('conference'), councilLegacy(), works()));
      assert.equal(conferences(await legacyPepStorage(legacyPep.client)).length, 2);

      const r = await retract(native.client, NATIVE, THEPLAY);
      assert.equal(r.attrs.type, 'result');
      const left = [{ jid: COUNCIL, name: 'Council of Oberon', autojoin: 'true', nick: 'Puck', password: 'Titania' }];
      const priv = await getPrivate(gajim);
      assert.deepEqual(conferences(priv), left);
      assert.ok(priv.getChild('url'), 'the URL bookmark, which XEP-0402 does not carry, stays');
      assert.deepEqual(conferences(await legacyPepStorage(legacyPep.client)), left);
    });

    it('follows a list published to the storage:bookmarks PEP node (XEP-0048 §3.3)', async () => {
      const { native, gajim, legacyPep } = await account();
      const event = next(native.client, isEvent(NATIVE));
      await publish(legacyPep.client, LEGACY, 'current', storage(councilLegacy()), LEGACY_OPTIONS);
      assert.equal(eventItems(await event).getChild('item')!.attrs.id, COUNCIL);
      assert.deepEqual(conferences(await getPrivate(gajim)).map((c) => c.jid), [COUNCIL]);

      const retracted = next(native.client, (el) => isEvent(NATIVE)(el) && !!eventItems(el).getChild('retract'));
      await publish(legacyPep.client, LEGACY, 'current', storage(), LEGACY_OPTIONS);
      assert.equal(eventItems(await retracted).getChild('retract')!.attrs.id, COUNCIL);
      assert.deepEqual(conferences(await getPrivate(gajim)), []);
      assert.deepEqual(await items(native.client, undefined, NATIVE), []);
    });

    it('keeps the <extensions/> of a XEP-0402 item that an older client edits (§2)', async () => {
      const { native, gajim } = await account();
      const state = xml('extensions', {}, xml('state', { xmlns: 'http://myclient.example/bookmark/state', minimized: 'true' }));
      await publish(native.client, NATIVE, COUNCIL, xml('conference', { xmlns: NATIVE, name: 'Council of Oberon', autojoin: 'true' }, xml('nick', {}, 'Puck'), state), NATIVE_OPTIONS);
      await setPrivate(gajim, storage(councilLegacy('Robin')));
      const [item] = await items(native.client, undefined, NATIVE);
      const conf = item!.getChild('conference', NATIVE)!;
      assert.equal(conf.getChildText('nick'), 'Robin');
      assert.equal(conf.getChild('extensions')!.getChild('state', 'http://myclient.example/bookmark/state')!.attrs.minimized, 'true');
    });

    it('gives bookmarks stored the old way before it ran a XEP-0402 copy at the next sign-in, so a XEP-0402 client loses none', async () => {
      n++;
      const user = `juliet${n}`;
      await srv.users.add(`${user}@capulet.lit`, 'secret');
      // As a Gajim left them in private storage, before the server kept the stores in step.
      writePrivate(srv.server, user, parseXml(storage(councilLegacy(), works()).toString()));
      const c = advertise(await connect(srv, user, 'secret', { resource: 'balcony', sendPresence: false }), [`${NATIVE}+notify`]);
      open.push(c.client);
      await announce(c);
      assert.deepEqual((await items(c.client, undefined, NATIVE)).map((i) => i.attrs.id), [COUNCIL]);
      await publish(c.client, NATIVE, THEPLAY, thePlay(), NATIVE_OPTIONS);
      const priv = await getPrivate(c.client);
      assert.deepEqual(conferences(priv).map((b) => b.jid).sort(), [COUNCIL, THEPLAY]);
      assert.ok(priv.getChild('url'));
    });

    it('holds the node to its publish-options and never writes into a node configured otherwise (XEP-0060 §7.1.5)', async () => {
      const { native, gajim } = await account();
      // A node created without the options takes the PEP defaults (presence access): the server
      // does not put the account's private bookmarks there.
      await publish(native.client, NATIVE, THEPLAY, thePlay());
      await assert.rejects(publish(native.client, NATIVE, COUNCIL, thePlay(), NATIVE_OPTIONS), (e: { condition?: string; element?: XmlElement }) => e.condition === 'conflict');
      const set = await setPrivate(gajim, storage(councilLegacy()));
      assert.equal(set.attrs.type, 'result', 'private storage itself still works');
      assert.deepEqual((await items(native.client, undefined, NATIVE)).map((i) => i.attrs.id), [THEPLAY]);

      // A proper node is not readable by a contact (whitelist, XEP-0223 §3).
      n++;
      const other = `juliet${n}`;
      await srv.users.add(`${other}@capulet.lit`, 'secret');
      const owner = await connect(srv, other, 'secret');
      const romeoUser = `romeo${n}`;
      await srv.users.add(`${romeoUser}@capulet.lit`, 'secret');
      const romeo = await connect(srv, romeoUser, 'secret');
      open.push(owner, romeo);
      await befriend(owner, `${other}@capulet.lit`, romeo, `${romeoUser}@capulet.lit`);
      await publish(owner, NATIVE, THEPLAY, thePlay('secret'), NATIVE_OPTIONS);
      await assert.rejects(items(romeo, `${other}@capulet.lit`, NATIVE), (e: { condition?: string }) => e.condition === 'not-allowed');
      await assert.rejects(items(romeo, `${other}@capulet.lit`, LEGACY), (e: { condition?: string }) => e.condition === 'not-allowed');
    });
  });
});
