// The generic stores modules get (server/core/module.ts over server/storage/sqlite.ts): key-value
// documents, and archives paged the way XEP-0059 and XEP-0313 ask.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../../server/storage/sqlite.js';
import type { Storage } from '../../server/storage/storage.js';

describe('module stores (SQLite)', () => {
  let dir: string;
  let storage: Storage;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'carillon-stores-'));
    storage = openSqliteStorage(dir);
  });
  afterEach(() => {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps key-value documents per module and user, and survives a reopen', () => {
    const m = storage.modules;
    m.set('blocking', 'juliet', 'list', '["romeo@montague.net"]');
    m.set('private', 'juliet', 'list', 'other module');
    m.set('blocking', 'nurse', 'list', '[]');
    assert.equal(m.get('blocking', 'juliet', 'list'), '["romeo@montague.net"]');
    assert.deepEqual(m.keys('blocking', 'juliet'), ['list']);
    storage.close();
    storage = openSqliteStorage(dir);
    assert.equal(storage.modules.get('private', 'juliet', 'list'), 'other module');
    storage.modules.set('blocking', 'juliet', 'list', undefined);
    assert.equal(storage.modules.get('blocking', 'juliet', 'list'), undefined);
    assert.equal(storage.modules.get('blocking', 'nurse', 'list'), '[]');
  });

  describe('archives', () => {
    const fill = () => {
      // Ten items, one a minute, alternating between two correspondents.
      for (let i = 0; i < 10; i++) {
        const ok = storage.modules.append('mam', 'juliet', { id: `id${i}`, ts: 60_000 * i, with: i % 2 ? 'romeo@montague.net' : 'nurse@capulet.com', xml: `<message n="${i}"/>` });
        assert.equal(ok, true);
      }
    };
    const ids = (p: { items: { id: string }[] }) => p.items.map((i) => i.id);

    it('refuses a second item with the same id', () => {
      fill();
      assert.equal(storage.modules.append('mam', 'juliet', { id: 'id3', ts: 1, with: 'x@y', xml: '<m/>' }), false);
      assert.equal(storage.modules.query('mam', 'juliet', { max: 100 }).count, 10);
    });

    it('pages forwards with after (XEP-0059 §2.2) and tells when the end is reached', () => {
      fill();
      const first = storage.modules.query('mam', 'juliet', { max: 4 });
      assert.deepEqual(ids(first), ['id0', 'id1', 'id2', 'id3']);
      assert.deepEqual([first.count, first.index, first.complete], [10, 0, false]);
      const second = storage.modules.query('mam', 'juliet', { max: 4, after: 'id3' });
      assert.deepEqual(ids(second), ['id4', 'id5', 'id6', 'id7']);
      assert.equal(second.index, 4);
      const last = storage.modules.query('mam', 'juliet', { max: 4, after: 'id7' });
      assert.deepEqual(ids(last), ['id8', 'id9']);
      assert.deepEqual([last.index, last.complete], [8, true]);
    });

    it('pages backwards from the end with an empty before (XEP-0059 §2.5) and then before an id', () => {
      fill();
      const lastPage = storage.modules.query('mam', 'juliet', { max: 3, before: '' });
      assert.deepEqual(ids(lastPage), ['id7', 'id8', 'id9']);
      assert.deepEqual([lastPage.index, lastPage.complete], [7, false]);
      const earlier = storage.modules.query('mam', 'juliet', { max: 5, before: 'id2' });
      assert.deepEqual(ids(earlier), ['id0', 'id1']);
      assert.deepEqual([earlier.index, earlier.complete], [0, true]);
    });

    it('filters by with, by time and by ids, and counts what matches', () => {
      fill();
      const romeo = storage.modules.query('mam', 'juliet', { max: 2, with: 'romeo@montague.net' });
      assert.deepEqual(ids(romeo), ['id1', 'id3']);
      assert.equal(romeo.count, 5);
      const next = storage.modules.query('mam', 'juliet', { max: 2, with: 'romeo@montague.net', after: 'id3' });
      assert.deepEqual([ids(next), next.index], [['id5', 'id7'], 2]);
      const window = storage.modules.query('mam', 'juliet', { max: 100, start: 120_000, end: 300_000 });
      assert.deepEqual(ids(window), ['id2', 'id3', 'id4', 'id5']);
      assert.deepEqual(ids(storage.modules.query('mam', 'juliet', { max: 100, ids: ['id9', 'id4', 'nope'] })), ['id4', 'id9']);
      assert.equal(storage.modules.query('mam', 'nurse', { max: 100 }).count, 0);
    });

    it('reports an unknown after/before id as item-not-found', () => {
      fill();
      assert.throws(() => storage.modules.query('mam', 'juliet', { max: 4, after: 'nope' }), (e: { code?: string }) => e.code === 'item-not-found');
    });

    it('expires old items, and forgets a user with the account', async () => {
      fill();
      assert.equal(storage.modules.expire('mam', 300_000), 5);
      assert.deepEqual(ids(storage.modules.query('mam', 'juliet', { max: 100 })), ['id5', 'id6', 'id7', 'id8', 'id9']);
      storage.users.create('juliet', { 'SCRAM-SHA-256': { salt: 'c2FsdA==', iterations: 4096, storedKey: 'a', serverKey: 'b' } } as never);
      storage.modules.set('blocking', 'juliet', 'list', '[]');
      assert.equal(storage.users.delete('juliet'), true);
      assert.equal(storage.modules.query('mam', 'juliet', { max: 100 }).count, 0);
      assert.equal(storage.modules.get('blocking', 'juliet', 'list'), undefined);
    });
  });
});
