// Integration: participants who send session-initiate together into a call that already has
// participants. Each newcomer's session-accept, the content-adds that carry its sources to the
// others and the content-adds that carry the others' (and the other newcomer's) sources to it
// cross each other; every participant must still receive every other one's audio and video,
// counted in RTP packets at the receiver. Repeated, each round with new sessions.
import assert from 'node:assert/strict';
import { startCallHost, type CallHost } from './helpers/call-host.js';
import { CallParticipant, WrtcPeer } from './helpers/call-participant.js';
import { joinRoom, receivesFrom } from './helpers/call-scenario.js';
import { until } from '../support/until.js';

const ROUNDS = 5;

describe('group call: joining at the same moment', function () {
  this.timeout(240000);
  let host: CallHost;
  const room = 'race@call.localhost';
  const names = ['alice', 'bob', 'carol', 'dave'];
  const jidOf = (nick: string) => `${room}/${nick}`;
  const open: CallParticipant[] = [];

  before(async () => {
    host = await startCallHost({ users: names, media: { inactivityTimeoutMs: 5000 } });
    for (const n of names) await joinRoom(host.users[n]!, room, n);
  });
  after(async () => {
    for (const p of open) p.close();
    await host?.stop();
  });

  it(`three who initiate together beside one already in the call all receive everyone (${ROUNDS} rounds)`, async () => {
    let seed = 1;
    const start = (n: string, trickle: boolean): CallParticipant => {
      const p = new CallParticipant(host.users[n]!, room, new WrtcPeer(seed++));
      p.trickle = trickle;
      open.push(p);
      return p;
    };
    const first = await start('alice', false);
    assert.equal((await first.start()).attrs.type, 'result');
    for (let round = 0; round < ROUNDS; round++) {
      // one of the three puts its candidates in session-initiate, the others trickle them (as browsers do)
      const joiners = ['bob', 'carol', 'dave'].map((n, i) => start(n, i !== 1));
      // started together: each sends session-initiate once its offer is made, none waits for another's answer
      const replies = await Promise.all(joiners.map((p) => p.start()));
      for (const r of replies) assert.equal(r.attrs.type, 'result', r.toString());
      const everyone: Array<[string, CallParticipant]> = [['alice', first], ...joiners.map((p, i) => [['bob', 'carol', 'dave'][i]!, p] as [string, CallParticipant])];
      for (const [n, p] of everyone) {
        await receivesFrom(p, everyone.filter(([m]) => m !== n).map(([m]) => jidOf(m)), 20, 60000);
      }
      // the joiners leave again; alice sees their sources removed before the next round
      for (const p of joiners) await p.terminate();
      for (const p of joiners) p.close();
      await until(() => [...first.received.values()].every((s) => s.removed), () => `round ${round}: alice still has ${JSON.stringify([...first.received.values()].filter((s) => !s.removed))}`);
    }
  });
});
