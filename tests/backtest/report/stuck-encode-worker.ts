// Encode-thread workers that misbehave (encode-thread.test.ts: the run's thread must not wait for
// them forever). Loaded as it is: runs, takes every message and never encodes; with `?dies` in its
// URL: runs and ends at its first message, reporting the end as the real worker does (progress[1] = 2).
import { parentPort, workerData } from 'node:worker_threads';

const progress = new Int32Array((workerData as { progress: SharedArrayBuffer }).progress);
const dies = new URL(import.meta.url).search === '?dies';
Atomics.store(progress, 1, 1);
process.on('exit', () => {
  Atomics.store(progress, 1, 2);
  Atomics.notify(progress, 0);
});
parentPort!.on('message', () => {
  if (dies) process.exit(3);
});
