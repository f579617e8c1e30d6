// A load worker process: holds many sessions and runs the scenario steps the runner asks for.
// Each step answers with counts and errors; nothing is sampled, every stanza is counted.
import { Session, type Target } from './session.js';
import type { BatchResult, Command, FanResult, FlowResult, Reply } from './protocol.js';
import { attr, bare, childText, elementName } from './stanza.js';

let target: Target | null = null;
const groups = new Map<string, Map<string, Session>>();
const wallNow = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function group(name: string): Map<string, Session> {
  let g = groups.get(name);
  if (!g) groups.set(name, (g = new Map()));
  return g;
}

function members(name: string, users: string[]): Session[] {
  const g = group(name);
  return users.map((u) => {
    const s = g.get(u);
    if (!s) throw new Error(`no session for ${u} in ${name}`);
    return s;
  });
}

function tgt(): Target {
  if (!target) throw new Error('no target set');
  return target;
}

/** Runs `fn` over `items` with at most `concurrency` in flight; collects errors (first 20). */
async function batch<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<BatchResult> {
  const t0 = performance.now();
  let next = 0;
  let ok = 0;
  const errors: string[] = [];
  let errorCount = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
        ok++;
      } catch (e) {
        errorCount++;
        if (errors.length < 20) errors.push(String((e as Error).message ?? e).slice(0, 300));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  if (errorCount > errors.length) errors.push(`… ${errorCount} errors in all`);
  return { ok, errors, ms: performance.now() - t0 };
}

// ---- chat flow between pairs: paced messages, each carrying its send time ----

interface Pair {
  from: Session;
  to: Session;
  stanza: string;
  toJid: string;
}
let pairs: Pair[] = [];
const MARK = '<body>BM ';

function watchErrors(s: Session, errors: string[]): void {
  s.onClose = (reason) => {
    if (errors.length < 20) errors.push(`session ${s.jid} closed: ${reason}`);
  };
}

/** Waits while messages are still arriving; gives up after `idleMs` without progress. */
async function drain(pending: () => boolean, progress: () => number, idleMs: number, errors: string[]): Promise<void> {
  let last = progress();
  let lastAt = performance.now();
  while (pending() && errors.length === 0) {
    await sleep(20);
    const now = progress();
    if (now !== last) {
      last = now;
      lastAt = performance.now();
    } else if (performance.now() - lastAt > idleMs) {
      return;
    }
  }
}

async function paced(c: Extract<Command, { op: 'paced' }>): Promise<FlowResult> {
  const errors: string[] = [];
  const latencies: number[] = [];
  let sent = 0;
  let received = 0;
  let lastAt = 0;
  for (const p of pairs) {
    watchErrors(p.from, errors);
    watchErrors(p.to, errors);
    p.from.onStanza = null;
    p.to.onStanza = (xml) => {
      if (!xml.startsWith('<message')) return;
      const at = xml.indexOf(MARK);
      if (at < 0) return;
      if (attr(xml, 'type') === 'error') {
        if (errors.length < 20) errors.push(`error: ${xml.slice(0, 300)}`);
        return;
      }
      received++;
      const now = performance.now();
      lastAt = now;
      const ts = Number(xml.slice(at + MARK.length, xml.indexOf('<', at + MARK.length)));
      latencies.push(now - ts);
    };
  }
  const start = performance.now();
  let rr = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      const elapsed = Math.min(now - start, c.durationMs);
      const due = Math.floor((elapsed * c.rate) / 1000) - sent;
      for (let k = 0; k < due; k++) {
        const p = pairs[rr++ % pairs.length];
        sent++;
        p.from.send(`<message to='${p.toJid}' type='chat'>${MARK}${performance.now().toFixed(3)}</body></message>`);
      }
      if (now - start >= c.durationMs) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
  const windowMs = performance.now() - start;
  const windowReceived = received;
  await drain(() => received < sent, () => received, c.drainMs, errors);
  return { sent, received, windowReceived, windowMs, spanMs: lastAt - start, lost: sent - received, errors, latencies };
}

// ---- presence fan-out ----

let fan: { expected: number; received: number; last: number; errors: string[]; done: () => void } | null = null;

async function handle(c: Command): Promise<unknown> {
  switch (c.op) {
    case 'target':
      target = c.target;
      return null;
    case 'register':
      return batch(c.users, c.concurrency, async (user) => {
        const s = new Session(tgt());
        try {
          await s.registerOnly(user, c.password, c.transport);
        } finally {
          await s.close();
        }
      });
    case 'login': {
      const g = group(c.group);
      return batch(c.users, c.concurrency, async (user) => {
        const s = new Session(tgt());
        try {
          await s.login({ user, password: c.password, mechanism: c.mechanism, transport: c.transport, presence: c.presence });
        } catch (e) {
          s.destroy('login failed');
          throw e;
        }
        if (c.keep) g.set(user, s);
        else void s.close();
      });
    }
    case 'ping': {
      const sessions = [...group(c.group).values()];
      let n = 0;
      return batch(sessions, c.concurrency, (s) =>
        new Promise<void>((resolve, reject) => {
          if (s.closed) return reject(new Error(`session ${s.jid} is closed`));
          const id = `p${n++}`;
          const timer = setTimeout(() => reject(new Error(`ping ${s.jid} timed out`)), 30_000);
          s.onStanza = (xml) => {
            if (elementName(xml) === 'iq' && attr(xml, 'id') === id) {
              clearTimeout(timer);
              s.onStanza = null;
              if (attr(xml, 'type') === 'result') resolve();
              else reject(new Error(`ping ${s.jid}: ${xml}`));
            }
          };
          s.send(`<iq type='get' id='${id}' to='${tgt().domain}'><ping xmlns='urn:xmpp:ping'/></iq>`);
        }));
    }
    case 'close': {
      const g = group(c.group);
      await Promise.all([...g.values()].map((s) => s.close()));
      groups.delete(c.group);
      return null;
    }
    case 'pairs': {
      const g = group(c.group);
      pairs = c.pairs.map(([a, b]) => {
        const from = g.get(a);
        const to = g.get(b);
        if (!from || !to) throw new Error(`pair ${a}→${b}: session missing`);
        const toJid = bare(to.jid);
        return { from, to, toJid, stanza: `<message to='${toJid}' type='chat'>${MARK}0 Hello, this is a benchmark message of ordinary size.</body></message>` };
      });
      return pairs.length;
    }
    case 'paced':
      return paced(c);
    case 'fanOwner': {
      const owner = group(c.group).get(c.owner);
      if (!owner) throw new Error('owner not logged in');
      // Approve every subscription request (RFC 6121 §3.1.4).
      owner.onStanza = (xml) => {
        if (elementName(xml) === 'presence' && attr(xml, 'type') === 'subscribe') {
          owner.send(`<presence to='${bare(attr(xml, 'from') ?? '')}' type='subscribed'/>`);
        }
      };
      return null;
    }
    case 'fanSubscribe': {
      const ownerJid = `${c.owner}@${tgt().domain}`;
      return batch(members(c.group, c.users), c.concurrency, (s) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`subscription of ${s.jid} timed out`)), c.timeoutMs);
          s.onStanza = (xml) => {
            if (elementName(xml) !== 'presence' || bare(attr(xml, 'from') ?? '') !== ownerJid) return;
            const type = attr(xml, 'type');
            // Prosody delivers the owner's presence rather than the <subscribed/> itself (§3.1.6 lets it).
            if (type === 'subscribed' || type === undefined) {
              clearTimeout(timer);
              s.onStanza = null;
              resolve();
            } else if (type === 'unsubscribed' || type === 'error') {
              clearTimeout(timer);
              reject(new Error(`subscription refused: ${xml}`));
            }
          };
          s.send(`<presence to='${ownerJid}' type='subscribe'/>`);
        }));
    }
    case 'fanArm': {
      const ownerJid = `${c.owner}@${tgt().domain}`;
      const contacts = members(c.group, c.users);
      let resolveDone: () => void = () => {};
      const done = new Promise<void>((r) => (resolveDone = r));
      const state = { expected: contacts.length, received: 0, last: 0, errors: [] as string[], done: resolveDone };
      fan = state;
      for (const s of contacts) {
        let got = false;
        watchErrors(s, state.errors);
        s.onStanza = (xml) => {
          if (got || elementName(xml) !== 'presence') return;
          if (childText(xml, 'status') !== c.marker || bare(attr(xml, 'from') ?? '') !== ownerJid) return;
          got = true;
          state.last = wallNow();
          if (++state.received === state.expected) state.done();
        };
      }
      if (contacts.length === 0) resolveDone();
      (state as { promise?: Promise<void> }).promise = done;
      return null;
    }
    case 'fanCollect': {
      const f = fan as (FanResult & { promise?: Promise<void> }) | null;
      if (!f) throw new Error('not armed');
      await Promise.race([f.promise, sleep(c.timeoutMs)]);
      fan = null;
      const r: FanResult = { expected: f.expected, received: f.received, last: f.last, errors: f.errors };
      return r;
    }
    case 'fanSend': {
      const owner = group(c.group).get(c.owner);
      if (!owner) throw new Error('owner not logged in');
      const t0 = wallNow();
      owner.send(`<presence><status>${c.marker}</status></presence>`);
      return t0;
    }
    case 'stats': {
      const u = process.cpuUsage();
      return { cpuSeconds: (u.user + u.system) / 1e6, rss: process.memoryUsage().rss };
    }
  }
}

process.on('message', (msg: { id: number; cmd: Command }) => {
  handle(msg.cmd).then(
    (result) => process.send?.({ id: msg.id, ok: true, result } satisfies Reply),
    (e: unknown) => process.send?.({ id: msg.id, ok: false, error: String((e as Error)?.stack ?? e) } satisfies Reply),
  );
});
process.on('disconnect', () => process.exit(0));
