// XEP-0059 Result Set Management: the <set xmlns='http://jabber.org/protocol/rsm'/> of a request
// (max, after, before, index), the <set/> of a response (first with its index, last, count), and
// paging over an ordered list of item ids, which is all a using protocol (disco#items, MAM, ...)
// needs to answer a page.
import { StanzaError } from './errors.js';
import { NS } from './namespaces.js';
import { childNs, x, type Element } from './xml.js';

export interface RsmRequest {
  /** The largest page wanted; 0 asks for the item count only (§2.6). */
  max?: number;
  /** The page starts right after this id (§2.2). */
  after?: string;
  /** The page ends right before this id (§2.3); '' (an empty <before/>) asks for the last page (§2.5). */
  before?: string;
  /** The page starts at this position (§2.6, out-of-order access). */
  index?: number;
}

function integer(set: Element, name: string): number | undefined {
  const el = set.getChild(name);
  if (!el) return undefined;
  const s = el.getText().trim();
  if (!/^\d{1,9}$/.test(s)) throw new StanzaError('bad-request', `<${name}/> must be a non-negative integer`);
  return Number(s);
}

/** Reads a request <set/>; a malformed max or index is a bad-request. */
export function parseRsm(set: Element): RsmRequest {
  const req: RsmRequest = {};
  const max = integer(set, 'max');
  if (max !== undefined) req.max = max;
  const index = integer(set, 'index');
  if (index !== undefined) req.index = index;
  const after = set.getChild('after')?.getText();
  if (after) req.after = after; // an empty <after/> names nothing: from the start
  const before = set.getChild('before');
  if (before) req.before = before.getText();
  return req;
}

/** The RSM request carried in a using protocol's payload (e.g. a MAM <query/>), if any. */
export function rsmRequestIn(payload: Element): RsmRequest | undefined {
  const set = childNs(payload, NS.RSM, 'set');
  return set ? parseRsm(set) : undefined;
}

export interface RsmResponse {
  first?: string;
  /** The position of `first` in the full result set. */
  firstIndex?: number;
  last?: string;
  count?: number;
  /** Mark index and count as exact (exact-index / exact, XEP-0059 1.1); omitted when undefined. */
  exact?: boolean;
}

/** The response <set/>: first and last only for a non-empty page (§2.2), then the count. */
export function rsmResponse(r: RsmResponse): Element {
  const exact = r.exact === undefined ? undefined : String(r.exact);
  return x(
    'set',
    { xmlns: NS.RSM },
    r.first !== undefined ? x('first', { index: r.firstIndex, 'exact-index': r.firstIndex !== undefined ? exact : undefined }, r.first) : undefined,
    r.first !== undefined && r.last !== undefined ? x('last', null, r.last) : undefined,
    r.count !== undefined ? x('count', { exact }, String(r.count)) : undefined,
  );
}

export interface Page {
  /** The page is ids.slice(start, end). */
  start: number;
  end: number;
  ids: string[];
  /** True when no further page exists in the direction paged (forwards, or backwards for `before`). */
  complete: boolean;
  /** The response <set/> contents for this page (exact: the list is the full result set). */
  response: RsmResponse;
}

/**
 * One page of `ids` (the full result set, in order). Without max the page holds up to `limit`
 * items, and a larger max is cut to `limit`. An `after` or `before` id that is not in the set is an
 * item-not-found (§2.4); an index past the end gives an empty page. With both `after` and `before`
 * the page is taken from between them, from the `before` end.
 */
export function paginate(ids: readonly string[], req: RsmRequest = {}, limit = Infinity): Page {
  const count = ids.length;
  const size = Math.min(req.max ?? limit, limit);
  const position = (id: string): number => {
    const i = ids.indexOf(id);
    if (i < 0) throw new StanzaError('item-not-found', `no item "${id}" in the result set`);
    return i;
  };
  const lo = req.after !== undefined ? position(req.after) + 1 : 0;
  const hi = req.before !== undefined && req.before !== '' ? position(req.before) : count;
  let start: number;
  let end: number;
  let complete: boolean;
  if (req.before !== undefined) {
    end = Math.max(hi, lo);
    start = Math.max(lo, end - size);
    complete = start === lo;
  } else {
    start = req.after === undefined && req.index !== undefined ? Math.min(req.index, count) : lo;
    end = Math.min(start + size, count);
    complete = end === count;
  }
  const page = ids.slice(start, end);
  const response: RsmResponse = page.length > 0
    ? { first: page[0], firstIndex: start, last: page[page.length - 1], count, exact: true }
    : { count, exact: true };
  return { start, end, ids: page, complete, response };
}
