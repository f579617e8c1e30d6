// Disco#info of a room (XEP-0045 "Querying for Room Information") with the muc#roominfo extended form (XEP-0128).
import { buildForm } from '../../xmpp/forms.js';
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import type { Room } from './room.js';

/** Features a room really implements, including the group call features of the call service. */
export function roomFeatures(room: Room, callFeatures: string[]): string[] {
  const c = room.config;
  return [
    NS.MUC, NS.DISCO_INFO, NS.DISCO_ITEMS, NS.SID,
    // XEP-0313 §7: the room's archive is queried at the room's JID.
    NS.MAM, NS.MAM_EXTENDED,
    // XEP-0045 §8.6: visitors may ask the moderators for voice.
    NS.MUC_REQUEST,
    c.persistent ? 'muc_persistent' : 'muc_temporary',
    c.public ? 'muc_public' : 'muc_hidden',
    c.membersOnly ? 'muc_membersonly' : 'muc_open',
    c.password ? 'muc_passwordprotected' : 'muc_unsecured',
    c.whois === 'anyone' ? 'muc_nonanonymous' : 'muc_semianonymous',
    c.moderated ? 'muc_moderated' : 'muc_unmoderated',
    NS.PING,
    ...callFeatures,
  ].filter((f) => f);
}

export function roomInfo(room: Room, callFeatures: string[]): Element[] {
  const name = room.config.name || room.local;
  return [
    x('identity', { category: 'conference', type: 'text', name }),
    ...roomFeatures(room, callFeatures).map((f) => x('feature', { var: f })),
    buildForm({
      type: 'result',
      formType: NS.MUC_ROOMINFO,
      fields: [
        { var: 'muc#roominfo_description', label: 'Description', value: room.config.description },
        { var: 'muc#roominfo_subject', label: 'Subject', value: room.subject.text },
        // §6.4 muc#roominfo: whether participants, not only moderators, may change the subject (§8.1)
        { var: 'muc#roominfo_changesubject', type: 'boolean', label: 'Occupants May Change the Subject', value: room.config.changeSubject },
        { var: 'muc#roominfo_occupants', label: 'Number of occupants', value: room.occupants.size },
        { var: 'muc#roomconfig_maxusers', label: 'Maximum occupants', value: room.config.maxUsers },
      ],
    }),
  ];
}
