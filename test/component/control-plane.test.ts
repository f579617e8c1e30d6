// The call control plane (component/calls/) on its own: the room service and its calls with a
// MediaRouter that has no media (helpers/fake-media.ts). Participants are scripted Jingle clients
// that acknowledge every request and answer content-add with content-accept (XEP-0166 §6.2, §7);
// what the room sends them and what it asks of the data plane are checked in order.
import assert from 'node:assert/strict';
import type { Jingle } from '../../component/calls/jingle.js';
import { sdpToJingle } from '../../xmpp/jingle-sdp/index.js';
import type { Element } from '../../xmpp/xml.js';
import { participantLines, sdpOf } from './helpers/fake-media.js';
import { Harness, J, ROOM, turn, type Client } from './helpers/call-harness.js';
const owners = (el: Element): string[] => el.getChild('jingle', J)!.getChildren('content')
  .map((c) => c.getChild('description')?.getChild('source')?.getChild('ssrc-info')?.attrs.owner as string);
const addsTo = (h: Harness, c: Client): Element[] => h.sent.filter((el) => el.attrs.to === c.jid && el.getChild('jingle', J)?.attrs.action === 'content-add');
const names = (el: Element): string[] => el.getChild('jingle', J)!.getChildren('content').map((c) => c.attrs.name as string);
const reason = (el: Element): string | undefined => el.getChild('jingle', J)?.getChild('reason')?.getChildElements()[0]?.name;

describe('call control plane against a fake MediaRouter', () => {
  it('joins: session-accept from the data plane\'s answer, then each one\'s sources are added to the other with content-add and forwarded once accepted', async () => {
    const h = new Harness();
    const alice = await h.enter('alice', 'Alice');
    const bob = await h.enter('bob', 'Bob');
    const accept = await h.initiate(alice);
    const a = h.peerOf(alice);
    assert.deepEqual(h.router.calls.slice(0, 2), [`createPeer ${a} ${ROOM}`, `answer ${a}`]);
    const cands = accept.getChild('jingle', J)!.getChildren('content').flatMap((c) => c.getChild('transport')?.getChildren('candidate') ?? []);
    assert.ok(cands.length > 0 && cands.every((k) => k.attrs.ip === '127.0.0.1'), 'candidates from the answer');
    h.sources(alice);
    await h.initiate(bob);
    const b = h.peerOf(bob);
    const add = h.sent.find((el) => el.attrs.to === bob.jid && el.getChild('jingle', J)?.attrs.action === 'content-add')!;
    assert.ok(add, 'Alice\'s sources offered to Bob as soon as his session is up');
    assert.deepEqual(owners(add), [`${ROOM}/Alice`, `${ROOM}/Alice`], 'labelled with the owner\'s occupant JID');
    await h.router.when(() => h.router.forwardsTo(b).size === 2);
    assert.deepEqual([...h.router.forwardsTo(b)].sort(), names(add).map((n, i) => [n, `${a}/${i}`]).sort());
    // Bob's own sources now go to Alice the same way.
    h.sources(bob);
    await h.router.when(() => h.router.forwardsTo(a).size === 2);
    // The audio arrives first and is offered at once; the video follows in a second content-add.
    assert.deepEqual(addsTo(h, alice).flatMap(owners), [`${ROOM}/Bob`, `${ROOM}/Bob`]);
    assert.deepEqual([...h.router.forwardsTo(a).values()].sort(), [`${b}/0`, `${b}/1`]);
    assert.ok(h.router.calls.includes(`offerSenders ${b} audio,video`));
  });

  it('leaves: session-terminate closes the peer first, then the others get content-remove for exactly its contents', async () => {
    const h = new Harness();
    const [alice, bob, carol] = [await h.enter('alice', 'Alice'), await h.enter('bob', 'Bob'), await h.enter('carol', 'Carol')];
    for (const c of [alice, bob, carol]) { await h.initiate(c); h.sources(c); }
    const c = h.peerOf(carol);
    await h.router.when(() => [alice, bob].every((q) => h.router.forwardsTo(h.peerOf(q)).size === 4));
    const removed = [alice, bob].map((q) => h.jingleTo(q, 'content-remove'));
    const res = await h.request(carol, { action: 'session-terminate', sid: carol.sid, reason: { condition: 'success' } } as Jingle);
    assert.equal(res.attrs.type, 'result');
    for (const [i, q] of [alice, bob].entries()) {
      const el = await removed[i];
      const carolMids = addsTo(h, q).flatMap((add) => names(add).filter((_, k) => owners(add)[k] === `${ROOM}/Carol`));
      assert.equal(carolMids.length, 2);
      assert.deepEqual(names(el).sort(), carolMids.sort());
      assert.equal(reason(el), 'gone');
    }
    const closedAt = h.router.calls.indexOf(`closePeer ${c}`);
    assert.ok(closedAt >= 0);
    assert.ok(![alice, bob].some((q) => [...h.router.forwardsTo(h.peerOf(q)).values()].some((s) => s.startsWith(`${c}/`))), 'nothing of Carol forwarded');
  });

  it('renegotiation: a source that appears during a content-add is offered in the next one; a content-reject is not offered again', async () => {
    const h = new Harness();
    const [alice, bob] = [await h.enter('alice', 'Alice'), await h.enter('bob', 'Bob')];
    await h.initiate(alice);
    await h.initiate(bob);
    const a = h.peerOf(alice);
    const first = h.jingleTo(bob, 'content-add');
    h.router.emit({ type: 'source', peerId: a, kind: 'audio', mid: '0' });
    // The video appears while Bob is still answering the first content-add.
    h.router.emit({ type: 'source', peerId: a, kind: 'video', mid: '1' });
    assert.deepEqual(names(await first).length, 1);
    const second = await h.jingleTo(bob, 'content-add');
    assert.equal(names(second).length, 1);
    await h.router.when(() => h.router.forwardsTo(h.peerOf(bob)).size === 2);
    assert.equal(h.router.calls.filter((c) => c === `applyAnswer ${h.peerOf(bob)}`).length, 2);
    // Carol refuses what is added: her session stays and she is not asked again for the same sources.
    const carol = await h.enter('carol', 'Carol');
    carol.reject = true;
    await h.initiate(carol);
    await h.router.when(() => h.router.calls.includes(`applyAnswer ${h.peerOf(carol)}`));
    const adds = () => h.sent.filter((el) => el.attrs.to === carol.jid && el.getChild('jingle', J)?.attrs.action === 'content-add').length;
    assert.equal(adds(), 1);
    // A new source of Bob's is offered to her (it is not one she refused); Alice's are not offered again.
    h.sources(bob);
    await h.router.when(() => h.router.calls.filter((c) => c === `applyAnswer ${h.peerOf(carol)}`).length === 3);
    assert.deepEqual(addsTo(h, carol).slice(1).flatMap(owners), [`${ROOM}/Bob`, `${ROOM}/Bob`]);
    assert.equal(h.router.forwardsTo(h.peerOf(carol)).size, 0);
  });

  it('a source that goes away is removed from those who receive it, and only it', async () => {
    const h = new Harness();
    const [alice, bob] = [await h.enter('alice', 'Alice'), await h.enter('bob', 'Bob')];
    await h.initiate(alice);
    h.sources(alice);
    await h.initiate(bob);
    const b = h.peerOf(bob);
    await h.router.when(() => h.router.forwardsTo(b).size === 2);
    const videoMid = [...h.router.forwardsTo(b)].find(([, s]) => s.endsWith('/1'))![0];
    const removed = h.jingleTo(bob, 'content-remove');
    h.router.emit({ type: 'source-gone', peerId: h.peerOf(alice), mid: '1' });
    assert.deepEqual(names(await removed), [videoMid]);
    assert.ok(h.router.calls.includes(`unforward ${b}/${videoMid}`));
    assert.equal(h.router.forwardsTo(b).size, 1);
  });

  it('a participant whose peer fails gets session-terminate with the reason, and the others lose its sources', async () => {
    const h = new Harness();
    const [alice, bob, carol] = [await h.enter('alice', 'Alice'), await h.enter('bob', 'Bob'), await h.enter('carol', 'Carol')];
    for (const c of [alice, bob]) { await h.initiate(c); h.sources(c); }
    await h.router.when(() => h.router.forwardsTo(h.peerOf(alice)).size === 2 && h.router.forwardsTo(h.peerOf(bob)).size === 2);
    // Connectivity lost (ICE consent, DTLS, inactivity): connectivity-error (XEP-0166 §7.4).
    const ended = h.jingleTo(bob, 'session-terminate');
    const removed = h.jingleTo(alice, 'content-remove');
    h.router.emit({ type: 'peer-failed', peerId: h.peerOf(bob), reason: 'connectivity', text: 'no RTP or RTCP' });
    assert.equal(reason(await ended), 'connectivity-error');
    assert.equal(names(await removed).length, 2);
    // The data plane itself failed (a worker ended): media-error, with a text.
    const aliceEnded = h.jingleTo(alice, 'session-terminate');
    h.router.emit({ type: 'peer-failed', peerId: h.peerOf(alice), reason: 'media', text: 'the media worker stopped' });
    const el = await aliceEnded;
    assert.equal(reason(el), 'media-error');
    assert.match(el.getChild('jingle', J)!.getChild('reason')!.getChildText('text') ?? '', /media/);
    // A data plane that cannot answer the offer: the session is acknowledged, then failed-application.
    h.router.failNext.set('answer', 'no usable codec');
    const carolEnded = h.jingleTo(carol, 'session-terminate');
    const { contents, groups } = sdpToJingle(sdpOf(participantLines(), { ufrag: 'c', pwd: 'carol-password-long-enough', setup: 'actpass', port: 1 }), 'initiator');
    carol.own = contents;
    assert.equal((await h.request(carol, { action: 'session-initiate', sid: carol.sid, initiator: carol.jid, contents, groups } as Jingle)).attrs.type, 'result');
    assert.equal(reason(await carolEnded), 'failed-application');
    assert.equal(h.calls.stats.participants, 0);
  });

  it('the call cap: one more participant than maxParticipants is refused with resource-constraint, and no peer is made for it', async () => {
    const h = new Harness(2);
    const [alice, bob, carol] = [await h.enter('alice', 'Alice'), await h.enter('bob', 'Bob'), await h.enter('carol', 'Carol')];
    await h.initiate(alice);
    await h.initiate(bob);
    const { contents, groups } = sdpToJingle(sdpOf(participantLines(), { ufrag: 'c', pwd: 'carol-password-long-enough', setup: 'actpass', port: 1 }), 'initiator');
    const res = await h.request(carol, { action: 'session-initiate', sid: carol.sid, initiator: carol.jid, contents, groups } as Jingle);
    assert.equal(res.attrs.type, 'error');
    const err = res.getChild('error')!;
    assert.ok(err.getChild('resource-constraint', 'urn:ietf:params:xml:ns:xmpp-stanzas'), res.toString());
    assert.match(err.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '', /full \(2 participants\)/);
    assert.equal(h.router.calls.filter((c) => c.startsWith('createPeer')).length, 2);
  });

  it('trickled candidates right behind session-initiate reach the data plane after its peer exists', async () => {
    const h = new Harness();
    const alice = await h.enter('alice', 'Alice');
    const accepted = h.initiate(alice);
    const cand = { component: 1, foundation: '2', generation: 0, id: 'c1', ip: '127.0.0.1', network: 0, port: 50001, priority: 2130706430, protocol: 'udp', type: 'host' };
    const info = await h.request(alice, { action: 'transport-info', sid: alice.sid, contents: [{ creator: 'initiator', name: '0', transport: { transportType: 'urn:xmpp:jingle:transports:ice-udp:1', candidates: [cand] } }] } as unknown as Jingle);
    assert.equal(info.attrs.type, 'result');
    await accepted;
    const a = h.peerOf(alice);
    // the transport is case-insensitive (RFC 8839 §5.1); the shared writer puts it in capitals as StanzaJS does
    const i = h.router.calls.findIndex((c) => c.toLowerCase().startsWith(`addCandidate ${a} 0 candidate:2 1 udp 2130706430 127.0.0.1 50001 typ host`.toLowerCase()));
    assert.ok(i > h.router.calls.indexOf(`createPeer ${a} ${ROOM}`), h.router.calls.join('\n'));
  });
  it('ICE restart (XEP-0176 §2.4): new ufrag/pwd without candidates is applied to the peer and answered by a transport-info with the data plane\'s new credentials', async () => {
    const h = new Harness();
    const alice = await h.enter('alice', 'Alice');
    await h.initiate(alice);
    const a = h.peerOf(alice);
    const ice = 'urn:xmpp:jingle:transports:ice-udp:1';
    const answered = h.jingleTo(alice, 'transport-info');
    const res = await h.request(alice, { action: 'transport-info', sid: alice.sid, contents: alice.own.map((c) => ({ creator: 'initiator', name: c.name,
      transport: { transportType: ice, usernameFragment: 'alice2', password: 'alice-restarted-password', candidates: [] } })) } as unknown as Jingle);
    assert.equal(res.attrs.type, 'result', res.toString());
    const info = await answered;
    assert.ok(h.router.calls.includes(`restartIce ${a} alice2`), h.router.calls.join('\n'));
    const transports = info.getChild('jingle', J)!.getChildren('content').map((c) => c.getChild('transport', ice)!);
    assert.equal(transports.length, alice.own.length);
    for (const t of transports) {
      assert.match(t.attrs.ufrag as string, /^room\d+$/, 'the data plane\'s new ufrag');
      assert.equal(t.attrs.pwd, 'restartedpasswordrestarted');
    }
    // the same credentials again are no new restart: a trickled candidate of the restarted session
    const again = await h.request(alice, { action: 'transport-info', sid: alice.sid, contents: [{ creator: 'initiator', name: '0',
      transport: { transportType: ice, usernameFragment: 'alice2', password: 'alice-restarted-password', candidates: [] } }] } as unknown as Jingle);
    assert.equal(again.attrs.type, 'result');
    assert.equal(h.router.calls.filter((c) => c.startsWith(`restartIce ${a}`)).length, 1);
  });

  it('an ICE restart that crosses a content-add of the room is refused with tie-break (XEP-0166 §7.2.16)', async () => {
    const h = new Harness();
    const alice = await h.enter('alice', 'Alice');
    const bob = await h.enter('bob', 'Bob');
    await h.initiate(alice);
    await h.initiate(bob);
    // the content-add to bob is sent; bob restarts before answering it
    const add = h.jingleTo(bob, 'content-add');
    h.sources(alice);
    await add;
    const ice = 'urn:xmpp:jingle:transports:ice-udp:1';
    const res = await h.request(bob, { action: 'transport-info', sid: bob.sid, contents: bob.own.map((c) => ({ creator: 'initiator', name: c.name,
      transport: { transportType: ice, usernameFragment: 'bob2', password: 'bob-restarted-password-xx', candidates: [] } })) } as unknown as Jingle);
    assert.equal(res.attrs.type, 'error', res.toString());
    assert.ok(res.getChild('error')?.getChild('conflict'), res.toString());
    assert.ok(res.getChild('error')?.getChild('tie-break', 'urn:xmpp:jingle:errors:1'), res.toString());
  });
});
