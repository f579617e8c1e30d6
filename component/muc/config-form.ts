// Room configuration as a XEP-0004 form (XEP-0045 §10.2, field names from the muc#roomconfig FORM_TYPE).
import { StanzaError } from '../../xmpp/errors.js';
import { buildForm, parseBoolean, parseForm } from '../../xmpp/forms.js';
import { NS } from '../../xmpp/namespaces.js';
import type { Element } from '../../xmpp/xml.js';
import type { RoomConfig } from './room.js';

export function configForm(c: RoomConfig): Element {
  return buildForm({
    type: 'form',
    title: 'Room configuration',
    formType: NS.MUC_ROOMCONFIG,
    fields: [
      { var: 'muc#roomconfig_roomname', type: 'text-single', label: 'Name', value: c.name },
      { var: 'muc#roomconfig_roomdesc', type: 'text-single', label: 'Description', value: c.description },
      { var: 'muc#roomconfig_persistentroom', type: 'boolean', label: 'Persistent (kept when empty)', value: c.persistent },
      { var: 'muc#roomconfig_publicroom', type: 'boolean', label: 'Listed in the room directory', value: c.public },
      { var: 'muc#roomconfig_membersonly', type: 'boolean', label: 'Members only', value: c.membersOnly },
      { var: 'muc#roomconfig_passwordprotectedroom', type: 'boolean', label: 'Password protected', value: !!c.password },
      { var: 'muc#roomconfig_roomsecret', type: 'text-private', label: 'Password', value: c.password },
      {
        var: 'muc#roomconfig_maxusers', type: 'list-single', label: 'Maximum occupants (0: no limit)', value: c.maxUsers,
        options: ['0', '5', '10', '20', '50', '100'].map((n) => ({ label: n, value: n })),
      },
      {
        var: 'muc#roomconfig_whois', type: 'list-single', label: 'Who may see real addresses', value: c.whois,
        options: [{ label: 'Moderators', value: 'moderators' }, { label: 'Anyone', value: 'anyone' }],
      },
      { var: 'muc#roomconfig_changesubject', type: 'boolean', label: 'Participants may change the subject', value: c.changeSubject },
      { var: 'muc#roomconfig_moderatedroom', type: 'boolean', label: 'Moderated (newcomers without affiliation ask for voice)', value: c.moderated },
    ],
  });
}

function bool(v: string): boolean {
  const b = parseBoolean(v);
  if (b === undefined) throw new StanzaError('bad-request', `Not a boolean: ${v}`);
  return b;
}

/** Apply a submitted form; unknown fields are ignored, malformed values are a bad-request. */
export function applyConfigForm(current: RoomConfig, el: Element): RoomConfig {
  const form = parseForm(el);
  if (form.type !== 'submit') throw new StanzaError('bad-request', 'Expected a submitted form');
  if (form.formType !== undefined && form.formType !== NS.MUC_ROOMCONFIG) throw new StanzaError('bad-request', 'Wrong FORM_TYPE');
  const next = { ...current };
  let passwordProtected: boolean | undefined;
  for (const [name, values] of form.fields) {
    const value = values[0] ?? '';
    switch (name) {
      case 'muc#roomconfig_roomname': next.name = value; break;
      case 'muc#roomconfig_roomdesc': next.description = value; break;
      case 'muc#roomconfig_persistentroom': next.persistent = bool(value); break;
      case 'muc#roomconfig_publicroom': next.public = bool(value); break;
      case 'muc#roomconfig_membersonly': next.membersOnly = bool(value); break;
      case 'muc#roomconfig_passwordprotectedroom': passwordProtected = bool(value); break;
      case 'muc#roomconfig_roomsecret': next.password = value; break;
      case 'muc#roomconfig_maxusers': {
        const n = value === '' || value === 'none' ? 0 : Number(value);
        if (!Number.isInteger(n) || n < 0) throw new StanzaError('not-acceptable', 'Bad maximum');
        next.maxUsers = n;
        break;
      }
      case 'muc#roomconfig_whois':
        if (value !== 'moderators' && value !== 'anyone') throw new StanzaError('not-acceptable', 'Bad whois');
        next.whois = value;
        break;
      case 'muc#roomconfig_changesubject': next.changeSubject = bool(value); break;
      case 'muc#roomconfig_moderatedroom': next.moderated = bool(value); break;
      default: break;
    }
  }
  if (passwordProtected === false) next.password = '';
  return next;
}
