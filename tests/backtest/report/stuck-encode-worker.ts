// An encode-thread worker that takes every message and never encodes (encode-thread.test.ts: the
// run's thread must not wait for it forever).
import { parentPort } from 'node:worker_threads';

parentPort!.on('message', () => undefined);
