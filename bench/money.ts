/**
 * Money micro-benchmark (decision record 0004): the risk engine's money comparisons, each done the
 * old way (decimal.js at 40 digits, what risk used before) and the current way (model/money.ts,
 * scaled bigints), plus the float pre-check risk used to put in front of the capital-usage rule.
 *
 *   capital usage   equity ≤ 0 or marginUsed ≥ equity × 0.5 (2 parses, 1 product, 1 comparison)
 *   equity stops    drawdown ≥ peak × 0.1 and daily loss ≥ day start × 0.05 (3 parses, 2 differences,
 *                   2 products, 2 comparisons)
 *
 * Inputs are 1,024 different strings shaped like the portfolio's (13–18 significant digits), so
 * nothing is cached. Time is process CPU time per operation, ns; 7 runs of 200,000 operations each
 * after a warm-up, reported as min / median / max (the machine is shared: trust the min more).
 *
 * Standalone: `node --import tsx bench/money.ts`.
 */
import { Decimal } from 'decimal.js';
import { compareScaled, mulScaled, parseDecimal, subScaled } from '../src/model/money.ts';

const Dx = Decimal.clone({ precision: 40 });
const N = 200_000;
const RUNS = 7;

const equities: string[] = [];
const margins: string[] = [];
for (let i = 0; i < 1024; i++) {
  equities.push(`${10000 + (i % 97)}.${String(123456789 + i * 7919).padStart(9, '0')}0${i % 10}`);
  margins.push(`${1200 + (i % 31)}.${String(5000 + i * 13).padStart(6, '0')}`);
}

let sink = 0;

function time(name: string, op: (i: number) => boolean): void {
  for (let i = 0; i < 20_000; i++) if (op(i & 1023)) sink++;
  const ns: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < N; i++) if (op(i & 1023)) sink++;
    const t = process.cpuUsage(t0);
    ns.push(((t.user + t.system) * 1000) / N);
  }
  ns.sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(0).padStart(6);
  console.log(`${name.padEnd(44)} ${f(ns[0])} ${f(ns[RUNS >> 1])} ${f(ns[RUNS - 1])}  ns/op`);
}

const MAX_USAGE = 0.5;
const maxUsage = parseDecimal(String(MAX_USAGE));
const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

/** The float pre-check risk had (decides when the answer is clear by a relative 1e-9). */
function capitalUsageClearly(equityStr: string, marginUsedStr: string, max: number): boolean | null {
  if (!PLAIN_DECIMAL.test(equityStr) || !PLAIN_DECIMAL.test(marginUsedStr)) return null;
  const equity = Number(equityStr);
  const marginUsed = Number(marginUsedStr);
  const limit = equity * max;
  if (!(equity > 0 && limit > 1e-290 && limit < 1e290 && Number.isFinite(marginUsed))) return null;
  if (marginUsed < limit * (1 - 1e-9)) return false;
  if (marginUsed > limit * (1 + 1e-9)) return true;
  return null;
}

function capitalBigint(i: number): boolean {
  const equity = parseDecimal(equities[i]);
  return equity.units <= 0n || compareScaled(parseDecimal(margins[i]), mulScaled(equity, maxUsage)) >= 0;
}

console.log(`${'operation'.padEnd(44)} ${'min'.padStart(6)} ${'median'.padStart(6)} ${'max'.padStart(6)}`);
time('capital usage: decimal.js', (i) => {
  const equity = new Dx(equities[i]);
  return equity.lte(0) || new Dx(margins[i]).gte(equity.times(MAX_USAGE));
});
time('capital usage: bigint (model/money)', capitalBigint);
time('capital usage: float pre-check (+ bigint)', (i) => capitalUsageClearly(equities[i], margins[i], MAX_USAGE) ?? capitalBigint(i));

const drawdown = parseDecimal('0.1');
const dailyLoss = parseDecimal('0.05');
time('equity stops: decimal.js', (i) => {
  const equity = new Dx(equities[i]);
  const peak = new Dx(equities[(i + 1) & 1023]);
  const dayStart = new Dx(equities[(i + 2) & 1023]);
  const a = peak.lte(0) || peak.minus(equity).gte(peak.times(0.1));
  const b = dayStart.lte(0) || dayStart.minus(equity).gte(dayStart.times(0.05));
  return a || b;
});
time('equity stops: bigint (model/money)', (i) => {
  const equity = parseDecimal(equities[i]);
  const peak = parseDecimal(equities[(i + 1) & 1023]);
  const dayStart = parseDecimal(equities[(i + 2) & 1023]);
  const a = peak.units <= 0n || compareScaled(subScaled(peak, equity), mulScaled(peak, drawdown)) >= 0;
  const b = dayStart.units <= 0n || compareScaled(subScaled(dayStart, equity), mulScaled(dayStart, dailyLoss)) >= 0;
  return a || b;
});
if (sink < 0) console.log(sink); // keeps the results alive
