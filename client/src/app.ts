// The application without its views: stores, the sign-in flow and the feature actions.
import { connect, type Connection, type ConnectionStatus } from './protocol/connection.js';
import { bare, domainOf, localOf } from './protocol/jid.js';
import { discoverWebsocket } from './protocol/xep0156-discovery.js';
import { loadOwnOrigins } from './features/own-links.js';
import { Store } from './state/store.js';
import { bindRoster, EMPTY_ROSTER, type RosterActions, type RosterState } from './features/roster.js';
import { bindChat, EMPTY_CHAT, type ChatActions, type ChatState } from './features/chat.js';
import { bindCalls, NO_CALL, type CallActions, type CallView } from './features/calls.js';
import { unlockAudio } from './features/tones.js';
import { callSummary } from './features/call-log.js';
import { addMessage } from './features/chat.js';
import { Rooms } from './rooms/rooms.js';
import { watchAttention, watchInvites } from './features/attention.js';
import { createAccount } from './protocol/xep0077-register.js';
import { bindFiles, type FileActions } from './features/files.js';
import { bindProfile, DEFAULT_PROFILE, presenceFields, type Profile, type ProfileActions } from './features/profile.js';
import { bindAvatars, type AvatarActions, type AvatarMap } from './features/avatars.js';
import { AvatarCache } from './features/avatar-cache.js';
import { dropResumption, forgetAll, fromB64, saveAccount, savedAccount, savedResumption, saveResumption, scramKeys, type SmState } from './features/saved-session.js';

export interface SignInForm {
  jid: string;
  password: string;
  websocketUrl?: string;
  /** "Keep me signed in": sign in again without the password, and resume the session on reload. */
  keep?: boolean;
}

export class App {
  readonly status = new Store<ConnectionStatus>({ kind: 'offline' });
  readonly roster = new Store<RosterState>(EMPTY_ROSTER);
  readonly chat = new Store<ChatState>(EMPTY_CHAT);
  readonly call = new Store<CallView>(NO_CALL);
  /** Bare JID once signed in. */
  readonly me = new Store<string | undefined>(undefined);
  readonly profile = new Store<Profile>(DEFAULT_PROFILE);
  /** Whether the settings view is open. */
  readonly settingsOpen = new Store<boolean>(false);
  /** Pictures of contacts, occupants and ourselves (features/avatars.ts), by JID. */
  readonly avatars = new Store<AvatarMap>({});
  readonly avatarCache = new AvatarCache(typeof localStorage !== 'undefined' ? localStorage : undefined);
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
      const rooms = this.rooms.state;
      watchInvites({
        invites: { get value() { return rooms.value.invites; }, subscribe: (fn) => rooms.subscribe((s) => fn(s.invites)) },
        nameOf: (jid) => this.roster.value.contacts[jid]?.name || localOf(jid) || jid,
        show: () => this.rooms.show(true),
      });
    }
  }

  contacts?: RosterActions;
  /** Sending files (XEP-0363). */
  files?: FileActions;
  /** Your own presence, nickname and password. */
  account?: ProfileActions;
  messages?: ChatActions;
  calls?: CallActions;
  /** Our own picture (XEP-0084). */
  avatar?: AvatarActions;
  #conn?: Connection;

  /** Whether this sign-in is kept ("Keep me signed in"). */
  #keep = false;

  async signIn(form: SignInForm): Promise<void> {
    unlockAudio(); // we are inside the click: allow the ringtone later
    await this.#conn?.close();
    const jid = form.jid.trim().toLowerCase();
    if (!localOf(jid) || !domainOf(jid)) {
      this.status.set({ kind: 'failed', reason: 'other', message: 'Enter an address like name@example.org.' });
      return;
    }
    forgetAll();
    this.#keep = !!form.keep;
    await this.#start(jid, { password: form.password }, form.websocketUrl);
  }

  /** Creates the account (XEP-0077 §3.1) and signs in with it. */
  async register(form: SignInForm): Promise<void> {
    const jid = form.jid.trim().toLowerCase();
    if (!localOf(jid) || !domainOf(jid)) {
      this.status.set({ kind: 'failed', reason: 'other', message: 'Enter an address like name@example.org.' });
      return;
    }
    if (form.password.length < 8) {
      this.status.set({ kind: 'failed', reason: 'other', message: 'Choose a password of at least 8 characters.' });
      return;
    }
    this.status.set({ kind: 'connecting', url: '' });
    const url = await discoverWebsocket({ domain: domainOf(jid), ...(form.websocketUrl ? { manual: form.websocketUrl } : {}), page: location, fetch: (u, init) => fetch(u, init) });
    const r = await createAccount({ websocketUrl: url, domain: domainOf(jid), username: localOf(jid), password: form.password });
    if (!r.ok) {
      this.status.set({ kind: 'failed', reason: 'other', message: r.message });
      return;
    }
    await this.signIn(form);
  }

  /**
   * At page load: signs in again with what "Keep me signed in" kept, resuming this tab's session
   * when an earlier page left one (a reload). Returns false when nothing was kept.
   */
  async restore(): Promise<boolean> {
    const saved = savedAccount();
    if (!saved?.scram) return false;
    this.#keep = true;
    const resume = savedResumption(saved.jid);
    dropResumption(); // used once: a second reload saves it anew
    const scram = { salt: fromB64(saved.scram.salt), clientKey: fromB64(saved.scram.clientKey), serverKey: fromB64(saved.scram.serverKey) };
    await this.#start(saved.jid, { scram, ...(resume ? { resume } : {}) }, saved.websocketUrl);
    return true;
  }

  async #start(jid: string, auth: { password?: string; scram?: { salt: Uint8Array; clientKey: Uint8Array; serverKey: Uint8Array }; resume?: { sm: SmState; roster: RosterState; chat: ChatState } }, websocketUrl?: string): Promise<void> {
    const domain = domainOf(jid);
    this.status.set({ kind: 'connecting', url: '' });
    // the upload origins before any message: a file from the first one on is shown through this page
    const [url] = await Promise.all([
      discoverWebsocket({
        domain,
        ...(websocketUrl ? { manual: websocketUrl } : {}),
        page: location,
        fetch: (u, init) => fetch(u, init),
      }),
      loadOwnOrigins(),
    ]);
    this.roster.set(auth.resume?.roster ?? EMPTY_ROSTER);
    this.chat.set(auth.resume?.chat ?? EMPTY_CHAT);
    this.call.set(NO_CALL);
    const conn = connect({
      jid,
      ...(auth.password !== undefined ? { password: auth.password } : {}),
      ...(auth.scram ? { scram: auth.scram } : {}),
      ...(auth.resume ? { resume: auth.resume.sm } : {}),
      websocketUrl: url,
      onStatus: (s) => {
        if (s.kind === 'failed' && s.reason === 'auth' && auth.scram) {
          // the kept keys no longer work (the password changed): ask for it again
          forgetAll();
          this.#keep = false;
          this.status.set({ ...s, message: 'Your saved sign-in no longer works. Enter your password.' });
          return;
        }
        this.status.set(s);
        if (s.kind === 'online') this.me.set(bare(s.jid));
      },
      onScramKeys: (k) => {
        const scram = scramKeys(k);
        if (this.#keep && scram) saveAccount({ jid, ...(websocketUrl ? { websocketUrl } : {}), scram });
      },
    });
    this.#conn = conn;
    this.contacts = bindRoster(conn.client, this.roster, () => presenceFields(this.profile.value));
    this.account = bindProfile(conn.client, this.profile);
    this.files = bindFiles(conn.client, this.chat);
    this.messages = bindChat(conn.client, this.chat, () => document.visibilityState === 'visible');
    this.rooms.attach(conn.client);
    this.avatars.set({});
    this.avatar = bindAvatars(conn.client, this.avatars, {
      cache: this.avatarCache,
      isRoom: (j) => !!this.rooms.state.value.rooms[j],
      realJid: (o) => this.rooms.realJid(o),
    });
    this.calls = bindCalls(conn.client, this.call, {
      sharesPresence: (peer) => {
        const sub = this.roster.value.contacts[peer]?.subscription;
        return sub === 'from' || sub === 'both';
      },
      peerResources: (peer) => {
        const c = this.roster.value.contacts[peer];
        // without a subscription to them (RFC 6121 §3) their absence says nothing
        return c && (c.subscription === 'to' || c.subscription === 'both') ? Object.keys(c.resources) : undefined;
      },
      onQuietCall: (q) => {
        const line = callSummary({ phase: 'ended', endReason: q.reason, peer: q.peer, media: q.media, sid: q.sid }, q.at);
        // what we learn later about the same call (e.g. answered on another device) replaces its line
        this.chat.set((s) => {
          const conv = s.conversations[q.peer];
          const old = conv?.messages.find((m) => m.id === line.id);
          if (!conv || !old) return addMessage(s, q.peer, line, false);
          const unread = old.dir === 'in' ? Math.max(0, conv.unread - 1) : conv.unread;
          const rest = { ...s, conversations: { ...s.conversations, [q.peer]: { ...conv, unread, messages: conv.messages.filter((m) => m !== old) } } };
          return addMessage(rest, q.peer, line, false);
        });
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
    const conn = this.#conn;
    if (!conn) return;
    const sm = conn.client.sm;
    const jid = this.me.value;
    if (this.#keep && jid && sm.id && sm.allowResume) {
      // a reload: the next page of this tab resumes this stream from exactly this state
      const state: SmState = { allowResume: sm.allowResume, handled: sm.handled, id: sm.id, jid: sm.jid, lastAck: sm.lastAck, unacked: sm.unacked.filter(([kind]) => kind === 'message') };
      saveResumption({ jid, sm: state, roster: this.roster.value, chat: this.chat.value, savedAt: Date.now() });
      conn.suspend();
    } else {
      conn.leave();
    }
  }

  async signOut(): Promise<void> {
    forgetAll();
    this.avatarCache.clear();
    this.#keep = false;
    this.calls?.hangup();
    const conn = this.#conn;
    this.#conn = undefined;
    // back to the sign-in form at once; the stream closes in the background (RFC 7395 §3.6)
    this.me.set(undefined);
    this.status.set({ kind: 'offline' });
    await conn?.close();
  }
}
