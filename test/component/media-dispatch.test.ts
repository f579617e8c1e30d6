// The serving side of the media boundary (component/media/router.ts `dispatch`, what a data-plane
// worker runs for each request): a request the router cannot serve is refused with its reason,
// never thrown out of the worker's message handler, where it would end the thread and every call
// on it. The worker closes a vanished participant's peer itself (werift/router.ts onGone) and tells
// the control plane afterwards, so a request for that peer (a trickled candidate, an answer) can
// be on its way to a peer that is no longer there.
import assert from 'node:assert/strict';
import { dispatch, type RouterRequest } from '../../component/media/router.js';
import { WeriftRouter } from '../../component/media/werift/router.js';
import { WorkerRouter } from '../../component/media/worker-router.js';
import { freePortRange } from '../support/ports.js';

describe('media boundary: requests the data plane cannot serve', function () {
  this.timeout(30000);

  it('a request for a peer the router does not have is a rejected promise, whatever the method', async () => {
    const router = new WeriftRouter({ bindAddress: '127.0.0.1' });
    try {
      const gone: RouterRequest[] = [
        { id: 1, method: 'addCandidate', args: ['gone', 'candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host', '0'] },
        { id: 2, method: 'answer', args: ['gone', 'v=0\r\n'] },
        { id: 3, method: 'applyAnswer', args: ['gone', 'v=0\r\n'] },
        { id: 4, method: 'offerSenders', args: ['gone', [{ kind: 'video', streamId: 's' }]] },
      ];
      for (const req of gone) {
        let p: Promise<unknown> | undefined;
        assert.doesNotThrow(() => { p = dispatch(router, req); }, `${req.method} throws before it returns`);
        await assert.rejects(p!, /no media peer gone/, req.method);
      }
      await assert.rejects(dispatch(router, { id: 5, method: 'noSuchMethod', args: [] } as unknown as RouterRequest), /no media router method noSuchMethod/);
    } finally {
      await router.close();
    }
  });

  it('through a worker thread: the request is refused and the worker goes on serving', async () => {
    const exits: unknown[] = [];
    const router = new WorkerRouter({ media: { bindAddress: '127.0.0.1', ...(await freePortRange(20)) }, workers: 1, onWorkerExit: (i) => exits.push(i) });
    try {
      await router.createPeer('room', 'p1');
      const before = router.workers()[0]!.threadId;
      // the worker forgets p1 by itself, as when it closes a vanished participant's peer
      const slot = (router as unknown as { slots: Array<{ worker: { postMessage(m: unknown): void } }> }).slots[0]!;
      slot.worker.postMessage({ id: 10_000, method: 'closePeer', args: ['p1'] });
      await assert.rejects(router.addCandidate('p1', 'candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host', '0'), /no media peer p1/);
      await router.createPeer('room', 'p2');
      assert.equal(router.workers()[0]!.threadId, before, 'the same worker thread');
      assert.deepEqual(exits, []);
    } finally {
      await router.close();
    }
  });
});
