/**
 * Validation of a user-written OMS configuration (a scenario's `oms:` section). Keys and units are
 * those of `OmsConfig` (times in µs); absent keys take `DEFAULT_OMS_CONFIG`. A wrong or unknown key
 * is a `ConfigError` whose `field` is the key path (`oms.orderTtlUs`).
 */
import { ConfigError } from '../core/errors.ts';
import type { TimeInForce } from '../model/venue.ts';
import type { ModifyMode } from './reconcile.ts';

export interface OmsConfig {
  /** Client order id prefix (with the run tag at most 24 characters of [.A-Z:/a-z0-9_-]). */
  idPrefix: string;
  /** Run tag making ids unique across runs/sessions; '' in backtests keeps ids deterministic. */
  runTag: string;
  modifyMode: ModifyMode;
  qtyTolerance: number;
  orderTtlUs: number;
  /** Time in force of quotes; GTX = post-only. */
  quoteTimeInForce: TimeInForce;
  /** Flatten with a reduce-only MARKET order, or an IOC limit at `DecisionContext.flattenPriceTicks`. */
  flattenOrderType: 'MARKET' | 'IOC';
  /** Minimum interval between two queries of the same unknown order, µs. */
  queryIntervalUs: number;
  /**
   * After this long since a request was sent, a query showing the request had no effect is
   * conclusive: Binance drops requests older than recvWindow, so it cannot land later. ≥ recvWindow.
   */
  requestGraceUs: number;
  /** Ended orders are remembered this long (to absorb late reports), µs. */
  terminalRetentionUs: number;
}

export const DEFAULT_OMS_CONFIG: OmsConfig = {
  idPrefix: 'mk',
  runTag: '',
  modifyMode: 'amend',
  qtyTolerance: 0,
  orderTtlUs: 0,
  quoteTimeInForce: 'GTX',
  flattenOrderType: 'MARKET',
  queryIntervalUs: 1_000_000,
  requestGraceUs: 10_000_000,
  terminalRetentionUs: 300_000_000,
};

const KEYS = Object.keys(DEFAULT_OMS_CONFIG) as (keyof OmsConfig)[];

function fail(field: string, message: string): never {
  throw new ConfigError(`${field}: ${message}`, { field });
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], field: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(field, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function integerUs(v: unknown, field: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) fail(field, `expected an integer ≥ ${min} (µs), got ${JSON.stringify(v)}`);
  return v;
}

/** `raw` merged over `base` (default `DEFAULT_OMS_CONFIG`); throws `ConfigError` naming the key. */
export function parseOmsConfig(raw: unknown = {}, prefix = 'oms', base: Readonly<OmsConfig> = DEFAULT_OMS_CONFIG): OmsConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(prefix, `expected a mapping, got ${JSON.stringify(raw)}`);
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) if (!(KEYS as string[]).includes(key)) fail(`${prefix}.${key}`, `unknown key (allowed: ${KEYS.join(', ')})`);
  const get = <K extends keyof OmsConfig>(k: K): unknown => (r[k] === undefined ? base[k] : r[k]);
  const k = (name: string): string => `${prefix}.${name}`;
  const text = (name: 'idPrefix' | 'runTag'): string => {
    const v = get(name);
    if (typeof v !== 'string') fail(k(name), `expected a string, got ${JSON.stringify(v)}`);
    return v;
  };
  const idPrefix = text('idPrefix');
  const runTag = text('runTag');
  const stem = runTag ? `${idPrefix}-${runTag}` : idPrefix;
  if (!/^[.A-Z:/a-z0-9_-]{1,24}$/.test(stem)) fail(k(runTag ? 'runTag' : 'idPrefix'), `"${stem}" must be 1-24 characters of [.A-Z:/a-z0-9_-] (Binance client order ids)`);
  const qtyTolerance = get('qtyTolerance');
  if (typeof qtyTolerance !== 'number' || !(qtyTolerance >= 0 && qtyTolerance < 1)) fail(k('qtyTolerance'), `expected a fraction in [0, 1), got ${JSON.stringify(qtyTolerance)}`);
  const cfg: OmsConfig = {
    idPrefix,
    runTag,
    modifyMode: oneOf(get('modifyMode'), ['amend', 'cancel-replace'] as const, k('modifyMode')),
    qtyTolerance,
    orderTtlUs: integerUs(get('orderTtlUs'), k('orderTtlUs'), 0),
    quoteTimeInForce: oneOf(get('quoteTimeInForce'), ['GTC', 'GTX'] as const, k('quoteTimeInForce')),
    flattenOrderType: oneOf(get('flattenOrderType'), ['MARKET', 'IOC'] as const, k('flattenOrderType')),
    queryIntervalUs: integerUs(get('queryIntervalUs'), k('queryIntervalUs'), 1),
    requestGraceUs: integerUs(get('requestGraceUs'), k('requestGraceUs'), 0),
    terminalRetentionUs: integerUs(get('terminalRetentionUs'), k('terminalRetentionUs'), 0),
  };
  return cfg;
}
