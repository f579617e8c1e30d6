// The entry of a data-plane worker thread: one werift router served over the parent port. Every
// request is answered once, with its id; events follow on the same port (see router.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { dispatch, type MediaSettings, type RouterRequest, type WorkerMessage } from './router.js';
import { WeriftRouter } from './werift/router.js';

export interface WorkerOptions { media: MediaSettings; statsIntervalMs?: number }

const port = parentPort;
if (!port) throw new Error('component/media/worker is the entry of a worker thread');
const opts = workerData as WorkerOptions;
const router = new WeriftRouter(opts.media, { statsIntervalMs: opts.statsIntervalMs });
const post = (m: WorkerMessage): void => port.postMessage(m);
router.on((event) => post({ event }));
port.on('message', (req: RouterRequest) => {
  dispatch(router, req).then(
    (result) => post({ id: req.id, ok: true, result }),
    (e: unknown) => post({ id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
});
