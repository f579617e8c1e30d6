// The group call's view state: one tile per remote participant, made from the sources the room
// labelled with their owner's occupant JID (docs/calls.md, steps 5–7). Pure functions.
import { resourceOf } from '../protocol/jid.js';
import type { RemoteSource } from './room-call-session.js';

export interface Tile {
  /** Occupant JID, room@service/Nick. */
  owner: string;
  nick: string;
  /** Content name → kind, for the contents the room added for this owner. */
  contents: Record<string, 'audio' | 'video'>;
  /** Muted by their session-info (XEP-0167 §7), per kind. */
  muted: { audio: boolean; video: boolean };
  /** The room does not forward this owner's video to us now (last-N: not among the latest speakers). */
  paused?: boolean;
  /** The owner's shared screen: a tile of its own beside their camera. */
  screen?: boolean;
}

export interface GroupCall {
  phase: 'idle' | 'connecting' | 'active';
  room?: string;
  sid?: string;
  muted: boolean;
  cameraOff: boolean;
  tiles: Record<string, Tile>;
  error?: string;
  /** Our screen is being sent to the room. */
  sharing?: boolean;
}

export const NO_GROUP_CALL: GroupCall = { phase: 'idle', muted: false, cameraOff: false, tiles: {} };

const nick = (owner: string) => resourceOf(owner) || owner;

export function sourcesAdded(s: GroupCall, sources: RemoteSource[]): GroupCall {
  const tiles = { ...s.tiles };
  for (const src of sources) {
    const owner = src.owner || `unknown/${src.name}`;
    const key = src.screen ? screenKey(owner) : owner;
    const t = tiles[key] ?? { owner: key, nick: nick(owner), contents: {}, muted: { audio: false, video: false }, ...(src.screen ? { screen: true } : {}) };
    tiles[key] = { ...t, contents: { ...t.contents, [src.name]: src.kind } };
  }
  return { ...s, tiles };
}

/** The tile key of an owner's screen: no JID starts with "screen:" (RFC 7622 §3.3.1 forbids ':' in a localpart). */
export const screenKey = (owner: string): string => `screen:${owner}`;

export function sourcesRemoved(s: GroupCall, names: string[]): GroupCall {
  const tiles: Record<string, Tile> = {};
  for (const [owner, t] of Object.entries(s.tiles)) {
    const contents = Object.fromEntries(Object.entries(t.contents).filter(([n]) => !names.includes(n)));
    if (Object.keys(contents).length) tiles[owner] = { ...t, contents };
  }
  return { ...s, tiles };
}

/** A `<mute/>`/`<unmute/>` naming one of the room's contents marks that owner's medium. */
export function muteChanged(s: GroupCall, name: string | undefined, muted: boolean): GroupCall {
  for (const [owner, t] of Object.entries(s.tiles)) {
    const kind = name ? t.contents[name] : undefined;
    if (kind) return { ...s, tiles: { ...s.tiles, [owner]: { ...t, muted: { ...t.muted, [kind]: muted } } } };
  }
  return s;
}

/** The room paused or resumed its forwarding of a video content to us (last-N). */
export function pausedChanged(s: GroupCall, name: string, paused: boolean): GroupCall {
  for (const [owner, t] of Object.entries(s.tiles)) {
    if (t.contents[name] !== 'video') continue;
    if (!!t.paused === paused) return s;
    return { ...s, tiles: { ...s.tiles, [owner]: { ...t, paused } } };
  }
  return s;
}

/** The owner of a content name, to put its track into that owner's stream. */
export function ownerOf(s: GroupCall, name: string): string | undefined {
  return Object.values(s.tiles).find((t) => name in t.contents)?.owner;
}

/**
 * The room's answer to a XEP-0199 ping sent when the call's media stopped (ICE 'disconnected'):
 * answered, or not — an error condition, or none at all when nothing came back in time.
 */
export type RoomProbe = { answered: true } | { answered: false; condition?: string };

/**
 * Whether the call is over, in words, given the probe. A room that answers is still there (the
 * media may come back, ICE 'failed' ends it otherwise). One that does not is gone with its
 * call-service instance: where a server balances a call domain over several instances
 * (docs/scaling.md), ejabberd drops a dead instance's stanzas without an error, and a restarted
 * instance does not know the room (`item-not-found`).
 */
export function callLostText(probe: RoomProbe): string | undefined {
  if (probe.answered) return undefined;
  const c = probe.condition;
  if (!c || c === 'timeout') return 'The call ended: the room\'s call service stopped answering.';
  if (c === 'item-not-found') return 'The call ended: the room\'s call service restarted and no longer has this room.';
  return `The call ended: the room's call service is unreachable (${c.replace(/-/g, ' ')}).`;
}
