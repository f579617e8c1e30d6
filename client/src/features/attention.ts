// Getting the person's attention while the page is in the background: the unread count in the page
// title ("(3) Carillon"), a short chime, and a desktop notification (Notification API) for a new
// message. Permission for notifications is asked only when the person turns them on (a click in
// the sidebar), never at page load, as browsers require and as Converse.js and Movim do.
import type { ChatState } from './chat.js';
import { playChime } from './tones.js';

export const BASE_TITLE = 'Carillon';

export function totalUnread(s: ChatState): number {
  let n = 0;
  for (const c of Object.values(s.conversations)) n += c.unread;
  return n;
}

export function titleFor(unread: number): string {
  return unread > 0 ? `(${unread}) ${BASE_TITLE}` : BASE_TITLE;
}

/** The newest incoming messages that were not there before, per peer (for the notification). */
export function newIncoming(prev: ChatState, next: ChatState): { peer: string; body: string }[] {
  const out: { peer: string; body: string }[] = [];
  for (const [peer, c] of Object.entries(next.conversations)) {
    // a message that is read at once (its conversation open and the page visible) is not news
    if (c.unread <= (prev.conversations[peer]?.unread ?? 0)) continue;
    const last = [...c.messages].reverse().find((m) => m.dir === 'in' && m.kind !== 'call');
    if (last) out.push({ peer, body: last.body });
  }
  return out;
}

/** Invitations that were not there before (room or call, XEP-0045 §7.8 / XEP-0482). */
export function newInvites<T extends { room: string; call?: boolean }>(prev: readonly T[], next: readonly T[]): T[] {
  return next.filter((i) => !prev.some((p) => p.room === i.room && (!!p.call || !i.call)));
}

export type NotifyPermission = 'default' | 'granted' | 'denied' | 'unsupported';

export function notificationPermission(): NotifyPermission {
  return typeof Notification === 'undefined' ? 'unsupported' : (Notification.permission as NotifyPermission);
}

export async function askNotificationPermission(): Promise<NotifyPermission> {
  if (typeof Notification === 'undefined') return 'unsupported';
  return (await Notification.requestPermission()) as NotifyPermission;
}

export interface AttentionOptions {
  chat: { value: ChatState; subscribe(fn: (s: ChatState) => void): () => void };
  nameOf(peer: string): string;
  /** Opens the conversation when its notification is clicked. */
  open(peer: string): void;
}

/** Keeps the title and notifies of new messages while the page is hidden. Returns the unsubscribe. */
export function watchAttention(opts: AttentionOptions): () => void {
  let prev = opts.chat.value;
  const unsubscribe = opts.chat.subscribe((s) => {
    document.title = titleFor(totalUnread(s));
    const fresh = newIncoming(prev, s);
    prev = s;
    if (fresh.length === 0 || document.visibilityState === 'visible') return;
    playChime();
    if (notificationPermission() !== 'granted') return;
    for (const { peer, body } of fresh) {
      const n = new Notification(opts.nameOf(peer), { body: body.length > 140 ? `${body.slice(0, 139)}…` : body, tag: `chat:${peer}` });
      n.onclick = () => {
        window.focus();
        opts.open(peer);
        n.close();
      };
    }
  });
  return unsubscribe;
}

export interface InviteAttentionOptions<T extends { room: string; from: string; call?: boolean }> {
  invites: { value: T[]; subscribe(fn: (s: T[]) => void): () => void };
  nameOf(jid: string): string;
  /** Shows the invitation when its notification is clicked. */
  show(invite: T): void;
}

/** A chime and a desktop notification for a new invitation while the page is hidden. */
export function watchInvites<T extends { room: string; from: string; call?: boolean }>(opts: InviteAttentionOptions<T>): () => void {
  let prev = opts.invites.value;
  return opts.invites.subscribe((list) => {
    const fresh = newInvites(prev, list);
    prev = list;
    if (fresh.length === 0 || document.visibilityState === 'visible') return;
    playChime();
    if (notificationPermission() !== 'granted') return;
    for (const inv of fresh) {
      const room = inv.room.split('@')[0] || inv.room;
      const n = new Notification(opts.nameOf(inv.from), { body: `invites you to ${inv.call ? 'a call in ' : ''}${room}`, tag: `invite:${inv.room}` });
      n.onclick = () => {
        window.focus();
        opts.show(inv);
        n.close();
      };
    }
  });
}
