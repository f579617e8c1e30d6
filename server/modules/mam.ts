// XEP-0313: Message Archive Management for accounts (sections as numbered in its 0.8 text), with XEP-0359 stanza ids and the XEP-0441
// preferences. One-to-one messages worth keeping are archived for each local account involved, in
// both directions, once accepted (after policy: a blocked message is in nobody's archive); the copy
// delivered to the user (live, offline, carbons) carries <stanza-id by='user@domain'/> with the
// archive id. The owner queries the archive on its bare JID by time, contact and ids, paged with
// XEP-0059 RSM; items older than `mam.retentionDays` are removed.
import { randomFillSync } from 'node:crypto';

const POOL = Buffer.alloc(4096);
let poolAt = POOL.length;
import { StanzaError } from '../../xmpp/errors.js';
import { buildForm, parseForm, type DataForm } from '../../xmpp/forms.js';
import { Jid } from '../../xmpp/jid.js';
import { NS } from '../../xmpp/namespaces.js';
import { rsmRequestIn, rsmResponse, paginate, type RsmRequest } from '../../xmpp/rsm.js';
import { childNs, parseXml, withAttrs, x, type Element } from '../../xmpp/xml.js';
import { PRIORITY, type StanzaEvent } from '../core/events.js';
import { defineModule, type ArchiveStore } from '../core/module.js';
import type { ArchiveItem, ArchivePage, ArchiveQuery } from '../storage/storage.js';

export const NS_MAM = 'urn:xmpp:mam:2';
/** before-id, after-id, ids, flipped pages and metadata (§4.1.3, §4.3.4, §5, §7). */
export const NS_MAM_EXTENDED = 'urn:xmpp:mam:2#extended';
const NS_JMI = ['urn:xmpp:jingle-message:0', 'urn:xmpp:jingle-message:1']; // XEP-0353
const NS_OMEMO = ['eu.siacs.conversations.axolotl', 'urn:xmpp:omemo:2']; // XEP-0384
const NS_EME = 'urn:xmpp:eme:0'; // XEP-0380
const NS_REACTIONS = 'urn:xmpp:reactions:0'; // XEP-0444
const NS_RETRACT = 'urn:xmpp:message-retract:1'; // XEP-0424

/** A page holds this many results unless the client asks for fewer (XEP-0059 <max/>)… */
const DEFAULT_MAX = 50;
/** …and never more than this. */
const MAX_PAGE = 250;
/** A `with` that is a full JID is matched by reading the stored messages: at most this many. */
const FULL_JID_SCAN = 10_000;
/** Expired items are removed at start and then this often. */
const EXPIRY_INTERVAL_MS = 60 * 60 * 1000;
/** Preferences kept in memory, by user; the oldest is forgotten past this many. */
const CACHE_USERS = 10_000;
/** Between carbons' sent copies (OBSERVE) and routing (DEFAULT): our stanza-id leaves an outgoing message. */
const UNSTAMP = (PRIORITY.OBSERVE + PRIORITY.DEFAULT) / 2;

export type ArchiveDefault = 'always' | 'roster' | 'never';
const DEFAULTS: readonly string[] = ['always', 'roster', 'never'];

export interface MamConfig {
  /** Whose messages are archived when the user has set no preference (XEP-0441 `default`). */
  default: ArchiveDefault;
  /** Archived items older than this many days are removed; 0 keeps them forever. */
  retentionDays: number;
}

/** XEP-0441 §4: the default, and JIDs always or never archived. */
interface Prefs {
  default: ArchiveDefault;
  always: string[];
  never: string[];
}

const QUERY_FIELDS = ['with', 'start', 'end', 'before-id', 'after-id', 'ids'];

/** The message types of a user archive (§6.1.1): one-to-one chat and normal messages. */
function isOneToOne(stanza: Element): boolean {
  const type = stanza.attrs.type ?? 'normal';
  return type === 'chat' || type === 'normal';
}

/**
 * What is worth keeping (§6.1.1, XEP-0334): messages with content, call invitations (XEP-0353),
 * encrypted messages, invitations, reactions and retractions, and anything hinted <store/>; not
 * chat states, receipts or markers alone, nor what is hinted <no-store/> or <no-permanent-store/>.
 */
export function worthArchiving(stanza: Element): boolean {
  if (stanza.name !== 'message' || !isOneToOne(stanza)) return false;
  if (childNs(stanza, NS.HINTS, 'no-store') || childNs(stanza, NS.HINTS, 'no-permanent-store')) return false;
  if (childNs(stanza, NS.HINTS, 'store')) return true;
  for (const c of stanza.children) {
    if (typeof c === 'string') continue;
    const ns = c.attrs.xmlns;
    if ((c.name === 'body' || c.name === 'subject') && (ns === undefined || ns === NS.CLIENT || ns === NS.SERVER)) return true;
    if (ns && (NS_JMI.includes(ns) || NS_OMEMO.includes(ns))) return true;
    if (ns === NS_EME || ns === NS_REACTIONS || ns === NS_RETRACT || ns === NS.CONFERENCE) return true;
    if (ns === NS.MUC_USER && c.getChild('invite')) return true;
  }
  return false;
}

/** XEP-0359 §3.1: a stanza-id claiming to be ours did not come from us; it goes. */
function stripStanzaIds(stanza: Element, by: string): void {
  const kept = stanza.children.filter((c) => typeof c === 'string' || c.name !== 'stanza-id' || c.attrs.xmlns !== NS.SID || c.attrs.by !== by);
  if (kept.length !== stanza.children.length) stanza.children = kept;
}

function newId(): string {
  // 12 random bytes from a pool filled 4 KiB at a time: one randomBytes() call per archived
  // message showed as 6 % of the server's time under load.
  if (poolAt + 12 > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  poolAt += 12;
  return POOL.subarray(poolAt - 12, poolAt).toString('base64url');
}

/** A XEP-0082 DateTime of a form field, as milliseconds. */
function dateTime(name: string, value: string): number {
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new StanzaError('bad-request', `the ${name} field is not a XEP-0082 date and time: ${value}`);
  return ms;
}

/** The store's "no such id" (ArchiveStore.query) as the XEP-0059 §2.4 / XEP-0313 §4.1.3 error. */
function asStanzaError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if ((err as { code?: unknown }).code === 'item-not-found') throw new StanzaError('item-not-found', (err as Error).message);
    throw err;
  }
}

/** A query, read from the form and RSM <set/> of a <query/> (§4.1, §4.2). */
interface Query {
  with?: Jid;
  start?: number;
  end?: number;
  ids?: string[];
  /** The extended fields (§4.1.3): filters, not a paging direction. */
  afterId?: string;
  beforeId?: string;
  rsm: RsmRequest;
  max: number;
  flip: boolean;
}

function readQuery(payload: Element): Query {
  const q: Query = { rsm: rsmRequestIn(payload) ?? {}, max: DEFAULT_MAX, flip: !!payload.getChild('flip-page') };
  if (q.rsm.index !== undefined) throw new StanzaError('feature-not-implemented', 'pages are requested by id, not by index (XEP-0059 §2.6)');
  q.max = Math.min(q.rsm.max ?? DEFAULT_MAX, MAX_PAGE);
  const formEl = childNs(payload, NS.DATA, 'x');
  if (!formEl) return q;
  const form: DataForm = parseForm(formEl);
  if (form.type !== 'submit') throw new StanzaError('bad-request', 'the query form is a submission (type submit)');
  if (form.formType !== undefined && form.formType !== NS_MAM) throw new StanzaError('bad-request', `FORM_TYPE must be ${NS_MAM}`);
  for (const [name, values] of form.fields) {
    // §4.1.5: a field the server does not know is feature-not-implemented.
    if (!QUERY_FIELDS.includes(name)) throw new StanzaError('feature-not-implemented', `no query field ${name}`);
    const value = values[0];
    if (name === 'ids') {
      if (values.length) q.ids = [...new Set(values)];
      continue;
    }
    if (value === undefined || value === '') continue;
    if (name === 'with') {
      const j = Jid.tryParse(value);
      if (!j) throw new StanzaError('jid-malformed', `the with field is not a JID: ${value}`);
      q.with = j;
    } else if (name === 'start') q.start = dateTime(name, value);
    else if (name === 'end') q.end = dateTime(name, value);
    else if (name === 'after-id') q.afterId = value;
    else if (name === 'before-id') q.beforeId = value;
  }
  return q;
}

interface Answer {
  items: ArchiveItem[];
  complete: boolean;
  count?: number;
  index?: number;
}

/** Whether an archived message was to or from this full JID (§4.1.1, a `with` with a resource). */
function withFull(item: ArchiveItem, jid: Jid): boolean {
  const el = parseXml(item.xml);
  return [el.attrs.from, el.attrs.to].some((a) => Jid.tryParse(a)?.full === jid.full);
}

/** Answers a query over one user's archive. */
function run(archive: ArchiveStore, user: string, q: Query): Answer {
  // §4.1.3: every id named in the extended fields must be in the archive.
  const named = [...(q.ids ?? []), ...(q.afterId !== undefined ? [q.afterId] : []), ...(q.beforeId !== undefined ? [q.beforeId] : [])];
  if (named.length) {
    const distinct = [...new Set(named)];
    if (archive.query(user, { ids: distinct, max: 0 }).count !== distinct.length) throw new StanzaError('item-not-found', 'an id named in the query is not in the archive');
  }
  const filters: ArchiveQuery = { max: q.max };
  if (q.with) filters.with = q.with.bare;
  if (q.start !== undefined) filters.start = q.start;
  if (q.end !== undefined) filters.end = q.end;
  if (q.ids) filters.ids = q.ids;
  if (q.with && !q.with.isBare()) return scan(archive, user, q, filters);
  const bounded = q.afterId !== undefined || q.beforeId !== undefined;
  const rsm = q.rsm;
  if (rsm.before !== undefined) {
    // Backwards (§4.3.3: an empty <before/> is the last page): between after-id and before-id.
    const before = rsm.before !== '' ? rsm.before : q.beforeId ?? '';
    const after = rsm.after ?? q.afterId;
    const page = asStanzaError(() => archive.query(user, { ...filters, before, ...(after !== undefined ? { after } : {}) }));
    return bounded ? { items: page.items, complete: page.complete } : answer(page);
  }
  const after = rsm.after ?? q.afterId;
  const page = asStanzaError(() => archive.query(user, { ...filters, ...(after !== undefined ? { after } : {}) }));
  if (q.beforeId === undefined || page.items.length === 0) return bounded ? { items: page.items, complete: page.complete } : answer(page);
  // Forwards up to before-id: the page's items that precede it.
  const below = new Set(archive.query(user, { ids: page.items.map((i) => i.id), before: q.beforeId, max: page.items.length }).items.map((i) => i.id));
  const items = page.items.filter((i) => below.has(i.id));
  return { items, complete: page.complete || items.length < page.items.length };
}

function answer(page: ArchivePage): Answer {
  return { items: page.items, complete: page.complete, count: page.count, index: page.index };
}

/**
 * A `with` that is a full JID: the store knows the other party's bare JID only, so the
 * conversation with that bare JID is read (up to FULL_JID_SCAN items) and paged here.
 */
function scan(archive: ArchiveStore, user: string, q: Query, filters: ArchiveQuery): Answer {
  const matched: ArchiveItem[] = [];
  let after = q.afterId;
  for (let read = 0; read < FULL_JID_SCAN; ) {
    const chunk = asStanzaError(() => archive.query(user, { ...filters, max: MAX_PAGE, ...(after !== undefined ? { after } : {}) }));
    let items = chunk.items;
    if (q.beforeId !== undefined && items.length) {
      const below = new Set(archive.query(user, { ids: items.map((i) => i.id), before: q.beforeId, max: items.length }).items.map((i) => i.id));
      items = items.filter((i) => below.has(i.id));
    }
    matched.push(...items.filter((i) => withFull(i, q.with!)));
    read += chunk.items.length;
    if (chunk.complete || items.length < chunk.items.length || !chunk.items.length) break;
    after = chunk.items[chunk.items.length - 1]!.id;
  }
  const page = paginate(matched.map((i) => i.id), q.rsm, q.max);
  return { items: matched.slice(page.start, page.end), complete: page.complete, count: matched.length, index: page.start };
}

export default defineModule<MamConfig>({
  name: 'mam',
  config: {
    key: 'mam',
    parse(raw, c) {
      const s = c.section('mam', raw);
      c.only('mam', s, ['default', 'retentionDays']);
      const def = c.str('mam.default', s.default, 'always');
      if (!DEFAULTS.includes(def)) c.fail('mam.default', `must be one of ${DEFAULTS.join(', ')}`);
      return { default: def as ArchiveDefault, retentionDays: c.int('mam.retentionDays', s.retentionDays, 365, 0, 36_500) };
    },
  },
  setup(m) {
    const { server, config } = m;
    const archive = m.archive();
    const prefsStore = m.store<Prefs>('prefs');
    const cache = new Map<string, Prefs>();

    // §7: on the archive's own JID, the account's bare JID, where Conversations and Dino look.
    m.feature('account', NS_MAM, NS_MAM_EXTENDED, NS.SID);

    const prefsOf = (user: string): Prefs => {
      let p = cache.get(user);
      if (!p) {
        p = prefsStore.get(user, 'prefs') ?? { default: config.default, always: [], never: [] };
        if (cache.size >= CACHE_USERS) cache.delete(cache.keys().next().value!);
        cache.set(user, p);
      }
      return p;
    };
    /** XEP-0441 §4: never, then always, then the default (roster: contacts in the roster only). */
    const wanted = (user: string, other: Jid): boolean => {
      const p = prefsOf(user);
      const names = [other.bare, other.full];
      if (p.never.some((j) => names.includes(j))) return false;
      if (p.always.some((j) => names.includes(j))) return true;
      if (p.default === 'always') return true;
      if (p.default === 'never') return false;
      return server.storage.roster.item(user, other.bare)?.inRoster === true;
    };
    /** Archives for `user` (with `other`'s bare JID); the id, or undefined when not archived. */
    const keep = (user: string, other: Jid, stanza: Element): string | undefined => {
      if (!worthArchiving(stanza) || !wanted(user, other)) return undefined;
      const xml = stanza.toString();
      for (let attempt = 0; attempt < 3; attempt++) {
        const id = newId();
        if (archive.append(user, { id, ts: Date.now(), with: other.bare, xml })) return id;
      }
      m.log.error({ user }, 'no free archive id');
      return undefined;
    };
    const stamp = (stanza: Element, id: string, by: string): void => {
      stanza.children = [...stanza.children, x('stanza-id', { xmlns: NS.SID, id, by })];
    };

    // Incoming: for a local account, after policy, before delivery (live, offline and carbons all
    // take this stanza object, so all carry the stanza-id).
    const incoming = ({ stanza, from, to }: StanzaEvent): void => {
      if (to.local === '' || !server.isLocal(to.domain)) return;
      stripStanzaIds(stanza, to.bare);
      const id = keep(to.local, from, stanza);
      if (id) stamp(stanza, id, to.bare);
    };
    // Outgoing: from one of our sessions, after policy. A message to the user's own JID is archived
    // once, as it arrives. The stanza-id is for the sent carbons only (§3.5: not for the contact).
    const outgoing = ({ stanza, to, origin }: StanzaEvent): void => {
      if (!origin?.jid) return;
      const owner = origin.jid.bare;
      stripStanzaIds(stanza, owner);
      if (to.bare === owner) return;
      const id = keep(origin.jid.local, to, stanza);
      if (id) stamp(stanza, id, owner);
    };
    const unstamp = ({ stanza, origin }: StanzaEvent): void => {
      if (origin?.jid) stripStanzaIds(stanza, origin.jid.bare);
    };
    for (const t of ['bare', 'full'] as const) {
      m.on(`message/${t}`, incoming, PRIORITY.NORMAL);
      m.on(`pre-message/${t}`, outgoing, PRIORITY.NORMAL);
      m.on(`pre-message/${t}`, unstamp, UNSTAMP);
    }

    const owner = (from: Jid, to: Jid): void => {
      // §8.1: a user archive is its owner's only.
      if (from.bare !== to.bare) throw new StanzaError('forbidden', 'an archive is its owner\u2019s only');
    };

    m.iq('get', 'bare', NS_MAM, ({ payload, from, to }) => {
      owner(from, to);
      if (payload.name === 'query') {
        // §4.1.5: the fields a query may use.
        const form = x(
          'query',
          { xmlns: NS_MAM },
          buildForm({
            type: 'form',
            formType: NS_MAM,
            fields: [
              { var: 'with', type: 'jid-single' },
              { var: 'start', type: 'text-single' },
              { var: 'end', type: 'text-single' },
              { var: 'before-id', type: 'text-single' },
              { var: 'after-id', type: 'text-single' },
              { var: 'ids', type: 'list-multi' },
            ],
          }),
        );
        // The ids are the client's to give (XEP-0122 open validation), not a list of options.
        const ids = (form.getChildren('x')[0]!.getChildren('field') as Element[]).find((f) => f.attrs.var === 'ids')!;
        ids.cnode(x('validate', { xmlns: 'http://jabber.org/protocol/xdata-validate', datatype: 'xs:string' }, x('open')));
        return form;
      }
      if (payload.name === 'metadata') {
        // §6: the first and the last item of the archive; nothing for an empty one.
        const first = archive.query(to.local, { max: 1 }).items[0];
        const last = archive.query(to.local, { max: 1, before: '' }).items[0];
        const end = (name: string, i: ArchiveItem) => x(name, { id: i.id, timestamp: new Date(i.ts).toISOString() });
        return x('metadata', { xmlns: NS_MAM }, first && end('start', first), last && end('end', last));
      }
      if (payload.name === 'prefs') return prefsElement(prefsOf(to.local));
      throw new StanzaError('bad-request', `no <${payload.name}/> to get in ${NS_MAM}`);
    }, { feature: null });

    m.iq('set', 'bare', NS_MAM, ({ payload, from, to, origin }) => {
      owner(from, to);
      if (payload.name === 'prefs') {
        const p = readPrefs(payload, prefsOf(to.local));
        prefsStore.set(to.local, 'prefs', p);
        cache.set(to.local, p);
        return prefsElement(p);
      }
      if (payload.name !== 'query') throw new StanzaError('bad-request', `no <${payload.name}/> to set in ${NS_MAM}`);
      if (payload.attrs.node) throw new StanzaError('item-not-found', 'an account archive has no nodes');
      const q = readQuery(payload);
      const res = run(archive, to.local, q);
      // §4.2: each result as a message to the requester, then the IQ result.
      const queryid = payload.attrs.queryid;
      const send = (el: Element) => (origin ? origin.send(el) : server.route(el));
      const items = q.flip ? [...res.items].reverse() : res.items;
      for (const item of items) {
        const inner = withAttrs(parseXml(item.xml), { xmlns: NS.CLIENT });
        send(
          x(
            'message',
            { from: to.bare, to: from.full, id: newId() },
            x('result', { xmlns: NS_MAM, queryid, id: item.id }, x('forwarded', { xmlns: NS.FORWARD }, x('delay', { xmlns: NS.DELAY, stamp: new Date(item.ts).toISOString() }), inner)),
          ),
        );
      }
      const first = res.items[0];
      const last = res.items[res.items.length - 1];
      return x(
        'fin',
        { xmlns: NS_MAM, complete: res.complete ? 'true' : undefined },
        rsmResponse({ first: first?.id, firstIndex: first ? res.index : undefined, last: last?.id, count: res.count }),
      );
    }, { feature: null });

    m.on('account-deleted', ({ user }) => void cache.delete(user)); // void: true would consume the event; the store drops the archive itself

    // §3.2: retention removes the oldest items only (never a hole in the middle).
    if (config.retentionDays > 0) {
      const expire = (): void => {
        const removed = archive.expire(Date.now() - config.retentionDays * 86_400_000);
        if (removed) m.log.info({ removed }, 'expired archived messages');
      };
      expire();
      const timer = setInterval(() => {
        try {
          expire();
        } catch {
          clearInterval(timer); // the storage is closed: the server has stopped
        }
      }, EXPIRY_INTERVAL_MS);
      timer.unref();
    }
  },
});

function prefsElement(p: Prefs): Element {
  const list = (name: string, jids: string[]) => x(name, null, jids.map((j) => x('jid', null, j)));
  return x('prefs', { xmlns: NS_MAM, default: p.default }, list('always', p.always), list('never', p.never));
}

/** XEP-0441 §4: a new default and lists; what is not given stays as it was. */
function readPrefs(el: Element, current: Prefs): Prefs {
  const def = el.attrs.default as string | undefined;
  if (def !== undefined && !DEFAULTS.includes(def)) throw new StanzaError('bad-request', `default must be one of ${DEFAULTS.join(', ')}`);
  const jids = (name: string): string[] | undefined => {
    const list = el.getChild(name);
    if (!list) return undefined;
    return [
      ...new Set(
        list.getChildren('jid').map((j) => {
          const jid = Jid.tryParse(j.getText().trim());
          if (!jid) throw new StanzaError('jid-malformed', `not a JID: ${j.getText()}`);
          return jid.full;
        }),
      ),
    ];
  };
  return { default: (def as ArchiveDefault | undefined) ?? current.default, always: jids('always') ?? current.always, never: jids('never') ?? current.never };
}
