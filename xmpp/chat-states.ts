// XEP-0085 Chat State Notifications: whether a message carries nothing but a chat state, which
// offline storage does not keep (XEP-0160 §3) and an inactive client need not see at once (XEP-0352).
import { NS } from './namespaces.js';
import type { Element } from './xml.js';

export function onlyChatStates(stanza: Element): boolean {
  let any = false;
  for (const c of stanza.children) {
    if (typeof c === 'string') continue;
    if (c.attrs.xmlns !== NS.CHATSTATES) return false;
    any = true;
  }
  return any;
}
