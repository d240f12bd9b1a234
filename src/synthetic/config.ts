/**
 * Configuration of the synthetic market: every key carries its unit in its name (`…S` seconds,
 * `…Us` microseconds, `…PerS` per second of exchange time, `…Ticks`, `…Lots`, `…Bps`, `…Pct`).
 * Defaults are derived from the measured calibration (calibration.ts); `parseSyntheticConfig`
 * validates a plain object (a scenario's `data.synthetic` YAML section) and fills in the
 * defaults, throwing a `ConfigError` that names the key path. docs/SYNTHETIC.md documents each key.
 */
import { ConfigError } from '../core/errors.ts';
import { CALIBRATION, CALIBRATION_IDS, type CalibrationId } from './calibration.ts';

/** σ × `sigmaMultiplier` for a while (the jump sizes scale; taker flow doubles). */
export interface VolBurstRegime {
  kind: 'volBurst';
  startS: number;
  durationS: number;
  sigmaMultiplier: number;
}

/**
 * A fast one-directional sweep of `movePct` % of the mid (negative: down) over `sweepS`, with
 * aggressive taker flow in that direction and the book thinned to `depthFactor` of its size, then a
 * recovery of `recoveryShare` of the move over `recoveryS`.
 */
export interface FlashMoveRegime {
  kind: 'flashMove';
  startS: number;
  movePct: number;
  sweepS: number;
  recoveryShare: number;
  recoveryS: number;
  depthFactor: number;
}

/**
 * No message at all for `durationS` (a disconnect): the market goes on, so the first depth diff
 * after the gap breaks the `pu` chain; a fresh REST snapshot follows a few diffs later, as after a
 * reconnect.
 */
export interface FeedGapRegime {
  kind: 'feedGap';
  startS: number;
  durationS: number;
}

/** From `startS` until the next funding time, the published funding rate is `fundingRate`. */
export interface FundingSpikeRegime {
  kind: 'fundingSpike';
  startS: number;
  fundingRate: string;
}

export type StressRegime = VolBurstRegime | FlashMoveRegime | FeedGapRegime | FundingSpikeRegime;

export interface SyntheticConfig {
  symbol: string;
  seed: number | string;
  /** Which measured market the distributions come from (profile, sizes, jumps). */
  calibration: CalibrationId;
  /** Start of the session, µs since the epoch. */
  startUs: number;
  durationS: number;
  /** Mid price at the start, ticks. */
  startMidTicks: number;
  /** Depth diff messages per second (a fixed cadence with ±20 % jitter; a window with no change sends none). */
  depthDiffsPerS: number;
  /** Aggressive (taker) orders per second; each prints one or more trades. */
  takerOrdersPerS: number;
  /** Coefficient of variation of the time between taker orders (1 = Poisson; more = bursts). At most √3. */
  takerInterArrivalCv: number;
  /** Lag-1 autocorrelation of taker order signs (order-flow persistence), in [0, 1). */
  takerSignAutocorr: number;
  /** Multiplier on the calibrated taker order and print sizes. */
  takerSizeScale: number;
  /** Multiplier on the calibrated resting level sizes. */
  depthScale: number;
  /** Volatility of the mid, ticks per √second (reached by re-quote jumps of calibrated shape). */
  sigmaTicksPerSqrtS: number;
  /** Re-quote jumps of the whole near book per second. */
  jumpsPerS: number;
  /** Share of jumps in the direction of the last taker order (the rest are random). */
  jumpFollowsFlowShare: number;
  /** Limit order adds/cancels/resizes within 50 ticks of the touch, per second. */
  nearUpdatesPerS: number;
  /** Updates of the touch quantity (orders joining/leaving the best level), per second. */
  touchUpdatesPerS: number;
  /** Adds/cancels in the deep book (50 ticks .. bookDepthTicks), per second. */
  farUpdatesPerS: number;
  /** Levels are kept within this distance of the touch on each side, ticks. */
  bookDepthTicks: number;
  /** Share of taker orders after which the makers left at the hit touch withdraw (price impact; moves the touch). */
  takerImpactShare: number;
  /** Mean time until a spread opened by a taker order is closed again, µs. */
  refillMeanUs: number;
  /** Share of those refills that continue the move (the other side steps up) rather than revert. */
  refillFollowShare: number;
  /** Receive time = exchange time + feedLatencyUs + an exponential jitter of mean feedJitterUs (never decreasing). */
  feedLatencyUs: number;
  feedJitterUs: number;
  /** Mark price / index / funding message period, µs (Binance markPrice@1s: 1 s). */
  markIntervalUs: number;
  /** Standard deviation of (mark − mid) / mid, basis points (an Ornstein–Uhlenbeck process). */
  markBasisBps: number;
  /** Standard deviation of (index − mid) / mid, basis points. */
  indexBasisBps: number;
  /** Funding rate per funding interval, a decimal string ("0.0001" = 0.01 %). */
  fundingRate: string;
  /** Funding interval, hours; funding times are multiples of it since 00:00 UTC (8 → 00/08/16 UTC). */
  fundingIntervalH: number;
  /** Stress regimes, times relative to the start of the session. */
  regimes: StressRegime[];
}

/** Defaults derived from the calibration of a measured market. */
export function syntheticDefaults(calibration: CalibrationId = 'BTCUSDT'): SyntheticConfig {
  const c = CALIBRATION[calibration];
  const near = c.updateDistanceShares.slice(0, -1).reduce((a: number, b: number) => a + b, 0) - c.updateDistanceShares[1];
  const far = c.farBands.reduce((a: number, b) => a + b.updateShare, 0);
  const levelUpdatesPerS = c.depthDiffsPerS * c.levelsPerDiff;
  return {
    symbol: calibration,
    seed: 1,
    calibration,
    startUs: Date.UTC(2024, 0, 1) * 1000,
    durationS: 60,
    startMidTicks: c.firstMidTicks,
    depthDiffsPerS: c.depthDiffsPerS,
    takerOrdersPerS: c.takerOrdersPerS,
    takerInterArrivalCv: c.takerInterArrivalCv,
    takerSignAutocorr: c.signAutocorrLag1,
    takerSizeScale: 1,
    depthScale: 1,
    sigmaTicksPerSqrtS: c.sigmaTicksPerSqrtS.at1s,
    jumpsPerS: -Math.log(c.midChange100ms.zeroShare) / 0.1,
    jumpFollowsFlowShare: 0.7,
    nearUpdatesPerS: round2(levelUpdatesPerS * near),
    // bookTickers come from touch changes: the rest of them after takers and diffs are touch updates.
    touchUpdatesPerS: round2(Math.max(0, c.bookTickersPerS - c.takerOrdersPerS - c.depthDiffsPerS)),
    farUpdatesPerS: round2(levelUpdatesPerS * far),
    bookDepthTicks: 2000,
    // Tuned, not measured: makes the measured touch-move share come out as on BTCUSDT.
    takerImpactShare: 0.2,
    refillMeanUs: 3_000,
    refillFollowShare: 0.5,
    feedLatencyUs: 2_000,
    feedJitterUs: 300,
    markIntervalUs: 1_000_000,
    markBasisBps: 1,
    indexBasisBps: 2,
    fundingRate: '0.0001',
    fundingIntervalH: 8,
    regimes: [],
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export const DEFAULT_SYNTHETIC: SyntheticConfig = syntheticDefaults('BTCUSDT');

// ---- validation ---------------------------------------------------------------------------------

type Rule = 'positive' | 'nonNegative' | 'share' | 'int' | 'positiveInt' | 'any';
const NUMBER_KEYS: Record<string, Rule> = {
  startUs: 'int', durationS: 'positive', startMidTicks: 'positiveInt', depthDiffsPerS: 'positive', takerOrdersPerS: 'nonNegative',
  takerInterArrivalCv: 'positive', takerSignAutocorr: 'share', takerSizeScale: 'positive', depthScale: 'positive',
  sigmaTicksPerSqrtS: 'nonNegative', jumpsPerS: 'nonNegative', jumpFollowsFlowShare: 'share', nearUpdatesPerS: 'nonNegative',
  touchUpdatesPerS: 'nonNegative', farUpdatesPerS: 'nonNegative', bookDepthTicks: 'positiveInt', refillMeanUs: 'nonNegative', takerImpactShare: 'share',
  refillFollowShare: 'share', feedLatencyUs: 'nonNegative', feedJitterUs: 'nonNegative', markIntervalUs: 'positive',
  markBasisBps: 'nonNegative', indexBasisBps: 'nonNegative', fundingIntervalH: 'positive',
};
const REGIME_KEYS: Record<StressRegime['kind'], Record<string, Rule | 'rate'>> = {
  volBurst: { startS: 'nonNegative', durationS: 'positive', sigmaMultiplier: 'positive' },
  flashMove: { startS: 'nonNegative', movePct: 'any', sweepS: 'positive', recoveryShare: 'share', recoveryS: 'positive', depthFactor: 'positive' },
  feedGap: { startS: 'nonNegative', durationS: 'positive' },
  fundingSpike: { startS: 'nonNegative', fundingRate: 'rate' },
};
const RATE_RE = /^-?\d+(\.\d+)?$/;

function fail(path: string, message: string, file?: string): never {
  throw new ConfigError(message, { field: path, file });
}

function checkNumber(v: unknown, rule: Rule, path: string, file?: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, `must be a finite number, got ${JSON.stringify(v)}`, file);
  const ok =
    rule === 'any' ||
    (rule === 'positive' && v > 0) ||
    (rule === 'nonNegative' && v >= 0) ||
    (rule === 'share' && v >= 0 && v <= 1) ||
    (rule === 'int' && Number.isSafeInteger(v)) ||
    (rule === 'positiveInt' && Number.isSafeInteger(v) && v > 0);
  if (!ok) {
    const want = { positive: 'a positive number', nonNegative: 'a number >= 0', share: 'a number in [0, 1]', int: 'an integer', positiveInt: 'a positive integer', any: '' }[rule];
    fail(path, `must be ${want}, got ${v}`, file);
  }
  return v;
}

function checkRate(v: unknown, path: string, file?: string): string {
  if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
  if (typeof v !== 'string' || !RATE_RE.test(v)) fail(path, `must be a decimal string such as "0.0001", got ${JSON.stringify(v)}`, file);
  return v;
}

function parseRegime(raw: unknown, path: string, file?: string): StressRegime {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(path, 'must be a mapping with a "kind"', file);
  const r = raw as Record<string, unknown>;
  const kind = r.kind;
  if (typeof kind !== 'string' || !(kind in REGIME_KEYS)) fail(`${path}.kind`, `must be one of ${Object.keys(REGIME_KEYS).join(', ')}, got ${JSON.stringify(kind)}`, file);
  const rules = REGIME_KEYS[kind as StressRegime['kind']];
  const out: Record<string, unknown> = { kind };
  for (const key of Object.keys(r)) if (key !== 'kind' && !(key in rules)) fail(`${path}.${key}`, `unknown key for a ${kind} regime (known: ${Object.keys(rules).join(', ')})`, file);
  for (const [key, rule] of Object.entries(rules)) {
    if (!(key in r)) fail(`${path}.${key}`, `missing (a ${kind} regime needs ${Object.keys(rules).join(', ')})`, file);
    out[key] = rule === 'rate' ? checkRate(r[key], `${path}.${key}`, file) : checkNumber(r[key], rule, `${path}.${key}`, file);
  }
  if (kind === 'volBurst' || kind === 'feedGap') {
    // nothing more
  } else if (kind === 'flashMove' && Math.abs(out.movePct as number) >= 90) fail(`${path}.movePct`, `must be within (-90, 90) %, got ${out.movePct}`, file);
  return out as unknown as StressRegime;
}

/**
 * Validates a plain object (e.g. a scenario's `data.synthetic` section) and returns a complete
 * config: defaults from the calibration it names (BTCUSDT unless `calibration` says otherwise),
 * overridden by the given keys. Unknown keys, wrong types and out-of-range values are
 * `ConfigError`s naming `<keyPath>.<key>` (and `file` when given).
 */
export function parseSyntheticConfig(input: unknown, keyPath = 'data.synthetic', file?: string): SyntheticConfig {
  if (input === undefined || input === null) return { ...DEFAULT_SYNTHETIC, regimes: [] };
  if (typeof input !== 'object' || Array.isArray(input)) fail(keyPath, 'must be a mapping', file);
  const raw = input as Record<string, unknown>;
  let calibration: CalibrationId = 'BTCUSDT';
  if ('calibration' in raw) {
    if (!CALIBRATION_IDS.includes(raw.calibration as CalibrationId)) fail(`${keyPath}.calibration`, `must be one of ${CALIBRATION_IDS.join(', ')}, got ${JSON.stringify(raw.calibration)}`, file);
    calibration = raw.calibration as CalibrationId;
  }
  const cfg = syntheticDefaults(calibration);
  const known = new Set(Object.keys(cfg));
  for (const key of Object.keys(raw)) {
    const path = `${keyPath}.${key}`;
    if (!known.has(key)) fail(path, `unknown key (known: ${[...known].join(', ')})`, file);
    const v = raw[key];
    if (key === 'calibration') continue;
    if (key === 'symbol') {
      if (typeof v !== 'string' || !/^[A-Z0-9]+$/.test(v)) fail(path, `must be an upper-case symbol such as "BTCUSDT", got ${JSON.stringify(v)}`, file);
      cfg.symbol = v;
    } else if (key === 'seed') {
      if (!(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) fail(path, `must be a number or a string, got ${JSON.stringify(v)}`, file);
      cfg.seed = v;
    } else if (key === 'fundingRate') {
      cfg.fundingRate = checkRate(v, path, file);
    } else if (key === 'regimes') {
      if (!Array.isArray(v)) fail(path, 'must be a list of regimes', file);
      cfg.regimes = v.map((r, i) => parseRegime(r, `${path}[${i}]`, file));
    } else {
      (cfg as unknown as Record<string, number>)[key] = checkNumber(v, NUMBER_KEYS[key], path, file);
    }
  }
  if (cfg.takerInterArrivalCv > Math.sqrt(3)) fail(`${keyPath}.takerInterArrivalCv`, `must be at most √3 ≈ 1.732 (two-phase arrival model), got ${cfg.takerInterArrivalCv}`, file);
  if (cfg.takerSignAutocorr >= 1) fail(`${keyPath}.takerSignAutocorr`, 'must be below 1', file);
  return cfg;
}
