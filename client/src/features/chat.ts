// 1:1 chat for the session: messages, unread counts, typing (XEP-0085), delivery receipts
// (XEP-0184), messages of our other clients (XEP-0280 carbons, when the server has them) and
// history from the server's archive (XEP-0313): the latest messages at sign-in, older pages on
// demand. However a message arrives — live, carbon, offline, archive, a resumed stream — it is
// shown once: messages are keyed by their id and direction, and the archive's stanza-id
// (XEP-0359) where there is no id.
import type { Agent } from 'stanza';
import type { Message } from 'stanza/protocol/index.js';
import { Store } from '../state/store.js';
import { bare } from '../protocol/jid.js';
import { fileOf, type SharedFile } from './shared-file.js';
import { replyBody, stripReplyFallback } from '../protocol/xep0461-replies.js';

export interface ChatMessage {
  id: string;
  dir: 'in' | 'out';
  body: string;
  at: number;
  /** Outgoing only: 'delivered' once the peer's client sent a XEP-0184 receipt. */
  status?: 'sent' | 'delivered';
  /** A call summary line rather than a message. */
  kind?: 'call';
  /** The id our archive gave it (XEP-0359 stanza-id by our account), when known. */
  archiveId?: string;
  /** A shared file (XEP-0363 link with XEP-0066 out-of-band data). */
  file?: SharedFile;
  /** Outgoing file still uploading, or an upload that failed or was cancelled. */
  upload?: { progress: number; state: 'uploading' | 'failed' | 'cancelled' };
  /** Incoming only: the sender's full JID, which a correction must come from (XEP-0308 §5). */
  from?: string;
  /** The text was replaced by a correction (XEP-0308). */
  edited?: boolean;
  /** Archive pages only: this line corrects the message with that id (XEP-0308), it is not shown. */
  replaces?: string;
  /** The message this one answers (XEP-0461), and the quote of its fallback (XEP-0428). */
  reply?: { id: string; to?: string; fallback?: string };
}

export interface Conversation {
  messages: ChatMessage[];
  unread: number;
  /** XEP-0085 state of the peer. */
  peerState?: 'composing' | 'paused' | 'active' | 'inactive' | 'gone';
  /** Archive paging (XEP-0313): the oldest archive id loaded, and whether older ones remain. */
  history?: { oldest?: string; complete: boolean; loading?: boolean };
}

export interface ChatState {
  conversations: Record<string, Conversation>;
  open?: string;
}

export const EMPTY_CHAT: ChatState = { conversations: {} };
const EMPTY_CONV: Conversation = { messages: [], unread: 0 };

function update(s: ChatState, jid: string, fn: (c: Conversation) => Conversation): ChatState {
  return { ...s, conversations: { ...s.conversations, [jid]: fn(s.conversations[jid] ?? EMPTY_CONV) } };
}

const same = (a: ChatMessage, b: ChatMessage): boolean =>
  (!!a.id && a.id === b.id && a.dir === b.dir) || (!!a.archiveId && a.archiveId === b.archiveId);

export function addMessage(s: ChatState, peer: string, m: ChatMessage, visible: boolean): ChatState {
  return update(s, peer, (c) => {
    if (c.messages.some((x) => same(x, m))) return c; // duplicate
    const unread = m.dir === 'in' && !(visible && s.open === peer) ? c.unread + 1 : c.unread;
    // a message ends "typing" (XEP-0085 §5.1: a body implies active)
    return { ...c, messages: [...c.messages, m], unread, ...(m.dir === 'in' ? { peerState: 'active' as const } : {}) };
  });
}

/**
 * Applies a XEP-0308 correction: the message `replaces` names gets the new text. §4: the id is
 * that of the original message, also for a correction of a correction (some clients send the id of
 * the previous correction; it stays a match because the message keeps its original id and we
 * never store correction ids). §5: only a correction from the same full JID as the original is
 * applied; ours ('out') are ours whichever of our clients sent them. Returns undefined when
 * nothing matches, so that the caller shows it as a message of its own rather than lose it.
 */
export function correctMessage(s: ChatState, peer: string, c: { replaces: string; dir: 'in' | 'out'; from?: string; body: string }): ChatState | undefined {
  const conv = s.conversations[peer];
  const fits = (m: ChatMessage) => m.id === c.replaces && m.dir === c.dir && m.kind !== 'call' && !m.file
    && (c.dir === 'out' || (!!m.from && m.from === c.from));
  if (!conv?.messages.some(fits)) return undefined;
  return update(s, peer, (x) => ({ ...x, messages: x.messages.map((m) => (fits(m) ? { ...m, body: c.body, edited: true } : m)) }));
}

/** The last message we sent in a conversation that can still be corrected (text, not a file). */
export function lastOwnMessage(c: Conversation | undefined): ChatMessage | undefined {
  const out = (c?.messages ?? []).filter((m) => m.dir === 'out' && m.kind !== 'call' && !m.file && m.id);
  return out[out.length - 1];
}

/** Changes one of our own messages of a conversation (delivery receipts, upload progress). */
export function updateOwnMessage(s: ChatState, peer: string, id: string, fn: (m: ChatMessage) => ChatMessage): ChatState {
  if (!s.conversations[peer]) return s;
  return update(s, peer, (c) => ({ ...c, messages: c.messages.map((m) => (m.id === id && m.dir === 'out' ? fn(m) : m)) }));
}

export function markDelivered(s: ChatState, peer: string, id: string): ChatState {
  const c = s.conversations[peer];
  if (!c?.messages.some((m) => m.id === id && m.dir === 'out')) return s;
  return updateOwnMessage(s, peer, id, (m) => ({ ...m, status: 'delivered' as const }));
}

export function openConversation(s: ChatState, peer: string | undefined): ChatState {
  const next = { ...s, ...(peer ? { open: peer } : {}) };
  if (!peer) delete next.open;
  return peer ? update(next, peer, (c) => ({ ...c, unread: 0 })) : next;
}

/**
 * Messages from the archive, oldest first, merged into a conversation by time; those already
 * shown are skipped. Archived messages are not unread: they were delivered when they arrived.
 */
export function addArchived(s: ChatState, peer: string, page: ChatMessage[], history: Conversation['history']): ChatState {
  // corrections in the archive (XEP-0308) are applied to what they correct, oldest first; one
  // whose original is not here is shown as a line of its own, as live ones are
  const merge = (x: ChatState, lines: ChatMessage[]) => update(x, peer, (c) => {
    const fresh = lines.filter((m) => !c.messages.some((y) => same(y, m)));
    return { ...c, messages: [...fresh, ...c.messages].sort((a, b) => a.at - b.at), history };
  });
  return page.filter((m) => m.replaces).reduce((acc, m) => {
    const { replaces, ...line } = m;
    return correctMessage(acc, peer, { replaces: replaces!, dir: m.dir, from: m.from, body: m.body }) ?? merge(acc, [line]);
  }, merge(s, page.filter((m) => !m.replaces)));
}

/** Drops a conversation (a stranger's, ignored or blocked). */
export function forgetConversation(s: ChatState, peer: string): ChatState {
  const conversations = { ...s.conversations };
  delete conversations[peer];
  const next = { ...s, conversations };
  if (s.open === peer) delete next.open;
  return next;
}

export interface ChatActions {
  /**
   * Sends a message; `replace` makes it a correction of our message with that id (XEP-0308),
   * `reply` an answer to one (XEP-0461, with the XEP-0428 fallback quote).
   */
  send(to: string, body: string, opts?: { replace?: string; reply?: ChatMessage }): void;
  /** Call on every keystroke; sends composing once and paused after a pause (XEP-0085 §5). */
  typing(to: string): void;
  open(peer: string | undefined): void;
  forget(peer: string): void;
  /** Loads the page of the archive before what the conversation shows (XEP-0313 §4.1.4). */
  loadOlder(peer: string): Promise<void>;
}

/** An archived message (XEP-0313 §4.2) as a chat line, when it is one (a body, not a call). */
export function fromArchive(me: string, r: { id: string; item: { delay?: { timestamp?: Date }; message?: Message } }): { peer: string; message: ChatMessage } | undefined {
  const msg = r.item.message;
  if (!msg?.body || msg.jingleMessage || !msg.from || !msg.to) return undefined;
  if (msg.type && msg.type !== 'chat' && msg.type !== 'normal') return undefined;
  const out = bare(msg.from) === me;
  const peer = bare(out ? msg.to : msg.from);
  const at = r.item.delay?.timestamp ? new Date(r.item.delay.timestamp).getTime() : Date.now();
  return { peer, message: { ...lineOf(msg, out ? 'out' : 'in'), at, archiveId: r.id, ...(msg.replace ? { replaces: msg.replace } : {}) } };
}

/**
 * A message as a chat line. A reply (XEP-0461) keeps its fallback quote aside and shows the body
 * without it (XEP-0428 §4), so that the quote is drawn from the message answered when it is here.
 */
export function lineOf(msg: Message, dir: 'in' | 'out'): ChatMessage {
  const file = fileOf(msg);
  const body = msg.body ?? '';
  let reply: ChatMessage['reply'];
  if (msg.reply?.id) {
    const stripped = stripReplyFallback(body, msg.fallbacks);
    const fallback = body.length > stripped.length ? unquote(body.slice(0, body.length - stripped.length)) : undefined;
    reply = { id: msg.reply.id, ...(msg.reply.to ? { to: msg.reply.to } : {}), ...(fallback ? { fallback } : {}) };
  }
  return {
    id: msg.id ?? '', dir, body: reply ? stripReplyFallback(body, msg.fallbacks) : body,
    at: msg.delay?.timestamp ? new Date(msg.delay.timestamp).getTime() : Date.now(),
    ...(dir === 'out' ? { status: 'sent' as const } : {}),
    ...(dir === 'in' && msg.from ? { from: msg.from } : {}),
    ...(file ? { file } : {}),
    ...(reply ? { reply } : {}),
  };
}

/** A fallback quote's text without its "> " marks. */
const unquote = (q: string): string => q.replace(/\n$/, '').split('\n').map((l) => l.replace(/^> ?/, '')).join('\n');

const PAUSE_MS = 4000;

const PAGE = 40;

export function bindChat(client: Agent, store: Store<ChatState>, isVisible: () => boolean = () => true): ChatActions {
  const me = () => bare(client.jid);
  /** One page of the archive: with one contact, or of all conversations (at sign-in). */
  const page = async (opts: { with?: string; before?: string; after?: string }) => {
    const fin = await client.searchHistory({
      ...(opts.with ? { with: opts.with } : {}),
      paging: { max: PAGE, ...(opts.after ? { after: opts.after } : { before: opts.before ?? '' }) },
    });
    const lines = (fin.results ?? []).map((r) => fromArchive(me(), r)).filter((x) => !!x);
    return { lines, complete: !!fin.complete, first: fin.paging?.first };
  };
  client.on('session:started', () => {
    client.enableCarbons().catch(() => undefined); // servers without XEP-0280 answer with an error
    // catch up from the archive: the latest messages of every conversation, so that a new
    // sign-in (another device, or the password again) is not a blank page
    client.getDiscoInfo(me()).then(async (info) => {
      if (!info.features?.includes('urn:xmpp:mam:2')) return;
      const { lines } = await page({});
      const byPeer = new Map<string, ChatMessage[]>();
      for (const l of lines) byPeer.set(l.peer, [...(byPeer.get(l.peer) ?? []), l.message]);
      store.set((s) => {
        let next = s;
        for (const [peer, msgs] of byPeer) {
          const h = next.conversations[peer]?.history;
          next = addArchived(next, peer, msgs, h ?? { oldest: msgs[0]?.archiveId, complete: false });
        }
        return next;
      });
    }).catch(() => undefined); // no archive: history is what this page saw
  });
  /** A live or carbon message: a correction of one shown (XEP-0308), or a line of its own. */
  const receive = (msg: Message, dir: 'in' | 'out', visible: boolean) => {
    const peer = bare((dir === 'in' ? msg.from : msg.to) ?? '');
    const body = msg.body!;
    store.set((s) => {
      if (msg.replace) {
        const corrected = correctMessage(s, peer, { replaces: msg.replace, dir, from: msg.from, body: stripReplyFallback(body, msg.fallbacks) });
        if (corrected) return corrected;
      }
      return addMessage(s, peer, lineOf(msg, dir), visible);
    });
  };
  client.on('chat', (msg) => {
    if (!msg.body || msg.jingleMessage) return;
    receive(msg, 'in', isVisible());
  });
  client.on('message:sent', (msg: Message, viaCarbon: boolean) => {
    if (!viaCarbon || !msg.body || !msg.to) return; // our own sends are added by send()
    receive(msg, 'out', true);
  });
  client.on('receipt', (msg) => {
    if (msg.receipt?.id) store.set((s) => markDelivered(s, bare(msg.from), msg.receipt!.id!));
  });
  client.on('chat:state', (msg) => {
    if (msg.chatState) store.set((s) => update(s, bare(msg.from), (c) => ({ ...c, peerState: msg.chatState })));
  });

  const composing = new Map<string, ReturnType<typeof setTimeout>>();
  const stopTyping = (to: string, state: 'paused' | 'active') => {
    const t = composing.get(to);
    if (t === undefined) return;
    clearTimeout(t);
    composing.delete(to);
    if (state === 'paused') client.sendMessage({ to, type: 'chat', chatState: 'paused' });
  };

  return {
    send(to, body, opts = {}) {
      const text = body.trim();
      if (!text) return;
      stopTyping(to, 'active');
      const { replace, reply } = opts;
      const r = reply ? replyBody(reply.body, text) : undefined;
      const id = client.sendMessage({
        to, type: 'chat', body: r?.body ?? text, receipt: { type: 'request' }, chatState: 'active',
        ...(replace ? { replace } : {}),
        ...(reply && r ? { reply: { id: reply.id, to: reply.dir === 'in' ? reply.from ?? to : client.jid }, fallbacks: r.fallbacks } : {}),
      });
      store.set((s) => (replace && correctMessage(s, to, { replaces: replace, dir: 'out', body: text }))
        || addMessage(s, to, { id, dir: 'out', body: text, at: Date.now(), status: 'sent', ...(reply ? { reply: { id: reply.id, fallback: reply.body } } : {}) }, true));
    },
    typing(to) {
      const prev = composing.get(to);
      if (prev === undefined) client.sendMessage({ to, type: 'chat', chatState: 'composing' });
      else clearTimeout(prev);
      composing.set(to, setTimeout(() => stopTyping(to, 'paused'), PAUSE_MS));
    },
    open(peer) {
      store.set((s) => openConversation(s, peer));
    },
    forget(peer) {
      store.set((s) => forgetConversation(s, peer));
    },
    async loadOlder(peer) {
      const c = store.value.conversations[peer];
      if (c?.history?.complete || c?.history?.loading) return;
      const oldest = c?.history?.oldest ?? c?.messages.find((m) => m.archiveId)?.archiveId;
      store.set((s) => update(s, peer, (x) => ({ ...x, history: { ...(x.history ?? { complete: false }), loading: true } })));
      try {
        const { lines, complete, first } = await page({ with: peer, ...(oldest ? { before: oldest } : {}) });
        store.set((s) => addArchived(s, peer, lines.map((l) => l.message), { oldest: first ?? oldest, complete }));
      } catch {
        store.set((s) => update(s, peer, (x) => ({ ...x, history: { ...(x.history ?? {}), complete: true } })));
      }
    },
  };
}
