// The line a finished call leaves in its conversation.
import type { CallState } from '../protocol/call-machine.js';
import type { ChatMessage } from './chat.js';
import { explanation } from './call-words.js';

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** `name`: how the conversation names the contact (its local part unless given). */
export function callSummary(c: CallState, now: number, name = (c.peer ?? '').split('@')[0] ?? ''): ChatMessage {
  const kind = c.media === 'video' ? 'Video call' : 'Audio call';
  const why = explanation(c, name);
  let body: string;
  switch (why ? 'explained' : c.endReason) {
    case 'explained': body = `${kind}: ${why!.charAt(0).toLowerCase()}${why!.slice(1)}`; break;
    case 'missed': body = `Missed ${kind.toLowerCase()}`; break;
    case 'declined': body = `${kind} declined`; break;
    case 'busy': body = `${kind}: busy`; break;
    case 'no-answer': body = `${kind}: no answer`; break;
    case 'cancelled': body = `${kind} cancelled`; break;
    case 'answered-elsewhere': body = `${kind} answered on another device`; break;
    case 'failed': body = `${kind} failed`; break;
    default: body = c.startedAt !== undefined ? `${kind} · ${duration(now - c.startedAt)}` : kind;
  }
  // only a missed call counts as unread: the rest happened in front of the user
  return { id: `call-${c.sid ?? now}`, dir: c.endReason === 'missed' ? 'in' : 'out', body, at: now, kind: 'call' };
}
