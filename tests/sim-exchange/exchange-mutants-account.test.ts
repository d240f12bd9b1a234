// The simulated exchange's account side (src/sim-exchange/exchange.ts): the reference price, the
// guards of position mode and margin type across symbols, hedge-mode margin of resting orders,
// liquidations (isolated and cross: which orders are cancelled, the autoclose order and the ids
// after it, a liquidation found on a book move, right after a funding payment or by the check at
// least once a second, positions without a price left open), reduce-only
// bookkeeping after a modify or cancel of a plain order, and the fields of refused requests.
// Written for issue 15: each test kills surviving mutants of the run of 06ced88
// (docs/mutation/sim-exchange-survivors.md).
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import type { ExecutionReport, VenueCommand } from '../../src/model/venue.ts';
import type { SimExchangeOptions } from '../../src/sim-exchange/index.ts';
import { ASK, BID, SYMBOL, TestExchange, cancel, diff, exchange, instrument, mark, modify, order, snapshot, standardBook, trades } from './helpers.ts';

const MARKET = { type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 } as const;
const H8 = 8 * 3600 * 1_000_000;
const ETH = 'ETHUSDT';

const lastOf = (rs: ExecutionReport[], id: string): ExecutionReport => rs.filter((r) => r.clientOrderId === id).at(-1)!;
const calculated = (rs: ExecutionReport[]): ExecutionReport[] => rs.filter((r) => r.execType === 'CALCULATED');
const openIds = (ex: TestExchange, symbol = SYMBOL): string[] => ex.openOrders(symbol).map((o) => o.clientOrderId);

const SOL = 'SOLUSDT';

/** BTCUSDT and ETHUSDT (and SOLUSDT: `more`), the same filters, each with the standard book. */
function symbols(opts: Partial<SimExchangeOptions> = {}, more: string[] = []): TestExchange {
  const names = [SYMBOL, ETH, ...more];
  const ex = new TestExchange({
    instruments: names.map((symbol) => instrument({ symbol, baseAsset: symbol.replace('USDT', '') })),
    rng: new Rng(1),
    queueModel: { model: 'risk-averse' },
    fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } },
    ...opts,
  });
  for (const symbol of names) ex.onMarketEvent({ ...standardBook(1), symbol });
  return ex;
}
const on = (symbol: string, cmd: VenueCommand): VenueCommand => (cmd.kind === 'submit' ? { ...cmd, order: { ...cmd.order, symbol } } : cmd);
const eth = (cmd: VenueCommand): VenueCommand => on(ETH, cmd);

function queryOf(ex: TestExchange, clientOrderId: string, ts: number) {
  ex.onCommand({ kind: 'query', symbol: SYMBOL, clientOrderId, orderId: -1 }, ts);
  const [a] = ex.drainOther();
  if (a?.kind !== 'queryAnswer') throw new Error('no query answer');
  return a.result;
}

describe('the reference price from the book', () => {
  it('is null while one side of the book is empty (and no mark is known)', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 5]], []));
    expect(ex.referencePrice(SYMBOL)).toBeNull();
    ex.onMarketEvent(snapshot(2, [], [[ASK, 5]]));
    expect(ex.referencePrice(SYMBOL)).toBeNull();
  });

  it('is the exact mid on a tick that is not a power of ten (0.05)', () => {
    const ex = exchange({}, { tickSize: '0.05', minPrice: '0.05' });
    ex.onMarketEvent(snapshot(1, [[1_200_000, 5]], [[1_200_001, 5]])); // 60000.00 / 60000.05
    expect(ex.referencePrice(SYMBOL)).toBe('60000.025');
  });
});

describe('a fresh exchange', () => {
  it('has nothing to report', () => {
    const ex = exchange();
    expect(ex.drainEvents()).toEqual([]);
    ex.onMarketEvent(standardBook(1));
    expect(ex.drainEvents()).toEqual([]);
  });
});

describe('position mode and margin type across symbols', () => {
  it('hedge mode is refused while any symbol has an open order or a position, not only the first', () => {
    const ex = symbols();
    ex.onCommand(eth(order('r', 'buy', BID - 5, 1)), 2);
    expect(ex.setDualSidePosition(true)).toBe('openOrders');
    ex.onCommand(cancel('r'), 3);
    ex.onCommand({ kind: 'cancel', symbol: ETH, clientOrderId: 'r' }, 3);
    ex.onCommand(eth(order('m', 'buy', 0, 1, MARKET)), 4);
    expect(ex.positionLots(ETH)).toBe(1);
    expect(ex.setDualSidePosition(true)).toBe('position');
    // The margin type of the flat symbol may change all the same.
    expect(ex.setMarginType(SYMBOL, true)).toBe('ok');
  });

  it('switching the last isolated symbol back to cross re-arms the cross check at once (no trigger price is known yet)', () => {
    const ex = symbols({ account: { balance: '100', leverage: 20, isolated: [ETH] } });
    ex.onCommand(order('b', 'buy', 0, 20, MARKET), 1_000_000);
    expect(ex.setMarginType(ETH, false)).toBe('ok');
    // A tenth of a second later the BTCUSDT mid is 54000.5: the equity is negative.
    ex.onMarketEvent(snapshot(1_100_000, [[540_000, 10]], [[540_010, 10]]));
    expect(calculated(ex.drainReports()).map((r) => [r.symbol, r.lastFillLots])).toEqual([[SYMBOL, 20]]);
  });

  it('a one-way position (no LONG or SHORT side) refuses hedge mode too', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('m', 'sell', 0, 2, MARKET), 2);
    expect(ex.setDualSidePosition(true)).toBe('position');
    ex.onCommand(order('back', 'buy', 0, 2, MARKET), 3);
    expect(ex.setDualSidePosition(true)).toBe('ok');
  });
});

describe('hedge mode: the margin of resting orders', () => {
  it('each side counts only the orders that open it, not those of the other side', () => {
    // 130 USDT at 1×: 60 for a resting SHORT-opening sell, 60 for a LONG-opening buy; a second buy is too much.
    const ex = exchange({ account: { balance: '130', leverage: 1 }, dualSidePosition: true });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('s', 'sell', ASK + 10, 1, { positionSide: 'SHORT' }), 2);
    ex.onCommand(order('l', 'buy', BID - 10, 1, { positionSide: 'LONG' }), 3);
    ex.onCommand(order('l2', 'buy', BID - 10, 1, { positionSide: 'LONG' }), 4);
    const rs = ex.drainReports();
    expect(['s', 'l', 'l2'].map((id) => lastOf(rs, id).errorCode)).toEqual([0, 0, -2019]);
  });
});

describe('isolated margin', () => {
  it('a side the position mode does not use reads as an empty isolated position', () => {
    const ex = exchange({ account: { balance: '1000', leverage: 10, isolated: [SYMBOL] } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', 0, 10, MARKET), 2);
    expect(ex.isolatedPosition(SYMBOL, 'LONG')).toEqual({ wallet: '0', margin: '0', liquidationPrice: null });
    expect(ex.isolatedPosition(SYMBOL, 'BOTH')?.wallet).toBe('60');
  });

  it('one-way: a book move alone (no mark price) liquidates the position; the autoclose order is queryable and takes the next ids', () => {
    const ex = exchange({ account: { balance: '1000', leverage: 10, isolated: [SYMBOL] } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', 0, 10, MARKET), 2); // order id 1, one fill: trade id 1
    ex.onCommand(order('r', 'sell', ASK + 50, 1), 3); // order id 2
    expect(trades(ex.drainReports()).map((r) => r.tradeId)).toEqual([1]);
    ex.onMarketEvent(snapshot(4, [[580_000, 10]], [[580_010, 10]]));
    expect(ex.positionLots(SYMBOL)).toBe(10); // 58000.5: the own margin 40 is above maintenance
    ex.onMarketEvent(snapshot(5, [[540_000, 10]], [[540_010, 10]]));
    const rs = ex.drainReports();
    expect(lastOf(rs, 'r').status).toBe('CANCELED');
    const [liq] = calculated(rs);
    expect(liq).toMatchObject({ clientOrderId: 'autoclose-3', orderId: 3, side: 'sell', lastFillLots: 10, tradeId: 2, liquidity: 'taker' });
    expect(ex.positionLots(SYMBOL)).toBe(0);
    expect(ex.counters.liquidations).toBe(1);
    expect(openIds(ex)).toEqual([]);
    expect(ex.openOrderCount(SYMBOL)).toBe(0);
    expect(queryOf(ex, 'autoclose-3', 6)).toMatchObject({ found: true, type: 'LIMIT', timeInForce: 'IOC', status: 'FILLED', reduceOnly: true });
    // The ids go on after the autoclose order's.
    ex.onCommand(order('next', 'buy', 0, 1, MARKET), 7);
    const [f] = trades(ex.drainReports());
    expect([f.orderId, f.tradeId]).toEqual([4, 3]);
  });

  it('hedge: a SHORT liquidated at its mark (better than its bankruptcy price); only the SHORT side\'s orders are cancelled', () => {
    const ex = exchange({ account: { balance: '1000', leverage: 10, isolated: [SYMBOL] }, dualSidePosition: true });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('l', 'buy', 0, 10, { ...MARKET, positionSide: 'LONG' }), 2);
    ex.onCommand(order('s', 'sell', 0, 10, { ...MARKET, positionSide: 'SHORT' }), 3); // 10 lots at 59999.0, wallet 59.999
    ex.onCommand(order('lo', 'buy', BID - 100, 1, { positionSide: 'LONG' }), 4);
    ex.onCommand(order('so', 'sell', ASK + 100, 1, { positionSide: 'SHORT' }), 4);
    ex.drainReports();
    // SHORT's own margin at 65800: 59.999 − 58.01 = 1.989 ≤ maintenance 2.632; bankruptcy 65965.9 (above the mark).
    ex.onMarketEvent(mark(5, '65800'));
    const rs = ex.drainReports();
    expect(calculated(rs).map((r) => [r.side, r.lastFillLots, r.lastFillPriceTicks, r.positionSide])).toEqual([['buy', 10, 658_000, 'SHORT']]);
    expect(lastOf(rs, 'so').status).toBe('CANCELED');
    expect(openIds(ex)).toEqual(['lo']);
    expect(ex.positionSides(SYMBOL)).toEqual([['LONG', 10], ['SHORT', 0]]);
  });
});

describe('an isolated liquidation at the bankruptcy price', () => {
  it('takes as clearance the margin left after the close\'s commission, exactly, even for a commission finer than 10^-24', () => {
    // As margin-modes.test.ts: LONG 10 lots at 60000.0 with its wallet 60, closed at 54027.1 (0.271 of
    // margin left), with a taker rate of 24 decimals: the commission 0.2701355000…0540271 has 27.
    const ex = exchange({ account: { balance: '1000', leverage: 10, isolated: [SYMBOL] }, dualSidePosition: true, fees: { default: { makerRate: '0.0002', takerRate: '0.000500000000000000000001' } } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('l', 'buy', 0, 10, { ...MARKET, positionSide: 'LONG' }), 2);
    ex.drainReports();
    ex.onMarketEvent(mark(5, '54000'));
    const [liq] = calculated(ex.drainReports());
    expect([liq.lastFillPriceTicks, liq.commission]).toEqual([540_271, '0.270135500000000000000540271']);
    // 0.271 − 0.270135500000000000000540 (the commission at 10^-24, cut toward zero).
    expect(liq.insuranceClearance).toBe('0.00086449999999999999946');
    expect(ex.isolatedPosition(SYMBOL, 'LONG')?.wallet).toBe('0');
  });
});

describe('a cross liquidation', () => {
  it('leaves the account flat for every purpose: the position mode may change after it; the autoclose order is a LIMIT IOC', () => {
    const ex = exchange({ account: { balance: '100', leverage: 20 } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', 0, 20, MARKET), 2);
    ex.onMarketEvent(mark(3, '54000'));
    const [liq] = calculated(ex.drainReports());
    expect(liq).toMatchObject({ clientOrderId: 'autoclose-2', side: 'sell', lastFillLots: 20, liquidity: 'taker' });
    expect(ex.positionLots(SYMBOL)).toBe(0);
    expect(queryOf(ex, 'autoclose-2', 4)).toMatchObject({ found: true, type: 'LIMIT', timeInForce: 'IOC', status: 'FILLED' });
    expect(ex.setDualSidePosition(true)).toBe('ok');
  });

  it('a funding payment that leaves too little margin liquidates at once, on whatever event or command passed the funding time', () => {
    for (const dualSidePosition of [false, true]) {
      // 20 lots long at 60000.5 with 100 USDT; at the mark 55500 the equity is 9.38 against a maintenance of 4.44.
      const ex = exchange({ account: { balance: '100', leverage: 20 }, dualSidePosition, funding: { mode: 'rate', rate: '0.005' } });
      const side = dualSidePosition ? { positionSide: 'LONG' as const } : {};
      ex.onMarketEvent(standardBook(H8 - 10_000_000));
      ex.onCommand(order('b', 'buy', 0, 20, { ...MARKET, ...side }), H8 - 9_000_000);
      ex.onMarketEvent(mark(H8 - 500_000, '55500'));
      // A command for a symbol the exchange does not trade is refused and changes nothing.
      ex.onCommand({ kind: 'cancel', symbol: ETH, clientOrderId: 'x' }, H8 - 400_000);
      expect(lastOf(ex.drainReports(), 'x').execType).toBe('CANCEL_REJECTED');
      expect(ex.positionLots(SYMBOL)).toBe(20);
      // The funding at H8 pays 0.02 × 55500 × 0.005 = 5.55: the equity 3.83 is below the maintenance.
      if (dualSidePosition) ex.onCommand({ kind: 'cancel', symbol: ETH, clientOrderId: 'y' }, H8);
      else ex.onMarketEvent(diff(H8, [], []));
      expect(ex.drainFunding().map((f) => f.payment)).toEqual(['-5.55']);
      expect(calculated(ex.drainReports()).map((r) => r.lastFillLots), `dualSidePosition ${dualSidePosition}`).toEqual([20]);
      expect(ex.positionLots(SYMBOL)).toBe(0);
    }
  });
});

describe('a cross liquidation no single position\'s trigger price saw', () => {
  it('two positions that fell together on book moves (no mark) are liquidated by the check at least once a second of any command of a symbol with a position, not by events of a flat symbol', () => {
    // 100 USDT at 20×: 10 lots of BTCUSDT and of ETHUSDT bought at 60000.0 (wallet 99.4). Both mids
    // fall to 55200.5: the equity 3.41 is below the maintenance 4.42, yet each position alone
    // (the other at its old price) is far from its own trigger price.
    const ex = symbols({ account: { balance: '100', leverage: 20 } }, [SOL]);
    ex.onCommand(order('a', 'buy', 0, 10, MARKET), 1_000_000);
    ex.onCommand(eth(order('c', 'buy', 0, 10, MARKET)), 1_000_000);
    ex.onMarketEvent(snapshot(1_100_000, [[552_000, 10]], [[552_010, 10]]));
    ex.onMarketEvent({ ...snapshot(1_200_000, [[552_000, 10]], [[552_010, 10]]), symbol: ETH });
    ex.drainReports();
    // Seconds later: an event of the flat SOLUSDT checks nothing.
    ex.onMarketEvent({ ...standardBook(3_000_000), symbol: SOL });
    expect(calculated(ex.drainReports())).toEqual([]);
    // An order of BTCUSDT (refused: no margin left for it) runs the exact check: both positions are closed.
    ex.onCommand(order('more', 'buy', 500_000, 1), 3_100_000);
    const rs = ex.drainReports();
    expect(lastOf(rs, 'more').errorCode).toBe(-2019);
    expect(calculated(rs).map((r) => [r.symbol, r.lastFillLots])).toEqual([[SYMBOL, 10], [ETH, 10]]);
  });

  it('a position without any reference price (one side of its book empty, no mark) is left open: nothing to close it at', () => {
    for (const dualSidePosition of [false, true]) {
      const ex = symbols({ account: { balance: '100', leverage: 20 }, dualSidePosition });
      const side = dualSidePosition ? { positionSide: 'LONG' as const } : {};
      ex.onCommand(order('a', 'buy', 0, 16, { ...MARKET, ...side }), 2);
      ex.onCommand(eth(order('c', 'buy', 0, 1, { ...MARKET, ...side })), 2);
      ex.onMarketEvent({ ...snapshot(3, [[599_000, 10]], []), symbol: ETH });
      expect(ex.referencePrice(ETH)).toBeNull();
      ex.onMarketEvent(mark(4, '54000'));
      const rs = ex.drainReports();
      expect(calculated(rs).map((r) => [r.symbol, r.lastFillLots]), `dualSidePosition ${dualSidePosition}`).toEqual([[SYMBOL, 16]]);
      expect([ex.positionLots(SYMBOL), ex.positionLots(ETH)]).toEqual([0, 1]);
    }
  });
});

describe('data-mode funding: an announcement missing its time or its rate', () => {
  const H8d = 8 * 3_600_000_000;
  const run = (marks: [number, string, number][]) => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('m', 'buy', 0, 1, MARKET), 2);
    for (const [ts, rate, next] of marks) ex.onMarketEvent(mark(ts, '60000', rate, next));
    return ex.drainFunding().map((f) => [f.tsUs, f.rate]);
  };

  it('a rate seen before any funding time is announced settles nothing when the first time is announced', () => {
    expect(run([[10, '0.0005', -1], [20, '0.0001', H8d]])).toEqual([]);
    // The announced time then settles at the rate announced with it.
    expect(run([[10, '0.0005', -1], [20, '0.0001', H8d], [H8d + 5, '0.0002', 2 * H8d]])).toEqual([[H8d, '0.0001']]);
  });

  it('a funding time announced without any rate settles nothing when the next one is announced', () => {
    expect(run([[10, '', H8d], [H8d + 5, '0.0003', 2 * H8d]])).toEqual([]);
  });
});

describe('reduce-only bookkeeping after a plain order leaves the book', () => {
  for (const how of ['modified', 'cancelled'] as const) {
    it(`a plain order ${how}: a reduce-only order still expires when the position closes, the plain order stays`, () => {
      const ex = exchange();
      ex.onMarketEvent(standardBook(1));
      ex.onCommand(order('long', 'buy', 0, 5, MARKET), 2);
      ex.onCommand(order('ro', 'sell', ASK + 5, 5, { reduceOnly: true }), 3);
      ex.onCommand(order('plain', 'buy', BID - 5, 1), 3);
      ex.onCommand(order('plain2', 'buy', BID - 6, 1), 3);
      ex.onCommand(how === 'modified' ? modify('plain', 'buy', BID - 7, 1) : cancel('plain'), 4);
      ex.onCommand(order('flat', 'sell', 0, 5, MARKET), 5);
      const rs = ex.drainReports();
      expect(ex.positionLots(SYMBOL)).toBe(0);
      expect(lastOf(rs, 'ro').status).toBe('EXPIRED');
      expect(openIds(ex)).toEqual(how === 'modified' ? ['plain2', 'plain'] : ['plain2']);
    });
  }
});

describe('the fields of refused requests', () => {
  it('a refused cancel or modify of an unknown order is not reduce-only; a refused order carries its price, 0 for MARKET', () => {
    const ex = exchange({}, { marketMaxQty: '0.005' });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(cancel('nope'), 2);
    ex.onCommand(modify('nope2', 'sell', ASK, 1), 3);
    ex.onCommand(order('lim', 'buy', BID, 0), 4);
    ex.onCommand(order('mkt', 'buy', 123, 6, { type: 'MARKET', timeInForce: 'IOC' }), 5);
    const rs = ex.drainReports();
    expect(rs.map((r) => [r.clientOrderId, r.execType, r.reduceOnly, r.priceTicks])).toEqual([
      ['nope', 'CANCEL_REJECTED', false, 0],
      ['nope2', 'MODIFY_REJECTED', false, ASK],
      ['lim', 'REJECTED', false, BID],
      ['mkt', 'REJECTED', false, 0],
    ]);
  });
});
