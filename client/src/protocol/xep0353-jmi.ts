// XEP-0353: Jingle Message Initiation (v0.7), the way Conversations, Dino, Gajim and Monal ring
// every device of a contact before a Jingle session exists.
//
// StanzaJS 12.22 only carries a namespace constant for it, and the wrong one
// (`urn:xmpp:jingle:jingle-message:0`), so the elements are defined here with StanzaJS's own JXT.
// §3: every JMI message is `type=chat` and carries a `<store xmlns='urn:xmpp:hints'/>` hint so that
// it reaches MAM and offline storage (a missed call shows up later); the `id` of the JMI element
// becomes the Jingle `sid`.
import { JXT, Namespaces } from 'stanza';
import type { Message, JingleReason } from 'stanza/protocol/index.js';

export const NS_JMI = 'urn:xmpp:jingle-message:0';

export type JmiAction = 'propose' | 'retract' | 'accept' | 'proceed' | 'reject' | 'ringing' | 'finish';
export const JMI_ACTIONS: readonly JmiAction[] = ['propose', 'retract', 'accept', 'proceed', 'reject', 'ringing', 'finish'];

export interface JmiDescription {
  media: 'audio' | 'video';
}

export interface JingleMessage {
  type: JmiAction;
  id: string;
  /** Only in `propose`: one RTP description per requested medium (§3.1). */
  descriptions?: JmiDescription[];
  /** In `reject`, `retract` and `finish` (XEP-0166 reason element). */
  reason?: JingleReason;
  /** `<tie-break/>` in a reject/retract that settles two crossing proposes (§4.1). */
  tieBreak?: boolean;
}

declare module 'stanza/protocol/index.js' {
  interface Message {
    jingleMessage?: JingleMessage;
  }
}

const { attribute, childBoolean, childEnum, childText } = JXT;

const reasons = ['alternative-session', 'busy', 'cancel', 'connectivity-error', 'decline', 'expired',
  'failed-application', 'failed-transport', 'general-error', 'gone', 'incompatible-parameters',
  'media-error', 'security-error', 'success', 'timeout', 'unsupported-applications', 'unsupported-transports'];

export const JmiProtocol: JXT.DefinitionOptions[] = [
  ...JMI_ACTIONS.map((action): JXT.DefinitionOptions => ({
    element: action,
    fields: { id: attribute('id'), tieBreak: childBoolean(null, 'tie-break') },
    namespace: NS_JMI,
    path: 'message.jingleMessage',
    type: action,
    typeField: 'type',
  })),
  {
    // <description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'/> inside <propose/>
    aliases: [{ path: 'message.jingleMessage.descriptions', multiple: true }],
    element: 'description',
    fields: { media: attribute('media') },
    namespace: Namespaces.NS_JINGLE_RTP_1,
  },
  {
    aliases: ['message.jingleMessage.reason'],
    element: 'reason',
    fields: {
      condition: childEnum(null, reasons),
      text: childText(null, 'text'),
    },
    namespace: Namespaces.NS_JINGLE_1,
  },
];

/** Builds a JMI message (§3: type=chat, store hint). `to` is a bare JID for propose/retract, full otherwise. */
export function jmiMessage(to: string, jm: JingleMessage): Message {
  return { to, type: 'chat', jingleMessage: jm, processingHints: { store: true } };
}

/** A fresh session id, usable as both the JMI id and the Jingle sid. */
export function newSessionId(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
