/**
 * Configuration of the signal engine. Every key carries its unit (`…Us` microseconds, `…S`
 * seconds, `…Bps` basis points, `…Ticks`, `…Lots`); counts are plain numbers.
 */
import { ConfigError } from '../core/errors.ts';

export interface SignalConfig {
  /** Decimal tick size of the instrument ("0.10"); converts mark/index prices to ticks. */
  tickSize: string;
  /** Time grid for volatility, micro-price transitions and fill-intensity intervals, µs. */
  sampleIntervalUs: number;
  /** Levels per side for the multi-level book imbalance. */
  obiLevels: number;
  /** Half-width of the price band for the band imbalance: mid·(1 ± obiBandBps/10⁴). */
  obiBandBps: number;
  /** Length of one order-flow-imbalance interval, µs (grid aligned to the epoch). */
  ofiIntervalUs: number;
  /** Half-life of the EWMA of squared mid changes, s. */
  volHalfLifeS: number;
  /** Observed time (grid samples × interval) before σ is reported, s. */
  volWarmupS: number;
  /** Half-life of the exponentially decayed buy and sell volumes, s. */
  tradeHalfLifeS: number;
  /** Observed time before trade imbalance and volume rate are reported, s. */
  tradeWarmupS: number;
  /** A mark/index price older than this is stale and its deviation not ready, µs. */
  markMaxAgeUs: number;
  /** Imbalance buckets of the micro-price model (uniform on [0, 1], symmetric). */
  micropriceImbalanceBuckets: number;
  /** Spreads 1..this many ticks are modelled; wider spreads leave the micro-price not ready. */
  micropriceMaxSpreadTicks: number;
  /** Rolling window of observed transitions the micro-price model is fitted on, s. */
  micropriceWindowS: number;
  /** Refit cadence of the micro-price model, s (first fit after micropriceWarmupS). */
  micropriceRefitS: number;
  /** Mid moves larger than this between consecutive quotes are jumps, left out of the fit, ticks. */
  micropriceMaxMoveTicks: number;
  /** Capacity of the transition buffer (the oldest transitions go first when it is full). */
  micropriceMaxTransitions: number;
  /** Observed time before the first micro-price fit, s. */
  micropriceWarmupS: number;
  /** State-changing transitions needed in the window for a fit to be used. */
  micropriceMinTransitions: number;
  /** Exits observed from a state before its micro-price is trusted. */
  micropriceMinStateExits: number;
  /** Cap on the terms of g* = Σ Bᵏ G¹. */
  micropriceMaxIterations: number;
  /** The series stops when the largest new term is below this, ticks. */
  micropriceTolerance: number;
  /** Rolling window of the fill-intensity calibration, s. */
  intensityWindowS: number;
  /** Observed time before the intensity fit is reported, s. */
  intensityWarmupS: number;
  /** Fit λ(δ) on depths 0.5..this many ticks from the mid (the near-touch range). */
  intensityMaxDepthTicks: number;
  /** Points (depths with at least one reaching interval) needed for a fit. */
  intensityMinPoints: number;
}

export const DEFAULT_SIGNAL_CONFIG: Readonly<Omit<SignalConfig, 'tickSize'>> = Object.freeze({
  sampleIntervalUs: 100_000,
  obiLevels: 5,
  obiBandBps: 10,
  ofiIntervalUs: 1_000_000,
  volHalfLifeS: 30,
  volWarmupS: 10,
  tradeHalfLifeS: 10,
  tradeWarmupS: 5,
  markMaxAgeUs: 5_000_000,
  micropriceImbalanceBuckets: 10,
  micropriceMaxSpreadTicks: 6,
  micropriceWindowS: 600,
  micropriceRefitS: 60,
  micropriceMaxMoveTicks: 1,
  micropriceMaxTransitions: 200_000,
  micropriceWarmupS: 120,
  micropriceMinTransitions: 100,
  micropriceMinStateExits: 1,
  micropriceMaxIterations: 200,
  micropriceTolerance: 1e-9,
  intensityWindowS: 600,
  intensityWarmupS: 60,
  intensityMaxDepthTicks: 20,
  intensityMinPoints: 3,
});

/** Defaults overlaid with `partial`; throws `ConfigError` naming the key of any bad value. */
export function resolveSignalConfig(partial: Partial<SignalConfig> & { tickSize: string }): SignalConfig {
  const cfg: SignalConfig = { ...DEFAULT_SIGNAL_CONFIG, ...partial };
  const tick = Number(cfg.tickSize);
  if (!(tick > 0) || !Number.isFinite(tick)) throw new ConfigError(`tickSize must be a positive decimal, got "${cfg.tickSize}"`, { field: 'signal.tickSize' });
  const positiveInt: (keyof SignalConfig)[] = [
    'sampleIntervalUs',
    'obiLevels',
    'ofiIntervalUs',
    'micropriceImbalanceBuckets',
    'micropriceMaxSpreadTicks',
    'micropriceMaxIterations',
    'micropriceMaxTransitions',
    'intensityMaxDepthTicks',
    'intensityMinPoints',
  ];
  for (const k of positiveInt) {
    const v = cfg[k] as number;
    if (!Number.isSafeInteger(v) || v <= 0) throw new ConfigError(`${k} must be a positive integer, got ${v}`, { field: `signal.${k}` });
  }
  const positive: (keyof SignalConfig)[] = ['micropriceMaxMoveTicks', 'obiBandBps', 'volHalfLifeS', 'tradeHalfLifeS', 'micropriceWindowS', 'micropriceRefitS', 'micropriceTolerance', 'intensityWindowS', 'markMaxAgeUs'];
  for (const k of positive) {
    const v = cfg[k] as number;
    if (!(v > 0) || !Number.isFinite(v)) throw new ConfigError(`${k} must be a positive number, got ${v}`, { field: `signal.${k}` });
  }
  const nonNegative: (keyof SignalConfig)[] = ['volWarmupS', 'tradeWarmupS', 'micropriceWarmupS', 'micropriceMinTransitions', 'micropriceMinStateExits', 'intensityWarmupS'];
  for (const k of nonNegative) {
    const v = cfg[k] as number;
    if (!(v >= 0) || !Number.isFinite(v)) throw new ConfigError(`${k} must be a non-negative number, got ${v}`, { field: `signal.${k}` });
  }
  if (cfg.intensityMinPoints < 2) throw new ConfigError(`intensityMinPoints must be at least 2, got ${cfg.intensityMinPoints}`, { field: 'signal.intensityMinPoints' });
  return cfg;
}
