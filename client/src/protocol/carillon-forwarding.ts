// Carillon's call service tells a participant which forwarded videos it has paused for it and
// resumed (last-N: video only for the most recent speakers in a large room), as a Jingle
// session-info (XEP-0166 §7.2.7) in `urn:carillon:call:forwarding:0`:
//   <paused xmlns='urn:carillon:call:forwarding:0' creator='responder' name='MID' reason='last-n'>
//     <text>not among the last N speakers</text></paused>
//   <resumed xmlns='urn:carillon:call:forwarding:0' creator='responder' name='MID'/>
// The room sends it only to participants whose disco#info lists the namespace (docs/calls.md,
// "Last-N"). It is not XEP-0167's <mute/>: the sender did not mute itself.
import { JXT } from 'stanza';

export const NS_CALL_FORWARDING = 'urn:carillon:call:forwarding:0';
export const FORWARDING_PAUSED = `${NS_CALL_FORWARDING}:paused`;
export const FORWARDING_RESUMED = `${NS_CALL_FORWARDING}:resumed`;

export interface ForwardingInfo {
  infoType: typeof FORWARDING_PAUSED | typeof FORWARDING_RESUMED;
  creator?: string;
  /** The content (mid) of the session the change is about. */
  name?: string;
  reason?: string;
  text?: string;
}

const { attribute, childText } = JXT;
const info = 'iq.jingle.info';

export const ForwardingProtocol: JXT.DefinitionOptions[] = [
  {
    element: 'paused',
    fields: { creator: attribute('creator'), name: attribute('name'), reason: attribute('reason'), text: childText(null, 'text') },
    namespace: NS_CALL_FORWARDING,
    path: info,
    type: FORWARDING_PAUSED,
    typeField: 'infoType',
  },
  {
    element: 'resumed',
    fields: { creator: attribute('creator'), name: attribute('name') },
    namespace: NS_CALL_FORWARDING,
    path: info,
    type: FORWARDING_RESUMED,
    typeField: 'infoType',
  },
];

/** The change a session-info's payload names, if it is one of ours. */
export function forwardingChange(info: { infoType?: string; name?: string } | undefined): { name: string; paused: boolean } | undefined {
  if (!info?.name) return undefined;
  if (info.infoType === FORWARDING_PAUSED) return { name: info.name, paused: true };
  if (info.infoType === FORWARDING_RESUMED) return { name: info.name, paused: false };
  return undefined;
}
