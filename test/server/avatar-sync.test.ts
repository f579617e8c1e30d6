// XEP-0398 User Avatar to vCard-Based Avatars Conversion between independent clients
// (@xmpp/client): Juliet publishes her avatar with XEP-0084 or sets it in her vCard (XEP-0153), and
// Romeo, her contact, sees it both ways and in her presence. Fixtures are the XEPs' examples, with
// real PNG images where the server checks the bytes against their SHA-1.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decodeBase64, imageInfo, injectHash, vcardPhoto } from '../../server/modules/avatar-sync.js';
import { parseXml } from '../../xmpp/xml.js';
import { befriend, collect, connect, next, ping, startTestServer, stopAll, xml, type TestServer, type XmppClient, type XmlElement } from './helpers.js';
import { advertise, announce, isEvent, items, publish, type CapsClient } from './pep-clients.js';

const DATA = 'urn:xmpp:avatar:data';
const METADATA = 'urn:xmpp:avatar:metadata';
const VCARD = 'vcard-temp';
const UPDATE = 'vcard-temp:x:update';
const CONVERSION = 'urn:xmpp:pep-vcard-conversion:0';

// Real PNGs, 2×3 and 4×5 pixels.
const RED = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAADCAIAAAA2iEnWAAAAEElEQVR4nGM4IScHRAwoFABEDQYZFCZhYwAAAABJRU5ErkJggg==';
const BLUE = 'iVBORw0KGgoAAAANSUhEUgAAAAQAAAAFCAIAAADtz9qMAAAAEElEQVR4nGOQkzsBRwxkcACHPxRRBrGaPwAAAABJRU5ErkJggg==';
const bytesOf = (b64: string) => Buffer.from(b64, 'base64');
const sha1 = (b64: string) => createHash('sha1').update(bytesOf(b64)).digest('hex');

// XEP-0084 §4.1 Example 1: publishing avatar data (the image wrapped in a line break, which §5.1 says to accept).
const avatarData = (b64: string) => xml('data', { xmlns: DATA }, `\n  ${b64.slice(0, 40)}\n  ${b64.slice(40)}\n`);
// XEP-0084 §4.2 Example 3: publishing avatar metadata.
const avatarMetadata = (b64: string, w: number, h: number) =>
  xml('metadata', { xmlns: METADATA }, xml('info', { bytes: String(bytesOf(b64).length), id: sha1(b64), height: String(h), type: 'image/png', width: String(w) }));
// XEP-0153 §3.1 Example 1: the client publishes avatar data to its vCard.
const vcardWithPhoto = (b64: string) =>
  xml('vCard', { xmlns: VCARD }, xml('FN', {}, 'Juliet Capulet'), xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, b64)));

const photoIn = (presence: XmlElement) => presence.getChild('x', UPDATE)?.getChild('photo');

describe('XEP-0398 User Avatar to vCard-Based Avatars Conversion', function () {
  describe('reading images and presence', () => {
    it('knows the type and size of PNG, GIF and JPEG images from their headers', () => {
      assert.deepEqual(imageInfo(bytesOf(BLUE)), { type: 'image/png', width: 4, height: 5 });
      const gif = Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.from([0x07, 0x00, 0x09, 0x00]), Buffer.alloc(8)]);
      assert.deepEqual(imageInfo(gif), { type: 'image/gif', width: 7, height: 9 });
      // SOI, an APP0 segment of 16 bytes, then SOF0 (precision 8, height 0x0102, width 0x0304).
      const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, ...Buffer.alloc(14), 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x02, 0x03, 0x04, 0x03]);
      assert.deepEqual(imageInfo(jpeg), { type: 'image/jpeg', width: 0x0304, height: 0x0102 });
      assert.deepEqual(imageInfo(Buffer.from('not an image')), {});
    });

    it('takes base64 with line breaks and refuses what is not base64 (XEP-0084 §4.1 Example 1 is elided)', () => {
      assert.deepEqual(decodeBase64(`${BLUE.slice(0, 10)}\n ${BLUE.slice(10)}`), bytesOf(BLUE));
      assert.equal(decodeBase64('qANQR1DBwU4DX7jmYZnncm...'), undefined);
      assert.equal(decodeBase64(''), undefined);
    });

    it('reads a vCard PHOTO: an image, none, or one it cannot convert (EXTVAL)', () => {
      const photo = vcardPhoto(parseXml(vcardWithPhoto(BLUE).toString()));
      assert.ok(photo.kind === 'image' && photo.type === 'image/png' && photo.bytes.equals(bytesOf(BLUE)));
      assert.deepEqual(vcardPhoto(parseXml(`<vCard xmlns='vcard-temp'><FN>J</FN></vCard>`)), { kind: 'none' });
      assert.deepEqual(vcardPhoto(parseXml(`<vCard xmlns='vcard-temp'><PHOTO/></vCard>`)), { kind: 'none' });
      assert.deepEqual(vcardPhoto(parseXml(`<vCard xmlns='vcard-temp'><PHOTO><EXTVAL>https://example.org/a.png</EXTVAL></PHOTO></vCard>`)), { kind: 'other' });
    });

    it('puts the hash into presence as §4 says (Examples 4–7)', () => {
      const put = (s: string, hash = 'abc') => {
        const p = parseXml(s);
        injectHash(p, hash);
        return p.toString();
      };
      assert.equal(put('<presence/>'), `<presence><x xmlns="${UPDATE}"><photo>abc</photo></x></presence>`);
      assert.equal(put(`<presence><x xmlns='${UPDATE}'><photo/></x></presence>`), `<presence><x xmlns="${UPDATE}"><photo/></x></presence>`, 'an empty photo is left alone');
      assert.equal(put(`<presence><x xmlns='${UPDATE}'/></presence>`), `<presence><x xmlns="${UPDATE}"><photo>abc</photo></x></presence>`, 'an empty x is overwritten');
      assert.equal(put(`<presence><x xmlns='${UPDATE}'><photo>old</photo></x><priority>1</priority></presence>`), `<presence><priority>1</priority><x xmlns="${UPDATE}"><photo>abc</photo></x></presence>`);
      assert.equal(put('<presence/>', ''), `<presence><x xmlns="${UPDATE}"><photo/></x></presence>`, 'a removed avatar is an empty photo');
    });
  });

  describe('over the wire', function () {
    let srv: TestServer;
    const open: (XmppClient | undefined)[] = [];
    let n = 0;
    before(async () => {
      srv = await startTestServer({ domain: 'capulet.lit', components: { port: null } });
    });
    afterEach(async () => stopAll(...open.splice(0)));
    after(() => srv.stop());

    /** Juliet (plain presence) and Romeo (wants avatar metadata notifications), sharing presence. */
    async function couple(): Promise<{ juliet: XmppClient; romeo: CapsClient; julietJid: string; romeoJid: string }> {
      n++;
      const julietJid = `juliet${n}@capulet.lit`;
      const romeoJid = `romeo${n}@capulet.lit`;
      await srv.users.add(julietJid, 'secret');
      await srv.users.add(romeoJid, 'secret');
      const juliet = await connect(srv, `juliet${n}`, 'secret', { resource: 'chamber' });
      open.push(juliet);
      const romeo = advertise(await connect(srv, `romeo${n}`, 'secret', { resource: 'home', sendPresence: false }), [`${METADATA}+notify`]);
      open.push(romeo.client);
      await announce(romeo);
      await befriend(juliet, julietJid, romeo.client, romeoJid);
      await ping(juliet);
      await ping(romeo.client);
      return { juliet, romeo, julietJid, romeoJid };
    }
    const vcardOf = async (c: XmppClient, jid: string) => (await c.iqCaller.request(xml('iq', { type: 'get', to: jid }, xml('vCard', { xmlns: VCARD })))).getChild('vCard', VCARD)!;
    const presenceFrom = (jid: string) => (el: XmlElement) => el.is('presence') && el.attrs.from === jid && el.attrs.type === undefined;

    it('announces the conversion on the account (§2, Examples 1 and 2)', async () => {
      const { juliet } = await couple();
      const r = await juliet.iqCaller.request(xml('iq', { type: 'get', id: '01' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      assert.ok(r.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === CONVERSION));
    });

    it('puts a published XEP-0084 avatar into the vCard and into presence (§3.1, §4)', async () => {
      const { juliet, romeo, julietJid } = await couple();
      await publish(juliet, DATA, sha1(RED), avatarData(RED));
      const rebroadcast = next(romeo.client, presenceFrom(`${julietJid}/chamber`));
      await publish(juliet, METADATA, sha1(RED), avatarMetadata(RED, 2, 3));

      const photo = (await vcardOf(romeo.client, julietJid)).getChild('PHOTO')!;
      assert.equal(photo.getChildText('TYPE'), 'image/png');
      assert.equal(photo.getChildText('BINVAL'), RED);
      // XEP-0153 §3.2 Example 3: the contact learns the hash without asking.
      assert.equal(photoIn(await rebroadcast)?.getText(), sha1(RED));
      // §4 Examples 4 and 5: a bare <presence/> from the client goes out with the hash.
      const later = next(romeo.client, presenceFrom(`${julietJid}/chamber`));
      await juliet.send(xml('presence'));
      assert.equal(photoIn(await later)?.getText(), sha1(RED));
    });

    it('publishes a vCard photo to the XEP-0084 nodes, data then metadata, and notifies contacts once (§3.2)', async () => {
      const { juliet, romeo, julietJid } = await couple();
      const events = collect(romeo.client, isEvent(METADATA));
      const notified = next(romeo.client, isEvent(METADATA));
      const rebroadcast = next(romeo.client, presenceFrom(`${julietJid}/chamber`));
      const set = await juliet.iqCaller.request(xml('iq', { type: 'set', id: 'vc1' }, vcardWithPhoto(BLUE)));
      assert.equal(set.attrs.type, 'result');

      const item = (await notified).getChild('event')!.getChild('items')!.getChild('item')!;
      assert.equal(item.attrs.id, sha1(BLUE), 'XEP-0084 §4.1: the item id is the SHA-1 of the image');
      assert.deepEqual(item.getChild('metadata', METADATA)!.getChild('info')!.attrs, { bytes: String(bytesOf(BLUE).length), id: sha1(BLUE), type: 'image/png', width: '4', height: '5' });
      // XEP-0084 §4.4 Examples 6 and 7: the contact fetches the data by the id.
      const data = await items(romeo.client, julietJid, DATA);
      assert.deepEqual(data.map((i) => [i.attrs.id, i.getChildText('data', DATA)]), [[sha1(BLUE), BLUE]]);
      assert.equal(photoIn(await rebroadcast)?.getText(), sha1(BLUE));
      // The vCard is the client's, kept as set (the PEP publish did not write it back), and the
      // contact had one notification for one change.
      const vcard = await vcardOf(juliet, julietJid);
      assert.equal(vcard.getChildText('FN'), 'Juliet Capulet');
      assert.equal(vcard.getChildren('PHOTO').length, 1);
      await ping(juliet);
      assert.equal((await events.done()).length, 1);
    });

    it('leaves an empty <photo/> alone, overwrites an empty <x/>, and adds the hash to directed presence (§4 Examples 6, 7)', async () => {
      const { juliet, romeo, julietJid, romeoJid } = await couple();
      await juliet.iqCaller.request(xml('iq', { type: 'set' }, vcardWithPhoto(RED)));
      await ping(romeo.client);
      const from = presenceFrom(`${julietJid}/chamber`);

      let got = next(romeo.client, from);
      await juliet.send(xml('presence', {}, xml('x', { xmlns: UPDATE }, xml('photo'))));
      assert.equal(photoIn(await got)?.getText(), '');
      got = next(romeo.client, from);
      await juliet.send(xml('presence', {}, xml('x', { xmlns: UPDATE })));
      assert.equal(photoIn(await got)?.getText(), sha1(RED));
      // "The hash MUST also be injected into directed presences such as MUC joins."
      got = next(romeo.client, from);
      await juliet.send(xml('presence', { to: `${romeoJid}/home` }, xml('show', {}, 'away')));
      const directed = await got;
      assert.equal(directed.getChildText('show'), 'away');
      assert.equal(photoIn(directed)?.getText(), sha1(RED));
    });

    it('leaves the presence of an account without an avatar as its client sent it', async () => {
      const { juliet, romeo, julietJid } = await couple();
      const got = next(romeo.client, presenceFrom(`${julietJid}/chamber`));
      await juliet.send(xml('presence', {}, xml('status', {}, 'in the garden')));
      const p = await got;
      assert.equal(p.getChildText('status'), 'in the garden');
      assert.equal(p.getChild('x', UPDATE), undefined);
    });

    it('converts neither metadata whose data does not hash to its id (XEP-0084 Examples 1 and 3 as printed) nor a URL-only avatar', async () => {
      const { juliet, romeo, julietJid } = await couple();
      // The XEP's own data is elided ("qANQR1DBwU4DX7jmYZnncm...") and cannot hash to 111f4b3c…
      await publish(juliet, DATA, '111f4b3c50d7b0df729d299bc6f8e9ef9066971f', xml('data', { xmlns: DATA }, 'qANQR1DBwU4DX7jmYZnncm...'));
      await publish(juliet, METADATA, '111f4b3c50d7b0df729d299bc6f8e9ef9066971f', xml('metadata', { xmlns: METADATA }, xml('info', { bytes: '12345', id: '111f4b3c50d7b0df729d299bc6f8e9ef9066971f', height: '64', type: 'image/png', width: '64' })));
      // Real data under a wrong id.
      await publish(juliet, DATA, sha1(BLUE), avatarData(RED));
      await publish(juliet, METADATA, sha1(BLUE), avatarMetadata(BLUE, 4, 5));
      // XEP-0084 §4.2 Example 4: the image at a URL only (§3.1: the info without a URL is the one converted).
      await publish(juliet, METADATA, '222f4b3c50d7b0df729d299bc6f8e9ef9066971f', xml('metadata', { xmlns: METADATA }, xml('info', { bytes: '23456', height: '64', id: '222f4b3c50d7b0df729d299bc6f8e9ef9066971f', type: 'image/gif', url: 'http://avatars.example.org/happy.gif', width: '64' })));
      assert.equal((await vcardOf(romeo.client, julietJid)).getChild('PHOTO'), undefined);
    });

    it('removes the vCard PHOTO when the avatar is disabled with an empty <metadata/>, and the reverse (XEP-0084 §4.5)', async () => {
      const { juliet, romeo, julietJid } = await couple();
      await publish(juliet, DATA, sha1(RED), avatarData(RED));
      await publish(juliet, METADATA, sha1(RED), avatarMetadata(RED, 2, 3));
      assert.ok((await vcardOf(romeo.client, julietJid)).getChild('PHOTO'));

      let rebroadcast = next(romeo.client, presenceFrom(`${julietJid}/chamber`));
      await publish(juliet, METADATA, undefined, xml('metadata', { xmlns: METADATA }));
      assert.equal((await vcardOf(romeo.client, julietJid)).getChild('PHOTO'), undefined);
      assert.equal(photoIn(await rebroadcast)?.getText(), '', 'XEP-0153: an empty <photo/> says there is no avatar');

      // A vCard photo again, then a vCard without one: contacts get an empty metadata notification.
      await juliet.iqCaller.request(xml('iq', { type: 'set' }, vcardWithPhoto(BLUE)));
      await ping(romeo.client);
      const removed = next(romeo.client, (el) => isEvent(METADATA)(el) && !el.getChild('event')!.getChild('items')!.getChild('item')!.getChild('metadata', METADATA)!.getChild('info'));
      rebroadcast = next(romeo.client, (el) => presenceFrom(`${julietJid}/chamber`)(el) && photoIn(el)?.getText() === '');
      await juliet.iqCaller.request(xml('iq', { type: 'set' }, xml('vCard', { xmlns: VCARD }, xml('FN', {}, 'Juliet'))));
      await removed;
      await rebroadcast;
      const meta = await items(juliet, undefined, METADATA);
      assert.equal(meta.length, 1);
      assert.equal(meta[0]!.getChild('metadata', METADATA)!.getChildren('info').length, 0);
    });

    it('refuses to let another account set the vCard, and converts nothing for it', async () => {
      const { juliet, romeo, julietJid } = await couple();
      await assert.rejects(
        romeo.client.iqCaller.request(xml('iq', { type: 'set', to: julietJid }, vcardWithPhoto(BLUE))),
        (e: { condition?: string }) => e.condition === 'forbidden',
      );
      assert.deepEqual(await items(juliet, undefined, METADATA).catch((e: { condition?: string }) => e.condition), 'item-not-found');
    });
  });
});
