// A room's history from its archive (XEP-0313, queried at the room's JID, "MUC Archives"), where
// the room has one: on entering, the room is asked for no discussion history (XEP-0045 §7.2.15,
// maxstanzas='0') and the latest page of its archive is read instead, as Conversations does. The
// archive gives each message its stanza-id (the result id) and, to those the room shows real JIDs
// to, the sender's real JID (the muc#user <item jid/>), so that corrections in the history are
// held to the same rule as live ones (XEP-0308 §5). Without an archive the room's own history is
// taken, and corrections in it are matched by nickname.
import type { Agent } from 'stanza';
import type { MAMResult, ReceivedMessage } from 'stanza/protocol/index.js';
import { bare } from '../protocol/jid.js';
import type { Store } from '../state/store.js';
import { correctRoomMessage, olderRoomMessages, roomArchive, roomInfo, roomMessage, type RoomMessage, type RoomsState } from './room-state.js';
import { groupchatIn } from './room-stanzas.js';
import { roomInfoOf } from './room-directory.js';

export const NS_MAM = 'urn:xmpp:mam:2';
/** How many of the latest messages are read on entering. */
export const ARCHIVE_PAGE = 50;
/** How long a room's disco#info may take before we join without it. */
const DISCO_WAIT_MS = 4000;

/**
 * A groupchat message into the rooms' state: a correction (XEP-0308) of a message shown, from the
 * same occupant, or a message of its own. `realJid` is the sender's, when known.
 */
export function applyGroupchat(s: RoomsState, msg: ReceivedMessage, realJid: string | undefined, now: number): RoomsState {
  const m = groupchatIn(msg, s.rooms[bare(msg.from)]?.nick, now, realJid);
  if (!m) return s;
  const fixed = m.replaces
    ? correctRoomMessage(s, m.room, { replaces: m.replaces, nick: m.message.nick, body: m.message.body, ...(m.message.realJid ? { realJid: m.message.realJid } : {}) })
    : undefined;
  return fixed ?? roomMessage(s, m.room, m.message);
}

/** An archived message of a room as the groupchat message it was, with its stanza-id and time. */
export function archivedIn(room: string, r: MAMResult): { msg: ReceivedMessage; realJid?: string } | undefined {
  const inner = r.item.message;
  if (!inner?.from || bare(inner.from) !== room || !inner.body) return undefined;
  // StanzaJS gives a message's muc#user <item/> without a type
  const muc = inner.muc && 'jid' in inner.muc ? inner.muc : undefined;
  const msg = {
    ...inner, type: 'groupchat', from: inner.from,
    stanzaIds: [{ id: r.id, by: room }],
    delay: r.item.delay ?? inner.delay ?? { timestamp: new Date() },
  } as ReceivedMessage;
  return { msg, ...(muc?.jid ? { realJid: String(muc.jid) } : {}) };
}

/** A page of a room's archive, oldest first: the latest (`before` '') or the one before an id. */
export async function archivedPage(client: Agent, room: string, before = ''): Promise<{ items: Array<{ msg: ReceivedMessage; realJid?: string }>; first?: string; complete: boolean }> {
  const fin = await client.searchHistory(room, { paging: { max: ARCHIVE_PAGE, before } });
  return { items: (fin.results ?? []).map((r) => archivedIn(room, r)).filter((x) => !!x), first: fin.paging?.first, complete: !!fin.complete };
}

/**
 * An older page as the messages it shows, oldest first: its corrections applied within it (a
 * correction follows what it corrects), by the same rule as live ones.
 */
export function olderPage(room: string, ownNick: string, items: Array<{ msg: ReceivedMessage; realJid?: string }>, now: number): RoomMessage[] {
  const scratch: RoomsState = { rooms: { [room]: { jid: room, nick: ownNick, phase: 'joined', occupants: {}, messages: [] } }, invites: [] };
  const done = items.reduce((acc, { msg, realJid }) => applyGroupchat(acc, msg, realJid, now), scratch);
  return done.rooms[room]!.messages;
}

/**
 * What a room says of itself, read into the rooms' state: before joining, whether it has an
 * archive (then the join asks for no discussion history); once joined, the archive's latest page;
 * on joining and on status 104 (§10.2.1), its name and subject rule from disco#info (§6.4).
 */
export class RoomReads {
  /** Rooms joined without their discussion history, to be read from their archive. */
  readonly #archived = new Set<string>();

  constructor(private readonly state: Store<RoomsState>, private readonly current: () => Agent | undefined) {}

  /** The join's options: no discussion history from a room with an archive (§7.2.15 maxstanzas='0'). */
  async joinOptions(client: Agent, room: string): Promise<{ muc?: { type: 'join'; history: { maxStanzas: number } } }> {
    // a room that does not exist yet answers item-not-found and is created by the join; one that
    // does not answer soon is joined with its discussion history
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<boolean>((done) => { timer = setTimeout(() => done(false), DISCO_WAIT_MS); });
    const archive = await Promise.race([client.getDiscoInfo(room).then((info) => !!info.features?.includes(NS_MAM), () => false), late]);
    clearTimeout(timer);
    if (archive) this.#archived.add(room); else this.#archived.delete(room);
    return archive ? { muc: { type: 'join', history: { maxStanzas: 0 } } } : {};
  }

  joined(client: Agent, room: string): void {
    this.info(client, room);
    if (!this.#archived.has(room)) return;
    // merged with what came live meanwhile (the same stanza-ids)
    archivedPage(client, room).then((page) => {
      if (this.current() !== client) return;
      this.state.set((s) => roomArchive(page.items.reduce((acc, { msg, realJid }) => applyGroupchat(acc, msg, realJid, Date.now()), s), room,
        { ...(page.first ? { oldest: page.first } : {}), complete: page.complete || !page.first, loading: false }));
    }).catch(() => undefined); // the archive refused us: the room shows what comes from now on
  }

  /** The next older page of the room's archive, above what is shown ("Load earlier messages"). */
  async older(client: Agent, room: string): Promise<void> {
    const a = this.state.value.rooms[room]?.archive;
    if (!a?.oldest || a.complete || a.loading) return;
    this.state.set((s) => roomArchive(s, room, { ...a, loading: true }));
    try {
      const page = await archivedPage(client, room, a.oldest);
      if (this.current() !== client) return;
      this.state.set((s) => {
        const nick = s.rooms[room]?.nick ?? '';
        return roomArchive(olderRoomMessages(s, room, olderPage(room, nick, page.items, Date.now())), room,
          { oldest: page.first ?? a.oldest, complete: page.complete || !page.first, loading: false });
      });
    } catch {
      this.state.set((s) => roomArchive(s, room, { ...a, loading: false }));
    }
  }

  /** The room's name and whether participants may change its subject. */
  info(client: Agent, room: string): void {
    client.getDiscoInfo(room).then((info) => {
      if (this.current() !== client) return;
      const i = roomInfoOf(info);
      this.state.set((s) => roomInfo(s, room, { ...(i.name ? { name: i.name } : {}), participantsMayChangeSubject: !!i.changeSubject }));
    }).catch(() => undefined); // no disco#info: the address stands for the name
  }
}
