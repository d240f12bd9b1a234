// A child process for tests/store/atomicity.test.ts: imports one batch of events into a store and
// kills itself with SIGKILL (no cleanup, no finally) at the n-th durability step of the commit, or
// at the moment a table file is about to be renamed into place (`rename:<n>`). Usage:
//   node --import tsx tests/store/crash-child.ts <root> <which events: old|new> <crash point|none>
// (the tests run its per-run bundle: tests/support/cli-bundle.ts).
import { pathToFileURL } from 'node:url';
import { StoreWriter } from '../../src/store/index.ts';
import { INSTRUMENT, chain, T0, DAY_US } from './helpers.ts';
import type { MarketEvent } from '../../src/model/events.ts';

/** Two partitions (two UTC dates), two tables each. `new` adds events to both and overlaps `old`. */
export function eventsOf(which: 'old' | 'new'): MarketEvent[] {
  if (which === 'old') return [...chain(40, T0 + 1_000, 100), ...chain(40, T0 + DAY_US + 1_000, 10_000)];
  return [...chain(30, T0 + 60_000_000, 200), ...chain(30, T0 + DAY_US + 60_000_000, 20_000)];
}

async function main(): Promise<void> {
  const [root, which, point] = process.argv.slice(2);
  let steps = 0;
  let renames = 0;
  const [kind, nText] = point === 'none' ? ['none', '0'] : point.split(':');
  const n = Number(nText);
  const die = (): never => {
    process.kill(process.pid, 'SIGKILL');
    throw new Error('unreachable');
  };
  const w = new StoreWriter({
    root,
    venue: 'binance-usdm',
    onCommitStep: () => {
      if (kind === 'step' && ++steps === n) die();
    },
    beforeRename: () => {
      if (kind === 'rename' && ++renames === n) die();
    },
  });
  w.addInstrument(INSTRUMENT);
  await w.write(eventsOf(which as 'old' | 'new'));
  await w.commit({ importer: 'test', inputs: [{ path: `${which}.jsonl` }] });
}

// Run as a script (from source or as its bundle), not when atomicity.test.ts imports `eventsOf`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(1);
  });
}
