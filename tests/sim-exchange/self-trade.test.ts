// Self-trade prevention (F10): a taker order of ours reaching one of our resting orders.
import { describe, expect, it } from 'vitest';
import { ASK, BID, exchange, order, snapshot, standardBook, trades } from './helpers.ts';

describe('self-trade prevention', () => {
  it('EXPIRE_MAKER (default): our resting ask inside the spread expires, the buy goes on to the market', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('s1', 'sell', ASK - 2, 3), 2);
    ex.drainReports();
    ex.onCommand(order('b1', 'buy', ASK, 5, { timeInForce: 'IOC' }), 3);
    const rs = ex.drainReports();
    expect(rs.map((r) => [r.clientOrderId, r.execType, r.status])).toEqual([
      ['b1', 'NEW', 'NEW'],
      ['s1', 'EXPIRED', 'EXPIRED_IN_MATCH'],
      ['b1', 'TRADE', 'FILLED'],
    ]);
    expect(trades(rs)[0]).toMatchObject({ lastFillPriceTicks: ASK, lastFillLots: 5, liquidity: 'taker' });
    expect(ex.openOrders('BTCUSDT')).toEqual([]);
    expect(ex.counters.selfTradesPrevented).toBe(1);
  });

  it('meets our resting order only after the market queue ahead of it at its level', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 10]], [[ASK, 4], [ASK + 1, 10]]));
    ex.onCommand(order('s1', 'sell', ASK, 2), 2); // behind the 4 at ASK
    ex.drainReports();
    ex.onCommand(order('b1', 'buy', ASK, 3, { timeInForce: 'IOC' }), 3);
    // 3 ≤ the 4 ahead of s1: the taker never reaches it.
    expect(ex.drainReports().map((r) => [r.clientOrderId, r.execType, r.lastFillLots])).toEqual([['b1', 'NEW', 0], ['b1', 'TRADE', 3]]);
    expect(ex.openOrders('BTCUSDT').map((o) => o.clientOrderId)).toEqual(['s1']);
  });

  it('EXPIRE_TAKER ends the taker at our order; EXPIRE_BOTH ends both', () => {
    for (const mode of ['EXPIRE_TAKER', 'EXPIRE_BOTH'] as const) {
      const ex = exchange({ selfTradePrevention: mode });
      ex.onMarketEvent(standardBook());
      ex.onCommand(order('s1', 'sell', ASK - 1, 3), 2);
      ex.drainReports();
      ex.onCommand(order('b1', 'buy', ASK, 5), 3);
      const rs = ex.drainReports();
      expect(trades(rs)).toEqual([]);
      const ended = rs.filter((r) => r.status === 'EXPIRED_IN_MATCH').map((r) => r.clientOrderId);
      expect(ended).toEqual(mode === 'EXPIRE_TAKER' ? ['b1'] : ['s1', 'b1']);
      expect(ex.openOrders('BTCUSDT').map((o) => o.clientOrderId)).toEqual(mode === 'EXPIRE_TAKER' ? ['s1'] : []);
    }
  });

  it('the order carries its own mode; NONE trades our two orders with each other', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('s1', 'sell', ASK - 1, 3), 2);
    ex.drainReports();
    ex.onCommand(order('b1', 'buy', ASK - 1, 3, { selfTradePrevention: 'NONE' }), 3);
    const f = trades(ex.drainReports());
    expect(f.map((r) => [r.clientOrderId, r.liquidity, r.lastFillPriceTicks, r.lastFillLots, r.status])).toEqual([
      ['b1', 'taker', ASK - 1, 3, 'FILLED'],
      ['s1', 'maker', ASK - 1, 3, 'FILLED'],
    ]);
    expect(ex.positionLots('BTCUSDT')).toBe(0);
  });

  it('a post-only order that would meet one of ours is rejected -5022', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('s1', 'sell', ASK - 2, 3), 2);
    ex.onCommand(order('g1', 'buy', ASK - 2, 1, { timeInForce: 'GTX' }), 3);
    expect(ex.drainReports().map((r) => [r.clientOrderId, r.execType, r.errorCode])).toEqual([['s1', 'NEW', 0], ['g1', 'REJECTED', -5022]]);
  });
});
