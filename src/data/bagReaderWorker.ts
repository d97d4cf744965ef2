// Worker-thread side of BagReaderPool: reads bags (h5wasm parsing included) and scans them for NaN/Inf
// off the training thread, and hands the buffers back without copying.
import { parentPort } from 'node:worker_threads';
import { findNonFinite, readBag } from './readBag.js';
import { DataError } from './types.js';
import type { BagReadRequest, BagReadResponse } from './bagReaderPool.js';

if (!parentPort) throw new Error('bagReaderWorker must run in a worker thread');
const port = parentPort;

port.on('message', (req: BagReadRequest) => {
  readBag(req.source, req.slideId).then(
    (bag) => {
      const response: BagReadResponse = { id: req.id, ok: true, bag, nonFiniteRow: findNonFinite(bag) };
      const transfer = [bag.features.buffer, ...(bag.coords ? [bag.coords.buffer] : [])].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
      port.postMessage(response, [...new Set(transfer)]);
    },
    (err: unknown) => {
      const response: BagReadResponse = {
        id: req.id,
        ok: false,
        message: err instanceof Error ? err.message : String(err),
        ...(err instanceof DataError ? { problems: err.problems } : {}),
      };
      port.postMessage(response);
    },
  );
});
