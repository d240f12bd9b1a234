/**
 * Fill-intensity calibration λ(δ) = A·e^(−k·δ) (hftbacktest's GLFT notebook, market-making.md §2.4).
 * δ in ticks from the mid, A in intervals-with-a-fill per second, k per tick.
 *
 * Per sampling interval, the deepest trade distance from the PREVIOUS mid (the mid sampled at the
 * interval's start) is recorded: a taker buy at p reaches p − mid, a taker sell mid − p. A quote at
 * depth δ "would have filled" in that interval if a trade reached strictly beyond δ (a trade at the
 * quote's own price does not count: the quote could be behind the queue). Depths are the half-tick
 * grid δ_i = (i + 1)/2 ticks, i = 0 … 2·maxDepthTicks − 1, because a mid can sit on a half tick.
 *   λ(δ_i) = #intervals in the window reaching beyond δ_i / seconds covered by the window
 *   OLS of ln λ(δ_i) = ln A − k·δ_i over the points with λ > 0 (the near-touch prefix)
 * A = e^intercept > 0; k = max(−slope, K_MIN) > 0; R² = 1 − SS_res/SS_tot (0 when all λ are equal).
 * Unlike the notebook, depths are reported in ticks, not half-ticks.
 *
 * Rolling window: one integer per interval (how many grid depths its deepest trade exceeded) in a
 * ring buffer; pushing or expiring an interval touches only those depths. Trades that arrive before
 * any mid are ignored.
 *
 * Warm-up: not ready until the window covers `warmupS` seconds and at least `minPoints` depths have
 * λ > 0.
 */

/** The smallest k reported (per tick): a flat or rising curve is clamped to this. */
export const INTENSITY_K_MIN = 1e-6;

export interface IntensityFit {
  a: number;
  k: number;
  r2: number;
  points: number;
}

let logScratch = new Float64Array(64);

/**
 * OLS of ln(counts[i]/windowS) on δ_i = (i + 1)/2 over the leading positive counts.
 * Returns null when fewer than `minPoints` points are available.
 */
export function fitIntensity(counts: ArrayLike<number>, windowS: number, minPoints: number): IntensityFit | null {
  let n = 0;
  while (n < counts.length && counts[n] > 0) n++;
  if (n < minPoints || !(windowS > 0)) return null;
  // ln λ(δ_i) is computed once per point and reused by the second pass (this runs every sample).
  if (logScratch.length < n) logScratch = new Float64Array(Math.max(n, 2 * logScratch.length));
  const logs = logScratch;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += (i + 1) / 2;
    const y = Math.log(counts[i] / windowS);
    logs[i] = y;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (i + 1) / 2 - mx;
    const dy = logs[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const ssRes = Math.max(0, syy - slope * sxy);
  const r2 = syy > 0 ? 1 - ssRes / syy : 0;
  return { a: Math.exp(intercept), k: Math.max(-slope, INTENSITY_K_MIN), r2, points: n };
}

/** How many depths of the half-tick grid a trade distance exceeds (strictly), capped at `depths`. */
export function depthsExceeded(distanceTicks: number, depths: number): number {
  // δ_i < D ⇔ i + 1 < 2D; D is a multiple of ½ when prices are whole ticks and the mid is a half tick.
  const n = Math.ceil(2 * distanceTicks - 1 - 1e-9);
  return n <= 0 ? 0 : n >= depths ? depths : n;
}

export class FillIntensity {
  private readonly intervalS: number;
  private readonly depths: number;
  private readonly minPoints: number;
  private readonly warmupIntervals: number;
  /** counts[i]: intervals in the window whose deepest trade exceeded δ_i. */
  readonly counts: Float64Array;
  private readonly ring: Int32Array;
  private ringHead = 0;
  private ringSize = 0;
  private previousMid = NaN;
  private deepest = 0;
  a = NaN;
  k = NaN;
  r2 = NaN;
  ready = false;
  /** The counts or the window changed since the last refit (a refit of the same inputs gives the same fit). */
  private changed = true;

  constructor(sampleIntervalUs: number, windowS: number, warmupS: number, maxDepthTicks: number, minPoints: number) {
    this.intervalS = sampleIntervalUs / 1e6;
    this.depths = 2 * maxDepthTicks;
    this.minPoints = minPoints;
    const capacity = Math.max(1, Math.round(windowS / this.intervalS));
    this.ring = new Int32Array(capacity);
    this.counts = new Float64Array(this.depths);
    this.warmupIntervals = Math.max(1, Math.ceil(warmupS / this.intervalS - 1e-9));
  }

  /** A taker trade inside the current interval. */
  onTrade(priceTicks: number, buyerIsMaker: boolean): void {
    if (Number.isNaN(this.previousMid)) return;
    const distance = buyerIsMaker ? this.previousMid - priceTicks : priceTicks - this.previousMid;
    const n = depthsExceeded(distance, this.depths);
    if (n > this.deepest) this.deepest = n;
  }

  /** Closes the current interval at a grid boundary; `midTicks` is the mid in force there. */
  onSample(midTicks: number): void {
    if (!Number.isNaN(this.previousMid)) this.push(this.deepest);
    this.deepest = 0;
    if (!Number.isNaN(midTicks)) this.previousMid = midTicks;
  }

  /** `count` further intervals with no trade (and an unchanged mid). */
  onQuietSamples(count: number): void {
    if (count <= 0 || Number.isNaN(this.previousMid)) return;
    if (count >= this.ring.length) {
      // The whole window is now quiet: start it over in O(window) instead of O(count).
      this.changed = true;
      this.ring.fill(0);
      this.counts.fill(0);
      this.ringHead = 0;
      this.ringSize = this.ring.length;
    } else {
      for (let i = 0; i < count; i++) this.push(0);
    }
  }

  /** Number of intervals the window currently covers. */
  get coveredIntervals(): number {
    return this.ringSize;
  }

  /**
   * Refits A, k, R² from the current counts (O(depths)); call after samples, not per event. A
   * window whose counts and length have not changed since the last refit keeps that fit (the fit is
   * a function of them alone): most intervals push as many depths as expire (none).
   */
  refit(): void {
    if (!this.changed) return;
    this.changed = false;
    const windowS = this.ringSize * this.intervalS;
    const fit = this.ringSize >= this.warmupIntervals ? fitIntensity(this.counts, windowS, this.minPoints) : null;
    if (fit === null) {
      this.ready = false;
      this.a = NaN;
      this.k = NaN;
      this.r2 = NaN;
      return;
    }
    this.ready = true;
    this.a = fit.a;
    this.k = fit.k;
    this.r2 = fit.r2;
  }

  private push(exceeded: number): void {
    const capacity = this.ring.length;
    if (this.ringSize === capacity) {
      const old = this.ring[this.ringHead];
      if (old !== exceeded) this.changed = true;
      for (let i = 0; i < old; i++) this.counts[i]--;
    } else {
      this.ringSize++;
      this.changed = true;
    }
    this.ring[this.ringHead] = exceeded;
    for (let i = 0; i < exceeded; i++) this.counts[i]++;
    this.ringHead = this.ringHead + 1 === capacity ? 0 : this.ringHead + 1;
  }
}
