// Room configuration as a XEP-0004 form (XEP-0045 §10.2, field names from the muc#roomconfig FORM_TYPE).
import { NS, StanzaError, x, type Element } from '../xml.js';
import type { RoomConfig } from './room.js';

const FORM_TYPE = 'http://jabber.org/protocol/muc#roomconfig';

function field(v: string, type: string, label: string, value: string | boolean | number): Element {
  const val = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
  return x('field', { var: v, type, label }, x('value', {}, val));
}

export function configForm(c: RoomConfig): Element {
  return x('x', { xmlns: NS.data, type: 'form' },
    x('title', {}, 'Room configuration'),
    x('field', { var: 'FORM_TYPE', type: 'hidden' }, x('value', {}, FORM_TYPE)),
    field('muc#roomconfig_roomname', 'text-single', 'Name', c.name),
    field('muc#roomconfig_roomdesc', 'text-single', 'Description', c.description),
    field('muc#roomconfig_persistentroom', 'boolean', 'Persistent (kept when empty)', c.persistent),
    field('muc#roomconfig_publicroom', 'boolean', 'Listed in the room directory', c.public),
    field('muc#roomconfig_membersonly', 'boolean', 'Members only', c.membersOnly),
    field('muc#roomconfig_passwordprotectedroom', 'boolean', 'Password protected', !!c.password),
    field('muc#roomconfig_roomsecret', 'text-private', 'Password', c.password),
    x('field', { var: 'muc#roomconfig_maxusers', type: 'list-single', label: 'Maximum occupants (0: no limit)' },
      x('value', {}, String(c.maxUsers)),
      ...['0', '5', '10', '20', '50', '100'].map((n) => x('option', { label: n }, x('value', {}, n)))),
    x('field', { var: 'muc#roomconfig_whois', type: 'list-single', label: 'Who may see real addresses' },
      x('value', {}, c.whois),
      x('option', { label: 'Moderators' }, x('value', {}, 'moderators')),
      x('option', { label: 'Anyone' }, x('value', {}, 'anyone'))),
    field('muc#roomconfig_changesubject', 'boolean', 'Participants may change the subject', c.changeSubject));
}

function bool(v: string): boolean {
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  throw new StanzaError('modify', 'bad-request', `Not a boolean: ${v}`);
}

/** Apply a submitted form; unknown fields are ignored, malformed values are a bad-request. */
export function applyConfigForm(current: RoomConfig, form: Element): RoomConfig {
  if (form.attrs.type !== 'submit') throw new StanzaError('modify', 'bad-request', 'Expected a submitted form');
  const next = { ...current };
  let passwordProtected: boolean | undefined;
  for (const f of form.getChildren('field')) {
    const value = f.getChildText('value') ?? '';
    switch (f.attrs.var) {
      case 'FORM_TYPE': if (value !== FORM_TYPE) throw new StanzaError('modify', 'bad-request', 'Wrong FORM_TYPE'); break;
      case 'muc#roomconfig_roomname': next.name = value; break;
      case 'muc#roomconfig_roomdesc': next.description = value; break;
      case 'muc#roomconfig_persistentroom': next.persistent = bool(value); break;
      case 'muc#roomconfig_publicroom': next.public = bool(value); break;
      case 'muc#roomconfig_membersonly': next.membersOnly = bool(value); break;
      case 'muc#roomconfig_passwordprotectedroom': passwordProtected = bool(value); break;
      case 'muc#roomconfig_roomsecret': next.password = value; break;
      case 'muc#roomconfig_maxusers': {
        const n = value === '' || value === 'none' ? 0 : Number(value);
        if (!Number.isInteger(n) || n < 0) throw new StanzaError('modify', 'not-acceptable', 'Bad maximum');
        next.maxUsers = n;
        break;
      }
      case 'muc#roomconfig_whois':
        if (value !== 'moderators' && value !== 'anyone') throw new StanzaError('modify', 'not-acceptable', 'Bad whois');
        next.whois = value;
        break;
      case 'muc#roomconfig_changesubject': next.changeSubject = bool(value); break;
      default: break;
    }
  }
  if (passwordProtected === false) next.password = '';
  return next;
}
