// Integration: the call component attached to Carillon's component port (XEP-0114), three
// libwebrtc participants in one room's call. Each sends its own audio and video and must receive
// the other two's RTP, counted per source (labelled by occupant JID); when one leaves, the others
// get content-remove for exactly that participant's sources and its media stops.
import assert from 'node:assert/strict';
import { startCallHost, type CallHost } from './helpers/call-host.js';
import { User, xml } from './helpers/user.js';
import type { CallParticipant } from './helpers/call-participant.js';
import { until } from '../support/until.js';
import { joinCall, joinRoom, receivesFrom } from './helpers/call-scenario.js';

const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const JINGLE_ERRORS = 'urn:xmpp:jingle:errors:1';

describe('group call through the component on Carillon', function () {
  this.timeout(60000);
  let host: CallHost;
  const users: Record<string, User> = {};
  const parts: Record<string, CallParticipant> = {};
  const room = 'team@call.localhost';
  const jidOf = (nick: string) => `${room}/${nick}`;

  before(async () => {
    host = await startCallHost({
      users: ['alice', 'bob', 'carol', 'dave'],
      media: { inactivityTimeoutMs: 3000 },
      component: { maxParticipants: 3 },
    });
    Object.assign(users, host.users);
  });
  after(async () => {
    for (const p of Object.values(parts)) p.close();
    await host?.stop();
  });

  it('refuses a Jingle request from someone who is not in the room', async () => {
    await joinRoom(users.alice, room, 'Alice');
    const res = await users.dave.iq('set', room, xml('jingle', { xmlns: 'urn:xmpp:jingle:1', action: 'session-initiate', sid: 'x1' }));
    assert.equal(res.attrs.type, 'error');
    assert.ok(res.getChild('error')!.getChild('forbidden', STANZAS));
  });

  it('answers malformed Jingle with bad-request, and unknown sessions with item-not-found + unknown-session (XEP-0166 §10)', async () => {
    const noSid = await users.alice.iq('set', room, xml('jingle', { xmlns: 'urn:xmpp:jingle:1', action: 'session-initiate' }));
    assert.ok(noSid.getChild('error')!.getChild('bad-request', STANZAS), noSid.toString());
    const noContents = await users.alice.iq('set', room, xml('jingle', { xmlns: 'urn:xmpp:jingle:1', action: 'session-initiate', sid: 'e1' }));
    assert.ok(noContents.getChild('error')!.getChild('bad-request', STANZAS), noContents.toString());
    const garbage = await users.alice.iq('set', room, xml('jingle', { xmlns: 'urn:xmpp:jingle:1', action: 'session-initiate', sid: 'e2' },
      xml('content', { creator: 'initiator', name: 'a' }, xml('description', { xmlns: 'urn:xmpp:jingle:apps:rtp:1', media: 'audio' },
        xml('payload-type', { id: 'not-a-number', name: 'opus' })))));
    assert.equal(garbage.attrs.type, 'error', 'no DTLS fingerprint and no transport: refused');
    const unknown = await users.alice.iq('set', room, xml('jingle', { xmlns: 'urn:xmpp:jingle:1', action: 'transport-info', sid: 'nope' }));
    const err = unknown.getChild('error')!;
    assert.ok(err.getChild('item-not-found', STANZAS));
    assert.ok(err.getChild('unknown-session', JINGLE_ERRORS));
    // The component is still serving.
    const ping = await users.alice.iq('get', 'call.localhost', xml('ping', { xmlns: 'urn:xmpp:ping' }));
    assert.equal(ping.attrs.type, 'result');
  });

  it('survives hostile Jingle: every malformed request gets its error, and the service keeps answering', async () => {
    const J = 'urn:xmpp:jingle:1';
    // XEP-0166 §10: malformed requests are bad-request; a request for a session that does not
    // exist is item-not-found with <unknown-session/>, whatever its action. The second is well-formed
    // Jingle the media stack cannot use (no codec, a fingerprint that is not one): acknowledged, then
    // ended with session-terminate (XEP-0166 §6.3.2 responder rules), checked below.
    const expected = ['bad-request', 'result', 'item-not-found unknown-session', 'item-not-found unknown-session', 'bad-request', 'bad-request'];
    const f2Ended = users.alice.waitFor((el) => el.getChild('jingle')?.attrs.sid === 'f2', 15000, 'session-terminate for f2');
    const bad = [
      xml('jingle', { xmlns: J, action: 'session-initiate', sid: 'f1' }, xml('content', {})),
      xml('jingle', { xmlns: J, action: 'session-initiate', sid: 'f2' }, xml('content', { creator: 'initiator', name: 'a' },
        xml('description', { xmlns: 'urn:xmpp:jingle:apps:rtp:1', media: 'audio' }),
        xml('transport', { xmlns: 'urn:xmpp:jingle:transports:ice-udp:1', ufrag: 'u', pwd: 'p' },
          xml('fingerprint', { xmlns: 'urn:xmpp:jingle:apps:dtls:0', hash: 'sha-256', setup: 'actpass' }, 'zz')))),
      xml('jingle', { xmlns: J, action: 'no-such-action', sid: 'f3' }),
      xml('jingle', { xmlns: J, action: 'content-accept', sid: 'f4' }, xml('content', { name: '9', creator: 'responder' })),
      xml('jingle', { xmlns: J, action: 'session-initiate', sid: 'f5' }, xml('content', { creator: 'initiator', name: 'v' },
        xml('description', { xmlns: 'urn:xmpp:jingle:apps:rtp:1', media: 'video', ssrc: 'abc' }, xml('payload-type', { id: '96', name: 'VP8', clockrate: 'x' })),
        xml('transport', { xmlns: 'urn:xmpp:jingle:transports:ice-udp:1' }, xml('candidate', { port: '-1', ip: '::::', component: 'z' }),
          xml('fingerprint', { xmlns: 'urn:xmpp:jingle:apps:dtls:0', hash: 'md5' }, 'AA')))),
      xml('jingle', { xmlns: J }),
    ];
    const got: string[] = [];
    for (const payload of bad) {
      const res = await users.alice.iq('set', room, payload);
      const err = res.getChild('error');
      const conditions = (err?.getChildElements() ?? []).filter((c) => (c.attrs.xmlns === STANZAS && c.name !== 'text') || c.attrs.xmlns === JINGLE_ERRORS).map((c) => c.name);
      got.push(res.attrs.type === 'error' ? conditions.join(' ') : res.attrs.type);
    }
    assert.deepEqual(got, expected);
    const ended = (await f2Ended).getChild('jingle')!;
    assert.deepEqual([ended.attrs.action, ended.getChild('reason')?.getChildElements()[0]?.name], ['session-terminate', 'failed-application']);
    const ping = await users.alice.iq('get', 'call.localhost', xml('ping', { xmlns: 'urn:xmpp:ping' }));
    assert.equal(ping.attrs.type, 'result');
  });

  it('three participants each receive the other two\'s audio and video, labelled with their occupant JIDs', async () => {
    await joinRoom(users.bob, room, 'Bob');
    await joinRoom(users.carol, room, 'Carol');
    const t0 = Date.now();
    parts.alice = await joinCall(users.alice, room, 1);
    parts.bob = await joinCall(users.bob, room, 2);
    parts.carol = await joinCall(users.carol, room, 3);
    const counts = await Promise.all([
      receivesFrom(parts.alice, [jidOf('Bob'), jidOf('Carol')]),
      receivesFrom(parts.bob, [jidOf('Alice'), jidOf('Carol')]),
      receivesFrom(parts.carol, [jidOf('Alice'), jidOf('Bob')]),
    ]);
    console.log(`      all media flowing after ${Date.now() - t0} ms:`, counts.map((c) => Object.fromEntries(c)));
    const ports = Object.values(parts).flatMap((p) => p.remote.flatMap((c) => (c.transport as { candidates?: Array<{ port: number; ip: string }> }).candidates ?? []));
    assert.ok(ports.length > 0);
    assert.ok(ports.every((c) => c.port >= host.media.portMin && c.port <= host.media.portMax && c.ip === '127.0.0.1'), `media ports in the configured range: ${JSON.stringify(ports)}`);
    for (const [nick, p] of [['Alice', parts.alice], ['Bob', parts.bob], ['Carol', parts.carol]] as const) {
      const owners = new Set([...p.received.values()].map((r) => r.owner));
      assert.ok(!owners.has(jidOf(nick)), `${nick} does not get its own media back`);
      assert.equal(owners.size, 2);
    }
  });

  it('forwards each packet once, however often a session was renegotiated (content-add per newcomer)', async () => {
    // Alice's session got a content-add for Bob and one for Carol. werift fires onTrack again on each
    // renegotiation; a data plane that subscribed each time would send every packet two or three times.
    // Receivers' libwebrtc drops such copies silently, so count at the data plane: in a call of three,
    // every packet in goes out to the two others — never more (one room lives on one worker, so
    // one stats() answer is one instant).
    const stats = (await host.component.router.stats()).filter((p) => p.roomId === room);
    assert.equal(stats.length, 3);
    const packetsIn = stats.reduce((n, p) => n + p.packetsIn, 0);
    const forwarded = stats.reduce((n, p) => n + p.packetsForwarded, 0);
    assert.ok(packetsIn > 0 && forwarded > 0, `media flows: ${packetsIn} in, ${forwarded} forwarded`);
    assert.ok(forwarded <= 2 * packetsIn, `${forwarded} packets forwarded for ${packetsIn} received: copies forwarded`);
  });

  it('a fourth participant is refused while the call is full', async () => {
    await joinRoom(users.dave, room, 'Dave');
    const { CallParticipant, WrtcPeer } = await import('./helpers/call-participant.js');
    const p = new CallParticipant(users.dave, room, new WrtcPeer(4));
    parts.dave = p;
    const res = await p.start();
    assert.equal(res.attrs.type, 'error');
    assert.ok(res.getChild('error')!.getChild('resource-constraint', STANZAS), res.toString());
  });

  it('when one leaves the room, the others get content-remove for its sources and its media stops', async () => {
    const carolMids = (p: CallParticipant) => [...p.received.values()].filter((r) => r.owner === jidOf('Carol'));
    await users.carol.send(xml('presence', { to: jidOf('Carol'), type: 'unavailable' }));
    await until(() => [parts.alice, parts.bob].every((p) => carolMids(p).length === 2 && carolMids(p).every((r) => r.removed)), 'content-remove at alice and bob');
    for (const p of [parts.alice, parts.bob]) {
      assert.ok([...p.received.values()].filter((r) => r.owner !== jidOf('Carol')).every((r) => !r.removed), 'other sources stay');
    }
    await until(() => parts.carol.terminated !== undefined, 'carol\'s session ended');
    // While Bob's video goes on (50 more packets, over a second at its rate), none comes from Carol.
    const before = await parts.alice.packetsBySource();
    const bobVideo = (m: Map<string, number>) => m.get(`${jidOf('Bob')} video`) ?? 0;
    let after = before;
    await until(async () => bobVideo((after = await parts.alice.packetsBySource())) >= bobVideo(before) + 50, () => `Bob's video to go on: ${JSON.stringify([...after])}`);
    assert.equal(after.get(`${jidOf('Carol')} video`), before.get(`${jidOf('Carol')} video`), 'no more video from Carol');
  });

  it('a newcomer after a departure is added to the remaining sessions', async () => {
    parts.dave.close();
    const { CallParticipant, WrtcPeer } = await import('./helpers/call-participant.js');
    parts.dave = new CallParticipant(users.dave, room, new WrtcPeer(4));
    const adds = (p: CallParticipant): number => p.events.filter((a) => a === 'content-add').length;
    const before = [adds(parts.alice), adds(parts.bob)];
    const res = await parts.dave.start();
    assert.equal(res.attrs.type, 'result');
    await Promise.all([
      receivesFrom(parts.dave, [jidOf('Alice'), jidOf('Bob')]),
      receivesFrom(parts.alice, [jidOf('Bob'), jidOf('Dave')]),
      receivesFrom(parts.bob, [jidOf('Alice'), jidOf('Dave')]),
    ]);
    // Dave's audio and video reached each of the others in one content-add, not one per source.
    for (const [i, p] of [parts.alice, parts.bob].entries()) {
      await p.applied();
      assert.equal(adds(p) - before[i], 1, `${p.user.jid}'s Jingle requests: ${p.events.join(',')}`);
      assert.deepEqual([...p.received.values()].filter((r) => r.owner === jidOf('Dave')).map((r) => r.kind).sort(), ['audio', 'video']);
    }
  });

  it('mute/unmute (XEP-0167 §7) is relayed to those receiving the source, named by their own content', async () => {
    const audioMid = parts.alice.peer.audioMid()!;
    const seen = users.bob.waitFor((el) => !!el.getChild('jingle')?.getChild('mute', 'urn:xmpp:jingle:apps:rtp:info:1'));
    const res = await users.alice.iq('set', room, xml('jingle', { xmlns: 'urn:xmpp:jingle:1', action: 'session-info', sid: parts.alice.sid },
      xml('mute', { xmlns: 'urn:xmpp:jingle:apps:rtp:info:1', creator: 'initiator', name: audioMid })));
    assert.equal(res.attrs.type, 'result');
    const mute = (await seen).getChild('jingle')!.getChild('mute')!;
    const src = parts.bob.received.get(mute.attrs.name as string);
    assert.deepEqual([src?.owner, src?.kind, mute.attrs.creator], [jidOf('Alice'), 'audio', 'responder']);
  });

  it('a participant that vanishes (connection closed without a word) is removed and the others are updated', async () => {
    const daveSources = (p: CallParticipant) => [...p.received.values()].filter((r) => r.owner === jidOf('Dave'));
    const t0 = Date.now();
    parts.dave.close();
    await until(() => [parts.alice, parts.bob].every((p) => daveSources(p).length === 2 && daveSources(p).every((r) => r.removed)), 'content-remove for Dave', 20000);
    console.log(`      removed ${Date.now() - t0} ms after its connection closed`);
  });

  it('a participant that refuses added content (content-reject) keeps its session and is not offered it again', async () => {
    const { CallParticipant, WrtcPeer } = await import('./helpers/call-participant.js');
    parts.dave = new CallParticipant(users.dave, room, new WrtcPeer(5));
    parts.dave.rejectAdds = true;
    assert.equal((await parts.dave.start()).attrs.type, 'result');
    await Promise.all([
      receivesFrom(parts.alice, [jidOf('Bob'), jidOf('Dave')]),
      receivesFrom(parts.bob, [jidOf('Alice'), jidOf('Dave')]),
    ]);
    // Dave is offered the others' sources and refuses (its content-reject answered); a ping to the
    // component after that returns once the component has taken the refusal in.
    await users.dave.waitFor((el) => el.getChild('jingle')?.attrs.action === 'content-add' && el.getChild('jingle')?.attrs.sid === parts.dave.sid, 15000, 'a content-add for Dave');
    await parts.dave.applied();
    assert.equal((await users.dave.iq('get', 'call.localhost', xml('ping', { xmlns: 'urn:xmpp:ping' }))).attrs.type, 'result');
    await parts.dave.applied();
    const adds = parts.dave.events.filter((e) => e === 'content-add').length;
    assert.ok(adds >= 1, 'offered once');
    assert.ok(adds <= 2, `not offered again and again (${adds} content-adds)`);
    assert.equal(parts.dave.terminated, undefined);
    assert.ok(!parts.dave.events.some((e) => e.startsWith('error')), parts.dave.events.join(','));
  });
});
