/** Float summaries of per-path results (model-world statistics are floats; the per-path ledger is exact). */

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 in the denominator); 0 for fewer than 2 values. */
  std: number;
  /** Monte-Carlo standard error of the mean, std/√n. */
  stdErr: number;
}

/** Mean, sample std and standard error, summed in index order (deterministic). */
export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, std: NaN, stdErr: NaN };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  return { n, mean, std, stdErr: std / Math.sqrt(n) };
}
