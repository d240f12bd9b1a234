import { significantDecimals } from '../model/decimal.ts';
import { Instrument } from '../model/instrument.ts';

/** Digits of the largest price in ticks: 10^15 ticks keeps every price, and cash over a path, a safe integer. */
const MAX_PRICE_DIGITS = 15;

/**
 * The model world's instrument: the given tick, a step of 1 (one lot = one unit of inventory), no
 * notional floor and no price band, so that the strategy's exchange filters never bite; prices up to
 * 10^15 ticks (1e9 at a tick of 0.000001).
 */
export function modelInstrument(symbol: string, tickSize: string): Instrument {
  const decimals = Math.max(0, significantDecimals(tickSize));
  const maxPrice = `1${'0'.repeat(Math.max(0, MAX_PRICE_DIGITS - decimals))}`;
  return new Instrument({
    symbol, baseAsset: symbol, quoteAsset: 'USD', marginAsset: 'USD', contractType: 'MODEL',
    tickSize, minPrice: tickSize, maxPrice, stepSize: '1', minQty: '1', maxQty: '1000000',
    marketMinQty: '1', marketMaxQty: '1000000', minNotional: '0',
    source: { kind: 'manual', asOf: 'model world (docs/MODEL_MARKETS.md)' },
  });
}
