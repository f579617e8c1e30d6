// Shared steps of the group call tests: users join a room, then its call, then media is counted.
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { CallParticipant, WrtcPeer, type PeerAdapter } from './call-participant.js';
import { until } from '../../support/until.js';
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

/** Wait until p receives RTP from every listed owner, audio and video, above `min` packets each. */
export async function receivesFrom(p: CallParticipant, owners: string[], min = 20, timeoutMs?: number): Promise<Map<string, number>> {
  let last = new Map<string, number>();
  await until(async () => {
    last = await p.packetsBySource();
    return owners.every((o) => (last.get(`${o} audio`) ?? 0) >= min && (last.get(`${o} video`) ?? 0) >= min);
  }, () => `${p.user.jid} receiving from ${owners.join(', ')}; counts: ${JSON.stringify([...last])}; events: ${p.events.join(',')}`, timeoutMs);
  return last;
}
