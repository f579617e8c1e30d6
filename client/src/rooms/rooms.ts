// Rooms and their group calls for a signed-in session: XEP-0045 through StanzaJS's MUC plugin,
// the call as one Jingle session with the room (room-call-session.ts), invitations by XEP-0249
// and XEP-0482. This file binds the protocol to stores; all decisions on state are in
// room-state.ts and group-call.ts.
import type { Agent } from 'stanza';
import type { ReceivedMessage } from 'stanza/protocol/index.js';
import { replyBody } from '../protocol/xep0461-replies.js';
import { bare, domainOf, localOf } from '../protocol/jid.js';
import { sendNow } from '../protocol/connection.js';
import { PROFILE } from '../../../xmpp/jingle-sdp/index.js';
import { Store } from '../state/store.js';
import {
  NO_ROOMS, dismissInvite, invited, joinFailed, joining, left, occupantPresence, roomAddress,
  subject, type PendingInvite, type RoomMessage, type RoomsState,
} from './room-state.js';
import { callInviteIn, inviteIn, presenceIn, type MucPresence } from './room-stanzas.js';
import { RoomReads, applyGroupchat } from './room-history.js';
import { ForwardingProtocol, NS_CALL_FORWARDING } from '../protocol/carillon-forwarding.js';
import { NO_GROUP_CALL, callLostText, muteChanged, ownerOf, pausedChanged, sourcesAdded, sourcesRemoved, type GroupCall, type RoomProbe } from './group-call.js';
import { CallInviteProtocol, NS_CALL_INVITES } from '../protocol/xep0482-call-invites.js';
import { RoomCallSession } from './room-call-session.js';
import { RoomScreenShare } from './screen-share.js';
import { mediaConstraints, watchEnded, type LiveMedia } from '../features/devices.js';
import { RoomBookmarks } from './room-bookmarks.js';
import { RoomAdmin } from './room-admin.js';
import { RoomFiles } from './room-files.js';
import { publicRooms, roomServices, type PublicRoom } from './room-directory.js';

/** How long the room has to answer the ping sent when the call's media stopped. */
const PROBE_MS = 5000;
const MEDIA_FAILED = 'The call\'s media connection failed.';

export interface CallMedia {
  local?: MediaStream;
  /** One stream per remote owner (occupant JID). */
  remote: Record<string, MediaStream>;
}

function randomId(): string {
  const b = new Uint8Array(10);
  globalThis.crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export class Rooms {
  readonly state = new Store<RoomsState>(NO_ROOMS);
  /** Whether the rooms view is shown. */
  readonly shown = new Store<boolean>(false);
  readonly call = new Store<GroupCall>(NO_GROUP_CALL);
  readonly media = new Store<CallMedia>({ remote: {} });
  readonly #marks = new RoomBookmarks({
    rooms: () => this.state.value.rooms,
    join: (room, nick) => this.join(room, nick, false),
    leave: (room) => this.#leaveHere(room),
  });
  /** The account's room bookmarks (XEP-0402), by room JID. */
  readonly bookmarks = this.#marks.store;
  /** Room settings, subject and moderation (room-admin.ts). */
  readonly admin = new RoomAdmin();
  /** Files shared in rooms (room-files.ts). */
  readonly files = new RoomFiles();
  #client?: Agent;
  #session?: RoomCallSession;
  /** Names, subject rules and history from the rooms themselves (room-history.ts). */
  readonly #reads = new RoomReads(this.state, () => this.#client);
  /** Screen sharing in the call (screen-share.ts). */
  readonly screen = new RoomScreenShare({ call: this.call, callSession: () => this.#session });
  /** The call's camera and microphone, for the device picker (features/devices.ts). */
  readonly live: LiveMedia = {
    stream: () => this.media.value.local,
    senders: () => this.#session?.pc.getSenders().filter((s) => !!s.track && !!this.media.value.local?.getTracks().includes(s.track)) ?? [],
    changed: (stream) => this.media.set((m) => (m.local === stream ? { ...m } : m)),
  };

  /** Binds to the client of a new sign-in; what belonged to a previous one is dropped. */
  attach(client: Agent): void {
    this.#endCall();
    this.#client = client;
    this.admin.attach(client);
    this.files.attach(client);
    this.state.set(NO_ROOMS);
    this.shown.set(false);
    client.stanzas.define(CallInviteProtocol);
    client.disco.addFeature(NS_CALL_INVITES);
    // the room says which videos it paused for us (last-N), only to clients that list this
    client.stanzas.define(ForwardingProtocol);
    client.disco.addFeature(NS_CALL_FORWARDING);
    this.#marks.attach(client);

    const mine = (jid?: string) => !!jid && this.#client === client && !!this.state.value.rooms[bare(jid)];
    const presence = (pres: MucPresence) => {
      if (!mine(pres.from)) return;
      const room0 = bare(pres.from);
      const was = this.state.value.rooms[room0]?.phase;
      this.state.set((s) => occupantPresence(s, presenceIn(pres)));
      const now = this.state.value.rooms[room0];
      if (was === 'joining' && now?.phase === 'joined') {
        this.#marks.joined(room0, now.nick);
        this.#reads.joined(client, room0);
      }
      // leaving the room ends its call (the room does the same on its side)
      const room = bare(pres.from);
      if (this.state.value.rooms[room]?.phase === 'left' && this.call.value.room === room) this.leaveCall();
    };
    client.on('muc:available', presence);
    client.on('muc:unavailable', presence);
    client.on('muc:error', (pres) => {
      if (!pres.from || !mine(pres.from)) return;
      const room = bare(pres.from);
      if (this.state.value.rooms[room]?.phase !== 'joining') return;
      this.state.set((s) => joinFailed(s, room, pres.error?.condition, pres.error?.text));
    });
    client.on('groupchat', (msg: ReceivedMessage) => {
      if (!msg.body || !mine(msg.from)) return;
      const now = Date.now();
      // the sender's real JID as the room shows it now; not for the room's own history (§7.2.15)
      this.state.set((s) => applyGroupchat(s, msg, msg.delay ? undefined : this.realJid(msg.from), now));
      if (!msg.delay) this.files.reflected(bare(msg.from), msg.id);
    });
    // §10.2.1 status 104: the room's configuration changed; its name and rules are read again
    client.on('message', (msg: ReceivedMessage) => {
      const codes = msg.type === 'groupchat' && msg.muc && 'statusCodes' in msg.muc ? msg.muc.statusCodes ?? [] : [];
      if (codes.map(String).includes('104') && msg.from === bare(msg.from) && mine(msg.from)) this.#reads.info(client, msg.from);
    });
    client.on('muc:topic', (t) => {
      if (t.room && mine(t.room)) this.state.set((s) => subject(s, bare(t.room!), t.topic ?? ''));
    });
    client.on('muc:invite', (inv) => {
      this.state.set((s) => s.rooms[bare(inv.room)]?.phase === 'joined' ? s : invited(s, inviteIn(inv)));
    });
    client.on('message', (msg: ReceivedMessage) => {
      const inv = callInviteIn(msg);
      if (inv) this.state.set((s) => invited(s, inv));
    });
    client.on('jingle:mute', (session, info) => {
      if (session === this.#session) this.call.set((c) => muteChanged(c, (info as { name?: string }).name, true));
    });
    client.on('jingle:unmute', (session, info) => {
      if (session === this.#session) this.call.set((c) => muteChanged(c, (info as { name?: string }).name, false));
    });
    client.on('jingle:terminated', (session, reason) => {
      if (session !== this.#session) return;
      // the room ended the session (XEP-0166 §6.7 reason), not us: say so in the room
      const why = reason?.condition && reason.condition !== 'success' ? ` (${reason.condition.replace(/-/g, ' ')})` : '';
      this.#endCall();
      this.call.set((c) => ({ ...c, error: `The room ended the call${why}.` }));
    });

    // an error reply to our session-initiate (XEP-0166 §6.3.1): StanzaJS only logs it
    client.jingle.on('log:error', (message: string, req?: { jingle?: { sid?: string }; error?: { condition?: string; text?: string } }) => {
      const s = this.#session;
      if (message !== 'Received error response' || !s || req?.jingle?.sid !== s.sid || this.call.value.phase !== 'connecting') return;
      this.#endCall();
      s.end('cancel', true);
      const condition = req.error?.condition ?? '';
      const error = condition === 'resource-constraint' ? 'This call is full.'
        : condition === 'forbidden' ? 'Only the room\'s occupants can join its call.'
          : condition === 'service-unavailable' || condition === 'feature-not-implemented' ? 'This room has no calls.'
            : req.error?.text || `The room refused the call (${condition || 'error'}).`;
      this.call.set((c) => ({ ...c, error }));
    });
    client.jingle.on('connectionState', (session: unknown, state: string) => {
      if (session !== this.#session) return;
      if (state === 'connected') this.call.set((c) => ({ ...c, phase: 'active' }));
      // media stopped: is the room still there? (its call service may have died, docs/scaling.md)
      if ((state === 'interrupted' || state === 'disconnected') && this.#session) this.#probeRoom(client, this.#session);
      if (state === 'failed') {
        const s = this.#session;
        this.#endCall();
        s?.end('connectivity-error');
        this.call.set((c) => ({ ...c, error: MEDIA_FAILED }));
        // ICE may fail without being 'disconnected' first: ask the room too, for a better reason
        if (s) this.#probeRoom(client, s);
      }
    });
  }

  /** The room service of our own server, for addresses typed without a domain. */
  get defaultService(): string {
    const domain = this.#client?.jid ? domainOf(this.#client.jid) : 'localhost';
    return `call.${domain}`;
  }

  /** The public rooms of each room service of our server (room-directory.ts). */
  async browse(): Promise<Array<{ service: string; rooms: PublicRoom[] }>> {
    const client = this.#client;
    if (!client) return [];
    const services = await roomServices(client);
    return Promise.all(services.map(async (service) => ({ service, rooms: await publicRooms(client, service).catch(() => []) })));
  }

  /** An occupant's real JID (`room@service/nick` → account), when the room shows it to us. */
  realJid(occupant: string): string | undefined {
    const slash = occupant.indexOf('/');
    return this.state.value.rooms[bare(occupant)]?.occupants[occupant.slice(slash + 1)]?.jid;
  }

  show(shown: boolean): void {
    this.shown.set(shown);
  }

  open(room: string | undefined): void {
    this.state.set((s) => {
      const next = { ...s };
      if (room) next.open = room;
      else delete next.open;
      return next;
    });
  }

  /** Joins a room (XEP-0045 §7.2); returns an error text for an unusable address. */
  join(address: string, nick: string, show = true): string | undefined {
    const client = this.#client;
    if (!client) return 'Not signed in.';
    const room = roomAddress(address, this.defaultService);
    if (!room) return 'Enter a room address like team@call.example.org.';
    const name = nick.trim() || localOf(client.jid);
    this.state.set((s) => joining(s, room, name));
    if (show) this.shown.set(true);
    // a room with an archive (XEP-0313) gives its history from there (room-history.ts)
    void this.#reads.joinOptions(client, room).then((opts) => {
      if (this.#client !== client || this.state.value.rooms[room]?.phase !== 'joining') return;
      client.joinRoom(room, name, opts).catch(() => undefined); // failures arrive as muc:error
    });
    return undefined;
  }

  leave(room: string): void {
    if (this.call.value.room === room) this.leaveCall();
    const r = this.state.value.rooms[room];
    if (r && r.phase !== 'failed') this.#client?.leaveRoom(room, r.nick).catch(() => undefined);
    this.state.set((s) => left(s, room));
    this.#marks.left(room);
  }

  /**
   * Sends to a room; `replace` makes it a correction of our message with that id (XEP-0308 §4),
   * `reply` an answer to a message (XEP-0461 §3: in a room `to` is the author's occupant JID and
   * `id` the room's stanza-id), with the XEP-0428 fallback quote. The room's echo shows it.
   */
  /** The next older page of the room's archive (XEP-0313), shown above. */
  loadOlder(room: string): Promise<void> {
    const client = this.#client;
    return client ? this.#reads.older(client, room) : Promise.resolve();
  }

  send(room: string, body: string, opts: { replace?: string; reply?: RoomMessage } = {}): void {
    const text = body.trim();
    const client = this.#client;
    if (!text || !client) return;
    const { replace, reply } = opts;
    const r = reply ? replyBody(reply.body, text) : undefined;
    client.sendMessage({
      to: room, type: 'groupchat', body: r?.body ?? text,
      ...(replace ? { replace } : {}),
      ...(reply && r ? { reply: { id: reply.stanzaId ?? reply.id, to: `${room}/${reply.nick}` }, fallbacks: r.fallbacks } : {}),
    });
  }

  /** Accepts an invitation: joins the room, and its call too when the invitation was to a call (XEP-0482). */
  acceptInvite(inv: PendingInvite): void {
    this.join(inv.room, '');
    if (!inv.call) return;
    const stop = this.state.subscribe((s) => {
      const r = s.rooms[inv.room];
      if (r?.phase === 'joined') { stop(); void this.joinCall(inv.room); }
      else if (!r || r.phase !== 'joining') stop();
    });
  }

  dismissInvite(room: string): void {
    this.state.set((s) => dismissInvite(s, room));
  }

  /** Joins the room's call: one Jingle session with the room's bare JID (docs/calls.md, step 3). */
  async joinCall(room: string): Promise<void> {
    const client = this.#client;
    if (!client || this.call.value.phase !== 'idle') return;
    this.call.set({ ...NO_GROUP_CALL, phase: 'connecting', room });
    let local: MediaStream;
    try {
      local = await navigator.mediaDevices.getUserMedia(mediaConstraints(true))
        .catch(() => navigator.mediaDevices.getUserMedia(mediaConstraints(false)));
    } catch {
      this.call.set({ ...NO_GROUP_CALL, error: 'Camera or microphone access was refused.' });
      return;
    }
    if (this.call.value.room !== room || this.#client !== client) {
      for (const t of local.getTracks()) t.stop();
      return;
    }
    this.media.set({ local, remote: {} });
    for (const t of local.getTracks()) watchEnded(this.live, t);
    const manager = client.jingle;
    const session = new RoomCallSession({
      config: { ...manager.config.peerConnectionConfig, bundlePolicy: PROFILE.bundlePolicy },
      constraints: manager.config.peerConnectionConstraints,
      iceServers: manager.iceServers,
      initiator: true,
      parent: manager,
      peerID: room,
      sid: randomId(),
      stream: local,
    } as ConstructorParameters<typeof RoomCallSession>[0]);
    session.events = {
      added: (sources) => this.call.set((c) => sourcesAdded(c, sources)),
      removed: (names) => {
        this.call.set((c) => sourcesRemoved(c, names));
        this.media.set((m) => ({ ...m, remote: Object.fromEntries(Object.entries(m.remote).filter(([o]) => o in this.call.value.tiles)) }));
      },
      paused: (name, paused) => this.call.set((c) => pausedChanged(c, name, paused)),
      track: (name, track) => {
        const owner = ownerOf(this.call.value, name);
        if (!owner) return;
        this.media.set((m) => {
          const stream = m.remote[owner] ?? new MediaStream();
          if (!stream.getTracks().includes(track)) stream.addTrack(track);
          return { ...m, remote: { ...m.remote, [owner]: stream } };
        });
      },
    };
    this.#session = session;
    this.call.set((c) => ({ ...c, sid: session.sid }));
    manager.addSession(session);
    await session.start();
  }

  /** session-terminate with success (step 8). */
  leaveCall(): void {
    const s = this.#session;
    this.#endCall(); // first, so that our own session-terminate is not taken for the room's
    s?.end('success');
  }

  /** The page is going away: session-terminate with <gone/>, written at once (best effort). */
  pageGone(): void {
    const s = this.#session;
    const client = this.#client;
    this.#endCall();
    if (!s || !client || s.state === 'ended') return;
    const jingle = { action: 'session-terminate', sid: s.sid, reason: { condition: 'gone' } };
    s.end('gone', sendNow(client, 'iq', { type: 'set', id: client.nextId(), to: s.peerID, jingle }));
  }

  toggleMute(): void {
    const muted = !this.call.value.muted;
    for (const t of this.media.value.local?.getAudioTracks() ?? []) t.enabled = !muted;
    this.call.set((c) => ({ ...c, muted }));
    this.#announce('audio', muted);
  }

  toggleCamera(): void {
    const cameraOff = !this.call.value.cameraOff;
    for (const t of this.media.value.local?.getVideoTracks() ?? []) t.enabled = !cameraOff;
    this.call.set((c) => ({ ...c, cameraOff }));
    this.#announce('video', cameraOff);
  }

  /**
   * Invites a contact to the room and its call: a XEP-0249 direct invitation with a XEP-0482
   * call invite naming the room as the Jingle endpoint, in one message (docs/calls.md).
   */
  invite(room: string, contact: string, reason?: string): void {
    this.#client?.sendMessage({
      to: contact,
      muc: { type: 'direct-invite', jid: room, ...(reason ? { reason } : {}) },
      callInvite: { id: randomId(), audio: true, video: !!this.media.value.local?.getVideoTracks().length, jingle: room },
    });
  }

  /** WebRTC statistics of the group call, for diagnostics. */
  async stats(): Promise<RTCStatsReport | undefined> {
    return this.#session?.pc.getStats();
  }

  #announce(kind: 'audio' | 'video', muted: boolean): void {
    const s = this.#session;
    const name = s?.localContent(kind);
    if (!s || !name) return;
    void (muted ? s.mute('initiator', name) : s.unmute('initiator', name)).catch(() => undefined);
  }

  /** Leaves a room without touching its bookmark. */
  #leaveHere(room: string): void {
    if (this.call.value.room === room) this.leaveCall();
    const r = this.state.value.rooms[room];
    if (r) this.#client?.leaveRoom(room, r.nick).catch(() => undefined);
    this.state.set((s) => left(s, room));
  }

  /**
   * A XEP-0199 ping to the room when the call's media stopped; no answer within PROBE_MS, or an
   * error, ends the call and says why (callLostText).
   */
  #probeRoom(client: Agent, s: RoomCallSession): void {
    const noAnswer = new Promise<RoomProbe>((done) => setTimeout(() => done({ answered: false }), PROBE_MS));
    const ping = client.ping(s.peerID).then(
      (): RoomProbe => ({ answered: true }),
      (e: { error?: { condition?: string } }): RoomProbe => ({ answered: false, condition: e?.error?.condition }),
    );
    void Promise.race([ping, noAnswer]).then((probe) => {
      const error = callLostText(probe);
      if (!error) return;
      // this call already ended on ICE 'failed', and nothing else since: say why it failed
      if (!this.#session && this.call.value.phase === 'idle' && this.call.value.error === MEDIA_FAILED) {
        this.call.set((c) => ({ ...c, error }));
        return;
      }
      const ice = s.pc.iceConnectionState;
      if (this.#session !== s || ice === 'connected' || ice === 'completed') return;
      this.#endCall();
      s.end('connectivity-error');
      this.call.set((c) => ({ ...c, error }));
    });
  }

  #endCall(): void {
    for (const t of this.media.value.local?.getTracks() ?? []) t.stop();
    this.#session = undefined;
    this.media.set({ remote: {} });
    this.call.set(NO_GROUP_CALL);
  }
}
