/**
 * The statistics the synthetic market is calibrated to, measured on real Binance USDⓈ-M
 * recordings, and the sampling tables derived from them.
 *
 * Source (read in place from ../shared, never copied into the project):
 * - BTCUSDT: `data/real/hftbacktest/usdm/btcusdt_20240808.gz` (hftbacktest collector, MIT),
 *   exchange time 2024-08-08 23:54:16 → 2024-08-09 00:00:01 UTC (345 s), tick 0.1, step 0.001.
 * - ETHUSDT: `data/real/hftbacktest/usdm/ethusdt_20240808.gz`, same session, tick 0.01, step 0.001.
 * Instrument specs from `data/binance-fixtures/.../http_futures_market_exchange_info.json`.
 * Measured by `scripts/calibrate-synthetic.ts` with `MarketStatsMeter` (src/synthetic/measure.ts),
 * which writes the numbers into `calibration-data.ts`; they are committed so that a fresh machine
 * needs no data. Units: ticks, lots, seconds of exchange time (see measure.ts for definitions).
 *
 * Caveat: 5.75 minutes of one evening (a volatile day: BTC rallied ~8 % on 2024-08-08), so the
 * rates and the volatility are those of a busy market; the tail quantiles rest on few samples.
 * The recordings carry no markPrice stream: mark/index basis and funding are documented
 * assumptions (docs/SYNTHETIC.md), not measurements.
 */
import { QUANTILE_PROBS } from './measure.ts';
import { MEASURED } from './calibration-data.ts';

export type CalibrationId = keyof typeof MEASURED;
export const CALIBRATION_IDS = Object.keys(MEASURED) as CalibrationId[];

/** The measured statistics of one symbol, as committed. */
export type Calibration = (typeof MEASURED)[CalibrationId];

export const CALIBRATION: Readonly<Record<CalibrationId, Calibration>> = MEASURED;

/**
 * Samples from a distribution given by its quantiles at QUANTILE_PROBS: linear interpolation of
 * the inverse CDF (log-linear between positive quantiles, which suits heavy-tailed sizes).
 */
const TABLE_SIZE = 1024;

export class QuantileSampler {
  private readonly probs: Float64Array;
  private readonly values: Float64Array;
  private readonly logs: Float64Array;
  private readonly table: Float64Array;
  readonly mean: number;

  constructor(quantiles: readonly number[], scale = 1) {
    if (quantiles.length !== QUANTILE_PROBS.length) throw new RangeError(`need ${QUANTILE_PROBS.length} quantiles, got ${quantiles.length}`);
    this.probs = Float64Array.from(QUANTILE_PROBS);
    this.values = Float64Array.from(quantiles, (q) => q * scale);
    this.logs = Float64Array.from(this.values, (v) => (v > 0 ? Math.log(v) : NaN));
    this.table = new Float64Array(TABLE_SIZE + 2);
    for (let i = 0; i <= TABLE_SIZE; i++) this.table[i] = this.exact(Math.min(1, i / TABLE_SIZE));
    this.table[TABLE_SIZE + 1] = this.table[TABLE_SIZE];
    // Mean by numerical integration of the inverse CDF.
    let m = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) m += this.at((i + 0.5) / n);
    this.mean = m / n;
  }

  /** The inverse CDF at u in [0, 1), from a 1024-point table (interpolated). */
  at(u: number): number {
    const x = u * TABLE_SIZE;
    const i = x | 0;
    return this.table[i] + (x - i) * (this.table[i + 1] - this.table[i]);
  }

  private exact(u: number): number {
    const p = this.probs;
    let i = 1;
    while (i < p.length - 1 && u > p[i]) i++;
    const w = (u - p[i - 1]) / (p[i] - p[i - 1]);
    const a = this.values[i - 1];
    const b = this.values[i];
    if (a > 0 && b > 0) return Math.exp(this.logs[i - 1] + w * (this.logs[i] - this.logs[i - 1]));
    return a + w * (b - a);
  }

  /** Mean of the square (for the variance a jump distribution adds). */
  meanSquare(): number {
    let m = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) m += this.at((i + 0.5) / n) ** 2;
    return m / n;
  }
}
