// The BTCUSDT-like instrument spec that unit tests build on (tick 0.1, step 0.001, PERCENT_PRICE
// ±5 %, 200 open orders); `over` replaces any field.
import type { InstrumentSpec } from '../../src/model/index.ts';

export function makeSpec(over: Partial<InstrumentSpec> = {}): InstrumentSpec {
  return {
    symbol: 'BTCUSDT',
    baseAsset: 'BTC',
    quoteAsset: 'USDT',
    marginAsset: 'USDT',
    contractType: 'PERPETUAL',
    tickSize: '0.1',
    minPrice: '556.8',
    maxPrice: '4529764',
    stepSize: '0.001',
    minQty: '0.001',
    maxQty: '1000',
    marketMinQty: '0.001',
    marketMaxQty: '120',
    minNotional: '5',
    percentPrice: { multiplierUp: '1.05', multiplierDown: '0.95' },
    maxNumOrders: 200,
    source: { kind: 'manual', asOf: '2024-01-01T00:00:00Z' },
    ...over,
  };
}
