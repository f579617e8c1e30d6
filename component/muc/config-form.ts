// Room configuration as a XEP-0004 form (XEP-0045 §10.2, field names from the muc#roomconfig FORM_TYPE).
import { StanzaError } from '../../xmpp/errors.js';
import { buildForm, field, parseBoolean, parseForm } from '../../xmpp/forms.js';
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import type { RoomConfig } from './room.js';

/**
 * The most participants in the room's call. No registered muc#roomconfig field exists for a call
 * (XEP-0045 §15.5.3 lists none, nor does any XEP), so the name is namespace-qualified as XEP-0068
 * §3.4 wants for fields outside the FORM_TYPE's registry; clients that do not know it show it as a
 * plain text field, or not at all, and submit the form without it.
 */
export const CALL_MAX_FIELD = 'urn:carillon:call#maxparticipants';

/** What the room's form depends on beyond the room: the call service's own cap (0: none), absent without calls. */
export interface FormBounds { callMax?: number }

function callField(c: RoomConfig, callMax: number): Element {
  const bound = callMax > 0 ? `at most ${callMax}, the service's limit` : 'the service has no limit';
  const f = field({
    var: CALL_MAX_FIELD, type: 'text-single', label: `Most participants in the call (0: the service's limit; ${bound})`,
    desc: callMax > 0 ? `A number from 0 to ${callMax}; 0 means the service's limit of ${callMax}.` : 'A number; 0 means no limit.',
    value: c.callMaxParticipants,
  });
  // XEP-0122 §3.2: the bound as data, for clients that validate
  f.cnode(x('validate', { xmlns: NS.XDATA_VALIDATE, datatype: 'xs:integer' },
    x('range', { min: '0', max: callMax > 0 ? String(callMax) : undefined })));
  return f;
}

export function configForm(c: RoomConfig, bounds: FormBounds = {}): Element {
  const form = buildForm({
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
  if (bounds.callMax !== undefined) {
    form.cnode(callField(c, bounds.callMax));
  }
  return form;
}

function bool(v: string): boolean {
  const b = parseBoolean(v);
  if (b === undefined) throw new StanzaError('bad-request', `Not a boolean: ${v}`);
  return b;
}

/** Apply a submitted form; unknown fields are ignored, malformed values are a bad-request. */
export function applyConfigForm(current: RoomConfig, el: Element, bounds: FormBounds = {}): RoomConfig {
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
      case CALL_MAX_FIELD: {
        if (bounds.callMax === undefined) break; // no calls here: not a field of this service's form
        const n = /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : NaN;
        if (!Number.isInteger(n)) throw new StanzaError('not-acceptable', `${CALL_MAX_FIELD} must be a whole number`);
        if (bounds.callMax > 0 && n > bounds.callMax) {
          throw new StanzaError('not-acceptable', `${CALL_MAX_FIELD} must be at most ${bounds.callMax}, the service's limit`);
        }
        next.callMaxParticipants = n;
        break;
      }
      default: break;
    }
  }
  if (passwordProtected === false) next.password = '';
  return next;
}
