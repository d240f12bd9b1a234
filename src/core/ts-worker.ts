/**
 * The boot code of a worker thread that runs one of our TypeScript modules: the worker registers
 * tsx's loader (as bin/maker.js does for the main thread), then imports the entry module. Passed
 * to `new Worker(code, { eval: true })` by every part that runs work on another thread (the
 * store's decode thread, the recorder's compaction, the sweep pool).
 *
 * Pure: it resolves the loader's path and builds a string; starting the worker is the caller's.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** `entry`: the worker module's file URL (`new URL('./x-worker.ts', import.meta.url).href`). */
export function tsWorkerBootCode(entry: string): string {
  const api = createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs');
  return `import(${JSON.stringify(pathToFileURL(api).href)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
}
