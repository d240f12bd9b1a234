/**
 * The instrument of the embedded synthetic market: BTCUSDT-like filters (tick 0.1, step 0.001),
 * declared here so that a fresh machine needs no exchangeInfo file. Its source says so.
 */
import { Instrument } from '../model/instrument.ts';

export function syntheticInstrument(symbol = 'BTCUSDT'): Instrument {
  return new Instrument({
    symbol, baseAsset: symbol.replace(/USDT$|USDC$/, ''), quoteAsset: symbol.endsWith('USDC') ? 'USDC' : 'USDT',
    marginAsset: symbol.endsWith('USDC') ? 'USDC' : 'USDT', contractType: 'PERPETUAL',
    tickSize: '0.1', minPrice: '0.1', maxPrice: '1000000', stepSize: '0.001', minQty: '0.001', maxQty: '1000',
    marketMinQty: '0.001', marketMaxQty: '120', minNotional: '5',
    percentPrice: { multiplierUp: '1.05', multiplierDown: '0.95' }, maxNumOrders: 200,
    source: { kind: 'manual', asOf: 'synthetic (BTCUSDT-like filters)' },
  });
}
