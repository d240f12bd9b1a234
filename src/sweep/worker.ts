/**
 * Worker-thread entry of the plain `worker_threads` pool (pool.ts `ThreadPool`): receives
 * `{ id, task }` messages, runs each task with `runTask` (one at a time, in this thread) and replies
 * `{ id, row }` or, for an error that is not a `MakerError` (a bug), `{ id, error }`.
 */
import { parentPort } from 'node:worker_threads';
import { runTask, type RunTask } from './run-one.ts';

parentPort!.on('message', (m: { id: number; task: RunTask }) => {
  runTask(m.task).then(
    (row) => parentPort!.postMessage({ id: m.id, row }),
    (e: unknown) => parentPort!.postMessage({ id: m.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
});
