#!/usr/bin/env node
// Entry point of the `maker` CLI. The sources are TypeScript; tsx (a dependency) compiles them on
// load, so a fresh clone needs only `npm install`, no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
