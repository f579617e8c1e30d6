// Disco#info of a room (XEP-0045 "Querying for Room Information") with the muc#roominfo extended form (XEP-0128).
import { NS, x, type Element } from '../xml.js';
import type { Room } from './room.js';

/** Features a room really implements, including the group call features of the call service. */
export function roomFeatures(room: Room, callFeatures: string[]): string[] {
  const c = room.config;
  return [
    NS.muc, NS.discoInfo, NS.discoItems, NS.sid,
    c.persistent ? 'muc_persistent' : 'muc_temporary',
    c.public ? 'muc_public' : 'muc_hidden',
    c.membersOnly ? 'muc_membersonly' : 'muc_open',
    c.password ? 'muc_passwordprotected' : 'muc_unsecured',
    c.whois === 'anyone' ? 'muc_nonanonymous' : 'muc_semianonymous',
    'muc_unmoderated',
    NS.ping,
    ...callFeatures,
  ].filter((f) => f);
}

export function roomInfo(room: Room, callFeatures: string[]): Element[] {
  const name = room.config.name || room.local;
  return [
    x('identity', { category: 'conference', type: 'text', name }),
    ...roomFeatures(room, callFeatures).map((f) => x('feature', { var: f })),
    x('x', { xmlns: NS.data, type: 'result' },
      x('field', { var: 'FORM_TYPE', type: 'hidden' }, x('value', {}, 'http://jabber.org/protocol/muc#roominfo')),
      x('field', { var: 'muc#roominfo_description', label: 'Description' }, x('value', {}, room.config.description)),
      x('field', { var: 'muc#roominfo_subject', label: 'Subject' }, x('value', {}, room.subject.text)),
      x('field', { var: 'muc#roominfo_occupants', label: 'Number of occupants' }, x('value', {}, String(room.occupants.size))),
      x('field', { var: 'muc#roomconfig_maxusers', label: 'Maximum occupants' }, x('value', {}, String(room.config.maxUsers)))),
  ];
}
