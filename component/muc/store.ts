// Rooms and their message archives in SQLite (better-sqlite3): `rooms.db` in the data directory,
// or an in-memory database without one. Writes are queued and committed once per turn of the
// event loop in one transaction, never on the path of the stanza that caused them; every read
// commits the queue first, so it sees all that came before it.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEntry, PersistedRoom } from './room.js';

/** One archived groupchat message (or subject change) of a room. */
export interface ArchivedMessage {
  /** The XEP-0359 stanza-id the room gave it, also the XEP-0313 result id. */
  id: string;
  ts: number;
  nick: string;
  /** The sender's real bare JID. */
  jid: string;
  /** The message payload as sent by the occupant (body, extensions), serialized. */
  xml: string;
  /** The id the sender gave its message, given back with it in history and archive results. */
  messageId?: string;
  /** Replayed as history on entering: messages with a body (not subject changes, reactions, …). */
  history: boolean;
}

export interface ArchiveFilter {
  start?: number;
  end?: number;
  nick?: string;
  jid?: string;
  /** Only these ids (XEP-0313 `ids`). */
  ids?: string[];
  /** Exclusive bounds by id (XEP-0313 `after-id` / `before-id`): filters, not paging. */
  afterId?: string;
  beforeId?: string;
  /** Only what is replayed as history on entering. */
  history?: boolean;
}

export interface ArchivePageRequest extends ArchiveFilter {
  max: number;
  /** Page forwards from just after this id (XEP-0059 §2.2). */
  after?: string;
  /** Page backwards from just before this id; '' for the last page (XEP-0059 §2.3, §2.5). */
  before?: string;
}

export interface ArchivePage {
  items: ArchivedMessage[];
  /** No further item in the direction paged. */
  complete: boolean;
  count: number;
  /** Position of the first item in the whole filtered set. */
  index: number;
}

export interface RoomStore {
  /** Rooms to restore at start (persistent rooms only are ever saved). */
  loadRooms(): PersistedRoom[];
  saveRoom(room: PersistedRoom): void;
  /** A room that is no longer persistent: not restored at the next start (nor its archive). */
  unsaveRoom(local: string): void;
  /** Forget a room and its archive. */
  deleteRoom(local: string): void;
  append(local: string, message: ArchivedMessage): void;
  page(local: string, req: ArchivePageRequest): ArchivePage;
  /** Which of these ids are in the room's archive. */
  known(local: string, ids: string[]): Set<string>;
  /** Remove archived messages older than this time; the number removed. */
  expire(before: number): number;
  /** Commit what is queued now. */
  flush(): void;
  close(): void;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS rooms (local TEXT PRIMARY KEY, json TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, id TEXT NOT NULL, ts INTEGER NOT NULL,
    nick TEXT NOT NULL, jid TEXT NOT NULL, xml TEXT NOT NULL, history INTEGER NOT NULL DEFAULT 1, message_id TEXT,
    UNIQUE (room, id));
  CREATE INDEX IF NOT EXISTS messages_room ON messages (room, seq);
  CREATE INDEX IF NOT EXISTS messages_ts ON messages (ts);`;

/** The store says what it imported (the component's logger fits). */
export interface StoreLog { info(obj: unknown, msg?: string): void }

interface Row { seq: number; id: string; ts: number; nick: string; jid: string; xml: string; history: number; message_id: string | null }

/** json: the room to keep; null: the room is temporary now (its archive stays while it lives); drop: gone with its archive. */
type Op = { kind: 'room'; local: string; json: string | null } | { kind: 'drop'; local: string } | { kind: 'message'; local: string; m: ArchivedMessage };

/**
 * Opens the store. With a data directory, a `rooms.json` left by an earlier version is imported
 * on first start (rooms with their last messages) and renamed to `rooms.json.imported`.
 */
export function sqliteStore(dataDir: string | undefined, log: StoreLog): RoomStore {
  let db: Database.Database;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    db = new Database(join(dataDir, 'rooms.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  } else {
    db = new Database(':memory:');
  }
  db.exec(SCHEMA);
  const q = {
    putRoom: db.prepare('INSERT INTO rooms (local, json) VALUES (?, ?) ON CONFLICT (local) DO UPDATE SET json = excluded.json'),
    delRoom: db.prepare('DELETE FROM rooms WHERE local = ?'),
    delMessages: db.prepare('DELETE FROM messages WHERE room = ?'),
    append: db.prepare('INSERT OR IGNORE INTO messages (room, id, ts, nick, jid, xml, history, message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    seqOf: db.prepare('SELECT seq FROM messages WHERE room = ? AND id = ?').pluck(),
    rooms: db.prepare('SELECT json FROM rooms').pluck(),
    expire: db.prepare('DELETE FROM messages WHERE ts < ?'),
    orphans: db.prepare('DELETE FROM messages WHERE room NOT IN (SELECT local FROM rooms)'),
  };

  let queue: Op[] = [];
  const write = db.transaction((ops: Op[]) => {
    for (const op of ops) {
      if (op.kind === 'message') {
        const m = op.m;
        q.append.run(op.local, m.id, m.ts, m.nick, m.jid, m.xml, m.history ? 1 : 0, m.messageId ?? null);
      } else if (op.kind === 'drop') {
        q.delRoom.run(op.local);
        q.delMessages.run(op.local);
      } else if (op.json === null) {
        q.delRoom.run(op.local);
      } else {
        q.putRoom.run(op.local, op.json);
      }
    }
  });
  const flush = (): void => {
    if (queue.length === 0 || !db.open) return;
    const ops = queue;
    queue = [];
    write(ops);
  };
  const enqueue = (op: Op): void => {
    if (queue.length === 0) setImmediate(flush);
    queue.push(op);
  };

  if (dataDir) {
    try {
      importJson(dataDir, db, write, log);
    } catch (err) {
      db.close();
      throw err;
    }
  }
  // Temporary rooms end with the component: what they said goes with them.
  q.orphans.run();

  const where = (local: string, f: ArchiveFilter): { sql: string[]; params: unknown[] } => {
    const sql = ['room = ?'];
    const params: unknown[] = [local];
    if (f.start !== undefined) { sql.push('ts >= ?'); params.push(f.start); }
    if (f.end !== undefined) { sql.push('ts <= ?'); params.push(f.end); }
    if (f.nick !== undefined) { sql.push('nick = ?'); params.push(f.nick); }
    if (f.jid !== undefined) { sql.push('jid = ?'); params.push(f.jid); }
    if (f.history) sql.push('history = 1');
    if (f.ids) { sql.push(`id IN (${f.ids.map(() => '?').join(',')})`); params.push(...f.ids); }
    const bound = (id: string, op: string): void => {
      const seq = q.seqOf.get(local, id) as number | undefined;
      if (seq === undefined) throw Object.assign(new Error(`no archived message ${id}`), { code: 'item-not-found' });
      sql.push(`seq ${op} ?`);
      params.push(seq);
    };
    if (f.afterId !== undefined) bound(f.afterId, '>');
    if (f.beforeId !== undefined) bound(f.beforeId, '<');
    return { sql, params };
  };
  const toMessage = (r: Row): ArchivedMessage => ({ id: r.id, ts: r.ts, nick: r.nick, jid: r.jid, xml: r.xml, history: r.history === 1, ...(r.message_id !== null ? { messageId: r.message_id } : {}) });

  return {
    loadRooms: () => (q.rooms.all() as string[]).map((j) => JSON.parse(j) as PersistedRoom),
    saveRoom: (room) => enqueue({ kind: 'room', local: room.local, json: JSON.stringify({ ...room, history: undefined }) }),
    unsaveRoom: (local) => enqueue({ kind: 'room', local, json: null }),
    deleteRoom: (local) => enqueue({ kind: 'drop', local }),
    append: (local, m) => enqueue({ kind: 'message', local, m }),
    page(local, req) {
      flush();
      const filter = where(local, req);
      const base = filter.sql.join(' AND ');
      const count = db.prepare(`SELECT COUNT(*) FROM messages WHERE ${base}`).pluck().get(...filter.params) as number;
      // The paging bounds come on top of the filter (which may bound by id itself).
      const paging = where(local, { afterId: req.after, beforeId: req.before || undefined });
      const cond = [...filter.sql, ...paging.sql.slice(1)].join(' AND ');
      const params = [...filter.params, ...paging.params.slice(1)];
      const backwards = req.before !== undefined;
      const rows = db.prepare(`SELECT seq, id, ts, nick, jid, xml, history, message_id FROM messages WHERE ${cond}
        ORDER BY seq ${backwards ? 'DESC' : 'ASC'} LIMIT ?`).all(...params, req.max + 1) as Row[];
      const complete = rows.length <= req.max;
      const kept = rows.slice(0, req.max);
      if (backwards) kept.reverse();
      const index = kept.length === 0 ? 0
        : db.prepare(`SELECT COUNT(*) FROM messages WHERE ${base} AND seq < ?`).pluck().get(...filter.params, kept[0]!.seq) as number;
      return { items: kept.map(toMessage), complete, count, index };
    },
    known(local, ids) {
      flush();
      if (ids.length === 0) return new Set();
      const found = db.prepare(`SELECT id FROM messages WHERE room = ? AND id IN (${ids.map(() => '?').join(',')})`).pluck().all(local, ...ids) as string[];
      return new Set(found);
    },
    expire: (before) => (flush(), q.expire.run(before).changes),
    flush,
    close() {
      flush();
      db.close();
    },
  };
}

/** The rooms.json of earlier versions: rooms with their last 20 messages (kept as archive). */
function importJson(dataDir: string, db: Database.Database, write: (ops: Op[]) => void, log: StoreLog): void {
  const file = join(dataDir, 'rooms.json');
  if (!existsSync(file)) return;
  let parsed: { rooms?: PersistedRoom[] };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as { rooms?: PersistedRoom[] };
  } catch (err) {
    // Left in place: nothing is imported from a file that cannot be read, and nothing is lost.
    throw new Error(`cannot import ${file}: ${(err as Error).message}`);
  }
  const rooms = parsed.rooms ?? [];
  const ops: Op[] = [];
  let messages = 0;
  for (const r of rooms) {
    const local = r.local.toLowerCase();
    ops.push({ kind: 'room', local, json: JSON.stringify({ ...r, local, history: undefined }) });
    for (const h of r.history ?? []) {
      ops.push({ kind: 'message', local, m: fromHistory(h) });
      messages++;
    }
  }
  write(ops);
  renameSync(file, `${file}.imported`);
  log.info({ file, rooms: rooms.length, messages, renamedTo: `${file}.imported`, db: db.name }, 'imported rooms.json into rooms.db');
}

function fromHistory(h: HistoryEntry): ArchivedMessage {
  const ts = Date.parse(h.stamp);
  return { id: h.stanzaId, ts: Number.isNaN(ts) ? Date.now() : ts, nick: h.nick, jid: h.bareJid, xml: h.xml, history: true };
}
