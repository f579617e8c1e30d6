// The application without its views: stores, the sign-in flow and the feature actions.
import { connect, type Connection, type ConnectionStatus } from './protocol/connection.js';
import { bare, domainOf, localOf } from './protocol/jid.js';
import { discoverWebsocket } from './protocol/xep0156-discovery.js';
import { Store } from './state/store.js';
import { bindRoster, EMPTY_ROSTER, type RosterActions, type RosterState } from './features/roster.js';
import { bindChat, EMPTY_CHAT, type ChatActions, type ChatState } from './features/chat.js';
import { bindCalls, NO_CALL, type CallActions, type CallView } from './features/calls.js';
import { unlockAudio } from './features/tones.js';
import { callSummary } from './features/call-log.js';
import { addMessage } from './features/chat.js';
import { Rooms } from './rooms/rooms.js';
import { watchAttention } from './features/attention.js';

export interface SignInForm {
  jid: string;
  password: string;
  websocketUrl?: string;
}

export class App {
  readonly status = new Store<ConnectionStatus>({ kind: 'offline' });
  readonly roster = new Store<RosterState>(EMPTY_ROSTER);
  readonly chat = new Store<ChatState>(EMPTY_CHAT);
  readonly call = new Store<CallView>(NO_CALL);
  /** Bare JID once signed in. */
  readonly me = new Store<string | undefined>(undefined);
  /** Rooms (XEP-0045) and their group calls (client/src/rooms/). */
  readonly rooms = new Rooms();

  constructor() {
    // each finished call leaves a line in its conversation
    let prev = this.call.value;
    this.call.subscribe((c) => {
      if (c.phase === 'ended' && prev.phase !== 'ended' && c.peer) {
        const line = callSummary(c, Date.now());
        this.chat.set((s) => addMessage(s, c.peer!, line, document.visibilityState === 'visible'));
      }
      prev = c;
    });
    if (typeof document !== 'undefined') {
      watchAttention({
        chat: this.chat,
        nameOf: (peer) => this.roster.value.contacts[peer]?.name || localOf(peer) || peer,
        open: (peer) => this.messages?.open(peer),
      });
    }
  }

  contacts?: RosterActions;
  messages?: ChatActions;
  calls?: CallActions;
  #conn?: Connection;

  async signIn(form: SignInForm): Promise<void> {
    unlockAudio(); // we are inside the click: allow the ringtone later
    await this.#conn?.close();
    const jid = form.jid.trim().toLowerCase();
    if (!localOf(jid) || !domainOf(jid)) {
      this.status.set({ kind: 'failed', reason: 'other', message: 'Enter an address like name@example.org.' });
      return;
    }
    const domain = domainOf(jid);
    this.status.set({ kind: 'connecting', url: '' });
    const url = await discoverWebsocket({
      domain,
      ...(form.websocketUrl ? { manual: form.websocketUrl } : {}),
      page: location,
      fetch: (u, init) => fetch(u, init),
    });
    this.roster.set(EMPTY_ROSTER);
    this.chat.set(EMPTY_CHAT);
    this.call.set(NO_CALL);
    const conn = connect({
      jid,
      password: form.password,
      websocketUrl: url,
      onStatus: (s) => {
        this.status.set(s);
        if (s.kind === 'online') this.me.set(bare(s.jid));
      },
    });
    this.#conn = conn;
    this.contacts = bindRoster(conn.client, this.roster);
    this.messages = bindChat(conn.client, this.chat, () => document.visibilityState === 'visible');
    this.rooms.attach(conn.client);
    this.calls = bindCalls(conn.client, this.call, {
      sharesPresence: (peer) => {
        const sub = this.roster.value.contacts[peer]?.subscription;
        return sub === 'from' || sub === 'both';
      },
      onMissedWhileAway: (peer, media, at) => {
        const line = callSummary({ phase: 'ended', endReason: 'missed', peer, media, sid: `away-${at}` }, at);
        this.chat.set((s) => addMessage(s, peer, line, false));
      },
    });
  }

  /**
   * The page is going away (closed, reloaded): live calls end with <gone/> and the stream closes,
   * written to the socket at once because nothing scheduled for later runs after `pagehide`.
   */
  leave(): void {
    this.calls?.leave();
    this.rooms.pageGone();
    this.#conn?.leave();
  }

  async signOut(): Promise<void> {
    this.calls?.hangup();
    const conn = this.#conn;
    this.#conn = undefined;
    // back to the sign-in form at once; the stream closes in the background (RFC 7395 §3.6)
    this.me.set(undefined);
    this.status.set({ kind: 'offline' });
    await conn?.close();
  }
}
