// Our taker orders against a book level that also holds one of our own resting orders, self-trade
// prevention at each point of the walk, post-only checks against our own orders of either side,
// and MARKET orders sent with another time in force (src/sim-exchange/exchange.ts `takeLiquidity`,
// `meetOwn`, `ownOpposite`, `crossesOwn`, `submit`). Written for issue 15: each test kills
// surviving mutants of the run of 06ced88 (docs/mutation/sim-exchange-survivors.md).
import { describe, expect, it } from 'vitest';
import type { ExecutionReport } from '../../src/model/venue.ts';
import type { QueueModel, QueueState } from '../../src/sim-exchange/index.ts';
import { ASK, BID, SYMBOL, diff, exchange, order, snapshot, standardBook, trades } from './helpers.ts';

const MARKET = { type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 } as const;

const fillsOf = (rs: ExecutionReport[], id: string): [number, number, string | null][] =>
  trades(rs).filter((r) => r.clientOrderId === id).map((r) => [r.lastFillLots, r.lastFillPriceTicks, r.liquidity]);
const lastOf = (rs: ExecutionReport[], id: string): ExecutionReport => rs.filter((r) => r.clientOrderId === id).at(-1)!;
const open = (ex: ReturnType<typeof exchange>): string[] => ex.openOrders(SYMBOL).map((o) => o.clientOrderId);

/**
 * The standard book with our own 1-lot ask `m` at ASK behind the 10 lots there, and 15 more lots
 * that joined the level behind it (the level is 25 lots: 10 ahead of `m`, 15 behind).
 */
function ownAskMidQueue(opts: Parameters<typeof exchange>[0] = {}) {
  const ex = exchange(opts);
  ex.onMarketEvent(standardBook(1));
  ex.onCommand(order('m', 'sell', ASK, 1), 2);
  ex.onMarketEvent(diff(3, [], [[ASK, 25]]));
  expect(ex.openOrders(SYMBOL)[0].queueAheadLots).toBe(10);
  ex.drainReports();
  return ex;
}

describe('a taker reaching our own order inside a book level', () => {
  it('EXPIRE_TAKER: takes the 10 lots ahead of our ask (as taker), then expires; the 15 behind it stay', () => {
    const ex = ownAskMidQueue();
    ex.onCommand(order('o', 'buy', ASK + 2, 30, { selfTradePrevention: 'EXPIRE_TAKER' }), 4);
    const rs = ex.drainReports();
    expect(fillsOf(rs, 'o')).toEqual([[10, ASK, 'taker']]);
    expect(lastOf(rs, 'o').status).toBe('EXPIRED_IN_MATCH');
    expect(open(ex)).toEqual(['m']);
    expect(ex.positionLots(SYMBOL)).toBe(10);
  });

  it('EXPIRE_MAKER: takes what is ahead, expires our ask, takes the rest of the level, then the next level', () => {
    const ex = ownAskMidQueue();
    ex.onCommand(order('o', 'buy', ASK + 1, 30), 4);
    const rs = ex.drainReports();
    expect(fillsOf(rs, 'o')).toEqual([[10, ASK, 'taker'], [15, ASK, 'taker'], [5, ASK + 1, 'taker']]);
    expect(lastOf(rs, 'm').status).toBe('EXPIRED_IN_MATCH');
    expect(lastOf(rs, 'o').status).toBe('FILLED');
  });

  it('a SELL taker with EXPIRE_TAKER takes the market bids ahead of our bid before it meets it', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('m', 'buy', BID, 1), 2);
    ex.drainReports();
    ex.onCommand(order('o', 'sell', BID, 15, { timeInForce: 'IOC', selfTradePrevention: 'EXPIRE_TAKER' }), 3);
    const rs = ex.drainReports();
    expect(fillsOf(rs, 'o')).toEqual([[10, BID, 'taker']]);
    expect(lastOf(rs, 'o').status).toBe('EXPIRED_IN_MATCH');
    expect(open(ex)).toEqual(['m']);
  });

  it('two of our asks at one level: the market ahead of each, then each (NONE: trades with both), then the rest', () => {
    const ex = exchange({ selfTradePrevention: 'NONE' });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('m1', 'sell', ASK, 1), 2); // 10 ahead
    ex.onMarketEvent(diff(3, [], [[ASK, 15]]));
    ex.onCommand(order('m2', 'sell', ASK, 1), 4); // 15 ahead
    ex.onMarketEvent(diff(5, [], [[ASK, 20]]));
    ex.drainReports();
    ex.onCommand(order('o', 'buy', ASK, 30, { timeInForce: 'IOC' }), 6);
    const rs = ex.drainReports();
    expect(fillsOf(rs, 'o').map((f) => f[0])).toEqual([10, 1, 5, 1, 5]);
    expect(fillsOf(rs, 'm1')).toEqual([[1, ASK, 'maker']]);
    expect(fillsOf(rs, 'm2')).toEqual([[1, ASK, 'maker']]);
    expect(ex.positionLots(SYMBOL)).toBe(20);
  });

  it('what our taker took ahead of our own ask is gone for the next taker too', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('m', 'sell', ASK, 1), 2); // 10 ahead of it, the whole level
    ex.onCommand(order('a', 'buy', ASK, 3, { timeInForce: 'IOC' }), 3);
    expect(fillsOf(ex.drainReports(), 'a')).toEqual([[3, ASK, 'taker']]);
    // 7 lots are left of the level: all of them are taken ahead of our ask, which then expires.
    ex.onCommand(order('b', 'buy', ASK, 20, { timeInForce: 'IOC' }), 4);
    const rs = ex.drainReports();
    expect(fillsOf(rs, 'b')).toEqual([[7, ASK, 'taker']]);
    expect(lastOf(rs, 'm').status).toBe('EXPIRED_IN_MATCH');
    expect(ex.positionLots(SYMBOL)).toBe(10);
  });

  it('our own ask is not reached before a taker has taken the queue ahead of it, however often it was taken from', () => {
    // Our ask's queue estimate (10) outlives our earlier take (4): the second taker takes only the
    // 6 lots left ahead of it, never more than the level holds.
    const ex = exchange({ selfTradePrevention: 'EXPIRE_TAKER' });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('m', 'sell', ASK, 1), 2);
    ex.onCommand(order('a', 'buy', ASK, 4, { timeInForce: 'IOC' }), 3);
    ex.onCommand(order('b', 'buy', ASK + 1, 20), 4);
    const rs = ex.drainReports();
    expect(fillsOf(rs, 'b')).toEqual([[6, ASK, 'taker']]);
    expect(lastOf(rs, 'b').status).toBe('EXPIRED_IN_MATCH');
  });
});

describe('a taker reaching our own order at a better price than the book', () => {
  it('EXPIRE_TAKER: the taker ends at our ask inside the spread; the book behind it is not taken', () => {
    const ex = exchange({ selfTradePrevention: 'EXPIRE_TAKER' });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('m', 'sell', ASK - 1, 1), 2);
    ex.drainReports();
    ex.onCommand(order('o', 'buy', ASK + 1, 5), 3);
    const rs = ex.drainReports();
    expect(trades(rs)).toEqual([]);
    expect(lastOf(rs, 'o').status).toBe('EXPIRED_IN_MATCH');
    expect(ex.positionLots(SYMBOL)).toBe(0);
  });

  it('our asks beyond the book\'s last level within the limit are all reached (NONE: trades with each)', () => {
    const ex = exchange({ selfTradePrevention: 'NONE' });
    ex.onMarketEvent(standardBook(1)); // asks ASK..ASK+4, 10 lots each
    ex.onCommand(order('m1', 'sell', ASK + 6, 1), 2);
    ex.onCommand(order('m2', 'sell', ASK + 7, 2), 2);
    ex.drainReports();
    ex.onCommand(order('o', 'buy', ASK + 8, 60, { timeInForce: 'IOC' }), 3);
    const rs = ex.drainReports();
    expect(fillsOf(rs, 'o').map((f) => [f[0], f[1]])).toEqual([[10, ASK], [10, ASK + 1], [10, ASK + 2], [10, ASK + 3], [10, ASK + 4], [1, ASK + 6], [2, ASK + 7]]);
    expect([lastOf(rs, 'm1').status, lastOf(rs, 'm2').status]).toEqual(['FILLED', 'FILLED']);
    expect(ex.counters.selfTradesPrevented).toBe(0);
  });

  it('a taker leaves our own ask above its limit alone', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('far', 'sell', ASK + 10, 1), 2);
    ex.onCommand(order('o', 'buy', ASK, 20, { timeInForce: 'IOC' }), 3);
    const rs = ex.drainReports();
    expect(fillsOf(rs, 'o')).toEqual([[10, ASK, 'taker']]);
    expect(open(ex)).toEqual(['far']);
    expect(ex.counters.selfTradesPrevented).toBe(0);
  });

  it('a SELL whose limit is exactly our own bid\'s price reaches it (NONE: trades with it at that price)', () => {
    const ex = exchange({ selfTradePrevention: 'NONE' });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('m', 'buy', BID + 2, 1), 2);
    ex.drainReports();
    ex.onCommand(order('o', 'sell', BID + 2, 1), 3);
    const rs = ex.drainReports();
    expect(fillsOf(rs, 'o')).toEqual([[1, BID + 2, 'taker']]);
    expect(fillsOf(rs, 'm')).toEqual([[1, BID + 2, 'maker']]);
    expect(open(ex)).toEqual([]);
  });
});

describe('post-only against our own orders', () => {
  const gtx = (ex: ReturnType<typeof exchange>, id: string, side: 'buy' | 'sell', price: number): number => {
    ex.onCommand(order(id, side, price, 1, { timeInForce: 'GTX' }), 5);
    return lastOf(ex.drainReports(), id).errorCode;
  };

  it('only our orders on the other side at or through its price make it take (-5022)', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('bid', 'buy', BID + 3, 1), 2);
    ex.onCommand(order('ask', 'sell', ASK - 3, 1), 2);
    ex.drainReports();
    // A sell: our bids below its price do not cross it; one at its price does.
    expect(gtx(ex, 's-above-own-bid', 'sell', BID + 5)).toBe(0);
    expect(gtx(ex, 's-at-own-bid', 'sell', BID + 3)).toBe(-5022);
    // Our own orders of the same side never count, whatever their price.
    expect(gtx(ex, 'b-above-own-bid', 'buy', BID + 4)).toBe(0);
    expect(gtx(ex, 's-above-own-ask', 'sell', ASK - 2)).toBe(0);
    expect(open(ex)).toEqual(['bid', 'ask', 's-above-own-bid', 'b-above-own-bid', 's-above-own-ask']);
  });
});

describe('a MARKET order sent with GTX or FOK', () => {
  it('is an IOC all the same: it takes the book (no post-only reject, no fill-or-kill check at price 0)', () => {
    for (const tif of ['GTX', 'FOK'] as const) {
      const ex = exchange();
      ex.onMarketEvent(standardBook(1));
      ex.onCommand(order('m', 'buy', 0, 15, { ...MARKET, timeInForce: tif }), 2);
      const rs = ex.drainReports();
      expect(fillsOf(rs, 'm').map((f) => [f[0], f[1]]), tif).toEqual([[10, ASK], [5, ASK + 1]]);
      expect(lastOf(rs, 'm').status).toBe('FILLED');
    }
  });
});

describe('a queue model with fractional estimates', () => {
  /** A queue model that gives each new order the next estimate of a list and never moves it. */
  const fixedFronts = (fronts: number[]): QueueModel => ({
    name: 'fixed',
    onPlace(q: QueueState) {
      q.front = fronts.shift()!;
    },
    onTrade(q: QueueState, lots: number) {
      q.front -= lots;
    },
    onLevelChange() {},
  });

  it('a later order of ours estimated nearer the front than an earlier one: the taker still takes no more than the level', () => {
    // Time priority puts m1 (2.5 ahead) before m2 (0.4 ahead): after the 3 lots ahead of m1 nothing
    // is left ahead of m2, and the level's 10 lots are all the taker gets from the market there.
    const ex = exchange({ queueModel: fixedFronts([2.5, 0.4]), selfTradePrevention: 'NONE' });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('m1', 'sell', ASK, 1), 2);
    ex.onCommand(order('m2', 'sell', ASK, 1), 2);
    ex.drainReports();
    ex.onCommand(order('o', 'buy', ASK, 30, { timeInForce: 'IOC' }), 3);
    const rs = ex.drainReports();
    expect(fillsOf(rs, 'o').map((f) => f[0])).toEqual([3, 1, 1, 7]);
    expect(ex.positionLots(SYMBOL)).toBe(10);
  });

  it('a print of 1 lot reaches an order whose queue estimate is a rounding error above 0', () => {
    const ex = exchange({ queueModel: fixedFronts([1e-9]) });
    ex.onMarketEvent(snapshot(1, [[BID, 1]], [[ASK, 10]]));
    ex.onCommand(order('b', 'buy', BID, 1), 2);
    ex.drainReports();
    ex.onMarketEvent({ type: 'trade', symbol: SYMBOL, tsExchangeUs: 3, tsReceiveUs: 3, tsTransactUs: 3, tradeId: 1, priceTicks: BID, qtyLots: 1, buyerIsMaker: true });
    expect(fillsOf(ex.drainReports(), 'b')).toEqual([[1, BID, 'maker']]);
  });
});
