// XEP-0352: Client State Indication — a client says whether its user is looking at it. While a
// session is inactive, what can wait waits (the optimisations of §3.2, as Prosody's mod_csi_simple
// does them):
//
// - presence updates, available or unavailable: only the latest from each full JID is kept, which
//   is all the client needs when it looks again ("push the latest presence from each contact");
// - messages that carry nothing but XEP-0085 chat states: only the latest from each full JID.
//
// Everything else goes at once — messages with a body, XEP-0353 call invitations, anything hinted
// XEP-0334 <store/>, receipts, IQs, errors, subscription requests — and whatever is held goes out
// before it, so that what one sender sent arrives in the order it was sent. <active/> lets it all go.
//
// Held stanzas are not sent yet: the session's outgoing filter sits before its XEP-0198 count
// (core/session.ts), so they are counted when they are written. A session that ends drops what it
// holds: presence is stale by then and a chat state is not worth keeping (XEP-0085 §5.5).
import { onlyChatStates } from '../../xmpp/chat-states.js';
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import { defineModule } from '../core/module.js';
import type { ClientSession } from '../core/session.js';

const STATE = 'csi:inactive';

export interface CsiConfig {
  /**
   * Stanzas one inactive session holds at most; one more and all of them go out (mod_csi_simple's
   * csi_queue_size). 0 holds nothing. §3.2: the optimisations SHOULD be configurable.
   */
  maxHeld: number;
}
const MUC_USER = 'http://jabber.org/protocol/muc#user';

interface Inactive {
  /** Serialized stanzas by what they replace (kind and sender), in the order they are to be sent. */
  held: Map<string, string>;
  stopFiltering: () => void;
}

/** Whether the client said it is inactive (and has not said it is active since). */
export function isInactive(session: ClientSession): boolean {
  return session.data.has(STATE);
}

/** What an inactive session holds, oldest first (serialized); empty for an active one. */
export function heldStanzas(session: ClientSession): string[] {
  const state = session.data.get(STATE) as Inactive | undefined;
  return state ? [...state.held.values()] : [];
}

/** A MUC presence about the client's own occupant (status 110): it tells the client it joined or left. */
function mucSelfPresence(stanza: Element): boolean {
  const user = stanza.getChild('x', MUC_USER);
  return user?.getChildren('status').some((s) => s.attrs.code === '110') === true;
}

/** What a stanza replaces among the held ones; undefined for a stanza that goes at once. */
function holdKey(stanza: Element): string | undefined {
  const type = stanza.attrs.type;
  const from = stanza.attrs.from ?? '';
  if (stanza.name === 'presence') {
    // Subscription requests and answers, probes and errors are not updates.
    if (type !== undefined && type !== 'unavailable') return undefined;
    return mucSelfPresence(stanza) ? undefined : `presence ${from}`;
  }
  if (stanza.name === 'message' && type !== 'error' && onlyChatStates(stanza)) return `chatstate ${from}`;
  return undefined;
}

/** Sends what the session holds, oldest first. */
function flush(session: ClientSession, state: Inactive): void {
  if (state.held.size === 0) return;
  const out = [...state.held.values()];
  state.held.clear();
  for (const xml of out) session.sendUnfiltered(xml);
}

function becomeInactive(session: ClientSession, maxHeld: number): void {
  if (session.data.has(STATE)) return;
  const state: Inactive = { held: new Map(), stopFiltering: () => {} };
  state.stopFiltering = session.filterOutgoing((stanza, xml) => {
    const key = holdKey(stanza);
    if (key === undefined) {
      flush(session, state); // what was held was sent before this one
      return false;
    }
    state.held.delete(key); // the newer one takes the older one's place, at the end
    state.held.set(key, xml);
    if (state.held.size > maxHeld) flush(session, state);
    return true;
  });
  session.data.set(STATE, state);
}

function becomeActive(session: ClientSession): void {
  const state = session.data.get(STATE) as Inactive | undefined;
  if (!state) return;
  session.data.delete(STATE);
  state.stopFiltering();
  flush(session, state);
}

export default defineModule<CsiConfig>({
  name: 'csi',
  config: {
    key: 'csi',
    parse: (raw, c) => {
      const s = c.section('csi', raw);
      c.only('csi', s, ['maxHeld']);
      return { maxHeld: c.int('csi.maxHeld', s.maxHeld, 256, 0, 100_000) };
    },
  },
  setup(m) {
    // §4.1 Example 1: offered once the client has authenticated.
    m.on('stream-features', ({ stage, features }) => {
      if (stage === 'bind') features.cnode(x('csi', { xmlns: NS.CSI }));
    });

    // §4.2 Examples 2 and 3. There is no reply to either. Handled as they arrive, before whatever the
    // client sent next (§5.1, "In-order processing"): the stream hands us its elements in order.
    m.on(`nonza/${NS.CSI}`, ({ element, session }) => {
      if (element.name === 'inactive') becomeInactive(session, m.config.maxHeld);
      else if (element.name === 'active') becomeActive(session);
      else return false; // not a CSI state: the session ends the stream with unsupported-stanza-type
      return true;
    });

    // §5.2: the state is not restored when a stream is resumed (XEP-0198 §5): a stream begins active (§4.2).
    m.on('session-resumed', ({ session }) => becomeActive(session));

    m.on('session-closed', ({ session }) => {
      const state = session.data.get(STATE) as Inactive | undefined;
      if (!state) return;
      state.held.clear();
      state.stopFiltering();
      session.data.delete(STATE);
    });
  },
});
