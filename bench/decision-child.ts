// One run of the decision benchmark (bench/decision.ts) in its own process: `[runs] [--depth]`
// (`--depth`: the strategy on the depth book alone), prints the `DecisionBench` as JSON. `npm run
// bench` runs it bundled by bin/bundle.js, as `maker` runs its code (decision 0015); by hand:
//   node --import tsx bench/decision-child.ts 5
import { BENCH_CONFIG, benchDecision } from './decision.ts';

const args = process.argv.slice(2);
const runs = Number(args.find((a) => !a.startsWith('--')) ?? 5);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write('usage: decision-child.ts [runs] [--depth]\n');
  process.exit(2);
}
const config = args.includes('--depth') ? { ...BENCH_CONFIG, decision: { bookSource: 'depth' as const } } : BENCH_CONFIG;
console.log(JSON.stringify(await benchDecision({ runs, config })));
