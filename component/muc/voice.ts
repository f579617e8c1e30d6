// XEP-0045 (1.34) §7.13 "Requesting Voice" and §8.6 "Approving Voice Requests": a visitor asks
// for voice with a muc#request form (Example 79), the room passes it to its moderators as a form
// to fill (Example 108), and a moderator's submission with muc#request_allow true (Example 109)
// grants voice (§8.3).
import { StanzaError } from '../../xmpp/errors.js';
import { buildForm, formValue, parseBoolean, parseForm } from '../../xmpp/forms.js';
import { NS } from '../../xmpp/namespaces.js';
import { childNs, x, type Element } from '../../xmpp/xml.js';
import type { MucContext } from './context.js';
import type { Room } from './room.js';
import { broadcastPresence } from './presence.js';

function requestForm(stanza: Element): Element | undefined {
  const el = childNs(stanza, NS.DATA, 'x');
  if (!el) return undefined;
  const form = parseForm(el);
  return form.formType === NS.MUC_REQUEST ? el : undefined;
}

export function isVoiceRequest(stanza: Element): boolean {
  return requestForm(stanza) !== undefined;
}

/** A voice request from an occupant (a submitted form) or a moderator's answer to one. */
export function voiceRequest(ctx: MucContext, room: Room, stanza: Element): void {
  const from = stanza.attrs.from as string;
  const sender = room.occupantByJid(from);
  if (!sender) throw new StanzaError('not-acceptable', 'Only occupants may ask for voice');
  const form = parseForm(requestForm(stanza)!);
  if (form.type !== 'submit') throw new StanzaError('bad-request', 'A voice request is a submitted form');
  const nick = formValue(form, 'muc#roomnick');
  if (sender.role === 'moderator' && nick !== undefined && formValue(form, 'muc#request_allow') !== undefined) {
    return approve(ctx, room, sender.nick, nick, formValue(form, 'muc#request_allow')!);
  }
  if (formValue(form, 'muc#role') !== 'participant') throw new StanzaError('bad-request', 'Only voice (the participant role) can be requested');
  // Someone who has voice already has nothing to ask for.
  if (sender.role !== 'visitor') return;
  for (const m of room.occupants.values()) {
    if (m.role !== 'moderator') continue;
    for (const jid of m.jids) {
      ctx.send(x('message', { from: room.jid, to: jid, id: ctx.nextId() }, buildForm({
        type: 'form',
        title: 'Voice request',
        instructions: 'To approve this request for voice, select the "Grant voice to this person?" checkbox and click OK. To skip this request, click the cancel button.',
        formType: NS.MUC_REQUEST,
        fields: [
          { var: 'muc#role', type: 'list-single', label: 'Requested role', value: 'participant' },
          { var: 'muc#jid', type: 'jid-single', label: 'User ID', value: from },
          { var: 'muc#roomnick', type: 'text-single', label: 'Room Nickname', value: sender.nick },
          { var: 'muc#request_allow', type: 'boolean', label: 'Grant voice to this person?', value: false },
        ],
      })));
    }
  }
}

function approve(ctx: MucContext, room: Room, moderator: string, nick: string, allow: string): void {
  const granted = parseBoolean(allow);
  if (granted === undefined) throw new StanzaError('bad-request', `Not a boolean: ${allow}`);
  if (!granted) return;
  const target = room.occupants.get(nick);
  if (!target) throw new StanzaError('item-not-found', 'No such occupant');
  if (target.role !== 'visitor') return;
  target.role = 'participant';
  broadcastPresence(ctx, room, target, { actor: moderator });
}
