/**
 * Strategy configuration: types, defaults and validation. Every key carries its unit in its name;
 * a wrong or unknown key is a `ConfigError` whose `field` is the key path (e.g.
 * `strategy.gammaPerTick`), so a scenario typo fails loudly instead of silently using a default.
 */
import { ConfigError } from '../core/errors.ts';
import type { StrategyKind } from './types.ts';

/** Where the untilted fair price comes from. */
export type FairPriceSource = 'mid' | 'microprice' | 'mark' | 'external';

/** Shifts the fair price by signals: fair += obi·w + ofi·w + (microprice − mid)·w, capped. */
export interface TiltConfig {
  /** Ticks of shift per unit of signed OBI (OBI ∈ [−1, 1]). */
  obiTicksPerUnit: number;
  /** Ticks of shift per lot of OFI. */
  ofiTicksPerLot: number;
  /** Ticks of shift per tick of (microprice − mid); 1 moves the fair price onto the microprice. */
  micropriceWeight: number;
  /** Absolute cap of the total shift, ticks. */
  maxTiltTicks: number;
}

/** Rules shared by every strategy (see docs/STRATEGY_SPEC.md). */
export interface CommonConfig {
  /** Quotes per side. */
  levels: number;
  /** Distance between consecutive levels of one side, ticks. */
  levelSpacingTicks: number;
  /** Size per level in lots; exactly one of `sizeLots` and `sizeNotionalQuote` is set. */
  sizeLots: number | null;
  /** Size per level as a notional in the quote asset, converted to lots at the quote price (rounded down). */
  sizeNotionalQuote: number | null;
  /** Minimum distance between the level-0 bid and ask, ticks (≥ 1). */
  minSpreadTicks: number;
  /** |position| limit: a side is only quoted as far as it cannot take |position| beyond this, lots. */
  maxPositionLots: number;
  /** Keep a live quote while the desired price is within this many ticks of it. */
  requoteToleranceTicks: number;
  /** Replace a live quote once it is this old, µs. */
  maxOrderAgeUs: number;
  fairPriceSource: FairPriceSource;
  tilt: TiltConfig | null;
  /** Cancel everything and flatten when |position| reaches this, lots; null = never. */
  flattenAtPositionLots: number | null;
  /**
   * Skip the post-only clamp (rule 4): a level-0 quote may sit at or through the mid and the
   * opposite touch. Meant for model markets (src/model-market), where no book forbids it; against a
   * real book such a post-only order would be rejected by the exchange.
   */
  quoteThroughMid: boolean;
}

/** Fixed values that replace signal readings (for paper reproductions and tests). */
export interface ModelOverrides {
  sigmaTicksPerSqrtS: number | null;
  intensityAPerS: number | null;
  intensityKPerTick: number | null;
}

export interface FixedConfig extends CommonConfig {
  kind: 'fixed';
  /** Distance of the level-0 quotes from the fair price, ticks. */
  halfSpreadTicks: number;
  /** Both quotes move down by this many ticks per lot of long position (up when short). */
  skewTicksPerLot: number;
}

/**
 * Risk aversion γ as written, exactly one of the two set: per tick of wealth (`gammaPerTick`), or per
 * unit of the quote currency (`gamma`, the papers' unit), which the strategy converts with the
 * instrument's tick size: γ_tick = γ × tickSize. Wealth counts inventory units, not lots.
 */
export interface RiskAversion {
  gammaPerTick: number | null;
  gamma: number | null;
}

/** How T − t is measured: a constant (`rolling`), or counting down to the next multiple of `horizonS`. */
export type HorizonMode = 'rolling' | 'countdown';

export interface AvellanedaStoikovConfig extends CommonConfig, RiskAversion {
  kind: 'avellaneda-stoikov';
  /**
   * `rolling`: T − t is the constant `horizonS`. `countdown`: sessions of `horizonS` seconds start
   * at every multiple of `horizonS` since the Unix epoch (tsUs = 0), and T − t = horizonS − (time
   * since the session start): the paper's finite horizon.
   */
  horizonMode: HorizonMode;
  /** T − t (rolling) or the session length T (countdown), seconds. */
  horizonS: number;
  /** The paper's symmetric benchmark: the same total spread, centred on the fair price, inventory ignored. */
  symmetric: boolean;
  /**
   * Include the inventory-risk term γσ²(T − t) in the total spread (eq. 30, the default). Without it
   * the spread is (2/γ)·ln(1 + γ/k) alone: the "spread" column of the paper's §3.3 tables, and with
   * it the tables' numbers (docs/MODEL_MARKETS.md). The reservation price keeps its term.
   */
  spreadRiskTerm: boolean;
  /** Lots per inventory unit q (default: `sizeLots`). */
  inventoryUnitLots: number;
  overrides: ModelOverrides;
}

/** GLFT; its risk aversion γ is also its ξ. */
export interface GlftConfig extends CommonConfig, RiskAversion {
  kind: 'glft';
  /** Multiplier of the half spread (hftbacktest's adj1). */
  halfSpreadAdj: number;
  /** Multiplier of the inventory skew (hftbacktest's adj2). */
  skewAdj: number;
  /** Lots per inventory unit q (Δ = 1 unit; default: `sizeLots`). */
  inventoryUnitLots: number;
  overrides: ModelOverrides;
}

export type StrategyConfig = FixedConfig | AvellanedaStoikovConfig | GlftConfig;

/** What a scenario may write: `kind` plus any subset of keys; the rest take defaults. */
export type StrategyConfigInput = { kind: StrategyKind } & Record<string, unknown>;

export const COMMON_DEFAULTS = {
  levels: 1,
  levelSpacingTicks: 1,
  minSpreadTicks: 1,
  requoteToleranceTicks: 0,
  maxOrderAgeUs: 30_000_000,
  fairPriceSource: 'mid' as FairPriceSource,
  quoteThroughMid: false,
} as const;

export const TILT_DEFAULTS: TiltConfig = { obiTicksPerUnit: 0, ofiTicksPerLot: 0, micropriceWeight: 0, maxTiltTicks: 10 };
export const FIXED_DEFAULTS = { halfSpreadTicks: 1, skewTicksPerLot: 0 } as const;
export const AS_DEFAULTS = { horizonS: 1, horizonMode: 'rolling' as HorizonMode, symmetric: false, spreadRiskTerm: true } as const;
export const GLFT_DEFAULTS = { halfSpreadAdj: 1, skewAdj: 1 } as const;

const COMMON_KEYS = ['kind', 'levels', 'levelSpacingTicks', 'sizeLots', 'sizeNotionalQuote', 'minSpreadTicks', 'maxPositionLots',
  'requoteToleranceTicks', 'maxOrderAgeUs', 'fairPriceSource', 'tilt', 'flattenAtPositionLots', 'quoteThroughMid'];
const KIND_KEYS: Record<StrategyKind, string[]> = {
  fixed: ['halfSpreadTicks', 'skewTicksPerLot'],
  'avellaneda-stoikov': ['gammaPerTick', 'gamma', 'horizonS', 'horizonMode', 'symmetric', 'spreadRiskTerm', 'inventoryUnitLots', 'overrides'],
  glft: ['gammaPerTick', 'gamma', 'halfSpreadAdj', 'skewAdj', 'inventoryUnitLots', 'overrides'],
};
const FAIR_SOURCES: FairPriceSource[] = ['mid', 'microprice', 'mark', 'external'];

interface NumberRule {
  integer?: boolean;
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
}

function fail(field: string, message: string): never {
  throw new ConfigError(`${field}: ${message}`, { field });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkNumber(value: unknown, field: string, rule: NumberRule): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, `expected a finite number, got ${JSON.stringify(value)}`);
  if (rule.integer && !Number.isSafeInteger(value)) fail(field, `expected an integer, got ${value}`);
  if (rule.min !== undefined && value < rule.min) fail(field, `must be ≥ ${rule.min}, got ${value}`);
  if (rule.above !== undefined && value <= rule.above) fail(field, `must be > ${rule.above}, got ${value}`);
  return value;
}

function num(obj: Record<string, unknown>, key: string, path: string, rule: NumberRule, fallback?: number): number {
  const v = obj[key];
  if (v === undefined) {
    if (fallback === undefined) fail(`${path}.${key}`, 'is required');
    return fallback;
  }
  return checkNumber(v, `${path}.${key}`, rule);
}

function optionalNum(obj: Record<string, unknown>, key: string, path: string, rule: NumberRule): number | null {
  const v = obj[key];
  return v === undefined || v === null ? null : checkNumber(v, `${path}.${key}`, rule);
}

function rejectUnknownKeys(obj: Record<string, unknown>, allowed: string[], path: string): void {
  for (const key of Object.keys(obj).sort()) {
    if (!allowed.includes(key)) fail(`${path}.${key}`, `unknown key (allowed: ${allowed.join(', ')})`);
  }
}

function bool(obj: Record<string, unknown>, key: string, path: string, fallback: boolean): boolean {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') fail(`${path}.${key}`, `expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** Exactly one of `gammaPerTick` and `gamma`, each > 0. */
function parseRiskAversion(raw: Record<string, unknown>, path: string): RiskAversion {
  const perTick = optionalNum(raw, 'gammaPerTick', path, { above: 0 });
  const perPriceUnit = optionalNum(raw, 'gamma', path, { above: 0 });
  if (perTick !== null && perPriceUnit !== null) fail(`${path}.gamma`, 'set either gammaPerTick or gamma, not both');
  if (perTick !== null || perPriceUnit !== null) return { gammaPerTick: perTick, gamma: perPriceUnit };
  return fail(`${path}.gammaPerTick`, 'is required (or gamma, per unit of the quote currency)');
}

function parseTilt(raw: unknown, path: string): TiltConfig | null {
  if (raw === undefined || raw === null) return null;
  if (!isRecord(raw)) fail(path, 'expected an object');
  rejectUnknownKeys(raw, Object.keys(TILT_DEFAULTS), path);
  return {
    obiTicksPerUnit: num(raw, 'obiTicksPerUnit', path, {}, TILT_DEFAULTS.obiTicksPerUnit),
    ofiTicksPerLot: num(raw, 'ofiTicksPerLot', path, {}, TILT_DEFAULTS.ofiTicksPerLot),
    micropriceWeight: num(raw, 'micropriceWeight', path, {}, TILT_DEFAULTS.micropriceWeight),
    maxTiltTicks: num(raw, 'maxTiltTicks', path, { min: 0 }, TILT_DEFAULTS.maxTiltTicks),
  };
}

function parseOverrides(raw: unknown, path: string): ModelOverrides {
  if (raw === undefined || raw === null) return { sigmaTicksPerSqrtS: null, intensityAPerS: null, intensityKPerTick: null };
  if (!isRecord(raw)) fail(path, 'expected an object');
  rejectUnknownKeys(raw, ['sigmaTicksPerSqrtS', 'intensityAPerS', 'intensityKPerTick'], path);
  return {
    sigmaTicksPerSqrtS: optionalNum(raw, 'sigmaTicksPerSqrtS', path, { min: 0 }),
    intensityAPerS: optionalNum(raw, 'intensityAPerS', path, { above: 0 }),
    intensityKPerTick: optionalNum(raw, 'intensityKPerTick', path, { above: 0 }),
  };
}

function parseCommon(raw: Record<string, unknown>, path: string): CommonConfig {
  const sizeLots = optionalNum(raw, 'sizeLots', path, { integer: true, min: 1 });
  const sizeNotionalQuote = optionalNum(raw, 'sizeNotionalQuote', path, { above: 0 });
  if (sizeLots !== null && sizeNotionalQuote !== null) fail(`${path}.sizeNotionalQuote`, 'set either sizeLots or sizeNotionalQuote, not both');
  const fair = raw.fairPriceSource ?? COMMON_DEFAULTS.fairPriceSource;
  if (typeof fair !== 'string' || !FAIR_SOURCES.includes(fair as FairPriceSource)) {
    fail(`${path}.fairPriceSource`, `expected one of ${FAIR_SOURCES.join(', ')}, got ${JSON.stringify(fair)}`);
  }
  const maxPositionLots = num(raw, 'maxPositionLots', path, { integer: true, min: 0 });
  const flattenAtPositionLots = optionalNum(raw, 'flattenAtPositionLots', path, { integer: true, min: 1 });
  if (flattenAtPositionLots !== null && flattenAtPositionLots <= maxPositionLots) {
    fail(`${path}.flattenAtPositionLots`, `must be > maxPositionLots (${maxPositionLots}), got ${flattenAtPositionLots}`);
  }
  return {
    levels: num(raw, 'levels', path, { integer: true, min: 1 }, COMMON_DEFAULTS.levels),
    levelSpacingTicks: num(raw, 'levelSpacingTicks', path, { integer: true, min: 1 }, COMMON_DEFAULTS.levelSpacingTicks),
    sizeLots: sizeLots === null && sizeNotionalQuote === null ? 1 : sizeLots,
    sizeNotionalQuote,
    minSpreadTicks: num(raw, 'minSpreadTicks', path, { integer: true, min: 1 }, COMMON_DEFAULTS.minSpreadTicks),
    maxPositionLots,
    requoteToleranceTicks: num(raw, 'requoteToleranceTicks', path, { integer: true, min: 0 }, COMMON_DEFAULTS.requoteToleranceTicks),
    maxOrderAgeUs: num(raw, 'maxOrderAgeUs', path, { integer: true, min: 1 }, COMMON_DEFAULTS.maxOrderAgeUs),
    fairPriceSource: fair as FairPriceSource,
    tilt: parseTilt(raw.tilt, `${path}.tilt`),
    flattenAtPositionLots,
    quoteThroughMid: bool(raw, 'quoteThroughMid', path, COMMON_DEFAULTS.quoteThroughMid),
  };
}

function inventoryUnit(raw: Record<string, unknown>, common: CommonConfig, path: string): number {
  if (raw.inventoryUnitLots === undefined && common.sizeLots === null) {
    fail(`${path}.inventoryUnitLots`, 'is required when the size is given as sizeNotionalQuote');
  }
  return num(raw, 'inventoryUnitLots', path, { above: 0 }, common.sizeLots ?? undefined);
}

function parseHorizonMode(v: unknown, field: string): HorizonMode {
  if (v === undefined) return AS_DEFAULTS.horizonMode;
  if (v !== 'rolling' && v !== 'countdown') fail(field, `expected one of rolling, countdown, got ${JSON.stringify(v)}`);
  return v;
}

/** Validates a raw config (e.g. parsed YAML) and fills in defaults. `path` prefixes error fields. */
export function parseStrategyConfig(raw: unknown, path = 'strategy'): StrategyConfig {
  if (!isRecord(raw)) fail(path, 'expected an object');
  const kind = raw.kind;
  if (kind !== 'fixed' && kind !== 'avellaneda-stoikov' && kind !== 'glft') {
    fail(`${path}.kind`, `expected one of fixed, avellaneda-stoikov, glft, got ${JSON.stringify(kind)}`);
  }
  rejectUnknownKeys(raw, [...COMMON_KEYS, ...KIND_KEYS[kind]], path);
  const common = parseCommon(raw, path);
  switch (kind) {
    case 'fixed':
      return {
        ...common,
        kind,
        halfSpreadTicks: num(raw, 'halfSpreadTicks', path, { min: 0 }, FIXED_DEFAULTS.halfSpreadTicks),
        skewTicksPerLot: num(raw, 'skewTicksPerLot', path, { min: 0 }, FIXED_DEFAULTS.skewTicksPerLot),
      };
    case 'avellaneda-stoikov':
      return {
        ...common,
        kind,
        ...parseRiskAversion(raw, path),
        horizonMode: parseHorizonMode(raw.horizonMode, `${path}.horizonMode`),
        horizonS: num(raw, 'horizonS', path, { above: 0 }, AS_DEFAULTS.horizonS),
        symmetric: bool(raw, 'symmetric', path, AS_DEFAULTS.symmetric),
        spreadRiskTerm: bool(raw, 'spreadRiskTerm', path, AS_DEFAULTS.spreadRiskTerm),
        inventoryUnitLots: inventoryUnit(raw, common, path),
        overrides: parseOverrides(raw.overrides, `${path}.overrides`),
      };
    case 'glft':
      return {
        ...common,
        kind,
        ...parseRiskAversion(raw, path),
        halfSpreadAdj: num(raw, 'halfSpreadAdj', path, { above: 0 }, GLFT_DEFAULTS.halfSpreadAdj),
        skewAdj: num(raw, 'skewAdj', path, { min: 0 }, GLFT_DEFAULTS.skewAdj),
        inventoryUnitLots: inventoryUnit(raw, common, path),
        overrides: parseOverrides(raw.overrides, `${path}.overrides`),
      };
  }
}
