// Browsers through the room's forwarding unit: two headless Chromium participants (fake camera and
// microphone) and one libwebrtc participant in one call on Carillon; every browser decodes the
// video of the two others.
import assert from 'node:assert/strict';
import { startCallHost, type CallHost } from './helpers/call-host.js';
import { User } from './helpers/user.js';
import type { CallParticipant } from './helpers/call-participant.js';
import { ChromiumPeer, launchChromium, type ChromiumHost } from './helpers/chromium-peer.js';
import { until } from '../support/until.js';
import { joinCall, joinRoom, receivesFrom } from './helpers/call-scenario.js';

describe('group call with Chromium participants', function () {
  // generous: on a loaded machine (load 40 on 2 cores) the three-way call took 61 s to come up
  this.timeout(240000);
  let host: CallHost;
  let chrome: ChromiumHost;
  const users: Record<string, User> = {};
  const parts: Record<string, CallParticipant> = {};
  const room = 'browsers@call.localhost';

  before(async () => {
    host = await startCallHost({ users: ['alice', 'bob', 'carol'] });
    Object.assign(users, host.users);
    chrome = await launchChromium();
  });
  after(async () => {
    for (const p of Object.values(parts)) p.close();
    await chrome?.close();
    await host?.stop();
  });

  it('two browsers and a libwebrtc client: everyone receives the two others, browsers decode their video', async () => {
    const t0 = Date.now();
    await joinRoom(users.alice, room, 'Alice');
    await joinRoom(users.bob, room, 'Bob');
    await joinRoom(users.carol, room, 'Carol');
    parts.alice = await joinCall(users.alice, room, await ChromiumPeer.open(chrome));
    parts.bob = await joinCall(users.bob, room, await ChromiumPeer.open(chrome));
    parts.carol = await joinCall(users.carol, room, 3);
    const j = (n: string) => `${room}/${n}`;
    await Promise.all([
      receivesFrom(parts.alice, [j('Bob'), j('Carol')]),
      receivesFrom(parts.bob, [j('Alice'), j('Carol')]),
      receivesFrom(parts.carol, [j('Alice'), j('Bob')]),
    ]);
    for (const p of [parts.alice, parts.bob]) {
      const peer = p.peer as ChromiumPeer;
      const videoSsrcs = [...p.received.values()].filter((r) => r.kind === 'video').map((r) => r.ssrc);
      assert.equal(videoSsrcs.length, 2);
      await until(async () => {
        const frames = await peer.framesDecoded();
        return videoSsrcs.every((s) => (frames[s] ?? 0) > 10);
      }, 'frames decoded from both others');
    }
    console.log(`      three-way call with two browsers up in ${Date.now() - t0} ms`);
  });
});
