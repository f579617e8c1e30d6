// The entry of a data-plane worker thread: one werift router served over the parent port. Every
// request is answered once, with its id; events follow on the same port (see router.ts).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { dispatch, type MediaSettings, type RouterRequest, type WorkerMessage } from './router.js';
import { WeriftRouter } from './werift/router.js';

export interface WorkerOptions { media: MediaSettings; statsIntervalMs?: number }

const port = parentPort;
if (!port) throw new Error('component/media/worker is the entry of a worker thread');
const opts = workerData as WorkerOptions;
const router = new WeriftRouter(opts.media, { statsIntervalMs: opts.statsIntervalMs });
const post = (m: WorkerMessage): void => port.postMessage(m);
router.on((event) => post({ event }));
/** A port to another worker, for rooms spread over both (worker-router.ts, werift/links.ts). */
export interface LinkOffer { link: { index: number; port: MessagePort } }

port.on('message', (req: RouterRequest | LinkOffer) => {
  if ('link' in req) { router.addLink(req.link.index, req.link.port); return; }
  dispatch(router, req).then(
    (result) => post({ id: req.id, ok: true, result }),
    (e: unknown) => post({ id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
});
