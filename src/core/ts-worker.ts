/**
 * How a worker thread runs one of our TypeScript modules.
 *   - `tsWorkerBootCode`: the boot code of a worker that registers tsx's loader (as bin/maker.js
 *     does for the main thread), then imports the entry module; passed to `new Worker(code, { eval:
 *     true })` by every part that runs work on another thread (the store's decode thread, the
 *     recorder's compaction, the sweep pool). Pure: it resolves the loader's path and builds a string.
 *   - `bundledWorkerModule`: the module as one cached esbuild bundle (bin/bundle.js, as `maker`
 *     itself runs: decision 0015), which a worker starts in a fraction of tsx's time and CPU; the
 *     callers fall back to tsx when it cannot be had;
 *   - `workerSource`: which of the two a worker runs, as `new Worker`'s first argument and `eval`;
 *   - `lowerThreadPriority`: called inside a worker, raises that thread's nice value (Linux only).
 * Starting the worker is the caller's. `bundledWorkerModule` is the one part that touches the file
 * system, through bin/bundle.js (the bundle cache), loaded only when called.
 */
import { createRequire } from 'node:module';
import { getPriority, setPriority } from 'node:os';
import { pathToFileURL } from 'node:url';

/** `entry`: the worker module's file URL (`new URL('./x-worker.ts', import.meta.url).href`). */
export function tsWorkerBootCode(entry: string): string {
  const api = createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs');
  return `import(${JSON.stringify(pathToFileURL(api).href)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
}

/**
 * The path of a cached bundle of `entry` (a path from the package root, e.g.
 * `src/store/decode-worker.ts`) named `name`, built on first use and rebuilt when a source changes;
 * null when `MAKER_BUNDLE=0` or the bundle cannot be had (no esbuild, an unwritable cache): the
 * caller then runs the module through tsx. bin/bundle.js is loaded from the file system (not
 * bundled into the caller), so it finds the package's root from its own place.
 */
export async function bundledWorkerModule(entry: string, name: string): Promise<string | null> {
  if (process.env.MAKER_BUNDLE === '0') return null;
  try {
    const bundler = (await import(new URL('../../bin/bundle.js', import.meta.url).href)) as typeof import('../../bin/bundle.js');
    return (await bundler.cachedBundle({ entry, name })).path;
  } catch {
    return null;
  }
}

/**
 * What `new Worker(code, { eval, workerData })` runs: `bundle` (from `bundledWorkerModule`), or,
 * when it is null, the module `entry` (its file URL) through tsx (`tsWorkerBootCode`).
 */
export function workerSource(bundle: string | null, entry: string): { code: string; eval: boolean } {
  return bundle !== null ? { code: bundle, eval: false } : { code: tsWorkerBootCode(entry), eval: true };
}

/**
 * Raises the calling thread's nice value by `nice` (at most 19), so that a helper thread (the
 * store's decode worker, the report's encode worker) yields a shared core to the run's thread.
 * Linux keeps a nice value per thread, so `setPriority(0, …)` inside a worker changes that thread
 * only; elsewhere it would change the whole process, so nothing is done. A sandbox that forbids it
 * leaves the thread at the process's priority.
 */
export function lowerThreadPriority(nice: number | undefined): void {
  if (process.platform !== 'linux' || nice === undefined) return;
  try {
    setPriority(0, Math.min(19, getPriority(0) + nice));
  } catch {
    // Not allowed here: the thread runs at the process's priority.
  }
}
