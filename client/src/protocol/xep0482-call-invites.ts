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

const { attribute, childAttribute } = JXT;

/** An xs:boolean attribute written as `true`, as the XEP's examples do (StanzaJS writes `1`). */
function flag(name: string): JXT.FieldDefinition<boolean> {
  return {
    importer: (xml) => {
      const v = xml.getAttribute(name);
      return v === undefined ? undefined : v === 'true' || v === '1';
    },
    exporter: (xml, value) => {
      if (value !== undefined) xml.setAttribute(name, value ? 'true' : 'false');
    },
  };
}

export const CallInviteProtocol: JXT.DefinitionOptions[] = [{
  element: 'invite',
  fields: {
    audio: flag('audio'),
    id: attribute('id'),
    jingle: childAttribute(null, 'jingle', 'jid'),
    video: flag('video'),
  },
  namespace: NS_CALL_INVITES,
  path: 'message.callInvite',
}];
