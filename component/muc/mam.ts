// XEP-0313 (1.1) Message Archive Management on a room: the archive of the room's groupchat
// messages, queried at the room's bare JID (Business Rules, "MUC Archives"), paged with XEP-0059
// RSM, with what urn:xmpp:mam:2#extended requires: before-id, after-id, ids, flipped pages and
// the archive metadata. Sections are cited by title: the XEP's numbering moved between versions.
import { StanzaError } from '../../xmpp/errors.js';
import { buildForm, parseForm } from '../../xmpp/forms.js';
import { Jid } from '../../xmpp/jid.js';
import { NS } from '../../xmpp/namespaces.js';
import { rsmRequestIn, rsmResponse } from '../../xmpp/rsm.js';
import { childNs, parseXml, x, type Element } from '../../xmpp/xml.js';
import type { MucContext } from './context.js';
import { bareOf, type Room } from './room.js';
import type { ArchivePageRequest } from './store.js';

const DEFAULT_MAX = 50;
const MAX_PAGE = 250;
const FIELDS = ['with', 'start', 'end', 'before-id', 'after-id', 'ids'];

/**
 * "MUC Archives": the requester must have the right to enter the room at the time of the query.
 * Never an outcast; in a members-only room, members, admins and owners; in an open public room
 * anyone (as Prosody's mod_muc_mam). A room with a password or a hidden one is limited further,
 * as the XEP allows: its occupants and affiliated users.
 */
export function mayReadArchive(room: Room, from: string): boolean {
  const aff = room.affiliationOf(bareOf(from));
  if (aff === 'outcast') return false;
  if (room.occupantByJid(from)) return true;
  if (room.config.membersOnly || room.config.password || !room.config.public) return aff !== 'none';
  return true;
}

/**
 * Whether the requester may see the senders' real JIDs: in a non-anonymous room anyone; else a
 * moderator, or an owner or admin (a moderator whenever they are in the room).
 */
function seesRealJids(room: Room, from: string): boolean {
  if (room.isNonAnonymous() || room.occupantByJid(from)?.role === 'moderator') return true;
  const aff = room.affiliationOf(bareOf(from));
  return aff === 'owner' || aff === 'admin';
}

/** "Retrieving form fields": the fields a query may use; ids is open to any value (XEP-0122). */
export function queryFields(): Element {
  const form = buildForm({
    type: 'form',
    formType: NS.MAM,
    fields: [
      { var: 'with', type: 'jid-single' }, { var: 'start', type: 'text-single' }, { var: 'end', type: 'text-single' },
      { var: 'before-id', type: 'text-single' }, { var: 'after-id', type: 'text-single' }, { var: 'ids', type: 'list-multi' },
    ],
  });
  const ids = form.getChildren('field').find((f) => f.attrs.var === 'ids')!;
  ids.cnode(x('validate', { xmlns: 'http://jabber.org/protocol/xdata-validate', datatype: 'xs:string' }, x('open')));
  return x('query', { xmlns: NS.MAM }, form);
}

/** "Archive metadata": the first and the last message of the archive; nothing for an empty one. */
export function archiveMetadata(ctx: MucContext, room: Room, iq: Element): Element {
  if (!mayReadArchive(room, iq.attrs.from as string)) throw new StanzaError('forbidden', 'Only those who may enter this room may read its archive');
  const first = ctx.store.page(room.local, { max: 1 }).items[0];
  const last = ctx.store.page(room.local, { max: 1, before: '' }).items[0];
  const end = (name: string, m: { id: string; ts: number }) => x(name, { id: m.id, timestamp: new Date(m.ts).toISOString() });
  return x('metadata', { xmlns: NS.MAM }, first && end('start', first), last && end('end', last));
}

function dateTime(name: string, value: string): number {
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new StanzaError('bad-request', `the ${name} field is not a XEP-0082 date and time: ${value}`);
  return ms;
}

/** Reads the query's form and RSM set into one page request. */
function readQuery(room: Room, from: string, payload: Element): ArchivePageRequest {
  const rsm = rsmRequestIn(payload) ?? {};
  if (rsm.index !== undefined) throw new StanzaError('feature-not-implemented', 'pages are requested by id, not by index (XEP-0059 §2.6)');
  const req: ArchivePageRequest = { max: Math.min(rsm.max ?? DEFAULT_MAX, MAX_PAGE) };
  if (rsm.after !== undefined) req.after = rsm.after;
  if (rsm.before !== undefined) req.before = rsm.before;
  const el = childNs(payload, NS.DATA, 'x');
  if (!el) return req;
  const form = parseForm(el);
  if (form.type !== 'submit') throw new StanzaError('bad-request', 'the query form is a submission (type submit)');
  if (form.formType !== undefined && form.formType !== NS.MAM) throw new StanzaError('bad-request', `FORM_TYPE must be ${NS.MAM}`);
  for (const [name, values] of form.fields) {
    // "Retrieving form fields": a field the archive does not know is feature-not-implemented.
    if (!FIELDS.includes(name)) throw new StanzaError('feature-not-implemented', `no query field ${name}`);
    const value = values[0];
    if (name === 'ids') { if (values.length) req.ids = [...new Set(values)]; continue; }
    if (value === undefined || value === '') continue;
    if (name === 'start') req.start = dateTime(name, value);
    else if (name === 'end') req.end = dateTime(name, value);
    else if (name === 'after-id') req.afterId = value;
    else if (name === 'before-id') req.beforeId = value;
    else {
      const jid = Jid.tryParse(value);
      if (!jid) throw new StanzaError('jid-malformed', `the with field is not a JID: ${value}`);
      // "Filtering by JID" in a MUC archive: the publisher of the item. An occupant JID
      // (room@service/nick) selects what that nick said; a real JID what that user said, but only
      // for those already allowed to know who is behind the nicks (not a visitor to a
      // semi-anonymous room).
      if (jid.bare === room.jid) {
        if (jid.resource) req.nick = jid.resource;
      } else if (seesRealJids(room, from)) {
        req.jid = jid.bare;
      } else {
        throw new StanzaError('forbidden', 'Real addresses are not shown in this room: filter by occupant JID');
      }
    }
  }
  return req;
}

/** Answers a query: the results as messages to the requester, then the <fin/> of the IQ result. */
export function queryArchive(ctx: MucContext, room: Room, iq: Element, payload: Element): Element {
  const from = iq.attrs.from as string;
  // "Data privacy": no right to the archive is forbidden.
  if (!mayReadArchive(room, from)) throw new StanzaError('forbidden', 'Only those who may enter this room may read its archive');
  if (payload.attrs.node) throw new StanzaError('item-not-found', 'a room archive has no nodes');
  const req = readQuery(room, from, payload);
  const named = [...(req.ids ?? []), ...(req.afterId !== undefined ? [req.afterId] : []), ...(req.beforeId !== undefined ? [req.beforeId] : [])];
  if (named.length && ctx.store.known(room.local, named).size !== new Set(named).size) {
    throw new StanzaError('item-not-found', 'an id named in the query is not in the archive');
  }
  let page;
  try {
    page = ctx.store.page(room.local, req);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'item-not-found') throw new StanzaError('item-not-found', (err as Error).message);
    throw err;
  }
  // "MUC Archives": the forwarded message has no 'to', its 'from' is the sender's occupant JID,
  // and the sender's JID travels in a muc#user item to those who may know it.
  const realJids = seesRealJids(room, from);
  const queryid = payload.attrs.queryid as string | undefined;
  const items = payload.getChild('flip-page') ? [...page.items].reverse() : page.items;
  for (const m of items) {
    const wrapper = parseXml(`<w>${m.xml}</w>`);
    const inner = x('message', { xmlns: NS.CLIENT, from: room.occupantJid(m.nick), type: 'groupchat', id: m.messageId },
      ...wrapper.children.filter((c): c is Element => typeof c !== 'string'),
      realJids ? x('x', { xmlns: NS.MUC_USER }, x('item', { jid: m.jid })) : undefined);
    ctx.send(x('message', { from: room.jid, to: from, id: ctx.nextId() },
      x('result', { xmlns: NS.MAM, queryid, id: m.id },
        x('forwarded', { xmlns: NS.FORWARD }, x('delay', { xmlns: NS.DELAY, stamp: new Date(m.ts).toISOString() }), inner))));
  }
  const first = page.items[0];
  const last = page.items[page.items.length - 1];
  return x('fin', { xmlns: NS.MAM, complete: page.complete ? 'true' : undefined },
    rsmResponse({ first: first?.id, firstIndex: first ? page.index : undefined, last: last?.id, count: page.count }));
}
