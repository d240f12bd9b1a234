/** Instruments shared by the portfolio tests (filters as on Binance, 2024). */
import { SpecRegistry, type InstrumentSpec } from '../../src/model/index.ts';

const base = {
  contractType: 'PERPETUAL', minPrice: '556.8', maxPrice: '4529764', minQty: '0.001', maxQty: '1000',
  marketMinQty: '0.001', marketMaxQty: '120', minNotional: '5', source: { kind: 'manual' as const, asOf: '2024-08-08T00:00:00.000Z' },
};

export const BTCUSDT: InstrumentSpec = { ...base, symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT', marginAsset: 'USDT', tickSize: '0.1', stepSize: '0.001' };
export const BTCUSDC: InstrumentSpec = { ...base, symbol: 'BTCUSDC', baseAsset: 'BTC', quoteAsset: 'USDC', marginAsset: 'USDC', tickSize: '0.1', stepSize: '0.001' };
/** Odd tick (0.05) and whole-unit step, to exercise the tick/step conversion. */
export const ODDUSDT: InstrumentSpec = { ...base, symbol: 'ODDUSDT', baseAsset: 'ODD', quoteAsset: 'USDT', marginAsset: 'USDT', tickSize: '0.05', stepSize: '1', minQty: '1', marketMinQty: '1', minPrice: '0.05' };

/** Tick 0.05 and step 0.005: neither a power of ten, so tick and lot scaling are both exercised. */
export const FIVEUSDT: InstrumentSpec = { ...base, symbol: 'FIVEUSDT', baseAsset: 'FIVE', quoteAsset: 'USDT', marginAsset: 'USDT', tickSize: '0.05', stepSize: '0.005', minQty: '0.005', marketMinQty: '0.005', minPrice: '0.05' };

export function registry(): SpecRegistry {
  const r = new SpecRegistry();
  r.addAll([BTCUSDT, BTCUSDC, ODDUSDT, FIVEUSDT]);
  return r;
}
