// One room over two data-plane workers (component/media/worker-router.ts `spreadAbove`,
// werift/links.ts): with spreadAbove 2, a room's first two peers share a worker and the next two
// go to the other, so every forward between the halves crosses from one worker thread to the
// other. Four werift participants sending the media benchmark's synthetic RTP: each receives the
// three others' audio and video, nothing twice; a receiver's keyframe request reaches a source on
// the other worker; who speaks is one list for the room, whichever worker hears it; a participant
// that leaves is dropped on both workers, and the m-line it fed on the other carries another source.
import assert from 'node:assert/strict';
import type { MediaEvent, SpeakerLevel } from '../../component/media/router.js';
import { WorkerRouter } from '../../component/media/worker-router.js';
import { SyntheticPeer, LOUD, QUIET } from './helpers/synthetic-peer.js';
import { freePortRange } from '../support/ports.js';
import { until } from '../support/until.js';

const IDS = ['a', 'b', 'c', 'd'] as const;
type Id = (typeof IDS)[number];

/** The SSRC our offer gave each new m-line, by mid. */
function ssrcsOf(sdp: string, mids: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const mid of mids) {
    const section = sdp.split(/\r?\nm=/).find((m) => m.includes(`a=mid:${mid}\r`) || m.includes(`a=mid:${mid}\n`))!;
    out.set(mid, Number(/a=ssrc:(\d+) /.exec(section)![1]));
  }
  return out;
}

describe('media: one room spread over two data-plane workers', function () {
  this.timeout(90_000);
  let router: WorkerRouter;
  const peers = new Map<Id, SyntheticPeer>();
  const sources = new Map<string, Map<'audio' | 'video', string>>(); // peer -> kind -> mid
  const connected = new Set<string>();
  const speakers: SpeakerLevel[][] = [];
  /** receiver -> (source peer, kind) -> the SSRC it receives that source on */
  const received = new Map<Id, Map<string, number>>();
  const sinkMid = new Map<string, string>(); // `${receiver} ${from} ${kind}` -> the receiver's m-line

  before(async () => {
    const ports = await freePortRange(60);
    const peerPorts = await freePortRange(40);
    router = new WorkerRouter({ media: { bindAddress: '127.0.0.1', ...ports }, workers: 2, spreadAbove: 2 });
    router.on((e: MediaEvent) => {
      if (e.type === 'source') {
        if (!sources.has(e.peerId)) sources.set(e.peerId, new Map());
        sources.get(e.peerId)!.set(e.kind, e.mid);
      }
      if (e.type === 'state' && e.connection === 'connected') connected.add(e.peerId);
      if (e.type === 'speakers' && e.roomId === 'big') speakers.push(e.sources);
    });
    IDS.forEach((id, k) => peers.set(id, new SyntheticPeer([peerPorts.portMin + 10 * k, peerPorts.portMin + 10 * k + 9], id === 'a' || id === 'c' ? LOUD : QUIET)));
    for (const id of IDS) {
      const p = peers.get(id)!;
      await router.createPeer('big', id);
      await p.setAnswer(await router.answer(id, await p.offer()));
    }
    await until(() => IDS.every((id) => sources.get(id)?.size === 2), () => `sources: ${[...sources].map(([k, v]) => `${k}:${v.size}`).join(' ')}`);
    await until(() => connected.size === 4, () => `connected: ${[...connected].join(',')}`);
  });

  after(async () => {
    for (const p of peers.values()) p.close();
    await router?.close();
  });

  it('puts the first two peers on one worker and the next two on the other', () => {
    const w = router.workers();
    assert.deepEqual(w.map((x) => ({ rooms: x.rooms, peers: x.peers })), [{ rooms: ['big'], peers: 2 }, { rooms: ['big'], peers: 2 }]);
    assert.notEqual(w[0]!.threadId, w[1]!.threadId);
  });

  it('a keyframe request of a receiver on the other worker reaches the source', async () => {
    // c (worker 1) gets a's video (worker 0) alone first: the forward's own requests (200, 800,
    // 2000 ms after it starts) cross the link to a's worker and reach a as RTCP PLI
    const c = peers.get('c')!;
    const { sdp, mids } = await router.offerSenders('c', [{ kind: 'video', streamId: 'a' }]);
    await router.applyAnswer('c', await c.answerOffer(sdp));
    received.set('c', new Map([['a video', ssrcsOf(sdp, mids).get(mids[0]!)!]]));
    sinkMid.set('c a video', mids[0]!);
    const before = peers.get('a')!.plis;
    await router.forward({ peerId: 'a', mid: sources.get('a')!.get('video')! }, { peerId: 'c', mid: mids[0]! });
    await until(() => peers.get('a')!.plis >= before + 3, () => `a had ${peers.get('a')!.plis - before} keyframe requests`);
    const ssrc = received.get('c')!.get('a video')!;
    await until(async () => ((await c.inbound()).find((x) => x.ssrc === ssrc)?.packetsReceived ?? 0) > 20, () => 'a\'s video at c');
  });

  it('everyone receives the three others\' audio and video, across workers and within one, nothing twice', async () => {
    for (const r of IDS) {
      const p = peers.get(r)!;
      const want = IDS.filter((s) => s !== r).flatMap((s) => (['audio', 'video'] as const).map((kind) => ({ s, kind })))
        .filter(({ s, kind }) => !sinkMid.has(`${r} ${s} ${kind}`));
      const { sdp, mids } = await router.offerSenders(r, want.map(({ s, kind }) => ({ kind, streamId: s })));
      await router.applyAnswer(r, await p.answerOffer(sdp));
      const ssrcs = ssrcsOf(sdp, mids);
      if (!received.has(r)) received.set(r, new Map());
      for (const [i, { s, kind }] of want.entries()) {
        received.get(r)!.set(`${s} ${kind}`, ssrcs.get(mids[i]!)!);
        sinkMid.set(`${r} ${s} ${kind}`, mids[i]!);
        await router.forward({ peerId: s, mid: sources.get(s)!.get(kind)! }, { peerId: r, mid: mids[i]! });
      }
    }
    for (const r of IDS) {
      const p = peers.get(r)!;
      let last = '';
      await until(async () => {
        const got = new Map((await p.inbound()).map((x) => [x.ssrc, x.packetsReceived]));
        last = JSON.stringify([...got]);
        return [...received.get(r)!.values()].every((ssrc) => (got.get(ssrc) ?? 0) > 10);
      }, () => `${r} receives ${last} of ${JSON.stringify([...received.get(r)!])}`);
    }
    // nothing twice: no receiver has more of a source's packets than the source sent
    for (const r of IDS) {
      const got = new Map((await peers.get(r)!.inbound()).map((x) => [x.ssrc, x.packetsReceived]));
      for (const [key, ssrc] of received.get(r)!) {
        const [s, kind] = key.split(' ') as [Id, 'audio' | 'video'];
        const sent = kind === 'audio' ? peers.get(s)!.source.sentAudio : peers.get(s)!.source.sentVideo;
        assert.ok((got.get(ssrc) ?? 0) <= sent, `${r} got ${got.get(ssrc)} packets of ${key}, which sent ${sent}`);
      }
    }
  });

  it('lists the room\'s speakers in one event, from both workers: a (worker 0) and c (worker 1) speak', async () => {
    const audioMid = (id: Id) => sources.get(id)!.get('audio')!;
    await until(() => speakers.some((list) => {
      const speaking = new Set(list.filter((x) => x.speaking).map((x) => `${x.peerId} ${x.mid}`));
      return speaking.has(`a ${audioMid('a')}`) && speaking.has(`c ${audioMid('c')}`);
    }), () => `speakers events: ${JSON.stringify(speakers.slice(-2))}`);
    // each source once per list, whichever worker heard it
    for (const list of speakers) assert.equal(new Set(list.map((x) => `${x.peerId} ${x.mid}`)).size, list.length, JSON.stringify(list));
  });

  it('after a participant leaves, the other worker\'s m-line it fed carries another source', async () => {
    const d = peers.get('d')!;
    const fromA = received.get('d')!.get('a video')!;
    await router.closePeer('a');
    peers.get('a')!.close();
    // The m-line of d's that carried a's video now carries b's (both from worker 0)
    await router.forward({ peerId: 'b', mid: sources.get('b')!.get('video')! }, { peerId: 'd', mid: sinkMid.get('d a video')! });
    const at = (await d.inbound()).find((x) => x.ssrc === fromA)?.packetsReceived ?? 0;
    await until(async () => ((await d.inbound()).find((x) => x.ssrc === fromA)?.packetsReceived ?? 0) > at + 20, () => 'b\'s video on the m-line a fed');
    assert.deepEqual(router.workers().map((x) => x.peers), [1, 2]);
  });
});
