// One measurement of bench/backtest.ts in its own process: `<store> [--no-out]`, prints the
// result as JSON. The bench runs it bundled (bin/bundle.js), as `maker backtest` runs; by hand:
//   node --import tsx bench/backtest-child.ts .bench-cache/tile-24h --no-out
import { measure } from './backtest.ts';

const args = process.argv.slice(2);
if (args[0] === undefined || args[0].startsWith('--')) {
  process.stderr.write('usage: backtest-child.ts <store> [--no-out]\n');
  process.exit(2);
}
console.log(JSON.stringify(await measure(args[0], !args.includes('--no-out'))));
