/**
 * Binance USDⓈ-M order filters (binance-usdm.md §4) applied to an order in ticks/lots, returning
 * Binance's error code and message, or null when the order passes. Checked in Binance's order:
 * quantity sign, price sign, PRICE_FILTER, LOT_SIZE / MARKET_LOT_SIZE, PERCENT_PRICE (vs the mark
 * price, only when a mark is known and the spec has the filter), MIN_NOTIONAL (reduce-only exempt;
 * MARKET orders at the mark, or at the opposite best when no mark is known).
 *
 * Ticks and lots are integers by construction, so "off the grid" can only mean a non-integer was
 * passed in: that maps to -4014 (price) / -4023 (quantity) rather than a crash.
 */
import type { Instrument } from '../model/instrument.ts';
import type { Side } from '../model/events.ts';
import type { OrderType } from '../model/venue.ts';
import type { ScaledDecimal } from '../model/money.ts';
import { notionalAtLeast, priceExact } from './money.ts';

export interface Reject {
  code: number;
  message: string;
}

export const REJECT = {
  unknownOrder: { code: -2011, message: 'Unknown order sent.' },
  badSymbol: { code: -1121, message: 'Invalid symbol.' },
  duplicateClientId: { code: -4116, message: 'ClientOrderId is duplicated.' },
  marginInsufficient: { code: -2019, message: 'Margin is insufficient.' },
  maxOpenOrders: { code: -2025, message: 'Reach max open order limit.' },
  reduceOnly: { code: -2022, message: 'ReduceOnly Order is rejected.' },
  positionSideMismatch: { code: -4061, message: "Order's position side does not match user's setting." },
  reduceOnlyInHedge: { code: -1106, message: "Parameter 'reduceonly' sent when not required." },
  postOnly: { code: -5022, message: 'Due to the order could not be executed as maker, the Post Only order will be rejected. The order will not be recorded in the order history' },
  fokUnfillable: { code: -5021, message: 'Due to the order could not be filled immediately, the FOK order has been rejected. The order will not be recorded in the order history' },
  sameOrder: { code: -5027, message: 'No need to modify the order.' },
  modifyNotLimit: { code: -5025, message: 'Only limit order is supported.' },
  qtyNotPositive: { code: -4003, message: 'Quantity less than or equal to zero.' },
  priceNotPositive: { code: -4001, message: 'Price less than 0.' },
  priceAboveMax: { code: -4002, message: 'Price greater than max price.' },
  priceBelowMin: { code: -4013, message: 'Price less than min price.' },
  priceOffTick: { code: -4014, message: 'Price not increased by tick size.' },
  qtyBelowMin: { code: -4004, message: 'Quantity less than min quantity.' },
  qtyAboveMax: { code: -4005, message: 'Quantity greater than max quantity.' },
  qtyOffStep: { code: -4023, message: 'Quantity not increased by step size.' },
  percentPriceUp: { code: -4016, message: 'Limit price can\'t be higher than the PERCENT_PRICE band.' },
  percentPriceDown: { code: -4024, message: 'Limit price can\'t be lower than the PERCENT_PRICE band.' },
  percentPriceMarket: { code: -4131, message: 'The counterparty\'s best price does not meet the PERCENT_PRICE filter limit.' },
  minNotional: { code: -4164, message: 'Order\'s notional must be no smaller than the MIN_NOTIONAL filter.' },
} as const satisfies Record<string, Reject>;

/** What the filters need to know about the market at the time of the check. */
export interface FilterMarket {
  /** Last mark price, null when none seen yet. */
  mark: ScaledDecimal | null;
  /** PERCENT_PRICE band in ticks from the mark: buys must be ≤ maxBuyTicks, sells ≥ minSellTicks (±Infinity when off). */
  maxBuyTicks: number;
  minSellTicks: number;
  /** Best opposite price for a MARKET order's notional when no mark is known (NaN when empty). */
  oppositeBestTicks: number;
}

export class OrderFilters {
  constructor(readonly inst: Instrument) {}

  check(type: OrderType, side: Side, priceTicks: number, qtyLots: number, reduceOnly: boolean, m: FilterMarket): Reject | null {
    const inst = this.inst;
    if (!(qtyLots > 0)) return REJECT.qtyNotPositive;
    if (!Number.isInteger(qtyLots)) return REJECT.qtyOffStep;
    if (type === 'LIMIT') {
      if (!(priceTicks > 0)) return REJECT.priceNotPositive;
      if (!Number.isInteger(priceTicks)) return REJECT.priceOffTick;
      if (inst.minPriceTicks > 0 && priceTicks < inst.minPriceTicks) return REJECT.priceBelowMin;
      if (inst.maxPriceTicks > 0 && priceTicks > inst.maxPriceTicks) return REJECT.priceAboveMax;
      if (inst.minQtyLots > 0 && qtyLots < inst.minQtyLots) return REJECT.qtyBelowMin;
      if (inst.maxQtyLots > 0 && qtyLots > inst.maxQtyLots) return REJECT.qtyAboveMax;
      if (side === 'buy' && priceTicks > m.maxBuyTicks) return REJECT.percentPriceUp;
      if (side === 'sell' && priceTicks < m.minSellTicks) return REJECT.percentPriceDown;
      if (!reduceOnly && !inst.meetsMinNotional(priceTicks, qtyLots)) return REJECT.minNotional;
      return null;
    }
    if (inst.marketMinQtyLots > 0 && qtyLots < inst.marketMinQtyLots) return REJECT.qtyBelowMin;
    if (inst.marketMaxQtyLots > 0 && qtyLots > inst.marketMaxQtyLots) return REJECT.qtyAboveMax;
    // A MARKET order is checked against the counterparty's best price: the band edge it would cross.
    if (side === 'buy' && m.oppositeBestTicks > m.maxBuyTicks) return REJECT.percentPriceMarket;
    if (side === 'sell' && m.oppositeBestTicks < m.minSellTicks) return REJECT.percentPriceMarket;
    if (!reduceOnly && inst.minNotional.units > 0n) {
      const price = m.mark ?? (Number.isNaN(m.oppositeBestTicks) ? null : priceExact(inst, m.oppositeBestTicks));
      if (price !== null && !notionalAtLeast(inst, price, qtyLots, inst.minNotional)) return REJECT.minNotional;
    }
    return null;
  }
}
