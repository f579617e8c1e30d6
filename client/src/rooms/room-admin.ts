// Running a room (XEP-0045): the owner's configuration form (§10.2, the muc#roomconfig data form
// of XEP-0004 as the room sends it), the subject (§8.1), and moderation — kick (§8.2), voice
// (§8.3/§8.4), ban (§9.1), moderator (§9.6/§9.7). Each action resolves, or rejects with the
// room's refusal in words (room-permissions.ts).
import type { Agent } from 'stanza';
import type { DataForm, DataFormField, Message } from 'stanza/protocol/index.js';
import { bare } from '../protocol/jid.js';
import { refusal } from './room-permissions.js';

interface StanzaFailure { error?: { condition?: string; text?: string } }

function words(e: unknown, what: string): Error {
  const f = e as StanzaFailure;
  return new Error(refusal(f?.error?.condition, f?.error?.text, what));
}

/** The fields a client shows and submits (XEP-0004 §3.3): everything with a name but `fixed`. */
export function submission(fields: readonly DataFormField[]): DataForm {
  return {
    type: 'submit',
    fields: fields.filter((f) => f.name && f.type !== 'fixed').map((f) => ({ name: f.name, ...(f.type ? { type: f.type } : {}), value: f.value } as DataFormField)),
  };
}

export class RoomAdmin {
  #client?: Agent;
  /** Subject changes awaiting a possible error, by message id. */
  readonly #subjects = new Map<string, { resolve(): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> }>();

  attach(client: Agent): void {
    this.#client = client;
    client.on('message:error', (msg: Message) => {
      const wait = msg.id ? this.#subjects.get(msg.id) : undefined;
      if (!wait) return;
      clearTimeout(wait.timer);
      this.#subjects.delete(msg.id!);
      wait.reject(words(msg, 'change the subject'));
    });
    client.on('muc:topic', (t) => {
      // the room echoes an accepted subject to everyone (§8.1): ours is settled
      for (const [id, wait] of this.#subjects) {
        if (t.room && id.startsWith(`${bare(t.room)} `)) {
          clearTimeout(wait.timer);
          this.#subjects.delete(id);
          wait.resolve();
        }
      }
    });
  }

  #c(): Agent {
    if (!this.#client) throw new Error('Not signed in.');
    return this.#client;
  }

  async config(room: string): Promise<DataForm> {
    try {
      return await this.#c().getRoomConfig(room);
    } catch (e) {
      throw words(e, 'change the room\'s settings');
    }
  }

  async configure(room: string, fields: readonly DataFormField[]): Promise<void> {
    try {
      await this.#c().configureRoom(room, submission(fields));
    } catch (e) {
      throw words(e, 'change the room\'s settings');
    }
  }

  /** §8.1: a groupchat message with only a <subject/>; settled by the room's echo, or its error. */
  setSubject(room: string, text: string): Promise<void> {
    const client = this.#c();
    const id = `${room} ${client.nextId()}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#subjects.delete(id);
        reject(words({ error: { condition: 'timeout' } }, 'change the subject'));
      }, 30_000);
      this.#subjects.set(id, { resolve, reject, timer });
      client.sendMessage({ to: room, type: 'groupchat', id, subject: text });
    });
  }

  async kick(room: string, nick: string, reason?: string): Promise<void> {
    try { await this.#c().kick(room, nick, reason); } catch (e) { throw words(e, `remove ${nick}`); }
  }

  async ban(room: string, jid: string, reason?: string): Promise<void> {
    try { await this.#c().ban(room, bare(jid), reason); } catch (e) { throw words(e, `ban ${bare(jid)}`); }
  }

  async setRole(room: string, nick: string, role: 'participant' | 'visitor' | 'moderator'): Promise<void> {
    const what = role === 'moderator' ? `make ${nick} a moderator` : role === 'visitor' ? `take ${nick}'s voice` : `give ${nick} a voice`;
    try { await this.#c().setRoomRole(room, nick, role); } catch (e) { throw words(e, what); }
  }
}
