// 1:1 chat for the session: messages, unread counts, typing (XEP-0085), delivery receipts
// (XEP-0184) and messages of our other clients (XEP-0280 carbons, when the server has them).
import type { Agent } from 'stanza';
import type { Message } from 'stanza/protocol/index.js';
import { Store } from '../state/store.js';
import { bare } from '../protocol/jid.js';

export interface ChatMessage {
  id: string;
  dir: 'in' | 'out';
  body: string;
  at: number;
  /** Outgoing only: 'delivered' once the peer's client sent a XEP-0184 receipt. */
  status?: 'sent' | 'delivered';
  /** A call summary line rather than a message. */
  kind?: 'call';
}

export interface Conversation {
  messages: ChatMessage[];
  unread: number;
  /** XEP-0085 state of the peer. */
  peerState?: 'composing' | 'paused' | 'active' | 'inactive' | 'gone';
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

export function addMessage(s: ChatState, peer: string, m: ChatMessage, visible: boolean): ChatState {
  return update(s, peer, (c) => {
    if (m.id && c.messages.some((x) => x.id === m.id && x.dir === m.dir)) return c; // duplicate
    const unread = m.dir === 'in' && !(visible && s.open === peer) ? c.unread + 1 : c.unread;
    // a message ends "typing" (XEP-0085 §5.1: a body implies active)
    return { ...c, messages: [...c.messages, m], unread, ...(m.dir === 'in' ? { peerState: 'active' as const } : {}) };
  });
}

export function markDelivered(s: ChatState, peer: string, id: string): ChatState {
  const c = s.conversations[peer];
  if (!c?.messages.some((m) => m.id === id && m.dir === 'out')) return s;
  return update(s, peer, (c) => ({ ...c, messages: c.messages.map((m) => (m.id === id && m.dir === 'out' ? { ...m, status: 'delivered' as const } : m)) }));
}

export function openConversation(s: ChatState, peer: string | undefined): ChatState {
  const next = { ...s, ...(peer ? { open: peer } : {}) };
  if (!peer) delete next.open;
  return peer ? update(next, peer, (c) => ({ ...c, unread: 0 })) : next;
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
  send(to: string, body: string): void;
  /** Call on every keystroke; sends composing once and paused after a pause (XEP-0085 §5). */
  typing(to: string): void;
  open(peer: string | undefined): void;
  forget(peer: string): void;
}

const PAUSE_MS = 4000;

export function bindChat(client: Agent, store: Store<ChatState>, isVisible: () => boolean = () => true): ChatActions {
  client.on('session:started', () => {
    client.enableCarbons().catch(() => undefined); // servers without XEP-0280 answer with an error
  });
  client.on('chat', (msg) => {
    if (!msg.body || msg.jingleMessage) return;
    const peer = bare(msg.from);
    store.set((s) => addMessage(s, peer, { id: msg.id ?? '', dir: 'in', body: msg.body!, at: msg.delay?.timestamp?.getTime() ?? Date.now() }, isVisible()));
  });
  client.on('message:sent', (msg: Message, viaCarbon: boolean) => {
    if (!viaCarbon || !msg.body || !msg.to) return; // our own sends are added by send()
    store.set((s) => addMessage(s, bare(msg.to!), { id: msg.id ?? '', dir: 'out', body: msg.body!, at: Date.now(), status: 'sent' }, true));
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
    send(to, body) {
      const text = body.trim();
      if (!text) return;
      stopTyping(to, 'active');
      const id = client.sendMessage({ to, type: 'chat', body: text, receipt: { type: 'request' }, chatState: 'active' });
      store.set((s) => addMessage(s, to, { id, dir: 'out', body: text, at: Date.now(), status: 'sent' }, true));
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
  };
}
