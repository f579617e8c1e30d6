// What a user may do to a room and its occupants, from the roles and affiliations the room shows
// (XEP-0045 §5.1 roles, §5.2 affiliations). Pure; the views show a control only when it is allowed
// here, and the room still has the last word (its refusals are shown in words, room-admin.ts).
import type { Occupant } from './room-state.js';

const RANK: Record<string, number> = { outcast: -1, none: 0, member: 1, admin: 2, owner: 3 };
const rank = (a: string | undefined) => RANK[a ?? 'none'] ?? 0;

export interface OccupantActions {
  /** §8.2: role none. */
  kick: boolean;
  /** §9.1: affiliation outcast (needs the real JID). */
  ban: boolean;
  /** §8.3 grant voice (visitor → participant), §8.4 revoke voice (participant → visitor). */
  grantVoice: boolean;
  revokeVoice: boolean;
  /** §9.6 grant moderator, §9.7 revoke moderator. */
  grantModerator: boolean;
  revokeModerator: boolean;
}

export const NOTHING: OccupantActions = { kick: false, ban: false, grantVoice: false, revokeVoice: false, grantModerator: false, revokeModerator: false };

/** What `me` may do to `target` (never to ourselves). */
export function occupantActions(me: Occupant | undefined, target: Occupant): OccupantActions {
  if (!me || me.nick === target.nick) return NOTHING;
  const moderator = me.role === 'moderator';
  const mine = rank(me.affiliation);
  const theirs = rank(target.affiliation);
  // §8.2, §8.4: a moderator cannot kick or silence an admin or owner, nor a moderator of an equal or higher affiliation
  const moderatable = moderator && theirs < RANK.admin! && (target.role !== 'moderator' || mine > theirs);
  const adminish = mine >= RANK.admin!;
  return {
    kick: moderatable,
    // §9.1: an admin bans below admin; an owner bans admins too (§10.6 owners manage admins)
    ban: adminish && theirs < mine && !!target.jid,
    grantVoice: moderatable && target.role === 'visitor',
    revokeVoice: moderatable && target.role === 'participant',
    grantModerator: adminish && target.role !== 'moderator' && target.role !== undefined,
    // §9.7: an admin or owner cannot lose moderator status this way
    revokeModerator: adminish && target.role === 'moderator' && theirs < RANK.admin!,
  };
}

export function anyAction(a: OccupantActions): boolean {
  return Object.values(a).some(Boolean);
}

/** §8.1: moderators change the subject; participants too where the room allows it (muc#roominfo_changesubject). */
export function mayChangeSubject(me: Occupant | undefined, participantsMay: boolean): boolean {
  return me?.role === 'moderator' || (participantsMay && me?.role === 'participant');
}

/** §10.2: only owners configure the room. */
export function mayConfigure(me: Occupant | undefined): boolean {
  return me?.affiliation === 'owner';
}

/** A room's refusal (RFC 6120 §8.3.3 condition) in words. */
export function refusal(condition: string | undefined, text: string | undefined, what: string): string {
  const words: Record<string, string> = {
    'forbidden': `You are not allowed to ${what}.`,
    'not-allowed': `The room does not allow you to ${what}.`,
    'not-acceptable': `The room did not accept this: ${what}.`,
    'item-not-found': 'That person or room is no longer there.',
    'bad-request': `The room could not understand the request to ${what}.`,
    'conflict': `Someone else changed this first. Try to ${what} again.`,
    'service-unavailable': `This room cannot ${what}.`,
    'feature-not-implemented': `This room cannot ${what}.`,
    'timeout': `The room did not answer. Try to ${what} again.`,
  };
  const w = words[condition ?? ''] ?? `Could not ${what} (${condition ?? 'error'}).`;
  return text ? `${w} The room says: “${text}”` : w;
}
