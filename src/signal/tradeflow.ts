/**
 * Trade-flow imbalance and volume rate from taker trades, decayed continuously in time.
 *
 * With τ = halfLife/ln 2, buy and sell volumes (lots, by taker side: `buyerIsMaker` ⇒ taker sold)
 * decay as e^(−Δt/τ) between events and grow by each trade's quantity:
 *   tradeImbalance = (B − S)/(B + S) ∈ [−1, 1]           (NaN when no volume is left)
 *   volumeRate     = (B + S) / (τ·(1 − e^(−elapsed/τ)))  lots/s
 * The denominator is the integral of the decay kernel over the time observed, so the rate is an
 * unbiased time-weighted mean from the first event on (a constant flow of r lots/s reads r).
 *
 * Warm-up: not ready until `warmupS` seconds have been observed since the first event the engine
 * saw; the imbalance also needs some volume.
 */
export class TradeFlow {
  private readonly tauS: number;
  private readonly warmupUs: number;
  private startUs = NaN;
  /** The clock (the last `advance`). */
  private lastUs = NaN;
  /** The time `buyLots` and `sellLots` are decayed to; behind `lastUs` until a trade or a reading needs them. */
  private decayedUs = NaN;
  private buyLots = 0;
  private sellLots = 0;

  constructor(halfLifeS: number, warmupS: number) {
    this.tauS = halfLifeS / Math.LN2;
    this.warmupUs = warmupS * 1e6;
  }

  /**
   * Moves the clock to `tsUs` (monotone; the engine guarantees it). The volumes are decayed to it
   * when a trade or a reading needs them, in one step (an exp per book event saved: the engine
   * advances on every event, and most are not trades).
   */
  advance(tsUs: number): void {
    if (Number.isNaN(this.startUs)) {
      this.startUs = tsUs;
      this.lastUs = tsUs;
      this.decayedUs = tsUs;
      return;
    }
    if (tsUs > this.lastUs) this.lastUs = tsUs;
  }

  /** A taker trade at the current time (call `advance` first). */
  onTrade(qtyLots: number, buyerIsMaker: boolean): void {
    this.decay();
    if (buyerIsMaker) this.sellLots += qtyLots;
    else this.buyLots += qtyLots;
  }

  private decay(): void {
    if (!(this.lastUs > this.decayedUs)) return;
    const d = Math.exp(-(this.lastUs - this.decayedUs) / 1e6 / this.tauS);
    this.buyLots *= d;
    this.sellLots *= d;
    this.decayedUs = this.lastUs;
  }

  private get elapsedUs(): number {
    return Number.isNaN(this.startUs) ? 0 : this.lastUs - this.startUs;
  }

  get ready(): boolean {
    return this.elapsedUs > 0 && this.elapsedUs >= this.warmupUs;
  }

  get imbalanceReady(): boolean {
    this.decay();
    return this.ready && this.buyLots + this.sellLots > 0;
  }

  get imbalance(): number {
    if (!this.imbalanceReady) return NaN;
    return (this.buyLots - this.sellLots) / (this.buyLots + this.sellLots);
  }

  get volumeRateLotsPerS(): number {
    if (!this.ready) return NaN;
    this.decay();
    const coveredS = this.tauS * -Math.expm1(-this.elapsedUs / 1e6 / this.tauS);
    return (this.buyLots + this.sellLots) / coveredS;
  }
}
