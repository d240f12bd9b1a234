// `fillRestingNow`: the local exchange's "fill racing a cancel" fault fills the rest of an open
// order at its own price as maker, with the fee and position of any fill; a cancel after it gets -2011.
import { describe, expect, it } from 'vitest';
import { BID, cancel, exchange, order, standardBook, trade } from './helpers.ts';

describe('fillRestingNow', () => {
  it('fills the rest of an open order at its own price as maker; the cancel that follows is -2011', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('b1', 'buy', BID - 2, 5), 2);
    ex.onMarketEvent(trade(3, BID - 2, 12, 'sell')); // queue ahead 10, then 2 of ours
    expect(ex.drainReports().filter((r) => r.execType === 'TRADE').map((r) => r.lastFillLots)).toEqual([2]);
    expect(ex.fillRestingNow('BTCUSDT', 'b1', 4)).toBe(true);
    const [fill] = ex.drainReports();
    expect(fill).toMatchObject({ execType: 'TRADE', status: 'FILLED', lastFillLots: 3, cumFilledLots: 5, lastFillPriceTicks: BID - 2, liquidity: 'maker', tsExchangeUs: 4 });
    expect(ex.positionLots('BTCUSDT')).toBe(5);
    expect(ex.openOrders('BTCUSDT')).toEqual([]);
    ex.onCommand(cancel('b1'), 5);
    expect(ex.drainReports()[0]).toMatchObject({ execType: 'CANCEL_REJECTED', errorCode: -2011 });
  });

  it('is false, and changes nothing, for an order that is not open', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    expect(ex.fillRestingNow('BTCUSDT', 'none', 2)).toBe(false);
    ex.onCommand(order('b1', 'buy', BID - 2, 5), 2);
    ex.onCommand(cancel('b1'), 3);
    ex.drainReports();
    expect(ex.fillRestingNow('BTCUSDT', 'b1', 4)).toBe(false);
    expect(ex.drainReports()).toEqual([]);
    expect(ex.positionLots('BTCUSDT')).toBe(0);
  });
});
