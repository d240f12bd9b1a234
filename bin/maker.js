#!/usr/bin/env node
// Entry point of the `maker` CLI. The sources are TypeScript; tsx (a dependency) compiles them on
// load, so a fresh clone needs only `npm install`, no build step.
import { register } from 'tsx/esm/api';

register();
// `maker … | head`: when the reader of stdout goes away, later writes are dropped instead of
// crashing with an unhandled EPIPE. The command itself goes on (a live session still shuts down and
// confirms; its journal and summary are files, not stdout).
process.stdout.on('error', (e) => {
  if (e.code !== 'EPIPE') throw e;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
