// XEP-0482: Call Invites (v0.1), the way Dino and Movim invite people to a group call. The invite
// names the Jingle endpoint of the call; for a room call that is the room's bare JID (see
// docs/calls.md). StanzaJS 12.22 has no definition for it, so it is defined here with its JXT.
import { JXT } from 'stanza';

export const NS_CALL_INVITES = 'urn:xmpp:call-invites:0';

export interface CallInvite {
  id?: string;
  audio?: boolean;
  video?: boolean;
  /** §3: `<jingle jid=…/>`, the entity to open the Jingle session with. */
  jingle?: string;
}

declare module 'stanza/protocol/index.js' {
  interface Message {
    callInvite?: CallInvite;
  }
}

const { attribute, booleanAttribute, childAttribute } = JXT;

export const CallInviteProtocol: JXT.DefinitionOptions[] = [{
  element: 'invite',
  fields: {
    audio: booleanAttribute('audio'),
    id: attribute('id'),
    jingle: childAttribute(null, 'jingle', 'jid'),
    video: booleanAttribute('video'),
  },
  namespace: NS_CALL_INVITES,
  path: 'message.callInvite',
}];
