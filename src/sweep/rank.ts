/**
 * What a sweep is (`SweepSpec`) and how its parameter sets are ranked: a set's score is the mean of
 * the rank metric over its seeds (runs without a value, e.g. a null Sharpe, are left out of the mean;
 * a set with none ranks last); ties go to the earlier set in plan order. `RANK_METRICS` says which
 * direction is better.
 */
import type { MetricName, RunRow } from './run-one.ts';
import type { ParamSet } from './space.ts';
import type { OverrideOrigin } from '../scenario/index.ts';

/** Metrics a sweep can rank by, and whether higher is better. */
export const RANK_METRICS: Readonly<Partial<Record<MetricName, 'higher' | 'lower'>>> = {
  pnl: 'higher',
  returnPct: 'higher',
  sharpe: 'higher',
  sortino: 'higher',
  spreadCapture: 'higher',
  edgeBps: 'higher',
  maxDrawdown: 'lower',
  maxDrawdownPct: 'lower',
};

export interface SweepSpec {
  scenarioFile: string;
  scenarioText: string;
  baseSet: string[];
  paramSets: ParamSet[];
  /** The keys swept, in column order. */
  keys: string[];
  seeds: number[];
  rankBy: MetricName;
  /** Out-of-sample range (`data.range` text) and how many parameter sets to re-run on it. */
  oos: { range: string; topK: number } | null;
  /** Write each run's report directory under `<out>/runs/`. */
  reports: boolean;
  /** Describes the sweep in the leaderboard (the command's grid / space). */
  description: string;
  /** Where each swept key's values came from (`--grid …`, the space file and line), for the loader's errors; absent: `--set key=value`. */
  origins?: Readonly<Record<string, OverrideOrigin>>;
}

/** Mean of the rank metric per parameter set (null: no value), over the rows of one phase. */
export function scoreSets(spec: SweepSpec, rows: readonly RunRow[]): (number | null)[] {
  const index = new Map(spec.paramSets.map((p, i) => [JSON.stringify(p), i]));
  const sums = spec.paramSets.map(() => ({ sum: 0, n: 0 }));
  for (const r of rows) {
    const v = r.metrics?.[spec.rankBy];
    const i = index.get(JSON.stringify(r.params));
    if (i === undefined || v === null || v === undefined || !Number.isFinite(v)) continue;
    sums[i].sum += v;
    sums[i].n += 1;
  }
  return sums.map((s) => (s.n === 0 ? null : s.sum / s.n));
}

/** Parameter-set indices, best first (null scores last, ties in plan order). */
export function rankSets(spec: SweepSpec, scores: readonly (number | null)[]): number[] {
  const sign = RANK_METRICS[spec.rankBy] === 'lower' ? 1 : -1;
  return scores
    .map((s, i) => ({ s, i }))
    .sort((a, b) => (a.s === null ? (b.s === null ? a.i - b.i : 1) : b.s === null ? -1 : sign * (a.s - b.s) || a.i - b.i))
    .map((x) => x.i);
}

/** Is `a` better than `b` by the rank metric (single runs, for "best so far")? */
export function better(rankBy: MetricName, a: number | null | undefined, b: number | null | undefined): boolean {
  if (a === null || a === undefined || !Number.isFinite(a)) return false;
  if (b === null || b === undefined || !Number.isFinite(b)) return true;
  return RANK_METRICS[rankBy] === 'lower' ? a < b : a > b;
}

