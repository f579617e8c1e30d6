// The call component on Prosody (Debian) over XEP-0114: a room join and a call between two
// libwebrtc participants whose media goes through the room's forwarding unit.
import assert from 'node:assert/strict';
import { startCallComponent } from '../../component/index.js';
import { startProsody, type Prosody } from '../support/prosody.js';
import { freePortRange } from '../support/ports.js';

const CALL = { domain: 'call.localhost', secret: 'secret' };
import { User } from './helpers/user.js';
import type { CallParticipant } from './helpers/call-participant.js';
import { joinCall, joinRoom, receivesFrom } from './helpers/call-scenario.js';

describe('group call through the component on Prosody', function () {
  this.timeout(40000);
  let prosody: Prosody;
  let component: { stop(): Promise<void> };
  const users: User[] = [];
  const parts: CallParticipant[] = [];

  before(async () => {
    prosody = await startProsody({ component: CALL });
    prosody.register('alice', 'pw');
    prosody.register('bob', 'pw');
    component = await startCallComponent({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`, domain: CALL.domain, secret: CALL.secret,
      media: { bindAddress: '127.0.0.1', ...(await freePortRange(100)) }, log: process.env.CALL_DEBUG ? { debug: console.log, info: console.log, warn: console.log, error: console.log } : undefined,
    });
    users.push(await User.connect(prosody.c2sPort, prosody.domain, 'alice', 'pw'));
    users.push(await User.connect(prosody.c2sPort, prosody.domain, 'bob', 'pw'));
  });
  after(async () => {
    for (const p of parts) p.close();
    for (const u of users) await u.stop();
    await component?.stop();
    await prosody?.stop();
  });

  it('two participants join the room and its call, and each receives the other\'s audio and video', async () => {
    const room = `standup@${CALL.domain}`;
    await joinRoom(users[0], room, 'Alice');
    await joinRoom(users[1], room, 'Bob');
    parts.push(await joinCall(users[0], room, 1));
    const { CallParticipant, WrtcPeer } = await import('./helpers/call-participant.js');
    const bob = new CallParticipant(users[1], room, new WrtcPeer(2));
    bob.trickle = true; // candidates in transport-info right behind session-initiate
    parts.push(bob);
    assert.equal((await bob.start()).attrs.type, 'result');
    const t0 = Date.now();
    await receivesFrom(parts[0], [`${room}/Bob`]);
    await receivesFrom(parts[1], [`${room}/Alice`]);
    assert.ok(parts.every((p) => p.events[0] === 'session-accept'));
    assert.ok(!bob.events.some((e) => e.startsWith('transport-info refused')), bob.events.join(','));
    console.log(`      media both ways after ${Date.now() - t0} ms`);
  });
});
