#!/usr/bin/env node
// Entry point of the `maker` CLI. The sources are TypeScript: they run as one bundle cached in
// node_modules/.cache/maker/ (built on the first run and whenever a source changes), or through
// tsx, which compiles them on load (MAKER_BUNDLE=0, or whenever the bundle cannot be had). A fresh
// clone needs only `npm install`, no build step. See bin/bundle.js.
import { loadMain } from './load-main.js';

// `maker … | head`: when the reader of stdout goes away, later writes are dropped instead of
// crashing with an unhandled EPIPE. The command itself goes on (a live session still shuts down and
// confirms; its journal and summary are files, not stdout).
process.stdout.on('error', (e) => {
  if (e.code !== 'EPIPE') throw e;
});
const main = await loadMain();
process.exitCode = await main(process.argv);
