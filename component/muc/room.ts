// The state of one XEP-0045 room: configuration, affiliations, occupants and subject (its messages are in the archive, store.ts).
// Pure data and rules; presence/message/IQ handling lives beside it and sends through the service.
import { StanzaError } from '../../xmpp/errors.js';
import { Jid } from '../../xmpp/jid.js';
import type { Element } from '../../xmpp/xml.js';

export type Affiliation = 'owner' | 'admin' | 'member' | 'none' | 'outcast';
export type Role = 'moderator' | 'participant' | 'visitor' | 'none';

export interface RoomConfig {
  name: string;
  description: string;
  persistent: boolean;
  public: boolean;
  membersOnly: boolean;
  password: string; // empty: not password-protected
  maxUsers: number; // 0: no limit beyond the service's
  whois: 'moderators' | 'anyone';
  changeSubject: boolean; // participants may change the subject
  /** Moderated (XEP-0045 §8.6 "moderated room"): those without affiliation enter as visitors and ask for voice. */
  moderated: boolean;
  /** The most participants in the room's call (0: the service's cap); never above the service's (config-form.ts). */
  callMaxParticipants: number;
}

export const defaultConfig = (): RoomConfig => ({
  name: '', description: '', persistent: false, public: true, membersOnly: false, password: '',
  maxUsers: 0, whois: 'moderators', changeSubject: false, moderated: false, callMaxParticipants: 0,
});

export interface Occupant {
  nick: string;
  /** Real full JIDs joined under this nick (several clients of one user may share a nick, as Prosody and ejabberd allow). */
  jids: string[];
  bareJid: string;
  role: Role;
  /** The last available presence, without addressing, re-broadcast as is. */
  presence: Element;
}

/** A message as the rooms.json of earlier versions kept it (imported into the archive). */
export interface HistoryEntry {
  nick: string;
  bareJid: string;
  stanzaId: string;
  stamp: string;
  /** Serialized message body children (body, extension elements) as sent by the occupant. */
  xml: string;
}

export interface PersistedRoom {
  local: string;
  config: RoomConfig;
  affiliations: Record<string, Affiliation>;
  subject: { text: string; nick: string };
  /** Only in rooms.json files of earlier versions: the archive holds messages now. */
  history?: HistoryEntry[];
}

/** Messages replayed on entering when the occupant asks for no particular amount (XEP-0045 §7.2.15). */
export const HISTORY_DEFAULT = 20;

export class Room {
  config: RoomConfig = defaultConfig();
  affiliations = new Map<string, Affiliation>();
  occupants = new Map<string, Occupant>(); // by nick
  subject = { text: '', nick: '' };
  destroyed = false;

  constructor(readonly local: string, readonly jid: string) {}

  affiliationOf(bareJid: string): Affiliation {
    return this.affiliations.get(bareJid) ?? 'none';
  }

  setAffiliation(bareJid: string, a: Affiliation): void {
    if (a === 'none') this.affiliations.delete(bareJid);
    else this.affiliations.set(bareJid, a);
  }

  /**
   * Default role for an affiliation (XEP-0045 §5.1.2 "Default Roles"): in a moderated room those
   * without an affiliation enter as visitors, members still as participants.
   */
  static defaultRole(a: Affiliation, moderated = false): Role {
    if (a === 'owner' || a === 'admin') return 'moderator';
    if (a === 'outcast') return 'none';
    if (a === 'none' && moderated) return 'visitor';
    return 'participant';
  }

  occupantByJid(fullJid: string): Occupant | undefined {
    for (const o of this.occupants.values()) if (o.jids.includes(fullJid)) return o;
    return undefined;
  }

  occupantsOf(bareJid: string): Occupant[] {
    return [...this.occupants.values()].filter((o) => o.bareJid === bareJid);
  }

  occupantJid(nick: string): string {
    return `${this.jid}/${nick}`;
  }

  isNonAnonymous(): boolean {
    return this.config.whois === 'anyone';
  }

  toPersisted(): PersistedRoom {
    return {
      local: this.local, config: { ...this.config }, affiliations: Object.fromEntries(this.affiliations),
      subject: { ...this.subject },
    };
  }

  static fromPersisted(p: PersistedRoom, domain: string): Room {
    const r = new Room(p.local, `${p.local}@${domain}`);
    r.config = { ...defaultConfig(), ...p.config };
    r.affiliations = new Map(Object.entries(p.affiliations));
    r.subject = p.subject ?? { text: '', nick: '' };
    return r;
  }
}

/** Rank used for "may X act on Y" checks (XEP-0045 affiliation privileges). */
export function affiliationRank(a: Affiliation): number {
  return { outcast: -1, none: 0, member: 1, admin: 2, owner: 3 }[a];
}

/** The bare JID of an address (a sender, or one named in a request); a malformed one is jid-malformed. */
export function bareOf(address: string): string {
  const jid = Jid.tryParse(address);
  if (!jid) throw new StanzaError('jid-malformed', `Not a valid address: ${address}`);
  return jid.bare;
}
