/**
 * `TraderConfig`: one section per module plus the trader's own `decision` rules. Each section is
 * validated by its module's parser (`parseStrategyConfig`, `parseRiskConfig`, `resolveSignalConfig`,
 * `parseOmsConfig`); errors are `ConfigError`s whose `field` is the full key path
 * (`trader.risk.orderRate.per10s`, `trader.decision.minIntervalUs`). Units are in the key names.
 */
import { ConfigError } from '../core/errors.ts';
import { DEFAULT_OMS_CONFIG, parseOmsConfig, type OmsConfig } from '../oms/index.ts';
import { DEFAULT_RISK_CONFIG, parseRiskConfig, type RiskConfig } from '../risk/index.ts';
import { DEFAULT_SIGNAL_CONFIG, resolveSignalConfig, type SignalConfig } from '../signal/index.ts';
import { parseStrategyConfig, type StrategyConfig } from '../strategy/index.ts';

/** Which events feed the book the strategy sees. */
import type { BookSource } from '../marketdata/index.ts';

export type { BookSource };
/** Where the portfolio's mark (valuation) price comes from. */
export type MarkSource = 'auto' | 'markPrice' | 'mid';
/** Which order-book imbalance the strategy's `obi` reading is. */
export type ObiSource = 'l1' | 'levels' | 'band';
/** Which price the strategy's `micropriceTicks` reading is. */
export type MicropriceSource = 'stoikov' | 'weightedMid';

/** When and how the trading core decides (see the decision rule in core.ts). */
export interface DecisionConfig {
  /** At least this long between two decisions of one symbol; a trigger inside it is deferred, µs. */
  minIntervalUs: number;
  /** Periodic decision (signal drift, order ages) on the grid of multiples of this, µs; 0 = off. */
  requoteIntervalUs: number;
  /**
   * 'auto': bookTickers until a depth diff/snapshot is seen for the symbol, then the fused book (the
   * depth book with every newer bookTicker laid over its top; marketdata/market-book.ts). 'depth':
   * diffs and snapshots only. 'bookTicker': a 1-level book. In a scenario, `data.book` sets it
   * unless `decision.bookSource` is written.
   */
  bookSource: BookSource;
  /** 'auto': mark price events once any was seen, the mid before that. */
  markSource: MarkSource;
  /** When marking from the mid, re-mark the portfolio at most this often, µs. */
  midMarkIntervalUs: number;
  obiSource: ObiSource;
  micropriceSource: MicropriceSource;
  /** Also decide when only the quantity at the best bid/ask changed (imbalance-tilted strategies). */
  decideOnTopQtyChange: boolean;
}

export const DEFAULT_DECISION_CONFIG: Readonly<DecisionConfig> = Object.freeze({
  minIntervalUs: 0,
  requoteIntervalUs: 100_000,
  bookSource: 'auto',
  markSource: 'auto',
  midMarkIntervalUs: 1_000_000,
  obiSource: 'l1',
  micropriceSource: 'stoikov',
  decideOnTopQtyChange: false,
});

/** The resolved configuration (every key present). Signal config without the per-symbol tick size. */
export interface TraderConfig {
  signal: Omit<SignalConfig, 'tickSize'>;
  strategy: StrategyConfig;
  risk: RiskConfig;
  oms: OmsConfig;
  decision: DecisionConfig;
}

/** What a scenario may write: `strategy` is required, every other section and key is optional. */
export interface TraderConfigInput {
  signal?: Partial<Omit<SignalConfig, 'tickSize'>>;
  strategy: unknown;
  risk?: unknown;
  oms?: unknown;
  decision?: Partial<DecisionConfig>;
}

const SECTIONS = ['signal', 'strategy', 'risk', 'oms', 'decision'];

function fail(field: string, message: string): never {
  throw new ConfigError(`${field}: ${message}`, { field });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(obj)) if (!allowed.includes(key)) fail(`${path}.${key}`, `unknown key (allowed: ${allowed.join(', ')})`);
}

function parseSignal(raw: unknown, path: string): Omit<SignalConfig, 'tickSize'> {
  if (raw === undefined) return { ...DEFAULT_SIGNAL_CONFIG };
  if (!isRecord(raw)) fail(path, `expected a mapping, got ${JSON.stringify(raw)}`);
  checkKeys(raw, Object.keys(DEFAULT_SIGNAL_CONFIG), path);
  for (const [k, v] of Object.entries(raw)) if (typeof v !== 'number') fail(`${path}.${k}`, `expected a number, got ${JSON.stringify(v)}`);
  try {
    // The tick size is per instrument; a placeholder validates everything else.
    const { tickSize: _tick, ...rest } = resolveSignalConfig({ ...(raw as Partial<SignalConfig>), tickSize: '1' });
    return rest;
  } catch (e) {
    if (e instanceof ConfigError && e.location.field?.startsWith('signal.')) {
      const field = `${path}.${e.location.field.slice('signal.'.length)}`;
      throw new ConfigError(`${field}: ${e.message}`, { field });
    }
    throw e;
  }
}

function parseDecision(raw: unknown, path: string): DecisionConfig {
  if (raw === undefined) return { ...DEFAULT_DECISION_CONFIG };
  if (!isRecord(raw)) fail(path, `expected a mapping, got ${JSON.stringify(raw)}`);
  const d = DEFAULT_DECISION_CONFIG;
  checkKeys(raw, Object.keys(d), path);
  const get = <K extends keyof DecisionConfig>(k: K): unknown => (raw[k] === undefined ? d[k] : raw[k]);
  const us = (k: 'minIntervalUs' | 'requoteIntervalUs' | 'midMarkIntervalUs'): number => {
    const v = get(k);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${path}.${k}`, `expected an integer ≥ 0 (µs), got ${JSON.stringify(v)}`);
    return v;
  };
  const oneOf = <T extends string>(k: keyof DecisionConfig, allowed: readonly T[]): T => {
    const v = get(k);
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(`${path}.${k}`, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  };
  const flag = get('decideOnTopQtyChange');
  if (typeof flag !== 'boolean') fail(`${path}.decideOnTopQtyChange`, `expected true or false, got ${JSON.stringify(flag)}`);
  return {
    minIntervalUs: us('minIntervalUs'),
    requoteIntervalUs: us('requoteIntervalUs'),
    bookSource: oneOf('bookSource', ['auto', 'depth', 'bookTicker'] as const),
    markSource: oneOf('markSource', ['auto', 'markPrice', 'mid'] as const),
    midMarkIntervalUs: us('midMarkIntervalUs'),
    obiSource: oneOf('obiSource', ['l1', 'levels', 'band'] as const),
    micropriceSource: oneOf('micropriceSource', ['stoikov', 'weightedMid'] as const),
    decideOnTopQtyChange: flag,
  };
}

/**
 * Validates a raw configuration (a parsed YAML mapping, or an already resolved `TraderConfig`:
 * parsing is idempotent). `path` is the key path of the section in the scenario file.
 */
export function parseTraderConfig(raw: unknown, path = 'trader'): TraderConfig {
  if (!isRecord(raw)) fail(path, `expected a mapping, got ${JSON.stringify(raw)}`);
  checkKeys(raw, SECTIONS, path);
  if (raw.strategy === undefined) fail(`${path}.strategy`, 'missing (a strategy with its `kind` is required)');
  return {
    signal: parseSignal(raw.signal, `${path}.signal`),
    strategy: parseStrategyConfig(raw.strategy, `${path}.strategy`),
    risk: parseRiskConfig(raw.risk ?? {}, `${path}.risk`, DEFAULT_RISK_CONFIG),
    oms: parseOmsConfig(raw.oms ?? {}, `${path}.oms`, DEFAULT_OMS_CONFIG),
    decision: parseDecision(raw.decision, `${path}.decision`),
  };
}
