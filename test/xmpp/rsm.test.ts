// Result Set Management (XEP-0059) with the examples of its §2: the requests parse to what they ask
// for, paging an 800-item result set gives the pages and <set/> responses the examples show.
import assert from 'node:assert/strict';
import { StanzaError } from '../../xmpp/errors.js';
import { paginate, parseRsm, rsmRequestIn, rsmResponse, type RsmRequest } from '../../xmpp/rsm.js';
import { parseXml } from '../../xmpp/xml.js';

const compact = (s: string) => s.replace(/>\s+</g, '><').trim();
const set = (inner: string) => parseXml(`<set xmlns='http://jabber.org/protocol/rsm'>${inner}</set>`);

// The full result set of the jabber:iq:search examples: 800 items, the UIDs of §2.2 in place.
const IDS = Array.from({ length: 800 }, (_, i) => `user${i}@example.org`);
IDS[0] = 'stpeter@jabber.org';
IDS[9] = 'peterpan@neverland.lit';
IDS[10] = 'peter@pixyland.org';
IDS[19] = 'peter@rabbit.lit';

describe('result set management (XEP-0059)', () => {
  describe('requests', () => {
    const table: Array<[string, string, RsmRequest]> = [
      ['limiting the number of items (§2.1)', '<max>10</max>', { max: 10 }],
      ['the second page (§2.2)', '<max>10</max><after>peterpan@neverland.lit</after>', { max: 10, after: 'peterpan@neverland.lit' }],
      ['the previous page (§2.3)', '<max>10</max><before>peter@pixyland.org</before>', { max: 10, before: 'peter@pixyland.org' }],
      ['the last page (§2.5)', '<max>10</max><before/>', { max: 10, before: '' }],
      ['a page by index (§2.6)', '<max>10</max><index>371</index>', { max: 10, index: 371 }],
      ['the item count (§2.7)', '<max>0</max>', { max: 0 }],
    ];
    for (const [what, inner, expected] of table) it(`parses ${what}`, () => assert.deepEqual(parseRsm(set(inner)), expected));

    it('finds the set inside the using protocol\'s payload', () => {
      const query = parseXml(compact(`<query xmlns='jabber:iq:search'><nick>Pete</nick>
        <set xmlns='http://jabber.org/protocol/rsm'><max>10</max></set></query>`));
      assert.deepEqual(rsmRequestIn(query), { max: 10 });
      assert.equal(rsmRequestIn(parseXml("<query xmlns='jabber:iq:search'/>")), undefined);
    });

    for (const bad of ['<max>ten</max>', '<max>-1</max>', '<index>1.5</index>']) {
      it(`refuses ${bad} with bad-request`, () => {
        assert.throws(() => parseRsm(set(bad)), (e: unknown) => e instanceof StanzaError && e.condition === 'bad-request');
      });
    }
  });

  describe('responses', () => {
    it('writes the first page\'s set as §2.2 shows it', () => {
      const el = rsmResponse({ first: 'stpeter@jabber.org', firstIndex: 0, last: 'peterpan@neverland.lit', count: 800, exact: true });
      assert.equal(el.toString(), compact(`<set xmlns="http://jabber.org/protocol/rsm">
        <first index="0" exact-index="true">stpeter@jabber.org</first><last>peterpan@neverland.lit</last>
        <count exact="true">800</count></set>`));
    });

    it('writes the second page\'s set without exactness when not given', () => {
      const el = rsmResponse({ first: 'peter@pixyland.org', firstIndex: 10, last: 'peter@rabbit.lit', count: 800 });
      assert.equal(el.toString(), '<set xmlns="http://jabber.org/protocol/rsm"><first index="10">peter@pixyland.org</first>'
        + '<last>peter@rabbit.lit</last><count>800</count></set>');
    });

    it('writes an empty page as the count alone', () => {
      assert.equal(rsmResponse({ count: 790 }).toString(), '<set xmlns="http://jabber.org/protocol/rsm"><count>790</count></set>');
    });
  });

  describe('paging', () => {
    const page = (inner: string, ids: readonly string[] = IDS) => paginate(ids, parseRsm(set(inner)));

    it('returns the first page (§2.2)', () => {
      const p = page('<max>10</max>');
      assert.deepEqual([p.start, p.end, p.ids.length, p.complete], [0, 10, 10, false]);
      assert.deepEqual(p.response, { first: 'stpeter@jabber.org', firstIndex: 0, last: 'peterpan@neverland.lit', count: 800, exact: true });
    });

    it('returns the page after the last item received (§2.2)', () => {
      const p = page('<max>10</max><after>peterpan@neverland.lit</after>');
      assert.deepEqual(p.response, { first: 'peter@pixyland.org', firstIndex: 10, last: 'peter@rabbit.lit', count: 800, exact: true });
    });

    it('returns the page before the first item received (§2.3)', () => {
      const p = page('<max>10</max><before>peter@pixyland.org</before>');
      assert.deepEqual(p.response, { first: 'stpeter@jabber.org', firstIndex: 0, last: 'peterpan@neverland.lit', count: 800, exact: true });
      assert.equal(p.complete, true, 'nothing before the first page');
    });

    it('answers an unknown after or before id with item-not-found (§2.4)', () => {
      for (const inner of ['<max>10</max><after>gone@example.org</after>', '<max>10</max><before>gone@example.org</before>']) {
        assert.throws(() => page(inner), (e: unknown) => e instanceof StanzaError && e.condition === 'item-not-found' && e.type === 'cancel');
      }
    });

    it('returns the last page for an empty before (§2.5)', () => {
      const p = page('<max>10</max><before/>');
      assert.deepEqual([p.start, p.end, p.ids[9], p.response.firstIndex], [790, 800, IDS[799], 790]);
    });

    it('returns a page at an index, first index as requested (§2.6)', () => {
      const p = page('<max>10</max><index>371</index>');
      assert.deepEqual([p.response.firstIndex, p.response.first, p.response.count], [371, IDS[371], 800]);
    });

    it('returns an empty page for an index past the end (§2.6)', () => {
      const p = page('<max>10</max><index>790</index>', IDS.slice(0, 790));
      assert.deepEqual(p.ids, []);
      assert.equal(rsmResponse({ ...p.response, exact: undefined }).toString(),
        '<set xmlns="http://jabber.org/protocol/rsm"><count>790</count></set>');
    });

    it('returns the count alone for max 0 (§2.7)', () => {
      const p = page('<max>0</max>');
      assert.deepEqual(p.ids, []);
      assert.equal(rsmResponse(p.response).toString(), '<set xmlns="http://jabber.org/protocol/rsm"><count exact="true">800</count></set>');
    });

    it('pages through the whole set forwards without duplicates, then says it is complete', () => {
      const seen: string[] = [];
      let req: RsmRequest = { max: 300 };
      for (;;) {
        const p = paginate(IDS, req);
        seen.push(...p.ids);
        if (p.complete) break;
        req = { max: 300, after: p.response.last };
      }
      assert.deepEqual(seen, IDS);
    });

    it('cuts pages to the responder\'s limit, with or without max', () => {
      assert.equal(paginate(IDS, {}, 50).ids.length, 50);
      assert.equal(paginate(IDS, { max: 500 }, 50).ids.length, 50);
      assert.equal(paginate(IDS, { max: 5 }, 50).ids.length, 5);
    });

    it('takes a page between after and before from the before end', () => {
      const p = paginate(IDS, { max: 3, after: IDS[100], before: IDS[110] });
      assert.deepEqual(p.ids, IDS.slice(107, 110));
      assert.equal(p.complete, false);
    });

    it('gives an empty set an empty page', () => {
      const p = paginate([], { max: 10 });
      assert.deepEqual([p.ids, p.complete, p.response], [[], true, { count: 0, exact: true }]);
    });
  });
});
