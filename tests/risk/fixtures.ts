// Shared builders for the risk tests: a BTCUSDT-like instrument (tick 0.1, step 0.001, so one
// tick-lot is 0.0001 USDT), a calm context at 60000.0 and intents. Values are chosen so each test
// states the numbers it depends on.
import { Instrument, type InstrumentSpec } from '../../src/model/instrument.ts';
import type { Intent, Quote } from '../../src/model/trading.ts';
import type { RiskContext } from '../../src/risk/index.ts';
import { makeSpec } from '../support/instruments.ts';

export const SYMBOL = 'BTCUSDT';
export const T0 = 1_700_000_000_000_000;

export { makeSpec };

export const INSTRUMENT = new Instrument(makeSpec());

/** Mid 60000.0 = 600000 ticks, one-tick-wide book around it, fresh, calm, flat, 10000 USDT equity. */
export function makeCtx(over: Partial<RiskContext> = {}): RiskContext {
  const tsUs = over.tsUs ?? T0;
  return {
    tsUs,
    instrument: INSTRUMENT,
    positionLots: 0,
    openOrders: [],
    markPriceTicks: 600_000,
    bestBidTicks: 599_995,
    bestAskTicks: 600_005,
    bookValid: true,
    lastBookUpdateUs: tsUs,
    equity: '10000',
    peakEquity: '10000',
    dayStartEquity: '10000',
    marginUsed: '0',
    sigmaTicksPerSqrtS: Number.NaN,
    ...over,
  };
}

export function quote(side: 'buy' | 'sell', priceTicks: number, qtyLots: number, level = 0): Quote {
  return { side, priceTicks, qtyLots, level };
}

export function intent(quotes: Quote[], over: Partial<Intent> = {}): Intent {
  return { symbol: SYMBOL, tsUs: T0, quotes, cancelAll: false, flatten: false, reason: 'test', ...over };
}
