/**
 * Money limits turned into integers of one instrument, once per instrument, so that each check is
 * integer arithmetic on ticks and lots.
 *
 * A "tick-lot" is the notional of one lot at a price of one tick: tickSize × stepSize in the margin
 * asset. The notional of `lots` at `priceTicks` is `priceTicks × lots` tick-lots, exactly. A limit
 * of N (margin asset) becomes floor(N / (tickSize × stepSize)) tick-lots, rounded down so that the
 * integer check is never looser than the decimal one.
 */
import { Decimal } from 'decimal.js';
import { ConfigError } from '../core/errors.ts';
import { decimalsOf, parseFixed, pow10 } from '../model/decimal.ts';
import type { Instrument } from '../model/instrument.ts';
import type { RiskConfig } from './config.ts';

export interface InstrumentLimits {
  /** Per-quote notional cap, tick-lots; +Infinity when off. */
  maxOrderTickLots: number;
  /** Worst-case position notional cap, tick-lots; +Infinity when off. */
  maxPositionTickLots: number;
  /** MIN_NOTIONAL of the instrument, tick-lots, rounded up (0 when the spec has none). */
  minNotionalTickLots: number;
  /** min(config, the instrument's MAX_NUM_ORDERS). */
  maxOpenOrders: number;
  /** PERCENT_PRICE multipliers as integers over 10^decimals; null when not enforced or unknown. */
  percentPrice: { upUnits: number; downUnits: number; scale: number } | null;
}

const Dx = Decimal.clone({ precision: 40 });

function tickLot(inst: Instrument): Decimal {
  return new Dx(inst.tickUnits).times(inst.stepUnits).div(new Dx(10).pow(inst.priceDecimals + inst.qtyDecimals));
}

function toTickLots(amount: string | null, inst: Instrument, key: string): number {
  if (amount === null) return Number.POSITIVE_INFINITY;
  const v = new Dx(amount).div(tickLot(inst)).floor();
  if (v.gt(Number.MAX_SAFE_INTEGER)) throw new ConfigError(`${key}: ${amount} is too large for ${inst.symbol} (over 2^53 tick-lots)`, { field: key });
  return v.toNumber();
}

export function instrumentLimits(config: RiskConfig, inst: Instrument): InstrumentLimits {
  const pp = inst.spec.percentPrice;
  let percentPrice: InstrumentLimits['percentPrice'] = null;
  if (config.enforcePercentPrice && pp) {
    const d = Math.max(decimalsOf(pp.multiplierUp), decimalsOf(pp.multiplierDown), 0);
    percentPrice = { upUnits: parseFixed(pp.multiplierUp, d), downUnits: parseFixed(pp.multiplierDown, d), scale: pow10(d) };
  }
  const exchangeMax = inst.spec.maxNumOrders;
  return {
    maxOrderTickLots: toTickLots(config.maxOrderNotional, inst, 'risk.maxOrderNotional'),
    maxPositionTickLots: toTickLots(config.maxPositionNotional, inst, 'risk.maxPositionNotional'),
    minNotionalTickLots: Math.max(0, new Dx(inst.spec.minNotional).div(tickLot(inst)).ceil().toNumber()),
    maxOpenOrders: exchangeMax !== undefined && exchangeMax > 0 ? Math.min(config.maxOpenOrders, exchangeMax) : config.maxOpenOrders,
    percentPrice,
  };
}
