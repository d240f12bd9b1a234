/**
 * signal: microstructure signals for one symbol, computed incrementally from book, trade and
 * mark-price events. The full definitions with references are in docs/SIGNALS.md.
 *
 * Units: book prices are integer ticks in, float ticks out (mids can sit on half ticks); sizes are
 * lots; times are integer µs taken from the events only (never ambient time); rates are per second.
 * Every value has a ready flag in `signal.ready`; a value that is not ready is NaN.
 *
 * Ordering: events are applied in the order given; a timestamp earlier than the last is clamped to
 * it. Grid boundaries (multiples of `sampleIntervalUs` / `ofiIntervalUs` since the epoch) strictly
 * before an event's time are closed with the state in force there before the event is applied; an
 * event exactly on a boundary belongs to the interval ending at it.
 *
 * | value | definition | unit | ready when |
 * |---|---|---|---|
 * | weightedMid | I·Pa + (1 − I)·Pb, I = Qb/(Qb + Qa) | ticks | valid two-sided book |
 * | microprice | mid + g*(I, S), Stoikov 2018, fitted on event-time quote transitions of a rolling window, O(1) lookup | ticks | a fit exists and the state (I bucket, spread) is trusted |
 * | obiL1 / imbalanceL1 | (Qb − Qa)/(Qb + Qa) / Qb/(Qb + Qa) at the touch | [−1,1] / [0,1] | valid two-sided book |
 * | obiLevels | same over the best `obiLevels` levels per side | [−1,1] | valid two-sided book |
 * | obiBand | same over prices within mid·(1 ± obiBandBps/10⁴) | [−1,1] | valid two-sided book |
 * | ofi | Σ e_n (Cont–Kukanov–Stoikov, non-strict) over the last closed `ofiIntervalUs` interval | lots | first full interval closed |
 * | sigmaTicksPerSqrtS | √(EWMA of Δmid² on the sample grid / interval) | ticks/√s | `volWarmupS` of samples |
 * | tradeImbalance | (B − S)/(B + S), taker volumes decayed with `tradeHalfLifeS` | [−1,1] | `tradeWarmupS` observed and some volume |
 * | volumeRateLotsPerS | (B + S)/(τ·(1 − e^(−elapsed/τ))) | lots/s | `tradeWarmupS` observed |
 * | mark/indexDeviation | mid − ref (ticks), (mid − ref)/ref·10⁴ (bps) | ticks, bps | reference younger than `markMaxAgeUs` |
 * | intensityA/K/R2 | OLS of ln λ(δ) = ln A − kδ, λ from deepest trade per interval | 1/s, 1/tick, — | `intensityWarmupS` covered, ≥ `intensityMinPoints` depths |
 */
export { DEFAULT_SIGNAL_CONFIG, resolveSignalConfig, type SignalConfig } from './config.ts';
export { emptySignal, SignalEngine, type Signal, type SignalEngineConfig, type SignalReady } from './engine.ts';
export { DepthImbalance, imbalanceFraction, signedImbalance, weightedMid } from './imbalance.ts';
export { intervalEnd, OfiAccumulator, ofiContribution } from './ofi.ts';
export { RealizedVolatility } from './volatility.ts';
export { TradeFlow } from './tradeflow.ts';
export { deviationBps, deviationTicks, priceStringToTicks, ReferenceDeviation } from './deviation.ts';
export { depthsExceeded, FillIntensity, fitIntensity, INTENSITY_K_MIN, type IntensityFit } from './intensity.ts';
export {
  fitMicroprice,
  MicropriceEstimator,
  micropriceAdjustment,
  micropriceState,
  TransitionCounts,
  type MicropriceFitStatus,
  type MicropriceModel,
} from './microprice.ts';
