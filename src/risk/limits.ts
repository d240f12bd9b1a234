/**
 * The risk config's money limits turned into integers of one instrument, once per instrument, so
 * that each check is integer arithmetic on ticks and lots.
 *
 * A "tick-lot" is the notional of one lot at a price of one tick: tickSize × stepSize in the margin
 * asset. The notional of `lots` at `priceTicks` is `priceTicks × lots` tick-lots, exactly. A limit
 * of N (margin asset) becomes floor(N / (tickSize × stepSize)) tick-lots, rounded down so that the
 * integer check is never looser than the decimal one. The instrument's own limits (MIN_NOTIONAL in
 * tick-lots, PERCENT_PRICE) are precomputed by `Instrument` and read from there.
 */
import { ConfigError } from '../core/errors.ts';
import type { Instrument, PercentPriceUnits } from '../model/instrument.ts';
import { parseDecimal } from '../model/money.ts';
import type { RiskConfig } from './config.ts';

export interface InstrumentLimits {
  /** Per-quote notional cap, tick-lots; +Infinity when off. */
  maxOrderTickLots: number;
  /** Worst-case position notional cap, tick-lots; +Infinity when off. */
  maxPositionTickLots: number;
  /** min(config, the instrument's MAX_NUM_ORDERS). */
  maxOpenOrders: number;
  /** The instrument's PERCENT_PRICE multipliers; null when not enforced or unknown. */
  percentPrice: PercentPriceUnits | null;
}

function toTickLots(amount: string | null, inst: Instrument, key: string): number {
  if (amount === null) return Number.POSITIVE_INFINITY;
  const v = inst.toTickLots(parseDecimal(amount, key), 'floor');
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ConfigError(`${key}: ${amount} is too large for ${inst.symbol} (over 2^53 tick-lots)`, { field: key });
  return Number(v);
}

export function instrumentLimits(config: RiskConfig, inst: Instrument): InstrumentLimits {
  const exchangeMax = inst.spec.maxNumOrders;
  return {
    maxOrderTickLots: toTickLots(config.maxOrderNotional, inst, 'risk.maxOrderNotional'),
    maxPositionTickLots: toTickLots(config.maxPositionNotional, inst, 'risk.maxPositionNotional'),
    maxOpenOrders: exchangeMax !== undefined && exchangeMax > 0 ? Math.min(config.maxOpenOrders, exchangeMax) : config.maxOpenOrders,
    percentPrice: config.enforcePercentPrice ? inst.percentPrice : null,
  };
}
