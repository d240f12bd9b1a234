// The simulated exchange's account (src/sim-exchange/margin.ts) at the edges the mutation run of
// 06ced88 left open (issue 15, docs/mutation/sim-exchange-survivors.md): a position without any
// reference price, liquidation at exactly the maintenance margin (plain, isolated, hedge), at
// exactly the trigger price, through the bankruptcy price (negative equity, no clearance fee),
// leverage changes at their limits, the initial margin of sell and hedge-side orders, an
// isolated short's partial close, margin type switched back to cross, an instrument whose tick
// and step are not powers of ten, and fee rates finer than the 10^-24 of the margin arithmetic.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import type { ExecutionReport, VenueCommand } from '../../src/model/venue.ts';
import { SimExchange, type SimAccountConfig, type SimExchangeOptions } from '../../src/sim-exchange/index.ts';
import { ASK, BID, SYMBOL, exchange, instrument, mark, order, snapshot, standardBook, trade } from './helpers.ts';

const MARKET = { type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 } as const;
const NO_FEES = { fees: { default: { makerRate: '0', takerRate: '0' } } };
const TIER = [{ notionalCap: '', initialLeverage: 125, maintMarginRatio: '0.004', cum: '0' }];

const reportsOf = (ex: SimExchange): ExecutionReport[] => ex.drainEvents().flatMap((e) => (e.kind === 'report' ? [e.report] : []));
const codes = (rs: ExecutionReport[]): [string, number][] => rs.filter((r) => r.execType === 'NEW' || r.execType === 'REJECTED').map((r) => [r.clientOrderId, r.errorCode]);

/** BTCUSDT and ETHUSDT on one account (same grid), no fees. */
function twoSymbols(account: SimAccountConfig, opts: Partial<SimExchangeOptions> = {}): SimExchange {
  const eth = instrument({ symbol: 'ETHUSDT', baseAsset: 'ETH' });
  return new SimExchange({ instruments: [instrument(), eth], rng: new Rng(1), queueModel: { model: 'risk-averse' }, ...NO_FEES, account, ...opts });
}
const ethOrder = (id: string, side: 'buy' | 'sell', priceTicks: number, qtyLots: number, over: object = {}): VenueCommand => ({
  kind: 'submit', order: { symbol: 'ETHUSDT', clientOrderId: id, side, type: 'LIMIT', timeInForce: 'GTC', priceTicks, qtyLots, reduceOnly: false, ...over },
});
const on = (symbol: string, e: MarketEvent): MarketEvent => ({ ...e, symbol });

describe('a position without a reference price (filled by a print, no book, no mark)', () => {
  /** 100 USDT at 10×: a buy of 10 lots at 60000.0 valued at its price (60 of margin), filled by a print; a second buy rests far below. */
  function unpriced(opts: Partial<SimExchangeOptions>, positionSide?: 'LONG') {
    const ex = exchange(opts);
    const side = positionSide === undefined ? {} : { positionSide };
    ex.onCommand(order('b', 'buy', 600_000, 10, side), 1);
    ex.onCommand(order('low', 'buy', 500_000, 1, side), 2);
    ex.onMarketEvent(trade(3, 600_000, 10, 'sell'));
    ex.onMarketEvent(trade(4, 600_000, 1, 'buy')); // a print that fills nothing, after the fill
    expect(ex.positionLots(SYMBOL)).toBe(10);
    expect(ex.referencePrice(SYMBOL)).toBeNull();
    return ex;
  }

  it('cross: it has no margin requirement and is not liquidated, although the equity without its value is negative', () => {
    const ex = unpriced({ account: { balance: '100', leverage: 10 } });
    // 100 − the maker commission 0.12 − the cost 600; the position itself is not valued.
    expect(ex.accountEquity()).toBe('-500.12');
    expect(ex.counters.liquidations).toBe(0);
    expect(ex.openOrders(SYMBOL).map((o) => o.clientOrderId)).toEqual(['low']);
    expect(ex.drainReports().filter((r) => r.execType === 'CANCELED' || r.execType === 'CALCULATED')).toEqual([]);
  });

  it('hedge mode: no cross liquidation either', () => {
    const ex = unpriced({ account: { balance: '100', leverage: 10 }, dualSidePosition: true }, 'LONG');
    expect(ex.positionSides(SYMBOL)).toEqual([['LONG', 10], ['SHORT', 0]]);
    expect(ex.counters.liquidations).toBe(0);
    expect(ex.openOrders(SYMBOL).map((o) => o.clientOrderId)).toEqual(['low']);
  });

  it('isolated: its own margin is its wallet less the entry cost, it is not liquidated, and a removal is checked against that', () => {
    const ex = unpriced({ account: { balance: '1000', leverage: 10, isolated: ['BTCUSDT'] } });
    // Wallet 60 (600 / 10); own margin 60 − 600 (no price for the position's value); liquidation price (600 − 60) / (0.01 × 0.996).
    expect(ex.isolatedPosition(SYMBOL, 'BOTH')).toEqual({ wallet: '60', margin: '-540', liquidationPrice: '54216.86746988' });
    expect(ex.counters.liquidations).toBe(0);
    expect(ex.openOrders(SYMBOL).map((o) => o.clientOrderId)).toEqual(['low']);
    expect(ex.transferIsolatedMargin(SYMBOL, 'BOTH', '1', false, 5)).toBe('isolatedInsufficient');
    expect(ex.transferIsolatedMargin(SYMBOL, 'BOTH', '10', true, 6)).toBe('ok');
    expect(ex.isolatedPosition(SYMBOL, 'BOTH')?.wallet).toBe('70');
    // A new order of the isolated symbol is valued at its price and paid from the cross.
    ex.onCommand(order('more', 'buy', 600_000, 1), 7);
    expect(codes(ex.drainReports())).toContainEqual(['more', 0]);
  });
});

describe('liquidation at exactly the maintenance margin', () => {
  /** 10 lots bought at 60000.0 with no fees; at a mark of 50000 the position's equity is 2 = its maintenance 500 × 0.004. */
  function long(opts: Partial<SimExchangeOptions>, side: object = {}) {
    const ex = exchange({ ...NO_FEES, ...opts });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', ASK, 10, { ...MARKET, ...side }), 2);
    expect(ex.positionLots(SYMBOL)).toBe(10);
    return ex;
  }
  const liquidatedAt = (ex: SimExchange): [number, number] => {
    ex.onMarketEvent(mark(3, '50000.1')); // equity 2.001 > 2.0000004
    const before = ex.counters.liquidations;
    ex.onMarketEvent(mark(4, '50000'));
    return [before, ex.counters.liquidations];
  };

  it('cross, one-way: equity 102 − 100 = 2 equals the maintenance 2', () => {
    expect(liquidatedAt(long({ account: { balance: '102', leverage: 10 } }))).toEqual([0, 1]);
  });

  it('cross, hedge mode: the same on the LONG side', () => {
    expect(liquidatedAt(long({ account: { balance: '102', leverage: 10 }, dualSidePosition: true }, { positionSide: 'LONG' }))).toEqual([0, 1]);
  });

  it('isolated: its own margin 102 − 600 + 500 equals its maintenance 2', () => {
    const ex = long({ account: { balance: '1000', leverage: 10, isolated: ['BTCUSDT'] } });
    expect(ex.transferIsolatedMargin(SYMBOL, 'BOTH', '42', true, 2)).toBe('ok'); // wallet 60 + 42
    expect(liquidatedAt(ex)).toEqual([0, 1]);
    expect(ex.positionLots(SYMBOL)).toBe(0);
  });
});

describe('liquidation between marks at exactly the trigger price (book mids)', () => {
  it('a long whose trigger is 55000.0 is liquidated on a mid of exactly 55000.0', () => {
    // 52.2 + 0.01 (P − 60000) = 0.01 P × 0.004 at P = 55000 exactly.
    const ex = exchange({ ...NO_FEES, account: { balance: '52.2', leverage: 20 } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', ASK, 10, MARKET), 2);
    ex.onMarketEvent(snapshot(3, [[550_000, 5]], [[550_010, 5]])); // mid 55000.5
    expect(ex.counters.liquidations).toBe(0);
    ex.onMarketEvent(snapshot(4, [[549_995, 5]], [[550_005, 5]])); // mid 55000.0
    expect(ex.counters.liquidations).toBe(1);
    expect(ex.drainReports().find((r) => r.execType === 'CALCULATED')).toMatchObject({ side: 'sell', lastFillPriceTicks: 550_000, lastFillLots: 10 });
  });

  it('a short whose trigger is 65000.0 is liquidated on a mid of exactly 65000.0', () => {
    // 52.61 + 0.01 (59999 − P) = 0.01 P × 0.004 at P = 65000 exactly.
    const ex = exchange({ ...NO_FEES, account: { balance: '52.61', leverage: 20 } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('s', 'sell', BID, 10, MARKET), 2);
    ex.onMarketEvent(snapshot(3, [[649_990, 5]], [[650_000, 5]])); // mid 64999.5
    expect(ex.counters.liquidations).toBe(0);
    ex.onMarketEvent(snapshot(4, [[649_995, 5]], [[650_005, 5]])); // mid 65000.0
    expect(ex.counters.liquidations).toBe(1);
    expect(ex.drainReports().find((r) => r.execType === 'CALCULATED')).toMatchObject({ side: 'buy', lastFillPriceTicks: 650_000, lastFillLots: 10 });
  });
});

describe('a liquidation through the bankruptcy price', () => {
  it('leaves the equity negative and takes no clearance fee (no socialised loss)', () => {
    // 100 USDT at 20×, long 20 lots at 60000.0 and 60000.1 (fees 0.6000005); a mark of 50000 is far below the bankruptcy price.
    const ex = exchange({ account: { balance: '100', leverage: 20 } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t', 'buy', ASK + 1, 20, { timeInForce: 'IOC' }), 2);
    ex.onMarketEvent(mark(3, '50000'));
    const liq = ex.drainReports().find((r) => r.execType === 'CALCULATED');
    expect(liq).toMatchObject({ lastFillPriceTicks: 500_000, lastFillLots: 20, commission: '0.5', insuranceClearance: '0' });
    // 100 − 0.6000005 − 0.5 − (1200.001 − 1000).
    expect(ex.accountEquity()).toBe('-101.1010005');
  });
});

describe('the clearance fee takes at most what is left, to the last 10^-24', () => {
  /** No fees, 100 USDT at 20×, long 10 lots at 60000.0; liquidated at the mark. */
  const liquidated = (balance: string, liquidationFeeRate: string, markPrice: string) => {
    const ex = exchange({ ...NO_FEES, account: { balance, leverage: 20, liquidationFeeRate } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', ASK, 10, MARKET), 2);
    ex.onMarketEvent(mark(3, markPrice));
    return [ex.drainReports().find((r) => r.execType === 'CALCULATED')?.insuranceClearance, ex.accountEquity()];
  };

  it('nothing left after the close: nothing taken, however small the rate', () => {
    // Closed at 50000.0: 100 − 100 = 0 left; the fee 500 × 10^-28 is below 10^-24 but not 0.
    expect(liquidated('100', '0.0000000000000000000000000001', '50000')).toEqual(['0', '0']);
  });

  it('a fee finer than 10^-24 that equals what is left at 10^-24 takes what is left, not more', () => {
    // Closed at 50000.1: 650 × 10^-24 left; the fee 500.001 × 1.3 × 10^-24 = 650.0013 × 10^-24.
    expect(liquidated('99.99900000000000000000065', '0.0000000000000000000000013', '50000.1')).toEqual(['0.00000000000000000000065', '0']);
  });
});

describe('leverage changes at their limits', () => {
  it('cross, one-way: lowering is accepted when the equity covers the requirement exactly, and applies to later orders', () => {
    const run = (balance: string) => {
      const ex = twoSymbols({ balance, leverage: 2 });
      ex.onMarketEvent(standardBook(1)); // BTCUSDT mid 59999.5; ETHUSDT has no price
      ex.send(ethOrder('e', 'buy', 600_000, 1), 2); // valued at its price when placed, then counts nothing
      ex.send(order('b', 'buy', BID - 100, 2), 3); // 2 × 59.9995 / 2
      expect(codes(reportsOf(ex))).toEqual([['e', 0], ['b', 0]]);
      return ex;
    };
    const exact = run('119.999');
    expect(exact.changeLeverage(SYMBOL, 1)).toBe(true); // 2 × 59.9995 = 119.999
    exact.send(order('b2', 'buy', BID - 100, 1), 4); // at 1× now: 179.9985
    expect(codes(reportsOf(exact))).toEqual([['b2', -2019]]);
    expect(run('119.998').changeLeverage(SYMBOL, 1)).toBe(false);
    const rich = run('1000');
    expect(rich.changeLeverage(SYMBOL, 1)).toBe(true);
    rich.send(order('b3', 'buy', BID - 100, 1), 4);
    expect(codes(reportsOf(rich))).toEqual([['b3', 0]]);
  });

  it('hedge mode: each side\'s orders count on their own (a BUY LONG and a SELL SHORT do not offset), to the last unit', () => {
    const run = (balance: string) => {
      const ex = exchange({ ...NO_FEES, account: { balance, leverage: 2 }, dualSidePosition: true });
      ex.onMarketEvent(standardBook(1));
      ex.onCommand(order('l', 'buy', BID - 100, 1, { positionSide: 'LONG' }), 2);
      ex.onCommand(order('s', 'sell', ASK + 100, 1, { positionSide: 'SHORT' }), 3);
      expect(codes(ex.drainReports())).toEqual([['l', 0], ['s', 0]]);
      return ex;
    };
    expect(run('119.999').changeLeverage(SYMBOL, 1)).toBe(true); // 59.9995 + 59.9995
    expect(run('119.998').changeLeverage(SYMBOL, 1)).toBe(false);
  });
});

describe('the initial margin of sell orders and of hedge sides (not the plain arithmetic)', () => {
  it('an isolated symbol\'s resting sells add up on the sell side', () => {
    const ex = exchange({ ...NO_FEES, account: { balance: '100', leverage: 1, isolated: ['BTCUSDT'] } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('s1', 'sell', ASK + 100, 1), 2); // 59.9995 at the mid
    ex.onCommand(order('s2', 'sell', ASK + 100, 1), 3); // 119.999 in all
    expect(codes(ex.drainReports())).toEqual([['s1', 0], ['s2', -2019]]);
  });

  it('a cross symbol beside an isolated one: its position counts against the cross equity with its orders', () => {
    const ex = twoSymbols({ balance: '100', leverage: 1, isolated: ['ETHUSDT'] });
    ex.onMarketEvent(standardBook(1));
    ex.send(order('b', 'buy', ASK, 1, MARKET), 2); // long 1 at 60000.0
    ex.send(order('b2', 'buy', BID - 100, 1), 3); // 2 × 59.9995 > 99.9995
    expect(codes(reportsOf(ex))).toEqual([['b', 0], ['b2', -2019]]);
  });

  it('hedge mode: resting SELL SHORT orders add up', () => {
    const ex = exchange({ ...NO_FEES, account: { balance: '100', leverage: 1 }, dualSidePosition: true });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('s1', 'sell', ASK + 100, 1, { positionSide: 'SHORT' }), 2);
    ex.onCommand(order('s2', 'sell', ASK + 100, 1, { positionSide: 'SHORT' }), 3);
    expect(codes(ex.drainReports())).toEqual([['s1', 0], ['s2', -2019]]);
  });

  it('isolated hedge: a BUY LONG and a SELL SHORT each need their margin from the cross', () => {
    const ex = exchange({ ...NO_FEES, account: { balance: '100', leverage: 1, isolated: ['BTCUSDT'] }, dualSidePosition: true });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('l', 'buy', BID - 100, 1, { positionSide: 'LONG' }), 2);
    ex.onCommand(order('s', 'sell', ASK + 100, 1, { positionSide: 'SHORT' }), 3);
    expect(codes(ex.drainReports())).toEqual([['l', 0], ['s', -2019]]);
  });

  it('hedge mode: a symbol without a price counts nothing (its order was valued at its price when placed)', () => {
    const ex = twoSymbols({ balance: '100', leverage: 1 }, { dualSidePosition: true });
    ex.send(ethOrder('e', 'buy', 600_000, 1, { positionSide: 'LONG' }), 1); // 60 of 100
    ex.onMarketEvent(standardBook(2));
    ex.send(order('b', 'buy', BID - 100, 1, { positionSide: 'LONG' }), 3); // 59.9995: ETHUSDT now counts nothing
    expect(codes(reportsOf(ex))).toEqual([['e', 0], ['b', 0]]);
  });

  it('an order that leaves an isolated symbol\'s requirement unchanged passes although the cross is short of it', () => {
    // Isolated long 1 (wallet 60) and a resting buy of 1 paid by the cross (70 left). At 80000 that buy needs 160 − 80 = 80 > 70.
    const ex = exchange({ ...NO_FEES, account: { balance: '130', leverage: 1, isolated: ['BTCUSDT'] } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', ASK, 1, MARKET), 2);
    ex.onCommand(order('r', 'buy', BID - 100, 1), 3);
    ex.onMarketEvent(mark(4, '80000'));
    ex.onCommand(order('s', 'sell', 800_100, 1), 5); // max(|1 + 1|, |1 − 1|) = 2 lots: unchanged
    ex.onCommand(order('s2', 'sell', 800_100, 3), 6); // |1 − 4| = 3 lots: more
    expect(codes(ex.drainReports())).toEqual([['b', 0], ['r', 0], ['s', 0], ['s2', -2019]]);
  });

  it('hedge mode: equity exactly covering both sides passes', () => {
    const ex = exchange({ ...NO_FEES, account: { balance: '119.999', leverage: 1 }, dualSidePosition: true });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('l', 'buy', BID - 100, 1, { positionSide: 'LONG' }), 2);
    ex.onCommand(order('s', 'sell', ASK + 100, 1, { positionSide: 'SHORT' }), 3);
    ex.onCommand(order('s2', 'sell', ASK + 100, 1, { positionSide: 'SHORT' }), 4);
    expect(codes(ex.drainReports())).toEqual([['l', 0], ['s', 0], ['s2', -2019]]);
  });
});

describe('isolated positions', () => {
  it('a short partly closed releases its share of the wallet; a buy through it opens a long with its own margin', () => {
    const ex = exchange({ ...NO_FEES, account: { balance: '1000', leverage: 10, isolated: ['BTCUSDT'] } });
    ex.onMarketEvent(snapshot(1, [[BID, 100]], [[ASK, 100]]));
    ex.onCommand(order('s', 'sell', BID, 10, MARKET), 2); // short 10 at 59999.0: wallet 59.999
    ex.onCommand(order('b', 'buy', ASK, 3, MARKET), 3); // 3 of 10 closed
    expect(ex.isolatedPosition(SYMBOL, 'BOTH')?.wallet).toBe('41.9993');
    ex.onCommand(order('b2', 'buy', ASK, 10, MARKET), 4); // closes 7, opens 3 long at 60000.0: 18
    expect(ex.positionLots(SYMBOL)).toBe(3);
    expect(ex.isolatedPosition(SYMBOL, 'BOTH')?.wallet).toBe('18');
  });

  it('hedge mode: an isolated SHORT is liquidated alone when its own margin reaches its maintenance', () => {
    const ex = exchange({ account: { balance: '1000', leverage: 10, isolated: ['BTCUSDT'] }, dualSidePosition: true });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('s', 'sell', BID, 10, { ...MARKET, positionSide: 'SHORT' }), 2); // wallet 59.999
    ex.drainReports();
    ex.onMarketEvent(mark(3, '65000')); // own margin 59.999 + 599.99 − 650 = 9.989 > 2.6
    expect(ex.counters.liquidations).toBe(0);
    ex.onMarketEvent(mark(4, '66500'));
    const liq = ex.drainReports().find((r) => r.execType === 'CALCULATED');
    // Bankruptcy (599.99 + 59.999) / (0.01 × 1.0005) = 65965.9… → 65965.9, below the mark.
    expect(liq).toMatchObject({ side: 'buy', positionSide: 'SHORT', lastFillLots: 10, lastFillPriceTicks: 659_659 });
    expect(ex.positionSides(SYMBOL)).toEqual([['LONG', 0], ['SHORT', 0]]);
  });

  it('the view of a position in the second bracket tier uses that tier (0.005, cum 50)', () => {
    // 1 BTC at 60000.0, 100×: wallet 600; (60000 − 600 − 50) / (1 − 0.005) = 59648.2412…
    const ex = exchange({ ...NO_FEES, account: { balance: '1000', leverage: 100, isolated: ['BTCUSDT'] } });
    ex.onMarketEvent(snapshot(1, [[BID, 2000]], [[ASK, 2000]]));
    ex.onCommand(order('b', 'buy', ASK, 1000, MARKET), 2);
    expect(ex.isolatedPosition(SYMBOL, 'BOTH')).toEqual({ wallet: '600', margin: '599.5', liquidationPrice: '59648.24120603' });
  });

  it('a transfer naming a position side the mode does not have finds no position', () => {
    const hedge = exchange({ account: { balance: '1000', leverage: 10, isolated: ['BTCUSDT'] }, dualSidePosition: true });
    hedge.onMarketEvent(standardBook(1));
    hedge.onCommand(order('l', 'buy', ASK, 1, { ...MARKET, positionSide: 'LONG' }), 2);
    expect(hedge.transferIsolatedMargin(SYMBOL, 'BOTH', '1', true, 3)).toBe('noPosition');
    expect(hedge.transferIsolatedMargin(SYMBOL, 'LONG', '1', true, 3)).toBe('ok');
    const oneWay = exchange({ account: { balance: '1000', leverage: 10, isolated: ['BTCUSDT'] } });
    oneWay.onMarketEvent(standardBook(1));
    oneWay.onCommand(order('b', 'buy', ASK, 1, MARKET), 2);
    expect(oneWay.transferIsolatedMargin(SYMBOL, 'LONG', '1', true, 3)).toBe('noPosition');
  });

  it('an isolated position using the whole wallet leaves the cross flat: no cross liquidation at a cross equity of 0', () => {
    const ex = twoSymbols({ balance: '60', leverage: 1, isolated: ['BTCUSDT'] });
    ex.onMarketEvent(standardBook(1));
    ex.onMarketEvent(on('ETHUSDT', standardBook(1)));
    ex.send(order('b', 'buy', ASK, 1, MARKET), 2); // wallet 60 → isolated 60
    expect(ex.isolatedWallets()).toBe('60');
    ex.onMarketEvent(mark(3, '61000'));
    ex.onMarketEvent(on('ETHUSDT', mark(4, '61000')));
    expect(ex.counters.liquidations).toBe(0);
    expect(ex.positionLots(SYMBOL)).toBe(1);
  });
});

describe('margin type switched back to cross', () => {
  /** The two-longs case of account-edges.test.ts: liquidated at S ≤ 114357.4, found by the plain arithmetic only at the 1 s refresh. */
  function runTwoLongs(isolated: string[], switchBack: boolean): [number, ExecutionReport[]] {
    const ex = twoSymbols({ balance: '61', leverage: 20, brackets: { BTCUSDT: TIER, ETHUSDT: TIER }, isolated });
    if (isolated.length === 0 && switchBack) expect(ex.setMarginType('ETHUSDT', true)).toBe('ok');
    if (switchBack) expect(ex.setMarginType('ETHUSDT', false)).toBe('ok');
    ex.onMarketEvent(standardBook(1));
    ex.onMarketEvent(on('ETHUSDT', standardBook(1)));
    ex.send(order('b', 'buy', ASK, 10, MARKET), 2);
    ex.send(ethOrder('e', 'buy', 0, 10, MARKET), 3);
    ex.onMarketEvent(on('ETHUSDT', snapshot(500_000, [[569_995, 5]], [[570_005, 5]])));
    ex.onMarketEvent(snapshot(600_000, [[569_995, 5]], [[570_005, 5]]));
    const early = ex.counters.liquidations;
    ex.onMarketEvent(snapshot(1_000_003, [[569_995, 5]], [[570_005, 5]]));
    return [early, reportsOf(ex)];
  }

  it('gives the same run as an account never switched (the plain arithmetic with its triggers)', () => {
    const never = runTwoLongs([], false);
    expect(never[0]).toBe(0);
    expect(never[1].filter((r) => r.execType === 'CALCULATED')).toHaveLength(2);
    expect(runTwoLongs([], true)).toEqual(never); // switched at run time
    expect(runTwoLongs(['ETHUSDT'], true)).toEqual(never); // isolated in the config
    expect(runTwoLongs(['ETHUSDT', 'ETHUSDT'], true)).toEqual(never); // listed twice
  });
});

describe('between refreshes only a symbol\'s own trigger starts an exact check', () => {
  const TIERS = { BTCUSDT: TIER, ETHUSDT: TIER };
  /** No fees, 125×: BTCUSDT short 10 lots at 59999.0, ETHUSDT long 10 lots at 60000.0 (each trigger holds the other at 59999.5). */
  function shortAndLong(balance: string): SimExchange {
    const ex = twoSymbols({ balance, leverage: 125, brackets: TIERS });
    ex.onMarketEvent(standardBook(1));
    ex.onMarketEvent(on('ETHUSDT', standardBook(1)));
    ex.send(order('s', 'sell', BID, 10, MARKET), 2);
    ex.send(ethOrder('e', 'buy', 0, 10, MARKET), 3);
    expect([ex.positionLots('BTCUSDT'), ex.positionLots('ETHUSDT')]).toEqual([-10, 10]);
    return ex;
  }
  const mid = (symbol: string, ts: number, midTicks: number): MarketEvent => on(symbol, snapshot(ts, [[midTicks - 5, 5]], [[midTicks + 5, 5]]));

  it('a short below its trigger does not start one, though the other symbol\'s move made the account liquidatable', () => {
    // Liquidated when 29.99 + 0.00996 E − 0.01004 B ≤ 0. Triggers: BTCUSDT 62508.5, ETHUSDT 57470.4.
    const ex = shortAndLong('30');
    ex.onMarketEvent(mid('ETHUSDT', 500_000, 580_000)); // E = 58000: above ETH's trigger; now liquidated from B ≥ 60524.9
    ex.onMarketEvent(mid('BTCUSDT', 600_000, 610_000)); // B = 61000: below BTC's (stale) trigger
    expect(ex.counters.liquidations).toBe(0);
    ex.onMarketEvent(mid('BTCUSDT', 1_000_004, 610_000)); // a second after the last check
    expect(ex.counters.liquidations).toBe(1);
  });

  /** account-edges.test.ts's two longs: 10 lots each at 60000.0, 61 USDT at 20×; liquidated when S = the two prices ≤ 114357.4. */
  function twoLongs(): SimExchange {
    const ex = twoSymbols({ balance: '61', leverage: 20, brackets: TIERS });
    ex.onMarketEvent(standardBook(1));
    ex.onMarketEvent(on('ETHUSDT', standardBook(1)));
    ex.send(order('b', 'buy', ASK, 10, MARKET), 2);
    ex.send(ethOrder('e', 'buy', 0, 10, MARKET), 3);
    return ex;
  }

  it('a long\'s trigger allows for the other symbol\'s maintenance: 54357.9 with ETHUSDT at 59999.5 (54300.0 is checked and liquidated)', () => {
    // 61 + 0.01 (B + 59999.5 − 120000) = 0.00004 (B + 59999.5): B = 54357.9. Without ETH's maintenance 2.39998 it would be 53876.
    const ex = twoLongs();
    ex.onMarketEvent(mid('BTCUSDT', 500_000, 543_000));
    expect(ex.counters.liquidations).toBe(1);
  });

  it('a long above its trigger starts no check, even when the other symbol\'s fall made the account liquidatable', () => {
    const ex = twoLongs();
    ex.onMarketEvent(mid('ETHUSDT', 500_000, 570_000)); // E = 57000: above ETH's trigger
    ex.onMarketEvent(mid('BTCUSDT', 600_000, 545_000)); // B = 54500: S = 111500, but above BTC's trigger 54357.9
    expect(ex.counters.liquidations).toBe(0);
    ex.onMarketEvent(mid('BTCUSDT', 1_000_004, 545_000));
    expect(ex.counters.liquidations).toBe(1);
  });

  it('a long without a liquidation price of its own (the account covers it down to 0) does not start one', () => {
    // 700 USDT: liquidated when 699.99 + 0.00996 E − 0.01004 B ≤ 0; ETH's trigger (B held at 59999.5) would be below 0: none.
    const ex = shortAndLong('700');
    ex.onMarketEvent(mid('BTCUSDT', 500_000, 1_200_000)); // B = 120000: below BTC's trigger 129241.0
    ex.onMarketEvent(mid('ETHUSDT', 600_000, 500_000)); // E = 50000: liquidatable now (−6.81), but ETH has no trigger
    expect(ex.counters.liquidations).toBe(0);
    ex.onMarketEvent(mid('ETHUSDT', 1_000_004, 500_000));
    expect(ex.counters.liquidations).toBe(1);
  });
});

describe('an instrument whose tick and step are not powers of ten (tick 0.5, step 0.002)', () => {
  const GRID = { tickSize: '0.5', minPrice: '0.5', stepSize: '0.002', minQty: '0.002', marketMinQty: '0.002' };
  // 60000.0 is 120000 ticks; 10 lots are 0.02 BTC.
  const book = (ts: number, bid: number, ask: number) => snapshot(ts, [[bid, 50]], [[ask, 50]]);

  it('cross: the equity values the cash and the position at their decimal prices', () => {
    const ex = exchange({ account: { balance: '100', leverage: 20 } }, GRID);
    ex.onMarketEvent(book(1, 119_998, 120_000));
    ex.onCommand(order('b', 'buy', 0, 5, MARKET), 2); // 0.01 BTC at 60000.0, commission 0.3
    ex.onMarketEvent(mark(3, '59000'));
    expect(ex.accountEquity()).toBe('89.7');
  });

  it('cross: a short is liquidated between marks at its trigger on the book mid, with its clearance fee', () => {
    // 100 + 0.02 (59999 − P) ≤ 0.02 P × 0.004 from P ≥ 64740.04: a mid of 64740.0 is not there, 64740.5 is.
    const ex = exchange({ ...NO_FEES, account: { balance: '100', leverage: 20, liquidationFeeRate: '0.001' } }, GRID);
    ex.onMarketEvent(book(1, 119_998, 120_000));
    ex.onCommand(order('s', 'sell', 0, 10, MARKET), 2);
    ex.onMarketEvent(book(3, 129_479, 129_481)); // mid 64740.0
    expect(ex.counters.liquidations).toBe(0);
    ex.onMarketEvent(book(4, 129_480, 129_482)); // mid 64740.5
    expect(ex.counters.liquidations).toBe(1);
    const liq = ex.drainReports().find((r) => r.execType === 'CALCULATED');
    // Closed at the mid 64740.5; clearance 0.02 × 64740.5 × 0.001, less than the 5.17 left.
    expect(liq).toMatchObject({ side: 'buy', lastFillPriceTicks: 129_481, lastFillLots: 10, insuranceClearance: '1.29481' });
    expect(ex.accountEquity()).toBe('3.87519');
  });

  it('isolated: the wallet, the view\'s liquidation price, and a liquidation at the bankruptcy price with what is left as clearance', () => {
    const ex = exchange({ account: { balance: '1000', leverage: 10, isolated: ['BTCUSDT'] } }, GRID);
    ex.onMarketEvent(book(1, 119_998, 120_000));
    ex.onCommand(order('b', 'buy', 0, 5, MARKET), 2); // 0.01 BTC at 60000.0: wallet 60
    expect(ex.isolatedPosition(SYMBOL, 'BOTH')).toMatchObject({ wallet: '60', liquidationPrice: '54216.86746988' });
    ex.drainReports();
    ex.onMarketEvent(mark(3, '54000'));
    const liq = ex.drainReports().find((r) => r.execType === 'CALCULATED');
    // Bankruptcy 540 / (0.01 × 0.9995) = 54027.01… → 54027.5 (rounded up to the tick); what is left: 60 − 600 + 540.275 − the fee 0.2701375.
    expect(liq).toMatchObject({ side: 'sell', lastFillLots: 5, lastFillPriceTicks: 108_055, commission: '0.2701375', insuranceClearance: '0.0048625' });
  });
});

describe('fee rates finer than the 10^-24 of the margin arithmetic', () => {
  it('the equity floors a commission of 29 decimals to 10^-24', () => {
    const fees = { fees: { default: { makerRate: '0', takerRate: '0.0005000000000000000000000001' } } };
    const ex = exchange({ ...fees, account: { balance: '100', leverage: 10 } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', ASK, 1, MARKET), 2); // 60 × 0.0005000000000000000000000001
    ex.onMarketEvent(mark(3, '60000'));
    expect(ex.drainReports().find((r) => r.execType === 'TRADE')?.commission).toBe('0.030000000000000000000000006');
    // 100 − 0.030000000000000000000000006, floored at 10^-24.
    expect(ex.accountEquity()).toBe('99.969999999999999999999999');
  });
});
