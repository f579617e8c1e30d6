// Transcript tests in the spirit of Prosody's scansion: a `.scs` file reads like the protocol it
// exercises, and the same file runs against any server, so a difference in behaviour shows as a
// failing transcript. Actors sign in with @xmpp/client (an independent implementation) over TCP.
//
// A transcript:
//
//   # RFC 6121 §2.1.3: the roster get (Example 2.1.3)     ← comments start with '#'
//
//   [Client] alice                                        ← actors; an account each, created before
//   [Client] bob                                            the run; optional "  resource: balcony"
//
//   ---                                                   ← header ends, steps follow
//
//   alice connects
//
//   alice sends:                                          ← one or more stanzas, indented
//     <iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>
//
//   alice receives:                                       ← one or more stanzas, in this order
//     <iq type='result' id='r1' to='${alice.full}' from='${alice}?'>
//       <query xmlns='jabber:iq:roster' ver='{any}?'/>
//     </iq>
//
//   alice receives nothing
//
//   alice disconnects
//
// Steps: `NAME connects` (no initial presence: the transcript sends it), `NAME sends:`,
// `NAME receives:`, `NAME receives, in any order:` (the next stanzas, as many as listed, matched
// in whatever order they came), `NAME receives nothing` (an XEP-0199 ping to the actor's own server
// and its result: anything the server was going to deliver before that arrives first and fails the
// step), `NAME's stream features include:` (the features offered after resource binding, listed
// ones must be there), `NAME disconnects`. Actors still connected at the end are disconnected;
// stanzas nobody asked about are not checked — say `receives nothing` where it matters.
//
// Each actor's account is <actor>.<transcript file name>@<domain>, so that transcripts sharing a
// server share no rosters or lists.
//
// Placeholders, in attribute values and text: ${alice} (bare JID), ${alice.full} (full JID),
// ${alice.resource}, ${domain} (the server), ${last.id} (the id of the last stanza the acting actor
// sent; ${alice.last.id} for another actor's), and ${NAME} for a value captured earlier.
//
// Matching a received stanza against an expected one:
//   - names and namespaces must be equal (a stanza's namespace is jabber:client unless written);
//   - every attribute written must be there with that value; `{any}` takes any value,
//     `{any:NAME}` takes any value and keeps it as ${NAME}, `{any:NAME, not ${OTHER}}` any value
//     but that one (a value that must have changed); a value ending in `?` after a
//     placeholder or wildcard (`from='${alice}?'`, `ver='{any}?'`) may also be absent, for the
//     addresses and values a specification leaves optional;
//   - an IQ result or error written without an id must carry the id of the actor's last sent stanza;
//   - by default an element is strict: attributes not written must be absent (but for xml:lang,
//     which servers stamp from the stream's default, RFC 6120 §4.7.4), and its child
//     elements must be exactly the ones written, in that order. `scansion:strict='false'` on an
//     expected element allows extra attributes there and extra children (the written children
//     must still appear, in order). Strictness is per element, not inherited by its children;
//   - text written must be equal (surrounding whitespace ignored; `{any}` takes any text); an
//     element written empty and strict must have no text.
//
// TRANSCRIPT_TRACE=1 prints every stanza sent and received.
//
// `sends` fills in an id on IQs written without one; nothing else is added. The actors answer
// nothing by themselves (@xmpp/client's automatic IQ replies are held back), so every stanza the
// actors put on the wire is in the transcript.
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { client as xmppClient } from '@xmpp/client';
import type * as LtxModule from 'ltx';

const ltx = createRequire(import.meta.url)('ltx') as typeof LtxModule;
type Element = LtxModule.Element;

/** Where a transcript runs: a server with a c2s port and a way to create accounts. */
export interface TranscriptTarget {
  name: string;
  domain: string;
  host?: string;
  c2sPort: number;
  addUser(local: string, password: string): Promise<void> | void;
}

interface ActorDecl {
  name: string;
  resource?: string;
}

type Step =
  | { line: number; actor: string; kind: 'connects' | 'disconnects' | 'nothing' }
  | { line: number; actor: string; kind: 'sends' | 'receives' | 'unordered' | 'features'; xml: string };

export interface Transcript {
  file: string;
  /** The first comment line. */
  title: string;
  actors: ActorDecl[];
  steps: Step[];
}

const ACTOR = '([A-Za-z][\\w-]*)';

/** The transcripts under test/transcripts/, by file name. */
export const TRANSCRIPT_DIR = fileURLToPath(new URL('../transcripts/', import.meta.url));

export function allTranscripts(): { name: string; transcript: Transcript }[] {
  return readdirSync(TRANSCRIPT_DIR)
    .filter((f) => f.endsWith('.scs'))
    .sort()
    .map((name) => ({ name, transcript: parseTranscript(join(TRANSCRIPT_DIR, name)) }));
}

export function parseTranscript(file: string): Transcript {
  const lines = readFileSync(file, 'utf8').split('\n');
  const actors: ActorDecl[] = [];
  const steps: Step[] = [];
  let title = '';
  let titleOpen = true;
  let i = 0;
  const fail = (n: number, msg: string): never => {
    throw new Error(`${basename(file)}:${n + 1}: ${msg}`);
  };
  // Header: comments, [Client] declarations with indented properties, then a line of dashes.
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^-{3,}\s*$/.test(line)) {
      i++;
      break;
    }
    if (line.startsWith('#')) {
      // The title: the first comment paragraph.
      const text = line.replace(/^#+\s*/, '').trim();
      if (titleOpen && text) title = title ? `${title} ${text}` : text;
      else if (title) titleOpen = false;
      continue;
    }
    if (title) titleOpen = false;
    if (!line.trim()) continue;
    const decl = new RegExp(`^\\[Client\\]\\s+${ACTOR}\\s*$`).exec(line);
    if (decl) {
      actors.push({ name: decl[1]! });
      continue;
    }
    const prop = /^\s+(\w+):\s*(.*)$/.exec(line);
    if (prop && actors.length) {
      if (prop[1] === 'resource') actors[actors.length - 1]!.resource = prop[2]!.trim();
      else fail(i, `unknown actor property ${prop[1]}`);
      continue;
    }
    fail(i, `unexpected header line: ${line}`);
  }
  if (!actors.length) fail(0, 'no [Client] declared');
  const known = new Set(actors.map((a) => a.name));
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim() || line.startsWith('#')) continue;
    if (/^\s/.test(line)) fail(i, 'indented line outside a sends/receives step');
    const m = new RegExp(`^${ACTOR}(?:'s)?\\s+(.*?)\\s*$`).exec(line);
    if (!m || !known.has(m[1]!)) fail(i, `expected "<actor> <step>" with a declared actor: ${line}`);
    const actor = m![1]!;
    const verb = m![2]!;
    const simple = { connects: 'connects', disconnects: 'disconnects', 'receives nothing': 'nothing' } as const;
    if (verb in simple) {
      steps.push({ line: i + 1, actor, kind: simple[verb as keyof typeof simple] });
      continue;
    }
    const blocks = { 'sends:': 'sends', 'receives:': 'receives', 'receives, in any order:': 'unordered', 'stream features include:': 'features' } as const;
    if (!(verb in blocks)) fail(i, `unknown step "${verb}"`);
    const start = i;
    const body: string[] = [];
    while (i + 1 < lines.length && (/^\s/.test(lines[i + 1]!) || (!lines[i + 1]!.trim() && i + 2 < lines.length && /^\s+\S/.test(lines[i + 2]!)))) {
      body.push(lines[++i]!);
    }
    if (!body.join('').trim()) fail(start, 'a block step needs indented XML below it');
    steps.push({ line: start + 1, actor, kind: blocks[verb as keyof typeof blocks], xml: body.join('\n') });
  }
  return { file, title: title || basename(file), actors, steps };
}

/** Parses the indented XML of a step into its top-level elements (namespace jabber:client). */
function parseBlock(text: string): Element[] {
  const wrapper = ltx.parse(`<transcript xmlns='jabber:client' xmlns:scansion='https://matthewwild.co.uk/projects/scansion'>${text}</transcript>`) as Element;
  return wrapper.getChildElements();
}

// ---------------------------------------------------------------------------------------------

interface Pattern {
  /** Literal value, or undefined for a wildcard. */
  value?: string;
  capture?: string;
  /** For a wildcard: the one value it does not take. */
  not?: string;
  optional: boolean;
}

type Vars = (name: string) => string;

function substitute(raw: string, vars: Vars): string {
  return raw.replace(/\$\{([^}]+)\}/g, (_, name: string) => vars(name.trim()));
}

function pattern(raw: string, vars: Vars): Pattern {
  let optional = false;
  if (/[}]\?$/.test(raw)) {
    optional = true;
    raw = raw.slice(0, -1);
  }
  const wild = /^\{any(?::(\w[\w.-]*))?(?:,\s*not\s+(.+))?\}$/.exec(raw);
  if (wild) return { capture: wild[1], not: wild[2] === undefined ? undefined : substitute(wild[2], vars), optional };
  return { value: substitute(raw, vars), optional };
}

const isMeta = (attr: string) => attr === 'xmlns' || attr.startsWith('xmlns:') || attr === 'scansion:strict';

function nsOf(el: Element): string | undefined {
  for (let e: Element | null = el; e; e = e.parent as Element | null) {
    if (e.attrs.xmlns !== undefined) return e.attrs.xmlns as string;
  }
  return 'jabber:client';
}

const textOf = (el: Element) => el.children.filter((c): c is string => typeof c === 'string').join('').trim();

/** Matches `got` against `want`; returns the captures, or throws a short reason with its path. */
function match(want: Element, got: Element, vars: Vars, captures: Map<string, string>, path = ''): void {
  const here = `${path}/${want.name}`;
  if (want.name !== got.name) throw new Error(`${here}: element is <${got.name}>`);
  const wantNs = nsOf(want);
  if (wantNs !== nsOf(got)) throw new Error(`${here}: namespace is ${nsOf(got)}, not ${wantNs}`);
  const strict = want.attrs['scansion:strict'] !== 'false';
  const lookup: Vars = (n) => captures.get(n) ?? vars(n);
  for (const [attr, raw] of Object.entries(want.attrs as Record<string, string>)) {
    if (isMeta(attr)) continue;
    const p = pattern(raw, lookup);
    const value = got.attrs[attr] as string | undefined;
    if (value === undefined) {
      if (p.optional) continue;
      throw new Error(`${here}: attribute ${attr} is missing`);
    }
    if (p.value !== undefined && p.value !== value) throw new Error(`${here}: ${attr}='${value}', not '${p.value}'`);
    if (p.not !== undefined && p.not === value) throw new Error(`${here}: ${attr}='${value}', which it must not be`);
    if (p.capture) captures.set(p.capture, value);
  }
  if (strict) {
    for (const attr of Object.keys(got.attrs)) {
      // A server may stamp the stream's default language on stanzas it routes (RFC 6120 §4.7.4).
      if (!isMeta(attr) && attr !== 'xml:lang' && !(attr in want.attrs)) throw new Error(`${here}: unexpected attribute ${attr}='${got.attrs[attr]}'`);
    }
  }
  const wantText = textOf(want);
  const gotText = textOf(got);
  if (wantText) {
    const p = pattern(wantText, lookup);
    if (p.value !== undefined && p.value !== gotText) throw new Error(`${here}: text is ${JSON.stringify(gotText)}, not ${JSON.stringify(p.value)}`);
    if (p.not !== undefined && p.not === gotText) throw new Error(`${here}: text is ${JSON.stringify(gotText)}, which it must not be`);
    if (p.capture) captures.set(p.capture, gotText);
  } else if (strict && gotText) {
    throw new Error(`${here}: unexpected text ${JSON.stringify(gotText)}`);
  }
  const wantKids = want.getChildElements();
  const gotKids = got.getChildElements();
  if (strict) {
    for (let k = 0; k < Math.max(wantKids.length, gotKids.length); k++) {
      const w = wantKids[k];
      const g = gotKids[k];
      if (!w) throw new Error(`${here}: unexpected child ${g!.toString()}`);
      if (!g) throw new Error(`${here}: missing child <${w.name}${w.attrs.xmlns ? ` xmlns='${w.attrs.xmlns}'` : ''}>`);
      match(w, g, vars, captures, here);
    }
    return;
  }
  // Written children must appear in order among the received ones; others are allowed.
  let from = 0;
  for (const w of wantKids) {
    let found = false;
    let firstReason = '';
    for (; from < gotKids.length && !found; from++) {
      const trial = new Map(captures);
      try {
        match(w, gotKids[from]!, vars, trial, here);
        for (const [k, v] of trial) captures.set(k, v);
        found = true;
      } catch (e) {
        // The reason worth showing is the one from a child of the same kind.
        if (gotKids[from]!.name === w.name && nsOf(gotKids[from]!) === nsOf(w)) firstReason ||= (e as Error).message;
      }
    }
    if (!found) throw new Error(`${here}: no child matches <${w.name}${w.attrs.xmlns ? ` xmlns='${w.attrs.xmlns}'` : ''}> (in order)${firstReason ? `; closest: ${firstReason}` : ''}`);
  }
}

/**
 * A copy of `el` with its placeholders filled in and the whitespace between elements dropped: the
 * stanza a `sends` step puts on the wire, or (lenient: unknown placeholders left as written) the
 * expected stanza shown in a failure.
 */
function fill(el: Element, vars: Vars, lenient = false): Element {
  const value = (s: string) =>
    substitute(s, (n) => {
      try {
        return vars(n);
      } catch (e) {
        if (lenient) return `\${${n}}`;
        throw e;
      }
    });
  const copy = ltx.clone(el);
  const walk = (e: Element) => {
    for (const [k, v] of Object.entries(e.attrs as Record<string, string>)) {
      if (k === 'xmlns:scansion' || (!lenient && k === 'scansion:strict')) delete e.attrs[k];
      else e.attrs[k] = value(v);
    }
    e.children = e.children.filter((c) => typeof c !== 'string' || c.trim()).map((c) => (typeof c === 'string' ? value(c.trim()) : c));
    e.getChildElements().forEach(walk);
  };
  walk(copy);
  copy.parent = null;
  return copy;
}

const show = (el: Element, vars: Vars) => fill(el, vars, true).toString();

// ---------------------------------------------------------------------------------------------

type XmppClient = ReturnType<typeof xmppClient>;

class Actor {
  client?: XmppClient;
  jid = '';
  full = '';
  lastId?: string;
  lastIqRequestId?: string;
  features?: Element;
  private queue: Element[] = [];
  private waiter?: () => void;
  private counter = 0;
  private closed = false;

  constructor(readonly name: string, readonly local: string, readonly resource: string | undefined, readonly password: string) {}

  async connect(target: TranscriptTarget): Promise<void> {
    const c = xmppClient({ service: `xmpp://${target.host ?? '127.0.0.1'}:${target.c2sPort}`, domain: target.domain, username: this.local, password: this.password, resource: this.resource });
    // The library's 2 s default for each stream step is short on a loaded machine.
    (c as unknown as { timeout: number }).timeout = 10_000;
    c.on('error', () => {});
    (c as unknown as { reconnect?: { stop(): void } }).reconnect?.stop();
    let online = false;
    c.on('nonza', (el: Element) => {
      if (el.name === 'stream:features' || (el.name === 'features' && el.attrs.xmlns === 'http://etherx.jabber.org/streams')) this.features = el;
    });
    c.on('stanza', (el: Element) => {
      if (!online) return;
      if (process.env.TRANSCRIPT_TRACE) console.error(`${this.name} <<< ${el.toString()}`);
      this.queue.push(el);
      this.waiter?.();
    });
    await c.start();
    online = true;
    // Hold back the library's own IQ replies: the transcript says everything the actor sends.
    const send = c.send.bind(c);
    c.send = async (el: Element) => {
      if (el.is('iq') && (el.attrs.type === 'result' || el.attrs.type === 'error') && !(el as { fromTranscript?: boolean }).fromTranscript) return;
      return send(el);
    };
    this.client = c;
    this.full = String(c.jid);
    this.jid = this.full.split('/')[0]!;
  }

  async send(el: Element): Promise<void> {
    if (!this.client) throw new Error(`${this.name} is not connected`);
    if (el.is('iq') && el.attrs.id === undefined) el.attrs.id = `${this.name}-${++this.counter}`;
    if (el.attrs.id !== undefined) this.lastId = el.attrs.id as string;
    (el as { fromTranscript?: boolean }).fromTranscript = true;
    if (process.env.TRANSCRIPT_TRACE) console.error(`${this.name} >>> ${el.toString()}`);
    await this.client.send(el);
  }

  /** The next received stanza, or undefined after `ms`. */
  async next(ms: number): Promise<Element | undefined> {
    if (!this.queue.length) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.waiter = undefined;
          resolve();
        }, ms);
        this.waiter = () => {
          clearTimeout(t);
          this.waiter = undefined;
          resolve();
        };
      });
    }
    return this.queue.shift();
  }

  pending(): Element[] {
    return this.queue.splice(0);
  }

  async disconnect(): Promise<void> {
    if (!this.client || this.closed) return;
    this.closed = true;
    await this.client.stop().catch(() => {});
    this.client = undefined;
  }
}

export interface RunOptions {
  /** How long a `receives` waits for each stanza. */
  timeoutMs?: number;
  password?: string;
  /** Account names are `<actor>.<prefix>` so that transcripts sharing a server share no state. */
  prefix?: string;
}

export async function runTranscript(t: Transcript, target: TranscriptTarget, opts: RunOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const password = opts.password ?? 'transcript-secret';
  const prefix = opts.prefix ?? basename(t.file).replace(/\.scs$/, '');
  const actors = new Map<string, Actor>();
  for (const a of t.actors) {
    const local = `${a.name.toLowerCase()}.${prefix}`.toLowerCase();
    await target.addUser(local, password);
    actors.set(a.name, new Actor(a.name, local, a.resource, password));
  }
  const captures = new Map<string, string>();
  let current: Actor | undefined;
  const vars: Vars = (name) => {
    if (name === 'domain') return target.domain;
    if (captures.has(name)) return captures.get(name)!;
    const [who, ...rest] = name.split('.');
    const prop = rest.join('.');
    if (who === 'last' && prop === 'id' && current) {
      if (current.lastId === undefined) throw new Error(`\${last.id}: ${current.name} has sent no stanza with an id`);
      return current.lastId;
    }
    const a = actors.get(who!);
    if (a) {
      const bare = `${a.local}@${target.domain}`;
      if (prop === '') return bare;
      if (prop === 'full' || prop === 'resource') {
        if (!a.full) throw new Error(`\${${name}}: ${a.name} has not connected`);
        return prop === 'full' ? a.full : a.full.slice(a.full.indexOf('/') + 1);
      }
      if (prop === 'last.id' && a.lastId !== undefined) return a.lastId;
    }
    throw new Error(`unknown placeholder \${${name}}`);
  };
  const where = (s: Step) => `${basename(t.file)}:${s.line} (${target.name})`;

  /** Expected IQ results and errors without an id answer the actor's last sent stanza. */
  const withDefaultId = (want: Element, actor: Actor): Element => {
    if (want.is('iq') && (want.attrs.type === 'result' || want.attrs.type === 'error') && want.attrs.id === undefined) {
      if (actor.lastId === undefined) throw new Error(`${actor.name} has sent no stanza for this IQ reply to answer`);
      want.attrs.id = actor.lastId;
    }
    return want;
  };

  try {
    for (const step of t.steps) {
      const actor = actors.get(step.actor)!;
      current = actor;
      try {
        switch (step.kind) {
          case 'connects':
            await actor.connect(target);
            break;
          case 'disconnects':
            await actor.disconnect();
            break;
          case 'sends':
            for (const el of parseBlock(step.xml)) {
              await actor.send(fill(el, vars));
            }
            break;
          case 'receives':
            for (const want of parseBlock(step.xml).map((w) => withDefaultId(w, actor))) {
              const got = await actor.next(timeoutMs);
              if (!got) throw new Error(`expected\n    ${show(want, vars)}\n  but nothing arrived within ${timeoutMs} ms`);
              const trial = new Map(captures);
              try {
                match(want, got, vars, trial);
              } catch (e) {
                throw new Error(`expected\n    ${show(want, vars)}\n  received\n    ${got.toString()}\n  (${(e as Error).message})`);
              }
              for (const [k, v] of trial) captures.set(k, v);
            }
            break;
          case 'unordered': {
            const wants = parseBlock(step.xml).map((w) => withDefaultId(w, actor));
            const gots: Element[] = [];
            for (let k = 0; k < wants.length; k++) {
              const got = await actor.next(timeoutMs);
              if (!got) break;
              gots.push(got);
            }
            const assignment = assign(wants, gots, vars, captures);
            if (!assignment) {
              // For each expected stanza no received one matches, why the likeliest one does not.
              const why = wants.flatMap((w) => {
                const reasons = gots.map((g) => {
                  try {
                    match(w, g, vars, new Map(captures));
                    return undefined;
                  } catch (e) {
                    return { g, reason: (e as Error).message };
                  }
                });
                if (reasons.some((r) => r === undefined)) return [];
                const alike = reasons.find((r) => r!.g.name === w.name && r!.g.attrs.type === w.attrs.type) ?? reasons[0];
                return alike ? [`<${w.name} type='${w.attrs.type ?? ''}'…>: ${alike.reason}`] : [];
              });
              throw new Error(`expected, in any order,\n${wants.map((w) => `    ${show(w, vars)}`).join('\n')}\n  received\n${gots.map((g) => `    ${g.toString()}`).join('\n') || '    nothing'}${why.length ? `\n  (${why.join('; ')})` : ''}`);
            }
            for (const [k, v] of assignment) captures.set(k, v);
            break;
          }
          case 'nothing': {
            const early = actor.pending();
            const id = `nothing-${step.line}`;
            if (!early.length) {
              await actor.send(ltx.parse(`<iq type='get' id='${id}' to='${target.domain}'><ping xmlns='urn:xmpp:ping'/></iq>`) as Element);
              for (;;) {
                const got = await actor.next(timeoutMs);
                if (!got) throw new Error(`the ping that checks for silence was not answered within ${timeoutMs} ms`);
                if (got.is('iq') && got.attrs.id === id && (got.attrs.type === 'result' || got.attrs.type === 'error')) break;
                early.push(got);
              }
            }
            if (early.length) throw new Error(`expected nothing, received\n${early.map((g) => `    ${g.toString()}`).join('\n')}`);
            break;
          }
          case 'features': {
            if (!actor.features) throw new Error(`${actor.name} has seen no stream features`);
            const want = ltx.parse(`<stream:features xmlns:stream='http://etherx.jabber.org/streams' scansion:strict='false'>${step.xml}</stream:features>`) as Element;
            try {
              match(want, actor.features, vars, captures);
            } catch (e) {
              throw new Error(`expected the stream features to include\n    ${step.xml.trim()}\n  received\n    ${actor.features.toString()}\n  (${(e as Error).message})`);
            }
            break;
          }
        }
      } catch (e) {
        const reason = (e as Error).message || String((e as Error).name ?? e);
        const err = new Error(`${where(step)}: ${step.actor} ${describe(step)}: ${reason}`);
        err.stack = err.message;
        throw err;
      }
    }
  } finally {
    await Promise.all([...actors.values()].map((a) => a.disconnect()));
  }
}

function describe(step: Step): string {
  return { connects: 'connects', disconnects: 'disconnects', nothing: 'receives nothing', sends: 'sends', receives: 'receives', unordered: 'receives, in any order', features: "'s stream features" }[step.kind];
}

/** A one-to-one matching of expected to received stanzas, with its captures, if one exists. */
function assign(wants: Element[], gots: Element[], vars: Vars, captures: Map<string, string>): Map<string, string> | undefined {
  if (wants.length !== gots.length) return undefined;
  if (!wants.length) return captures;
  const [w, ...restWants] = wants;
  for (let k = 0; k < gots.length; k++) {
    const trial = new Map(captures);
    try {
      match(w!, gots[k]!, vars, trial);
    } catch {
      continue;
    }
    const done = assign(restWants, gots.filter((_, j) => j !== k), vars, trial);
    if (done) return done;
  }
  return undefined;
}
