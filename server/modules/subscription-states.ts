// The presence subscription state machine of RFC 6121 Appendix A, as tables.
//
// A state is written as in the RFC: "None", "None + Pending Out", "To + Pending In", … An event is a
// subscription presence type and its direction: "out" is sent by the user (A.2), "in" arrives from
// the contact (A.3). Each row gives the next state, or "=" for "no state change".

export type SubscriptionType = 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed';
export type Direction = 'out' | 'in';

export interface SubState {
  subscription: 'none' | 'to' | 'from' | 'both';
  pendingOut: boolean;
  pendingIn: boolean;
}

const STATES = [
  'None',
  'None + Pending Out',
  'None + Pending In',
  'None + Pending Out + Pending In',
  'To',
  'To + Pending In',
  'From',
  'From + Pending Out',
  'Both',
] as const;
type StateName = (typeof STATES)[number];

// Columns follow STATES; "=" means no state change.
const TABLE: Record<`${Direction} ${SubscriptionType}`, string[]> = {
  // A.2.1 outbound subscribe
  'out subscribe': ['None + Pending Out', '=', 'None + Pending Out + Pending In', '=', '=', '=', 'From + Pending Out', '=', '='],
  // A.2.2 outbound unsubscribe
  'out unsubscribe': ['=', 'None', '=', 'None + Pending In', 'None', 'None + Pending In', '=', 'From', 'From'],
  // A.2.3 outbound subscribed
  'out subscribed': ['=', '=', 'From', 'From + Pending Out', '=', 'Both', '=', '=', '='],
  // A.2.4 outbound unsubscribed
  'out unsubscribed': ['=', '=', 'None', 'None + Pending Out', '=', 'To', 'None', 'None + Pending Out', 'To'],
  // A.3.1 inbound subscribe
  'in subscribe': ['None + Pending In', 'None + Pending Out + Pending In', '=', '=', 'To + Pending In', '=', '=', '=', '='],
  // A.3.2 inbound unsubscribe
  'in unsubscribe': ['=', '=', 'None', 'None + Pending Out', '=', 'To', 'None', 'None + Pending Out', 'To'],
  // A.3.3 inbound subscribed
  'in subscribed': ['=', 'To', '=', 'To + Pending In', '=', '=', '=', 'Both', '='],
  // A.3.4 inbound unsubscribed
  'in unsubscribed': ['=', 'None', '=', 'None + Pending In', 'None', 'None + Pending In', '=', 'From', 'From'],
};

export function stateName(s: SubState): StateName {
  const base = s.subscription[0]!.toUpperCase() + s.subscription.slice(1);
  let name = base;
  if (s.pendingOut && (s.subscription === 'none' || s.subscription === 'from')) name += ' + Pending Out';
  if (s.pendingIn && (s.subscription === 'none' || s.subscription === 'to')) name += ' + Pending In';
  return name as StateName;
}

export function parseState(name: string): SubState {
  if (!(STATES as readonly string[]).includes(name)) throw new Error(`unknown subscription state ${name}`);
  const [sub] = name.split(' + ');
  return {
    subscription: sub!.toLowerCase() as SubState['subscription'],
    pendingOut: name.includes('Pending Out'),
    pendingIn: name.includes('Pending In'),
  };
}

export interface Transition {
  state: SubState;
  changed: boolean;
}

export function transition(state: SubState, direction: Direction, type: SubscriptionType): Transition {
  const column = STATES.indexOf(stateName(state));
  const next = TABLE[`${direction} ${type}`][column]!;
  if (next === '=') return { state, changed: false };
  return { state: parseState(next), changed: true };
}
