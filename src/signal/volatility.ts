/**
 * Realised volatility of the mid on a fixed time grid, in ticks per √second.
 *
 * The engine samples the mid at every grid boundary (multiples of the sample interval, aligned to
 * the epoch); the sampled value is the mid in force at the boundary (the last update at or before
 * it), so an interval with no update carries the previous mid and contributes a zero change: sparse
 * events are weighted by the time they cover, not by their count.
 *
 * With Δ_j the mid change between consecutive samples (ticks) and λ = 2^(−interval/halfLife):
 *   v ← λ·v + (1 − λ)·Δ_j²,  w ← λ·w + (1 − λ)         (w debiases the start: v/w is an exact
 *   σ = √(v / w / intervalS)                              weighted mean of Δ² from the first change)
 * Zero-mean realised variance: the drift is not subtracted (it is negligible at this horizon).
 * A run of k empty intervals is applied in O(1) as v ← λᵏ·v, w ← λᵏ·w + 1 − λᵏ.
 *
 * Warm-up: not ready until the changes observed cover `warmupS` seconds (and at least one change).
 */
export class RealizedVolatility {
  private readonly intervalS: number;
  private readonly decay: number;
  private readonly warmupSamples: number;
  private referenceMid = NaN;
  private weightedSquares = 0;
  private weight = 0;
  /** Mid changes folded in so far (empty intervals included). */
  samples = 0;

  constructor(sampleIntervalUs: number, halfLifeS: number, warmupS: number) {
    this.intervalS = sampleIntervalUs / 1e6;
    this.decay = Math.pow(2, -this.intervalS / halfLifeS);
    this.warmupSamples = Math.max(1, Math.ceil(warmupS / this.intervalS - 1e-9));
  }

  /** One grid sample of the mid (ticks); NaN (no mid yet) is ignored. */
  onSample(midTicks: number): void {
    if (Number.isNaN(midTicks)) return;
    if (Number.isNaN(this.referenceMid)) {
      this.referenceMid = midTicks;
      return;
    }
    const change = midTicks - this.referenceMid;
    this.referenceMid = midTicks;
    this.weightedSquares = this.decay * this.weightedSquares + (1 - this.decay) * change * change;
    this.weight = this.decay * this.weight + (1 - this.decay);
    this.samples++;
  }

  /** `count` further samples at which the mid had not changed. */
  onUnchangedSamples(count: number): void {
    if (count <= 0 || Number.isNaN(this.referenceMid)) return;
    const d = Math.pow(this.decay, count);
    this.weightedSquares *= d;
    this.weight = d * this.weight + (1 - d);
    this.samples += count;
  }

  get ready(): boolean {
    return this.samples >= this.warmupSamples;
  }

  /** σ in ticks/√s; NaN while not ready. */
  get sigmaTicksPerSqrtS(): number {
    if (!this.ready) return NaN;
    return Math.sqrt(this.weightedSquares / this.weight / this.intervalS);
  }
}
