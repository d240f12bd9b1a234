/**
 * The synthetic market: a seeded generator of a realistic Binance USDⓈ-M L2 feed calibrated to
 * measured statistics of real BTCUSDT/ETHUSDT recordings, with stress regimes; the measurement
 * code used for the calibration; and a writer of raw recordings. See docs/SYNTHETIC.md.
 */
export * from './generator.ts';
export * from './recording.ts';
export * from './instrument.ts';
export { CALIBRATION, CALIBRATION_IDS, QuantileSampler, type Calibration, type CalibrationId } from './calibration.ts';
export { DEFAULT_SYNTHETIC, parseSyntheticConfig, syntheticDefaults, type FeedGapRegime, type FlashMoveRegime, type FundingSpikeRegime, type StressRegime, type SyntheticConfig, type VolBurstRegime } from './config.ts';
export { MarketStatsMeter, measureMarket, FAR_BANDS, PROFILE_LEVELS, QUANTILE_PROBS, SAMPLE_US, type MarketStats, type SizeStats } from './measure.ts';
