// A room call on each of two data-plane workers: two rooms, each with a headless Chromium and a
// libwebrtc participant, placed by the worker router on different worker threads; everyone
// receives everyone in its room and the browsers decode both others' video. Then one worker is
// ended as a crash would end it: its room's participants get session-terminate (media-error),
// the other room's media goes on, and the component keeps serving.
import assert from 'node:assert/strict';
import { startCallHost, type CallHost } from './helpers/call-host.js';
import type { User } from './helpers/user.js';
import { xml } from './helpers/user.js';
import type { CallParticipant } from './helpers/call-participant.js';
import { ChromiumPeer, launchChromium, type ChromiumHost } from './helpers/chromium-peer.js';
import { until } from '../support/until.js';
import { joinCall, joinRoom, receivesFrom } from './helpers/call-scenario.js';
import { WorkerRouter } from '../../component/media/worker-router.js';

describe('room calls on two data-plane workers', function () {
  this.timeout(240000);
  let host: CallHost;
  let chrome: ChromiumHost;
  let router: WorkerRouter;
  const users: Record<string, User> = {};
  const parts: Record<string, CallParticipant> = {};
  const east = 'east@call.localhost';
  const west = 'west@call.localhost';
  const rooms = { [east]: ['alice', 'carol'], [west]: ['bob', 'dave'] };
  const nick = (u: string) => u[0].toUpperCase() + u.slice(1);
  const occupant = (room: string, u: string) => `${room}/${nick(u)}`;

  before(async () => {
    host = await startCallHost({ users: Object.values(rooms).flat(), media: { workers: 2 } });
    Object.assign(users, host.users);
    assert.ok(host.component.router instanceof WorkerRouter, 'the worker router is the default');
    router = host.component.router;
    chrome = await launchChromium();
  });
  after(async () => {
    for (const p of Object.values(parts)) p.close();
    await chrome?.close();
    await host?.stop();
  });

  it('two rooms on two workers: everyone receives everyone in its room, the browsers decode the video', async () => {
    for (const [room, members] of Object.entries(rooms)) for (const u of members) await joinRoom(users[u], room, nick(u));
    // One browser and one libwebrtc peer per room, the rooms' first participants joining first so
    // that placement (least loaded) sends the second room to the other worker.
    parts.alice = await joinCall(users.alice, east, await ChromiumPeer.open(chrome));
    parts.bob = await joinCall(users.bob, west, await ChromiumPeer.open(chrome));
    parts.carol = await joinCall(users.carol, east, 1);
    parts.dave = await joinCall(users.dave, west, 2);
    const eastWorker = router.workerOf(east);
    const westWorker = router.workerOf(west);
    assert.ok(eastWorker !== undefined && westWorker !== undefined && eastWorker !== westWorker, `rooms on workers ${eastWorker} and ${westWorker}`);
    assert.deepEqual(router.workers().map((w) => w.peers).sort(), [2, 2]);
    await Promise.all(Object.entries(rooms).flatMap(([room, members]) => members.map((u) =>
      // Four peers, two of them browsers, on two shared cores: a generous deadline (no timing is measured).
      receivesFrom(parts[u], members.filter((o) => o !== u).map((o) => occupant(room, o)), 20, 90000))));
    for (const u of ['alice', 'bob']) {
      const p = parts[u];
      const videoSsrcs = [...p.received.values()].filter((r) => r.kind === 'video' && !r.removed).map((r) => r.ssrc);
      assert.equal(videoSsrcs.length, 1);
      await until(async () => {
        const frames = await (p.peer as ChromiumPeer).framesDecoded();
        return videoSsrcs.every((s) => (frames[s] ?? 0) > 10);
      }, `${u}'s browser decoding the other's video`, 60000);
    }
  });

  it('a worker that ends takes only its room\'s calls: they end with media-error, the other room goes on', async () => {
    const eastWorker = router.workerOf(east)!;
    const ended = rooms[east].map((u) => users[u].waitFor((el) => el.getChild('jingle')?.attrs.action === 'session-terminate'
      && el.getChild('jingle')?.attrs.sid === parts[u].sid, 30000, `session-terminate for ${u}`));
    const before = await parts.dave.packetsBySource();
    await router.terminateWorker(eastWorker);
    for (const el of await Promise.all(ended)) {
      assert.equal(el.getChild('jingle')!.getChild('reason')?.getChildElements()[0]?.name, 'media-error', el.toString());
    }
    const bobVideo = (m: Map<string, number>) => m.get(`${occupant(west, 'bob')} video`) ?? 0;
    let after = before;
    await until(async () => bobVideo((after = await parts.dave.packetsBySource())) >= bobVideo(before) + 50, () => `west's media to go on: ${JSON.stringify([...after])}`, 60000);
    assert.equal(host.component.stats().participants, 2, 'the west call is whole, the east call is over');
    assert.equal(router.workers().find((w) => w.index === eastWorker)?.peers, 0, 'a fresh worker in the ended one\'s place');
    const ping = await users.alice.iq('get', 'call.localhost', xml('ping', { xmlns: 'urn:xmpp:ping' }));
    assert.equal(ping.attrs.type, 'result');
    // The east room can start a call again, on a live worker.
    parts.alice.close();
    parts.alice = await joinCall(users.alice, east, 7);
    parts.carol.close();
    parts.carol = await joinCall(users.carol, east, 8);
    await receivesFrom(parts.carol, [occupant(east, 'alice')], 20, 60000);
    assert.notEqual(router.workerOf(east), undefined);
  });
});
