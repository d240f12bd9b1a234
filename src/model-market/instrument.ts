import { Instrument } from '../model/instrument.ts';

/**
 * The model world's instrument: the given tick, a step of 1 (one lot = one unit of inventory), no
 * notional floor and no price band, so that the strategy's exchange filters never bite.
 */
export function modelInstrument(symbol: string, tickSize: string): Instrument {
  return new Instrument({
    symbol, baseAsset: symbol, quoteAsset: 'USD', marginAsset: 'USD', contractType: 'MODEL',
    tickSize, minPrice: tickSize, maxPrice: '1000000000', stepSize: '1', minQty: '1', maxQty: '1000000',
    marketMinQty: '1', marketMaxQty: '1000000', minNotional: '0',
    source: { kind: 'manual', asOf: 'model world (docs/MODEL_MARKETS.md)' },
  });
}
