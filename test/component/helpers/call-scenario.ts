// Shared steps of the group call tests: users join a room, then its call, then media is counted.
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { CallParticipant, WrtcPeer, type PeerAdapter } from './call-participant.js';
import { User, statusCodes, xml } from './user.js';

export async function joinRoom(u: User, room: string, nick: string): Promise<void> {
  const self = u.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/${nick}` && statusCodes(el).includes('110'), 5000, `join ${nick}`);
  await u.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
  await self;
}

export async function joinCall(u: User, room: string, seed: number | PeerAdapter): Promise<CallParticipant> {
  const p = new CallParticipant(u, room, typeof seed === 'number' ? new WrtcPeer(seed) : seed);
  const res: Element = await p.start();
  assert.equal(res.attrs.type, 'result', `session-initiate refused: ${res.toString()}`);
  return p;
}

export async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out: ${what}`);
}

/** Wait until p receives RTP from every listed owner, audio and video, above `min` packets each. */
export async function receivesFrom(p: CallParticipant, owners: string[], min = 20): Promise<Map<string, number>> {
  let last = new Map<string, number>();
  await until(`${p.user.jid} receiving from ${owners.join(', ')}`, async () => {
    last = await p.packetsBySource();
    return owners.every((o) => (last.get(`${o} audio`) ?? 0) >= min && (last.get(`${o} video`) ?? 0) >= min);
  }).catch((e: Error) => { throw new Error(`${e.message}; counts: ${JSON.stringify([...last])}; events: ${p.events.join(',')}`); });
  return last;
}
