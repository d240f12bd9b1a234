/**
 * strategy: pure, synchronous quoting policies. `createStrategy(config).decide(ctx)` turns a
 * `StrategyContext` (book, position, signal readings, our live orders) into an `Intent`: the full
 * desired set of resting quotes, or none with `cancelAll` and a reason.
 *
 * Units: book and quote prices are integer ticks, fair/reservation prices float ticks, sizes
 * integer lots, times integer µs, σ ticks/√s, A 1/s, k and γ 1/tick. Quotes are ordered bids first
 * then asks, each side from level 0 (nearest the touch) outwards. The same context always yields
 * the same intent (no state, no clock, no randomness). See docs/STRATEGY_SPEC.md.
 */
export type { LiveQuote, SignalReading, Strategy, StrategyContext, StrategyKind, StrategySignals } from './types.ts';
export type {
  AvellanedaStoikovConfig,
  CommonConfig,
  FairPriceSource,
  FixedConfig,
  GlftConfig,
  HorizonMode,
  RiskAversion,
  ModelOverrides,
  StrategyConfig,
  StrategyConfigInput,
  TiltConfig,
} from './config.ts';
export { AS_DEFAULTS, COMMON_DEFAULTS, FIXED_DEFAULTS, GLFT_DEFAULTS, TILT_DEFAULTS, parseStrategyConfig } from './config.ts';
export type { AvellanedaStoikovInput, AvellanedaStoikovQuote, GlftCoefficients, GlftInput } from './models.ts';
export { avellanedaStoikov, glftCoefficients, glftDepths } from './models.ts';
export type { FairPriceResult } from './fair-price.ts';
export { computeFairPrice, computeTilt, readyValue } from './fair-price.ts';
export type { ModelQuotes, PriceModel } from './quoting.ts';
export { decideQuotes, filterViolation, levelSizeLots } from './quoting.ts';
export { AvellanedaStoikovStrategy, FixedSpreadStrategy, GlftStrategy, createStrategy, gammaPerTickOf, horizonLeftS } from './strategies.ts';
