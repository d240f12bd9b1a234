/**
 * Risk configuration: every limit the risk engine enforces, with its unit in its name.
 *
 * Conventions: lots are integer lots of the guarded instrument; notionals and losses are exact
 * decimal strings in the margin asset (USDT or USDC); fractions are plain numbers (0.1 = 10 %);
 * times are integer microseconds; `null` disables an optional rule. `parseRiskConfig` merges a
 * partial user config over `DEFAULT_RISK_CONFIG` and throws a `ConfigError` naming the key
 * (`risk.orderRate.per10s`) for an unknown key, a wrong type or a value out of range.
 */
import { ConfigError } from '../core/errors.ts';
import { normalizeDecimal } from '../model/decimal.ts';

/** Where a drawdown or daily-loss stop takes the trading state. */
export type StopState = 'REDUCING' | 'HALTED';

export interface OrderRateConfig {
  /** Orders (new + modify) allowed in any sliding 1 s window; null = no per-second limit. */
  perSecond: number | null;
  /** Orders allowed in any sliding 10 s window (Binance ORDERS 300 / 10 SECOND). */
  per10s: number | null;
  /** Orders allowed in any sliding 60 s window (Binance ORDERS 1200 / 1 MINUTE). */
  perMinute: number | null;
}

export interface VolatilityConfig {
  /** Halt when σ (ticks per √second, from the signal module) exceeds this; null = off. */
  maxSigmaTicksPerSqrtS: number | null;
  /** Halt when max − min of the mid within `jumpWindowUs` exceeds this many ticks; null = off. */
  maxMidJumpTicks: number | null;
  /** Halt when that range exceeds this many basis points of the current mid; null = off. */
  maxMidJumpBps: number | null;
  /** Length of the mid-jump window, µs. */
  jumpWindowUs: number;
  /** How long a volatility halt lasts after the last breach, µs. */
  cooldownUs: number;
}

export interface RiskConfig {
  /** Worst-case |position| in lots: position + all open same-side orders + new quotes. */
  maxPositionLots: number;
  /** The same worst case valued at the mark price, margin asset; null = off. */
  maxPositionNotional: string | null;
  /** price × quantity of one quote, margin asset; null = off. */
  maxOrderNotional: string | null;
  /** Quotes in one intent (the desired resting set); also capped by the instrument's MAX_NUM_ORDERS. */
  maxOpenOrders: number;
  /** marginUsed / equity at or above which only reducing quotes pass; null = off. */
  maxCapitalUsage: number | null;
  /** (peak − equity) / peak at or above which the stop trips; null = off. */
  maxDrawdownFraction: number | null;
  /** dayStart − equity at or above which the stop trips, margin asset; null = off. */
  maxDailyLoss: string | null;
  /** (dayStart − equity) / dayStart at or above which the stop trips; null = off. */
  maxDailyLossFraction: number | null;
  /** State a drawdown or daily-loss stop moves to. */
  stopState: StopState;
  orderRate: OrderRateConfig;
  /** No quote further than this from the mid, basis points; null = off. */
  maxDistanceFromMidBps: number | null;
  /** Drop quotes outside the instrument's PERCENT_PRICE band vs mark (when the spec has one). */
  enforcePercentPrice: boolean;
  /** No quoting when the last book update is older than this, µs; null = off. */
  maxBookAgeUs: number | null;
  volatility: VolatilityConfig;
  /**
   * After the venue throttles us (HTTP 429/418, a `throttled` venue event), how long past the end
   * of the ban the state stays REDUCING (only position-reducing quotes), µs. The core sends nothing
   * during the ban itself.
   */
  throttleCooldownUs: number;
}

export const DEFAULT_RISK_CONFIG: Readonly<RiskConfig> = Object.freeze({
  maxPositionLots: 10,
  maxPositionNotional: null,
  maxOrderNotional: null,
  maxOpenOrders: 20,
  maxCapitalUsage: 0.5,
  maxDrawdownFraction: 0.1,
  maxDailyLoss: null,
  maxDailyLossFraction: 0.05,
  stopState: 'REDUCING',
  orderRate: Object.freeze({ perSecond: null, per10s: 300, perMinute: 1200 }),
  maxDistanceFromMidBps: 100,
  enforcePercentPrice: true,
  maxBookAgeUs: 5_000_000,
  volatility: Object.freeze({
    maxSigmaTicksPerSqrtS: null,
    maxMidJumpTicks: null,
    maxMidJumpBps: 50,
    jumpWindowUs: 1_000_000,
    cooldownUs: 30_000_000,
  }),
  throttleCooldownUs: 60_000_000,
}) as RiskConfig;

type Obj = Record<string, unknown>;

function fail(key: string, message: string): never {
  throw new ConfigError(`${key}: ${message}`, { field: key });
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(raw: Obj, allowed: readonly string[], prefix: string): void {
  for (const k of Object.keys(raw)) {
    if (!allowed.includes(k)) fail(`${prefix}.${k}`, `unknown key (known: ${allowed.join(', ')})`);
  }
}

interface NumRule {
  integer?: boolean;
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  max?: number;
}

function num(raw: unknown, key: string, rule: NumRule): number {
  if (typeof raw !== 'number' || !Number.isFinite(raw)) fail(key, `expected a finite number, got ${JSON.stringify(raw)}`);
  if (rule.integer && !Number.isSafeInteger(raw)) fail(key, `expected an integer, got ${raw}`);
  if (rule.min !== undefined && raw < rule.min) fail(key, `must be ≥ ${rule.min}, got ${raw}`);
  if (rule.above !== undefined && raw <= rule.above) fail(key, `must be > ${rule.above}, got ${raw}`);
  if (rule.max !== undefined && raw > rule.max) fail(key, `must be ≤ ${rule.max}, got ${raw}`);
  return raw;
}

function numOrNull(raw: unknown, key: string, rule: NumRule): number | null {
  return raw === null ? null : num(raw, key, rule);
}

/** A positive decimal amount in the margin asset; numbers are accepted and written as strings. */
function moneyOrNull(raw: unknown, key: string): string | null {
  if (raw === null) return null;
  let s: string;
  if (typeof raw === 'string') s = raw.trim();
  else if (typeof raw === 'number' && Number.isFinite(raw)) s = String(raw);
  else fail(key, `expected a decimal string (margin asset) or null, got ${JSON.stringify(raw)}`);
  let norm: string;
  try {
    norm = normalizeDecimal(s);
  } catch {
    fail(key, `"${s}" is not a decimal number`);
  }
  if (norm.startsWith('-') || norm === '0') fail(key, `must be > 0, got ${s}`);
  return norm;
}

function pick<T>(raw: Obj, key: string, fallback: T): unknown {
  return Object.prototype.hasOwnProperty.call(raw, key) ? raw[key] : fallback;
}

const TOP_KEYS = [
  'maxPositionLots',
  'maxPositionNotional',
  'maxOrderNotional',
  'maxOpenOrders',
  'maxCapitalUsage',
  'maxDrawdownFraction',
  'maxDailyLoss',
  'maxDailyLossFraction',
  'stopState',
  'orderRate',
  'maxDistanceFromMidBps',
  'enforcePercentPrice',
  'maxBookAgeUs',
  'volatility',
  'throttleCooldownUs',
] as const;
const RATE_KEYS = ['perSecond', 'per10s', 'perMinute'] as const;
const VOL_KEYS = ['maxSigmaTicksPerSqrtS', 'maxMidJumpTicks', 'maxMidJumpBps', 'jumpWindowUs', 'cooldownUs'] as const;

/**
 * Validates a (partial) risk config and fills the rest from `base` (the defaults unless given).
 * `prefix` is the key path of the section in the scenario file, used in error messages.
 */
export function parseRiskConfig(raw: unknown = {}, prefix = 'risk', base: Readonly<RiskConfig> = DEFAULT_RISK_CONFIG): RiskConfig {
  if (!isObj(raw)) fail(prefix, `expected a mapping, got ${JSON.stringify(raw)}`);
  checkKeys(raw, TOP_KEYS, prefix);
  const k = (name: string): string => `${prefix}.${name}`;

  const rateRaw = pick(raw, 'orderRate', {});
  if (!isObj(rateRaw)) fail(k('orderRate'), `expected a mapping, got ${JSON.stringify(rateRaw)}`);
  checkKeys(rateRaw, RATE_KEYS, k('orderRate'));
  const rate = (name: (typeof RATE_KEYS)[number]): number | null =>
    numOrNull(pick(rateRaw, name, base.orderRate[name]), k(`orderRate.${name}`), { integer: true, min: 0 });

  const volRaw = pick(raw, 'volatility', {});
  if (!isObj(volRaw)) fail(k('volatility'), `expected a mapping, got ${JSON.stringify(volRaw)}`);
  checkKeys(volRaw, VOL_KEYS, k('volatility'));
  const vk = (name: string): string => k(`volatility.${name}`);

  const stopState = pick(raw, 'stopState', base.stopState);
  if (stopState !== 'REDUCING' && stopState !== 'HALTED') fail(k('stopState'), `expected "REDUCING" or "HALTED", got ${JSON.stringify(stopState)}`);
  const enforcePercentPrice = pick(raw, 'enforcePercentPrice', base.enforcePercentPrice);
  if (typeof enforcePercentPrice !== 'boolean') fail(k('enforcePercentPrice'), `expected true or false, got ${JSON.stringify(enforcePercentPrice)}`);

  return {
    maxPositionLots: num(pick(raw, 'maxPositionLots', base.maxPositionLots), k('maxPositionLots'), { integer: true, min: 0 }),
    maxPositionNotional: moneyOrNull(pick(raw, 'maxPositionNotional', base.maxPositionNotional), k('maxPositionNotional')),
    maxOrderNotional: moneyOrNull(pick(raw, 'maxOrderNotional', base.maxOrderNotional), k('maxOrderNotional')),
    maxOpenOrders: num(pick(raw, 'maxOpenOrders', base.maxOpenOrders), k('maxOpenOrders'), { integer: true, min: 0 }),
    maxCapitalUsage: numOrNull(pick(raw, 'maxCapitalUsage', base.maxCapitalUsage), k('maxCapitalUsage'), { above: 0 }),
    maxDrawdownFraction: numOrNull(pick(raw, 'maxDrawdownFraction', base.maxDrawdownFraction), k('maxDrawdownFraction'), { above: 0, max: 1 }),
    maxDailyLoss: moneyOrNull(pick(raw, 'maxDailyLoss', base.maxDailyLoss), k('maxDailyLoss')),
    maxDailyLossFraction: numOrNull(pick(raw, 'maxDailyLossFraction', base.maxDailyLossFraction), k('maxDailyLossFraction'), { above: 0, max: 1 }),
    stopState,
    orderRate: { perSecond: rate('perSecond'), per10s: rate('per10s'), perMinute: rate('perMinute') },
    maxDistanceFromMidBps: numOrNull(pick(raw, 'maxDistanceFromMidBps', base.maxDistanceFromMidBps), k('maxDistanceFromMidBps'), { above: 0 }),
    enforcePercentPrice,
    maxBookAgeUs: numOrNull(pick(raw, 'maxBookAgeUs', base.maxBookAgeUs), k('maxBookAgeUs'), { integer: true, above: 0 }),
    volatility: {
      maxSigmaTicksPerSqrtS: numOrNull(pick(volRaw, 'maxSigmaTicksPerSqrtS', base.volatility.maxSigmaTicksPerSqrtS), vk('maxSigmaTicksPerSqrtS'), { above: 0 }),
      maxMidJumpTicks: numOrNull(pick(volRaw, 'maxMidJumpTicks', base.volatility.maxMidJumpTicks), vk('maxMidJumpTicks'), { above: 0 }),
      maxMidJumpBps: numOrNull(pick(volRaw, 'maxMidJumpBps', base.volatility.maxMidJumpBps), vk('maxMidJumpBps'), { above: 0 }),
      jumpWindowUs: num(pick(volRaw, 'jumpWindowUs', base.volatility.jumpWindowUs), vk('jumpWindowUs'), { integer: true, above: 0 }),
      cooldownUs: num(pick(volRaw, 'cooldownUs', base.volatility.cooldownUs), vk('cooldownUs'), { integer: true, min: 0 }),
    },
    throttleCooldownUs: num(pick(raw, 'throttleCooldownUs', base.throttleCooldownUs), k('throttleCooldownUs'), { integer: true, min: 0 }),
  };
}
