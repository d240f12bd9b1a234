// Liquidation orders of other accounts (`forceOrder`) are information only: the simulated exchange,
// the trading core and MarketBook change nothing on them and say so through `accepts`/`ignores`
// (the predicate a lazy replay reads), so a replay with or without them gives the same results.
import { describe, expect, it } from 'vitest';
import { SimClock } from '../../src/core/clock.ts';
import { MarketBook } from '../../src/marketdata/index.ts';
import type { ForceOrder } from '../../src/model/events.ts';
import { TradingCore } from '../../src/trader/index.ts';
import { FIXED_CONFIG, INSTRUMENT, T0 } from '../trader/harness.ts';
import { ASK, BID, exchange, order, standardBook, trade } from './helpers.ts';

const liquidation = (ts: number, priceTicks: number, side: 'buy' | 'sell'): ForceOrder => ({
  type: 'forceOrder', symbol: 'BTCUSDT', tsExchangeUs: ts, tsReceiveUs: ts, tsTransactUs: ts, side, orderType: 'LIMIT', timeInForce: 'IOC',
  origQtyLots: 1_000, priceTicks, avgPrice: '59999.01234567', status: 'FILLED', lastFilledQtyLots: 1_000, filledQtyLots: 1_000,
});

describe('forceOrder is ignored by everything that matches or keeps a book', () => {
  it('the simulated exchange: no fill, no queue change, not accepted', () => {
    const run = (withLiquidations: boolean) => {
      const ex = exchange();
      ex.onMarketEvent(standardBook());
      ex.onCommand(order('b1', 'buy', BID, 5), 2);
      ex.onCommand(order('s1', 'sell', ASK, 5), 2);
      ex.drainReports();
      // Liquidations through both our prices: a print would fill us, these must not.
      if (withLiquidations) {
        expect(ex.accepts('forceOrder', 'BTCUSDT')).toBe(false);
        ex.onMarketEvent(liquidation(3, BID - 100, 'sell'));
        ex.onMarketEvent(liquidation(4, ASK + 100, 'buy'));
        expect(ex.drainReports()).toEqual([]);
      }
      ex.onMarketEvent(trade(5, BID, 12, 'sell'));
      return { reports: ex.drainReports(), open: ex.openOrders('BTCUSDT'), position: ex.positionLots('BTCUSDT') };
    };
    expect(run(true)).toEqual(run(false));
  });

  it('the trading core and MarketBook', () => {
    const core = new TradingCore({ clock: new SimClock(T0), instruments: [INSTRUMENT], config: FIXED_CONFIG, initialBalance: [{ asset: 'USDT', amount: '100000' }] });
    expect(core.accepts('forceOrder', INSTRUMENT.symbol)).toBe(false);
    core.onMarketEvent({ ...liquidation(T0, 600_000, 'sell'), symbol: INSTRUMENT.symbol });
    expect(core.drainCommands()).toEqual([]);
    expect(core.counters.bookUpdates).toBe(0);
    for (const source of ['auto', 'depth', 'bookTicker'] as const) expect(new MarketBook(INSTRUMENT.symbol, source).ignores('forceOrder')).toBe(true);
  });
});
