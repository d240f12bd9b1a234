/**
 * Piscina worker module of the sweep pool when it runs bundled (pool.ts `PiscinaPool.open`: one
 * esbuild bundle of this module and what it imports, cached like the CLI's, bin/bundle.js): the
 * task function is `runTask`. piscina-task.mjs is the same through tsx.
 */
export { runTask as default } from './run-one.ts';
