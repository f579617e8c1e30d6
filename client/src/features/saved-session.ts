// "Keep me signed in": what the page keeps so that a reload or a new visit signs in again without
// the password, and a reload resumes the same XMPP session (XEP-0198 §5) instead of leaving a
// ghost one behind. The password itself is never stored: only what SCRAM (RFC 5802 §3) lets a
// client keep instead — the salt and the ClientKey/ServerKey derived from it — which prove nothing
// to any other server and stop working when the password changes.
//
// localStorage (kept across visits): the address, the WebSocket URL, the SCRAM keys.
// sessionStorage (this tab only, so two tabs never fight over one stream): the stream-management
// state and a snapshot of the roster and recent conversations taken at the same moment, which is
// what the resumed stream continues from.
import type { ChatState } from './chat.js';
import type { RosterState } from './roster.js';

const ACCOUNT = 'carillon.account';
const RESUME = 'carillon.resume';

export interface ScramKeys {
  salt: string;
  clientKey: string;
  serverKey: string;
}

export interface SavedAccount {
  jid: string;
  websocketUrl?: string;
  scram?: ScramKeys;
}

/** StanzaJS's stream-management state (helpers/StreamManagement SMState). */
export interface SmState {
  allowResume: boolean;
  handled: number;
  id?: string;
  jid?: string;
  lastAck: number;
  unacked: unknown[];
}

export interface SavedResumption {
  jid: string;
  sm: SmState;
  roster: RosterState;
  chat: ChatState;
  savedAt: number;
}

const b64 = (u: Uint8Array): string => btoa(String.fromCharCode(...u));
export const fromB64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** The keys SCRAM can sign in with, from StanzaJS's cached credentials (never the password). */
export function scramKeys(creds: { salt?: Uint8Array; clientKey?: Uint8Array; serverKey?: Uint8Array }): ScramKeys | undefined {
  if (!creds.salt || !creds.clientKey || !creds.serverKey) return undefined;
  return { salt: b64(creds.salt), clientKey: b64(creds.clientKey), serverKey: b64(creds.serverKey) };
}

function read<T>(storage: Storage, key: string): T | undefined {
  try {
    const s = storage.getItem(key);
    return s ? (JSON.parse(s) as T) : undefined;
  } catch {
    return undefined;
  }
}

export const savedAccount = (): SavedAccount | undefined => read<SavedAccount>(localStorage, ACCOUNT);
export const saveAccount = (a: SavedAccount): void => localStorage.setItem(ACCOUNT, JSON.stringify(a));

export function savedResumption(jid: string): SavedResumption | undefined {
  const r = read<SavedResumption>(sessionStorage, RESUME);
  return r && r.jid === jid ? r : undefined;
}

/** Keeps the last 50 messages of each conversation: the archive (XEP-0313) has the rest. */
export function saveResumption(r: SavedResumption): void {
  const conversations: ChatState['conversations'] = {};
  for (const [peer, c] of Object.entries(r.chat.conversations)) conversations[peer] = { ...c, messages: c.messages.slice(-50) };
  try {
    sessionStorage.setItem(RESUME, JSON.stringify({ ...r, chat: { ...r.chat, conversations } }));
  } catch {
    sessionStorage.removeItem(RESUME); // full: a reload signs in afresh instead
  }
}

export function dropResumption(): void {
  sessionStorage.removeItem(RESUME);
}

/** Sign out: nothing of the account stays in the browser. */
export function forgetAll(): void {
  localStorage.removeItem(ACCOUNT);
  sessionStorage.removeItem(RESUME);
}
