// Public rooms: the room services of our server (XEP-0030 disco#items on the server, the items
// whose disco#info has a `conference` identity, XEP-0045 §6.1), their rooms (disco#items on the
// service, §6.3), and for each a name, description and occupant count from its disco#info with
// the muc#roominfo form (§6.4, XEP-0128) — asked for the first rooms only, to stay cheap.
import type { Agent } from 'stanza';
import type { DiscoInfoResult } from 'stanza/protocol/index.js';
import { domainOf } from '../protocol/jid.js';

export interface PublicRoom {
  jid: string;
  name: string;
  description?: string;
  occupants?: number;
  subject?: string;
}

/** Rooms whose details are asked for; the rest show by name alone. */
export const DETAILED = 30;

export function roomInfoOf(info: DiscoInfoResult): Pick<PublicRoom, 'description' | 'occupants' | 'subject'> & { name?: string; changeSubject?: boolean } {
  const form = info.extensions?.find((f) => f.fields?.some((x) => x.name === 'FORM_TYPE' && x.value === 'http://jabber.org/protocol/muc#roominfo'));
  const value = (name: string) => {
    const v = form?.fields?.find((x) => x.name === name)?.value;
    return v === undefined || v === null ? undefined : String(v);
  };
  const n = Number(value('muc#roominfo_occupants'));
  const name = info.identities?.find((i) => i.category === 'conference')?.name;
  const description = value('muc#roominfo_description');
  const subject = value('muc#roominfo_subject');
  const cs = value('muc#roominfo_changesubject');
  return {
    ...(name ? { name } : {}), ...(description ? { description } : {}), ...(subject ? { subject } : {}),
    ...(Number.isFinite(n) && value('muc#roominfo_occupants') !== undefined ? { occupants: n } : {}),
    ...(cs !== undefined ? { changeSubject: cs === '1' || cs === 'true' } : {}),
  };
}

/** The conference services listed by our server. */
export async function roomServices(client: Agent): Promise<string[]> {
  const items = await client.getDiscoItems(domainOf(client.jid));
  const found: string[] = [];
  await Promise.all((items.items ?? []).map(async (it) => {
    if (!it.jid) return;
    const info = await client.getDiscoInfo(String(it.jid)).catch(() => undefined);
    if (info?.identities?.some((i) => i.category === 'conference')) found.push(String(it.jid));
  }));
  return found.sort();
}

export async function publicRooms(client: Agent, service: string): Promise<PublicRoom[]> {
  const items = await client.getDiscoItems(service);
  const rooms: PublicRoom[] = (items.items ?? []).filter((i) => i.jid).map((i) => ({ jid: String(i.jid), name: i.name || String(i.jid).split('@')[0]! }));
  rooms.sort((a, b) => a.name.localeCompare(b.name));
  await Promise.all(rooms.slice(0, DETAILED).map(async (r) => {
    const info = await client.getDiscoInfo(r.jid).catch(() => undefined);
    if (!info) return;
    const { changeSubject: _c, ...details } = roomInfoOf(info);
    Object.assign(r, details);
  }));
  return rooms;
}
