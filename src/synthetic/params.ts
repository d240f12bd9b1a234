/**
 * The parameters of the synthetic market's processes (generator.ts), derived once from the config
 * and the measured calibration it names (calibration.ts): the samplers of level, touch, print,
 * taker order and mid-jump sizes, the near-book profile by distance from the touch, the deep-book
 * bands, and the jump scale, taker sign persistence and taker inter-arrival means. A pure function
 * of the config: no random number is drawn. Units: ticks, lots, µs.
 */
import { CALIBRATION, QuantileSampler } from './calibration.ts';
import type { SyntheticConfig } from './config.ts';
import { PROFILE_LEVELS } from './measure.ts';

export interface Band {
  from: number;
  to: number;
  occupancy: number;
  meanLots: number;
  cumShare: number;
}

export interface MarketParams {
  readonly touchSize: QuantileSampler;
  readonly shape: QuantileSampler;
  readonly printSize: QuantileSampler;
  readonly takerSize: QuantileSampler;
  readonly jumpSize: QuantileSampler;
  readonly nearMean: Float64Array;
  readonly nearOcc: Float64Array;
  readonly nearCum: Float64Array;
  readonly bands: Band[];
  readonly jumpScale: number;
  readonly pSameSign: number;
  readonly burstShortMeanUs: number;
  readonly burstLongMeanUs: number;
  readonly touchMedian: number;
}

export function marketParams(cfg: SyntheticConfig): MarketParams {
  const c = CALIBRATION[cfg.calibration];
  const touchSize = new QuantileSampler(c.touchLotsQuantiles, cfg.depthScale);
  const touchMedian = touchSize.at(0.5);
  const shape = new QuantileSampler(c.levelSizeShape, cfg.depthScale);
  const printSize = new QuantileSampler(c.print.quantilesLots, cfg.takerSizeScale);
  const takerSize = new QuantileSampler(c.takerOrder.quantilesLots, cfg.takerSizeScale);
  const jumpSize = new QuantileSampler(c.midChange100ms.absQuantilesTicks);
  const nearMean = Float64Array.from(c.depthProfileLots, (m: number, k: number) => (c.occupancy[k] > 0 ? m / c.occupancy[k] : 0));
  const nearOcc = Float64Array.from(c.occupancy);
  // Update-distance buckets: 0 = inside the spread, i = distance i−1; the touch (i = 1) has its own process.
  const shares = c.updateDistanceShares.slice(0, PROFILE_LEVELS + 1).map((s: number, i: number) => (i === 1 ? 0 : s));
  const total = shares.reduce((a: number, b: number) => a + b, 0);
  let acc = 0;
  const nearCum = Float64Array.from(shares, (s: number) => (acc += s / total));
  const usable = c.farBands.filter((b) => b.fromTicks < cfg.bookDepthTicks);
  const farTotal = usable.reduce((a: number, b) => a + b.updateShare, 0) || 1;
  acc = 0;
  const bands = usable.map((b) => ({ from: b.fromTicks, to: Math.min(b.toTicks, cfg.bookDepthTicks + 1), occupancy: b.occupancy, meanLots: b.meanNonEmptyLots, cumShare: (acc += b.updateShare / farTotal) }));
  const jumpScale = cfg.jumpsPerS > 0 ? cfg.sigmaTicksPerSqrtS / Math.sqrt(cfg.jumpsPerS * jumpSize.meanSquare()) : 0;
  const pSameSign = (1 + cfg.takerSignAutocorr) / 2;
  // Two-phase (hyperexponential, equal weights) inter-arrival times with the configured CV.
  const cv2 = Math.min(3, Math.max(1, cfg.takerInterArrivalCv ** 2));
  const r = 1 - Math.sqrt(2 * (cv2 - 1)) / 2;
  const meanUs = cfg.takerOrdersPerS > 0 ? 1e6 / cfg.takerOrdersPerS : Infinity;
  const burstShortMeanUs = r * meanUs;
  const burstLongMeanUs = (2 - r) * meanUs;
  return { touchSize, shape, printSize, takerSize, jumpSize, nearMean, nearOcc, nearCum, bands, jumpScale, pSameSign, burstShortMeanUs, burstLongMeanUs, touchMedian };
}
