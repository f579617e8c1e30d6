// One BOSH session (XEP-0124 v1.11.2): request IDs and their window, held requests, wait and
// inactivity, the buffer of recent responses for retransmissions, and termination. It knows no
// HTTP and no XMPP: requests come in as parsed <body/> wrappers with their payloads as text, and
// leave as the text of the response wrapper; what the client sent goes out through `input` in rid
// order, what the server has for the client comes in through `push`.
import { NS } from '../../xmpp/namespaces.js';
import { escapeXml } from '../../xmpp/xml.js';

export const NS_HTTPBIND = NS.HTTPBIND;
export const NS_XBOSH = NS.XBOSH;
const NS_STREAM = NS.STREAM;

/** The highest BOSH version we implement (§7.1 'ver': "<major>.<minor>"). */
export const BOSH_VERSION = '1.11';
/** §14.1: the largest rid a client may use (2^53 - 1). */
export const MAX_RID = Number.MAX_SAFE_INTEGER;

/** §17.2 terminal binding conditions that we send. */
export type BoshCondition = 'bad-request' | 'host-unknown' | 'improper-addressing' | 'item-not-found' | 'policy-violation' | 'remote-stream-error' | 'system-shutdown' | 'undefined-condition';

/** §17.1: the deprecated HTTP codes, for legacy clients (no 'ver' in the session request). */
const LEGACY_STATUS: Partial<Record<BoshCondition, number>> = { 'bad-request': 400, 'policy-violation': 403, 'item-not-found': 404 };

export interface BoshReply {
  status: number;
  body: string;
}

export type Respond = (reply: BoshReply) => void;

/** A client request: the attributes of its <body/> and its payloads, serialized. */
export interface BoshRequest {
  rid: number;
  attrs: Readonly<Record<string, string>>;
  payload: string;
}

export interface BoshSessionOptions {
  sid: string;
  /** Seconds, already min(client's wait, bosh.maxWait) (§7.2: not more than requested). */
  wait: number;
  /** Already min(client's hold, 1). */
  hold: number;
  /** Seconds without a request held before the session is given up (§10). */
  inactivity: number;
  /** The version we answer: the client's, or ours if lower (§7.2). */
  ver: string;
  /** Whether the client spoke a version at all; legacy clients get HTTP error codes (§17.1). */
  legacy: boolean;
  /** Attributes of the session creation response besides sid, wait, hold, requests, inactivity, polling, ver. */
  createAttrs: Record<string, string>;
}

export interface BoshSessionEvents {
  /** Payloads (and the stream restart) for the XMPP stream, in rid order. */
  input(req: BoshRequest): void;
  /** The session is over. */
  ended(): void;
}

interface Pending {
  req: BoshRequest;
  respond: Respond;
}

interface Held extends Pending {
  timer: NodeJS.Timeout;
  /** The session creation request, whose response carries the session's attributes (§7.2). */
  create: boolean;
}

/** Builds a <body/> wrapper. Payloads with `stream:` elements need the prefix declared on it (XEP-0206 §3). */
export function bodyXml(attrs: Record<string, string | undefined>, payloads: readonly string[] = []): string {
  let a = ` xmlns='${NS_HTTPBIND}'`;
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) a += ` ${k}='${escapeXml(v)}'`;
  if (Object.keys(attrs).some((k) => k.startsWith('xmpp:'))) a += ` xmlns:xmpp='${NS_XBOSH}'`;
  if (payloads.length === 0) return `<body${a}/>`;
  return `<body${a} xmlns:stream='${NS_STREAM}'>${payloads.join('')}</body>`;
}

export function terminateReply(condition: BoshCondition | undefined, legacy = false, payloads: readonly string[] = []): BoshReply {
  const status = legacy && condition ? LEGACY_STATUS[condition] : undefined;
  if (status) return { status, body: '' };
  return { status: 200, body: bodyXml({ type: 'terminate', condition }, payloads) };
}

export class BoshSession {
  /** The rid of the last request processed; the next one expected is lastRid + 1. */
  private lastRid: number;
  /**
   * §11: how many requests the client may have outstanding, hold + 1 as recommended; also the
   * size of the rid window (§14.2) and of the response buffer (§14.3).
   */
  readonly requests: number;
  /** Received ahead of a missing rid, waiting for the gap to fill (§14.2). */
  private readonly early = new Map<number, Pending>();
  /** Processed and waiting for something to answer with, oldest (lowest rid) first. */
  private readonly held: Held[] = [];
  /** Payloads for the client, not yet in a response. */
  private readonly queue: string[] = [];
  private queuedBytes = 0;
  /** The last `requests` responses, by rid, for clients that lost one (§14.3). */
  private readonly sent = new Map<number, BoshReply>();
  private flushScheduled = false;
  private inactivityTimer?: NodeJS.Timeout;
  private paused = false;
  private over = false;
  /** The server ended the session with nothing held: the next request gets this (§13, §17.2). */
  private finalReply?: BoshReply;

  constructor(
    readonly opts: BoshSessionOptions,
    private readonly events: BoshSessionEvents,
  ) {
    this.requests = opts.hold + 1;
    this.lastRid = 0;
  }

  /** The session creation request (§7.1), once whatever listens to `events` is in place. */
  start(first: BoshRequest, respond: Respond): void {
    this.lastRid = first.rid - 1;
    this.early.set(first.rid, { req: first, respond });
    this.drain(true);
  }

  get ended(): boolean {
    return this.over;
  }

  /** Bytes queued for the client (the transport's bufferedAmount). */
  get bufferedAmount(): number {
    return this.queuedBytes;
  }

  get legacy(): boolean {
    return this.opts.legacy;
  }

  /** A request of this session (its sid matched). */
  handle(req: BoshRequest, respond: Respond): void {
    if (this.over) return respond(this.finalReply ?? terminateReply('item-not-found', this.opts.legacy));
    const rid = req.rid;
    if (rid <= this.lastRid) {
      // §14.3: the client lost our response and sent the same request again.
      const again = this.sent.get(rid);
      if (again) return respond(again);
      const held = this.held.find((h) => h.req.rid === rid);
      // Still held: the connection it came on is gone; the answer goes to the new one.
      if (held) return void (held.respond = respond);
      return this.fail('item-not-found', respond);
    }
    const early = this.early.get(rid);
    if (early) return void (early.respond = respond);
    // §14.2: the window is `requests` wide; §12 allows one more request to pause or terminate.
    const extra = req.attrs.type === 'terminate' || req.attrs.pause !== undefined ? 1 : 0;
    if (rid > this.lastRid + this.requests + extra) return this.fail('item-not-found', respond);
    this.early.set(rid, { req, respond });
    this.drain(false);
  }

  /** Rate limiting (limits.c2s.rate): requests wait, unprocessed and unanswered, until resume(). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.drain(false);
  }

  /** A payload from the server for the client. */
  push(xml: string): void {
    if (this.over) return;
    this.queue.push(xml);
    this.queuedBytes += xml.length;
    this.scheduleFlush();
  }

  /**
   * The server ended the stream: the queued payloads and a terminate go to the held requests
   * (the oldest gets the payloads), or to the next request if none is held.
   */
  close(condition?: BoshCondition, extra: readonly string[] = []): void {
    if (this.over) return;
    this.end(condition, [...this.takeQueue(), ...extra], true);
  }

  /** A binding error (§17.2): this request and every other one get it, and the session is over. */
  fail(condition: BoshCondition, respond?: Respond): void {
    if (this.over) return respond?.(terminateReply('item-not-found', this.opts.legacy));
    respond?.(terminateReply(condition, this.opts.legacy));
    // The client has been told on this request, or on those held: nothing is kept for later.
    this.end(condition, [], false);
  }

  /** Ends the session without a word to the client (§10 inactivity, or the server dropping it). */
  abandon(): void {
    if (this.over) return;
    this.end('item-not-found', [], false);
  }

  /** `keep`: the terminate waits for the client's next request if none is held (not so for fail and abandon). */
  private end(condition: BoshCondition | undefined, payloads: string[], keep: boolean): void {
    this.over = true;
    clearTimeout(this.inactivityTimer);
    this.queue.length = 0;
    this.queuedBytes = 0;
    const waiting = [...this.held, ...this.early.values()];
    this.held.length = 0;
    this.early.clear();
    const legacy = this.opts.legacy;
    // Only the first of them carries the payloads; the others are told it is over.
    waiting.forEach((h, i) => {
      clearTimeout((h as Partial<Held>).timer);
      h.respond(terminateReply(condition, legacy, i === 0 ? payloads : []));
    });
    if (waiting.length === 0 && keep) this.finalReply = terminateReply(condition, legacy, payloads);
    this.events.ended();
  }

  /** Processes requests in rid order, as far as they have arrived (§14.2). */
  private drain(first: boolean): void {
    let create = first;
    while (!this.paused && !this.over) {
      const next = this.early.get(this.lastRid + 1);
      if (!next) break;
      this.early.delete(this.lastRid + 1);
      this.lastRid++;
      const timer = setTimeout(() => this.expire(held), this.opts.wait * 1000);
      timer.unref();
      const held: Held = { ...next, timer, create };
      create = false;
      // Held before its payloads are handed over: a stream error they cause answers it.
      this.held.push(held);
      clearTimeout(this.inactivityTimer);
      this.events.input(next.req);
    }
    this.scheduleFlush();
  }

  /** Answers in a later turn, so that what the server sends at once in reply goes in one response. */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.over) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    // §11: a new request releases the one held before it, even with nothing to send.
    while (!this.over && this.held.length > 0 && (this.held.length > this.opts.hold || this.queue.length > 0)) {
      this.answer(this.held[0]!);
    }
  }

  /** §11: nothing to send within `wait` seconds: an empty response (and any held before it). */
  private expire(held: Held): void {
    if (this.over) return;
    while (this.held.length > 0 && this.held.includes(held)) this.answer(this.held[0]!);
  }

  /** Responds to the oldest held request with what is queued. */
  private answer(h: Held): void {
    this.held.shift();
    clearTimeout(h.timer);
    const attrs: Record<string, string | undefined> = h.create ? this.createAttrs() : {};
    const reply: BoshReply = { status: 200, body: bodyXml(attrs, this.takeQueue()) };
    this.sent.set(h.req.rid, reply);
    for (const rid of this.sent.keys()) {
      if (this.sent.size <= this.requests) break;
      this.sent.delete(rid);
    }
    h.respond(reply);
    if (this.held.length === 0) this.watchInactivity();
  }

  private takeQueue(): string[] {
    const out = this.queue.splice(0);
    this.queuedBytes = 0;
    return out;
  }

  /** §7.2: the attributes of the session creation response. */
  private createAttrs(): Record<string, string> {
    const o = this.opts;
    return {
      sid: o.sid,
      wait: String(o.wait),
      hold: String(o.hold),
      requests: String(this.requests),
      inactivity: String(o.inactivity),
      polling: String(POLLING_SECONDS),
      ver: o.ver,
      ...o.createAttrs,
    };
  }

  /** §10: with no request held, the client must make one within `inactivity` seconds. */
  private watchInactivity(): void {
    clearTimeout(this.inactivityTimer);
    this.inactivityTimer = setTimeout(() => {
      // Requests waiting for a missing rid do not keep the session: that rid may never come.
      if (this.held.length === 0) this.abandon();
    }, this.opts.inactivity * 1000);
    this.inactivityTimer.unref();
  }
}

/**
 * The shortest polling interval we announce (§7.2), as Prosody does. We do not terminate clients
 * that poll faster (§12 and §13 say SHOULD): with hold=1 an empty request that a data request
 * released comes back empty through no fault of the client, and what a client sends is already
 * bounded by limits.c2s.rate.
 */
export const POLLING_SECONDS = 5;

/** 'ver' of the response: the client's version or ours, whichever is lower (§7.2). */
export function negotiateVersion(client: string | undefined): string {
  const m = client === undefined ? null : /^(\d+)\.(\d+)$/.exec(client);
  if (!m) return BOSH_VERSION;
  const [major, minor] = BOSH_VERSION.split('.').map(Number) as [number, number];
  const cMajor = Number(m[1]);
  const cMinor = Number(m[2]);
  return cMajor < major || (cMajor === major && cMinor < minor) ? `${cMajor}.${cMinor}` : BOSH_VERSION;
}
