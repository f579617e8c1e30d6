// SQLite storage (better-sqlite3) with numbered schema migrations kept in PRAGMA user_version.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Credentials } from '../sasl/credentials.js';
import type { ArchiveItem, ArchivePage, ArchiveQuery, PepItem, PepNode, RosterItem, Storage, Subscription } from './storage.js';

/** Each entry moves the schema one version up; never edit a released entry, append a new one. */
const MIGRATIONS: string[] = [
  `CREATE TABLE users (
     username TEXT PRIMARY KEY,
     credentials TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE roster (
     username TEXT NOT NULL,
     contact TEXT NOT NULL,
     name TEXT,
     groups TEXT NOT NULL DEFAULT '[]',
     subscription TEXT NOT NULL DEFAULT 'none',
     ask INTEGER NOT NULL DEFAULT 0,
     pending_in INTEGER NOT NULL DEFAULT 0,
     approved INTEGER NOT NULL DEFAULT 0,
     in_roster INTEGER NOT NULL DEFAULT 1,
     PRIMARY KEY (username, contact)
   );
   CREATE TABLE roster_version (username TEXT PRIMARY KEY, version INTEGER NOT NULL);
   CREATE TABLE offline (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     username TEXT NOT NULL,
     stanza TEXT NOT NULL,
     stored_at INTEGER NOT NULL
   );
   CREATE INDEX offline_user ON offline(username, id);
   CREATE TABLE documents (
     username TEXT NOT NULL,
     key TEXT NOT NULL,
     xml TEXT NOT NULL,
     PRIMARY KEY (username, key)
   );`,
  `CREATE TABLE pep_nodes (
     username TEXT NOT NULL,
     node TEXT NOT NULL,
     config TEXT NOT NULL,
     PRIMARY KEY (username, node)
   );
   CREATE TABLE pep_items (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     username TEXT NOT NULL,
     node TEXT NOT NULL,
     id TEXT NOT NULL,
     xml TEXT NOT NULL,
     UNIQUE (username, node, id)
   );
   CREATE INDEX pep_items_node ON pep_items(username, node, seq);`,
  // Generic module stores (server/core/module.ts): key-value documents and archives.
  `CREATE TABLE module_kv (
     module TEXT NOT NULL,
     username TEXT NOT NULL,
     key TEXT NOT NULL,
     value TEXT NOT NULL,
     PRIMARY KEY (module, username, key)
   );
   CREATE TABLE module_archive (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     module TEXT NOT NULL,
     username TEXT NOT NULL,
     id TEXT NOT NULL,
     ts INTEGER NOT NULL,
     with_jid TEXT NOT NULL,
     xml TEXT NOT NULL,
     UNIQUE (module, username, id)
   );
   CREATE INDEX module_archive_user ON module_archive(module, username, seq);
   CREATE INDEX module_archive_with ON module_archive(module, username, with_jid, seq);
   CREATE INDEX module_archive_ts ON module_archive(module, ts);`,
];

interface RosterRow {
  contact: string;
  name: string | null;
  groups: string;
  subscription: Subscription;
  ask: number;
  pending_in: number;
  approved: number;
  in_roster: number;
}

function toItem(r: RosterRow): RosterItem {
  return {
    jid: r.contact,
    name: r.name ?? undefined,
    groups: JSON.parse(r.groups) as string[],
    subscription: r.subscription,
    ask: r.ask === 1,
    pendingIn: r.pending_in === 1,
    approved: r.approved === 1,
    inRoster: r.in_roster === 1,
  };
}

export function openSqliteStorage(dataDir: string, file = 'carillon.sqlite'): Storage {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, file));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db);

  const q = {
    userExists: db.prepare('SELECT 1 FROM users WHERE username = ?').pluck(),
    userInsert: db.prepare('INSERT OR IGNORE INTO users (username, credentials, created_at) VALUES (?, ?, ?)'),
    userCreds: db.prepare('SELECT credentials FROM users WHERE username = ?').pluck(),
    userSetCreds: db.prepare('UPDATE users SET credentials = ? WHERE username = ?'),
    userCount: db.prepare('SELECT COUNT(*) FROM users').pluck(),
    rosterAll: db.prepare('SELECT * FROM roster WHERE username = ? ORDER BY contact'),
    rosterOne: db.prepare('SELECT * FROM roster WHERE username = ? AND contact = ?'),
    rosterCount: db.prepare('SELECT COUNT(*) FROM roster WHERE username = ?').pluck(),
    rosterPut: db.prepare(
      `INSERT INTO roster (username, contact, name, groups, subscription, ask, pending_in, approved, in_roster)
       VALUES (@username, @contact, @name, @groups, @subscription, @ask, @pending_in, @approved, @in_roster)
       ON CONFLICT (username, contact) DO UPDATE SET name = excluded.name, groups = excluded.groups,
         subscription = excluded.subscription, ask = excluded.ask, pending_in = excluded.pending_in,
         approved = excluded.approved, in_roster = excluded.in_roster`,
    ),
    rosterDel: db.prepare('DELETE FROM roster WHERE username = ? AND contact = ?'),
    verGet: db.prepare('SELECT version FROM roster_version WHERE username = ?').pluck(),
    verBump: db.prepare(
      `INSERT INTO roster_version (username, version) VALUES (?, 1)
       ON CONFLICT (username) DO UPDATE SET version = version + 1 RETURNING version`,
    ).pluck(),
    offCount: db.prepare('SELECT COUNT(*) FROM offline WHERE username = ?').pluck(),
    offPush: db.prepare('INSERT INTO offline (username, stanza, stored_at) VALUES (?, ?, ?)'),
    offAll: db.prepare('SELECT stanza FROM offline WHERE username = ? ORDER BY id').pluck(),
    offDel: db.prepare('DELETE FROM offline WHERE username = ?'),
    offLargest: db.prepare('SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM offline GROUP BY username)').pluck(),
    offTotal: db.prepare('SELECT COUNT(*) AS messages, COALESCE(SUM(LENGTH(CAST(stanza AS BLOB))), 0) AS bytes FROM offline'),
    docGet: db.prepare('SELECT xml FROM documents WHERE username = ? AND key = ?').pluck(),
    docSet: db.prepare(
      'INSERT INTO documents (username, key, xml) VALUES (?, ?, ?) ON CONFLICT (username, key) DO UPDATE SET xml = excluded.xml',
    ),
    docDel: db.prepare('DELETE FROM documents WHERE username = ? AND key = ?'),
    pepNodes: db.prepare('SELECT node, config FROM pep_nodes WHERE username = ? ORDER BY node'),
    pepNode: db.prepare('SELECT node, config FROM pep_nodes WHERE username = ? AND node = ?'),
    pepPutNode: db.prepare(
      'INSERT INTO pep_nodes (username, node, config) VALUES (?, ?, ?) ON CONFLICT (username, node) DO UPDATE SET config = excluded.config',
    ),
    pepDelNode: db.prepare('DELETE FROM pep_nodes WHERE username = ? AND node = ?'),
    pepDelItems: db.prepare('DELETE FROM pep_items WHERE username = ? AND node = ?'),
    pepItems: db.prepare('SELECT id, xml FROM (SELECT seq, id, xml FROM pep_items WHERE username = ? AND node = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq'),
    pepDelItem: db.prepare('DELETE FROM pep_items WHERE username = ? AND node = ? AND id = ?'),
    pepAddItem: db.prepare('INSERT INTO pep_items (username, node, id, xml) VALUES (?, ?, ?, ?)'),
    pepTrim: db.prepare(
      `DELETE FROM pep_items WHERE username = @user AND node = @node AND seq NOT IN
         (SELECT seq FROM pep_items WHERE username = @user AND node = @node ORDER BY seq DESC LIMIT @max)`,
    ),
  };
  const toNode = (r: { node: string; config: string }): PepNode => ({ node: r.node, config: JSON.parse(r.config) as Record<string, string> });
  const deleteNode = db.transaction((user: string, node: string) => {
    q.pepDelItems.run(user, node);
    return q.pepDelNode.run(user, node).changes > 0;
  });
  const publishItem = db.transaction((user: string, node: string, item: PepItem, max: number) => {
    q.pepDelItem.run(user, node, item.id);
    q.pepAddItem.run(user, node, item.id, item.xml);
    q.pepTrim.run({ user, node, max });
  });

  const modules = moduleStores(db);
  const deleteUserRows = db.transaction((user: string) => {
    const n = db.prepare('DELETE FROM users WHERE username = ?').run(user).changes;
    for (const t of ['roster', 'roster_version', 'offline', 'documents', 'pep_nodes', 'pep_items', 'module_kv', 'module_archive']) db.prepare(`DELETE FROM ${t} WHERE username = ?`).run(user);
    return n > 0;
  });
  // The archive's batch goes into the same commit: an offline copy carries the XEP-0359 stanza-id
  // of its archive row, which must not be lost while the copy survives a crash.
  const pushOffline = db.transaction((user: string, xml: string, max: number) => {
    if ((q.offCount.get(user) as number) >= max) return false;
    modules.flush();
    q.offPush.run(user, xml, Date.now());
    return true;
  });
  const takeOffline = db.transaction((user: string) => {
    const rows = q.offAll.all(user) as string[];
    if (rows.length) q.offDel.run(user);
    return rows;
  });

  return {
    users: {
      exists: (user) => q.userExists.get(user) === 1,
      create: (user, creds: Credentials) => q.userInsert.run(user, JSON.stringify(creds), Date.now()).changes === 1,
      credentials: (user) => {
        const s = q.userCreds.get(user) as string | undefined;
        return s === undefined ? undefined : (JSON.parse(s) as Credentials);
      },
      setCredentials: (user, creds) => q.userSetCreds.run(JSON.stringify(creds), user).changes === 1,
      delete: (user) => (modules.flush(), deleteUserRows(user)),
      count: () => q.userCount.get() as number,
    },
    roster: {
      items: (user) => (q.rosterAll.all(user) as RosterRow[]).map(toItem),
      item: (user, contact) => {
        const r = q.rosterOne.get(user, contact) as RosterRow | undefined;
        return r ? toItem(r) : undefined;
      },
      count: (user) => q.rosterCount.get(user) as number,
      put: (user, item) => {
        q.rosterPut.run({
          username: user,
          contact: item.jid,
          name: item.name ?? null,
          groups: JSON.stringify(item.groups),
          subscription: item.subscription,
          ask: item.ask ? 1 : 0,
          pending_in: item.pendingIn ? 1 : 0,
          approved: item.approved ? 1 : 0,
          in_roster: item.inRoster ? 1 : 0,
        });
        return q.verBump.get(user) as number;
      },
      remove: (user, contact) => {
        q.rosterDel.run(user, contact);
        return q.verBump.get(user) as number;
      },
      version: (user) => (q.verGet.get(user) as number | undefined) ?? 0,
    },
    offline: {
      push: (user, xml, max) => pushOffline(user, xml, max),
      take: (user) => takeOffline(user),
      total: () => q.offTotal.get() as { messages: number; bytes: number },
      largestQueue: () => q.offLargest.get() as number,
    },
    documents: {
      get: (user, key) => q.docGet.get(user, key) as string | undefined,
      set: (user, key, xml) => {
        if (xml === undefined) q.docDel.run(user, key);
        else q.docSet.run(user, key, xml);
      },
    },
    pep: {
      nodes: (user) => (q.pepNodes.all(user) as { node: string; config: string }[]).map(toNode),
      node: (user, node) => {
        const r = q.pepNode.get(user, node) as { node: string; config: string } | undefined;
        return r ? toNode(r) : undefined;
      },
      putNode: (user, n) => void q.pepPutNode.run(user, n.node, JSON.stringify(n.config)),
      deleteNode: (user, node) => deleteNode(user, node),
      items: (user, node, max) => q.pepItems.all(user, node, max ?? -1) as PepItem[],
      publish: (user, node, item, maxItems) => publishItem(user, node, item, maxItems),
      retract: (user, node, id) => q.pepDelItem.run(user, node, id).changes > 0,
      trim: (user, node, maxItems) => void q.pepTrim.run({ user, node, max: maxItems }),
    },
    modules,
    flush: () => modules.flush(),
    close: () => {
      modules.flush();
      db.close();
    },
  };
}

interface ArchiveRow {
  seq: number;
  id: string;
  ts: number;
  with_jid: string;
  xml: string;
}

/** The generic module stores: key-value documents, and archives paged as XEP-0059 asks. */
function moduleStores(db: Database.Database): Storage['modules'] & { flush(): void } {
  const q = {
    get: db.prepare('SELECT value FROM module_kv WHERE module = ? AND username = ? AND key = ?').pluck(),
    set: db.prepare('INSERT INTO module_kv (module, username, key, value) VALUES (?, ?, ?, ?) ON CONFLICT (module, username, key) DO UPDATE SET value = excluded.value'),
    del: db.prepare('DELETE FROM module_kv WHERE module = ? AND username = ? AND key = ?'),
    keys: db.prepare('SELECT key FROM module_kv WHERE module = ? AND username = ? ORDER BY key').pluck(),
    append: db.prepare('INSERT OR IGNORE INTO module_archive (module, username, id, ts, with_jid, xml) VALUES (?, ?, ?, ?, ?, ?)'),
    seqOf: db.prepare('SELECT seq FROM module_archive WHERE module = ? AND username = ? AND id = ?').pluck(),
    expire: db.prepare('DELETE FROM module_archive WHERE module = ? AND ts < ?'),
    clearKv: db.prepare('DELETE FROM module_kv WHERE module = ? AND username = ?'),
    clearArchive: db.prepare('DELETE FROM module_archive WHERE module = ? AND username = ?'),
  };
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let st = statements.get(sql);
    if (!st) statements.set(sql, (st = db.prepare(sql)));
    return st;
  };
  const query = (module: string, user: string, a: ArchiveQuery): ArchivePage => {
    const where = ['module = @module', 'username = @user'];
    const params: Record<string, unknown> = { module, user };
    if (a.with !== undefined) {
      where.push('with_jid = @with');
      params.with = a.with;
    }
    if (a.start !== undefined) {
      where.push('ts >= @start');
      params.start = a.start;
    }
    if (a.end !== undefined) {
      where.push('ts <= @end');
      params.end = a.end;
    }
    if (a.ids !== undefined) {
      const names = a.ids.map((id, i) => {
        params[`id${i}`] = id;
        return `@id${i}`;
      });
      where.push(names.length ? `id IN (${names.join(', ')})` : '0');
    }
    const filter = where.join(' AND ');
    const count = prepared(`SELECT COUNT(*) FROM module_archive WHERE ${filter}`).pluck().get(params) as number;
    // An unknown after/before id is the caller's to report (XEP-0059 §2.5: item-not-found).
    const seqOf = (id: string): number => {
      const s = q.seqOf.get(module, user, id) as number | undefined;
      if (s === undefined) throw Object.assign(new Error(`no archived item ${id}`), { code: 'item-not-found' });
      return s;
    };
    const page = [...where];
    const backwards = a.before !== undefined;
    if (a.after !== undefined) {
      page.push('seq > @afterSeq');
      params.afterSeq = seqOf(a.after);
    }
    if (a.before !== undefined && a.before !== '') {
      page.push('seq < @beforeSeq');
      params.beforeSeq = seqOf(a.before);
    }
    params.limit = a.max + 1; // one more tells whether the page is the last in its direction
    const rows = prepared(
      `SELECT seq, id, ts, with_jid, xml FROM module_archive WHERE ${page.join(' AND ')} ORDER BY seq ${backwards ? 'DESC' : 'ASC'} LIMIT @limit`,
    ).all(params) as ArchiveRow[];
    const complete = rows.length <= a.max;
    const kept = rows.slice(0, a.max);
    if (backwards) kept.reverse();
    let index = 0;
    if (kept.length) {
      index = prepared(`SELECT COUNT(*) FROM module_archive WHERE ${filter} AND seq < @firstSeq`).pluck().get({ ...params, firstSeq: kept[0]!.seq }) as number;
    }
    const items: ArchiveItem[] = kept.map((r) => ({ id: r.id, ts: r.ts, with: r.with_jid, xml: r.xml }));
    return { items, count, complete, index };
  };
  // Appends are written in one transaction per turn of the event loop: one commit per archived
  // message made SQLite's commit the ceiling of the whole server (about 1,000 messages/s here).
  // Reads flush first, so a query always sees every append before it.
  let pending: [string, string, ArchiveItem][] = [];
  const pendingIds = new Set<string>();
  const writePending = db.transaction((items: [string, string, ArchiveItem][]) => {
    for (const [module, user, i] of items) q.append.run(module, user, i.id, i.ts, i.with, i.xml);
  });
  const flush = (): void => {
    if (pending.length === 0) return;
    const items = pending;
    pending = [];
    pendingIds.clear();
    writePending(items);
  };
  const append = (module: string, user: string, item: ArchiveItem): boolean => {
    const key = `${module}\u0000${user}\u0000${item.id}`;
    // A duplicate of an item already written is dropped by the database (INSERT OR IGNORE on the
    // unique id); looking each id up first cost a query per archived message.
    if (pendingIds.has(key)) return false;
    if (pending.length === 0) setImmediate(flush);
    pending.push([module, user, item]);
    pendingIds.add(key);
    return true;
  };
  const clear = db.transaction((module: string, user: string) => {
    q.clearKv.run(module, user);
    q.clearArchive.run(module, user);
  });
  return {
    get: (module, user, key) => q.get.get(module, user, key) as string | undefined,
    set: (module, user, key, value) => {
      if (value === undefined) q.del.run(module, user, key);
      else q.set.run(module, user, key, value);
    },
    keys: (module, user) => q.keys.all(module, user) as string[],
    flush,
    append,
    query: (module, user, a) => (flush(), query(module, user, a)),
    expire: (module, ts) => (flush(), q.expire.run(module, ts).changes),
    clear: (module, user) => (flush(), clear(module, user)),
  };
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
