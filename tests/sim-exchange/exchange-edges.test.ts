// Edges of the simulated exchange (src/sim-exchange/exchange.ts, filters.ts, funding.ts) that the
// behaviour tests leave open: every reject's Binance code and message, events of unknown symbols,
// the counters, the flat bookTicker entry point, an event whose transaction time is after its
// event time, position modes switched at run time, and the funding configuration checks. Written
// for issue 15 (mutation testing: `npm run mutate -- --only sim-exchange`).
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/random.ts';
import type { ExecutionReport } from '../../src/model/venue.ts';
import { createQueueModel, ProbQueueModel, type SimExchangeOptions } from '../../src/sim-exchange/index.ts';
import { ASK, BID, SYMBOL, TestExchange, cancel, diff, exchange, instrument, mark, modify, order, snapshot, standardBook, ticker, trade, trades } from './helpers.ts';

const MARKET = { type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 } as const;

function rejectOf(rs: ExecutionReport[]): [number, string] {
  const r = rs.find((x) => x.errorCode !== 0);
  if (r === undefined) throw new Error(`no reject in ${JSON.stringify(rs.map((x) => x.execType))}`);
  return [r.errorCode, r.errorMessage];
}

describe('every reject carries Binance\'s code and message', () => {
  const withBook = (opts: Partial<SimExchangeOptions> = {}, spec = {}): TestExchange => {
    const ex = exchange(opts, { minPrice: '1', ...spec });
    ex.onMarketEvent(standardBook(1));
    return ex;
  };
  const cases: [string, (ex?: TestExchange) => TestExchange, [number, string]][] = [
    ['qty ≤ 0', () => { const ex = withBook(); ex.onCommand(order('x', 'buy', BID, 0), 2); return ex; }, [-4003, 'Quantity less than or equal to zero.']],
    ['price ≤ 0', () => { const ex = withBook(); ex.onCommand(order('x', 'buy', -1, 1), 2); return ex; }, [-4001, 'Price less than 0.']],
    ['price above max', () => { const ex = withBook(); ex.onCommand(order('x', 'sell', 10_000_001, 1), 2); return ex; }, [-4002, 'Price greater than max price.']],
    ['price below min', () => { const ex = withBook(); ex.onCommand(order('x', 'buy', 5, 1000), 2); return ex; }, [-4013, 'Price less than min price.']],
    ['off tick', () => { const ex = withBook(); ex.onCommand(order('x', 'buy', BID + 0.5, 1), 2); return ex; }, [-4014, 'Price not increased by tick size.']],
    ['qty below min', () => { const ex = withBook({}, { minQty: '0.002' }); ex.onCommand(order('x', 'buy', BID, 1), 2); return ex; }, [-4004, 'Quantity less than min quantity.']],
    ['qty above max', () => { const ex = withBook(); ex.onCommand(order('x', 'buy', BID, 1_000_001), 2); return ex; }, [-4005, 'Quantity greater than max quantity.']],
    ['off step', () => { const ex = withBook(); ex.onCommand(order('x', 'buy', BID, 1.5), 2); return ex; }, [-4023, 'Quantity not increased by step size.']],
    ['MIN_NOTIONAL', () => { const ex = withBook(); ex.onCommand(order('x', 'buy', 100, 1), 2); return ex; }, [-4164, "Order's notional must be no smaller than the MIN_NOTIONAL filter."]],
    ['PERCENT_PRICE up', () => {
      const ex = withBook({}, { percentPrice: { multiplierUp: '1.05', multiplierDown: '0.95' } });
      ex.onMarketEvent(mark(2, '60000'));
      ex.onCommand(order('x', 'buy', 630_001, 1), 3);
      return ex;
    }, [-4016, "Limit price can't be higher than the PERCENT_PRICE band."]],
    ['PERCENT_PRICE down', () => {
      const ex = withBook({}, { percentPrice: { multiplierUp: '1.05', multiplierDown: '0.95' } });
      ex.onMarketEvent(mark(2, '60000'));
      ex.onCommand(order('x', 'sell', 569_999, 1), 3);
      return ex;
    }, [-4024, "Limit price can't be lower than the PERCENT_PRICE band."]],
    ['PERCENT_PRICE of a MARKET order', () => {
      const ex = withBook({}, { percentPrice: { multiplierUp: '1.05', multiplierDown: '0.95' } });
      ex.onMarketEvent(mark(2, '70000')); // band 66500 .. 73500: the best bid 59999.0 is below it
      ex.onCommand(order('x', 'sell', 0, 1, MARKET), 3);
      return ex;
    }, [-4131, "The counterparty's best price does not meet the PERCENT_PRICE filter limit."]],
    ['unknown symbol', () => { const ex = withBook(); ex.onCommand({ kind: 'submit', order: { symbol: 'ETHUSDT', clientOrderId: 'x', side: 'buy', type: 'LIMIT', timeInForce: 'GTC', priceTicks: BID, qtyLots: 1, reduceOnly: false } }, 2); return ex; }, [-1121, 'Invalid symbol.']],
    ['duplicate client id', () => { const ex = withBook(); ex.onCommand(order('x', 'buy', BID, 1), 2); ex.onCommand(order('x', 'buy', BID, 1), 3); return ex; }, [-4116, 'ClientOrderId is duplicated.']],
    ['max open orders', () => { const ex = withBook({}, { maxNumOrders: 1 }); ex.onCommand(order('a', 'buy', BID, 1), 2); ex.onCommand(order('x', 'buy', BID, 1), 3); return ex; }, [-2025, 'Reach max open order limit.']],
    ['reduce-only with nothing to reduce', () => { const ex = withBook(); ex.onCommand(order('x', 'sell', ASK, 1, { reduceOnly: true }), 2); return ex; }, [-2022, 'ReduceOnly Order is rejected.']],
    ['position side in one-way mode', () => { const ex = withBook(); ex.onCommand(order('x', 'buy', BID, 1, { positionSide: 'LONG' }), 2); return ex; }, [-4061, "Order's position side does not match user's setting."]],
    ['reduce-only in hedge mode', () => { const ex = withBook({ dualSidePosition: true }); ex.onCommand(order('x', 'sell', ASK, 1, { positionSide: 'LONG', reduceOnly: true }), 2); return ex; }, [-1106, "Parameter 'reduceonly' sent when not required."]],
    ['post-only that would take', () => { const ex = withBook(); ex.onCommand(order('x', 'buy', ASK, 1, { timeInForce: 'GTX' }), 2); return ex; }, [-5022, 'Due to the order could not be executed as maker, the Post Only order will be rejected. The order will not be recorded in the order history']],
    ['FOK that cannot fill', () => { const ex = withBook(); ex.onCommand(order('x', 'buy', ASK, 11, { timeInForce: 'FOK' }), 2); return ex; }, [-5021, 'Due to the order could not be filled immediately, the FOK order has been rejected. The order will not be recorded in the order history']],
    ['margin', () => { const ex = withBook({ account: { balance: '1', leverage: 1 } }); ex.onCommand(order('x', 'buy', BID, 1), 2); return ex; }, [-2019, 'Margin is insufficient.']],
    ['cancel of an unknown order', () => { const ex = withBook(); ex.onCommand(cancel('x'), 2); return ex; }, [-2011, 'Unknown order sent.']],
    ['modify that changes nothing', () => { const ex = withBook(); ex.onCommand(order('x', 'buy', BID, 1), 2); ex.onCommand(modify('x', 'buy', BID, 1), 3); return ex; }, [-5027, 'No need to modify the order.']],
  ];
  for (const [name, run, want] of cases) {
    it(`${name} → ${want[0]}`, () => {
      expect(rejectOf(run().drainReports())).toEqual(want);
    });
  }

  it('a reduce-only MARKET sell within the position is exempt from MIN_NOTIONAL; below MARKET_LOT_SIZE it is not', () => {
    const ex = exchange({}, { marketMinQty: '0.002' });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('x', 'buy', 0, 1, MARKET), 2);
    expect(rejectOf(ex.drainReports())).toEqual([-4004, 'Quantity less than min quantity.']);
  });

  it('a spec without a max price (0) sets no upper bound', () => {
    const ex = exchange({}, { maxPrice: '0' });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('x', 'sell', 99_000_000, 1), 2);
    expect(ex.drainReports()[0]).toMatchObject({ execType: 'NEW' });
  });
});

describe('events of symbols the exchange does not trade', () => {
  it('are counted and ignored, on every entry point, between events of its own symbol', () => {
    const ex = exchange();
    const eth = { ...standardBook(1), symbol: 'ETHUSDT' };
    ex.onMarketEvent(eth);
    ex.onMarketEvent(standardBook(2));
    ex.onMarketEvent({ ...trade(3, BID, 1, 'sell'), symbol: 'ETHUSDT' });
    ex.onFlatDepthDiff('ETHUSDT', { tsExchangeUs: 4, firstUpdateId: -1, finalUpdateId: -1, prevFinalUpdateId: -1, bidTicks: [1], bidLots: [1], bidStart: 0, bidEnd: 1, askTicks: [], askLots: [], askStart: 0, askEnd: 0 });
    ex.onCommand(order('b', 'buy', BID, 1), 5);
    ex.onMarketEvent(trade(6, BID, 20, 'sell'));
    expect(ex.counters).toMatchObject({ marketEvents: 5, ignoredEvents: 3, commands: 1, fills: 1, rejects: 0 });
    expect(ex.book(SYMBOL).bestBidTicks()).toBe(BID);
    expect(trades(ex.drainReports())).toHaveLength(1);
  });
});

describe('the counters', () => {
  it('count commands, fills, rejects and margin rejects', () => {
    const ex = exchange({ account: { balance: '100', leverage: 1 } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t', 'buy', ASK + 1, 15, { timeInForce: 'IOC' }), 2); // two fills, 900 USDT at 1×: rejected
    ex.onCommand(order('s', 'buy', ASK + 1, 1, { timeInForce: 'IOC' }), 3); // one fill
    ex.onCommand(cancel('nope'), 4);
    ex.onCommand(modify('nope', 'buy', BID, 1), 5);
    ex.onCommand({ kind: 'query', symbol: SYMBOL, clientOrderId: 's', orderId: -1 }, 6);
    expect(ex.counters).toMatchObject({ commands: 5, fills: 1, rejects: 3, marginRejects: 1 });
  });
});

describe('the flat bookTicker entry point', () => {
  it('is onMarketEvent of the bookTicker: the book, the queue ahead and a crossing fill', () => {
    const run = (flat: boolean) => {
      const ex = exchange({ bookSource: 'bookTicker', crossingFills: true });
      ex.onMarketEvent(ticker(1, BID, 10, ASK, 10));
      ex.onCommand(order('b', 'buy', BID, 2), 2);
      ex.onCommand(order('s', 'sell', ASK + 3, 2), 2);
      const events = [ticker(3, BID, 4, ASK, 10), ticker(4, BID - 2, 5, BID, 7)];
      for (const e of events) (flat ? ex.onFlatBookTicker(e) : ex.onMarketEvent(e));
      return { reports: ex.drainReports(), orders: ex.openOrders(SYMBOL), bid: ex.book(SYMBOL).bestBidTicks(), ask: ex.book(SYMBOL).bestAskTicks(), events: ex.counters.marketEvents };
    };
    const eager = run(false);
    expect(run(true)).toEqual(eager);
    expect(eager.ask).toBe(BID);
    expect(trades(eager.reports).map((r) => [r.clientOrderId, r.lastFillLots])).toEqual([['b', 2]]);
  });
});

describe('the flat trade entry point', () => {
  it('is onMarketEvent of the trade, and keeps no reference to the object it is handed', () => {
    const run = (flat: boolean) => {
      const ex = exchange();
      ex.onMarketEvent(standardBook(1));
      ex.onCommand(order('b', 'buy', BID, 3), 2);
      ex.onCommand(order('s', 'sell', ASK, 2), 2);
      const reused = { ...trade(0, 0, 0, 'sell') };
      const prints = [trade(3, BID, 1, 'sell'), trade(4, BID, 50, 'sell'), trade(5, ASK, 50, 'buy'), { ...trade(6, BID - 1, 9, 'sell'), tsTransactUs: 5 }];
      for (const e of prints) {
        if (!flat) ex.onMarketEvent(e);
        else {
          Object.assign(reused, e); // the replay refills one object
          ex.onFlatTrade(reused);
        }
      }
      return { reports: ex.drainReports(), orders: ex.openOrders(SYMBOL), events: ex.counters.marketEvents };
    };
    const eager = run(false);
    expect(run(true)).toEqual(eager);
    expect(trades(eager.reports).map((r) => [r.clientOrderId, r.lastFillLots]).length).toBeGreaterThan(0);
  });
});

describe('the match time of an event', () => {
  it('is its transaction time, but never after its event time', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', BID, 1), 2);
    ex.onMarketEvent({ ...trade(50, BID, 20, 'sell'), tsTransactUs: 80 });
    expect(trades(ex.drainReports())[0].tsExchangeUs).toBe(50);
    ex.onCommand(order('c', 'buy', BID, 1), 60);
    // T 55 is before c arrived (60): the print is not c's even though its E is later.
    ex.onMarketEvent({ ...trade(70, BID, 20, 'sell'), tsTransactUs: 55 });
    expect(trades(ex.drainReports())).toEqual([]);
  });
});

describe('position modes switched at run time (the local exchange\'s accounts)', () => {
  it('hedge mode on: orders then need a position side; the account then charges a SHORT beside a LONG its own margin', () => {
    const ex = exchange({ account: { balance: '100', leverage: 1 } });
    expect(ex.dualSidePosition).toBe(false);
    expect(ex.setDualSidePosition(false)).toBe('same');
    expect(ex.setDualSidePosition(true)).toBe('ok');
    expect(ex.dualSidePosition).toBe(true);
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('none', 'buy', BID, 1), 2);
    ex.onCommand(order('l', 'buy', ASK, 1, { ...MARKET, positionSide: 'LONG' }), 2); // 60 USDT at 1×
    ex.onCommand(order('s', 'sell', BID, 1, { ...MARKET, positionSide: 'SHORT' }), 3); // 60 more: one-way would net it out
    expect(ex.drainReports().filter((r) => r.errorCode !== 0).map((r) => [r.clientOrderId, r.errorCode])).toEqual([['none', -4061], ['s', -2019]]);
    expect(ex.positionSides(SYMBOL)).toEqual([['LONG', 1], ['SHORT', 0]]);
    expect(ex.positionLots(SYMBOL)).toBe(1);
  });

  it('a flat SHORT side reads 0, not -0; one-way mode has one BOTH side', () => {
    const h = exchange({ dualSidePosition: true });
    expect(Object.is(h.positionSides(SYMBOL)[1][1], 0)).toBe(true);
    const one = exchange();
    one.onMarketEvent(standardBook(1));
    one.onCommand(order('s', 'sell', BID, 3, MARKET), 2);
    expect(one.positionSides(SYMBOL)).toEqual([['BOTH', -3]]);
  });

  it('marginType: ISOLATED then CROSSED again; the account follows (an isolated fill moves margin into its wallet)', () => {
    const ex = exchange({ account: { balance: '1000', leverage: 10 } });
    expect(ex.isIsolated(SYMBOL)).toBe(false);
    expect(ex.setMarginType(SYMBOL, false)).toBe('same');
    expect(ex.setMarginType(SYMBOL, true)).toBe('ok');
    expect(ex.isIsolated(SYMBOL)).toBe(true);
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', ASK, 10, MARKET), 2);
    expect(ex.isolatedWallets()).toBe('60');
    ex.onCommand(order('s', 'sell', BID, 10, MARKET), 3);
    expect(ex.isolatedWallets()).toBe('0');
    expect(ex.setMarginType(SYMBOL, false)).toBe('ok');
    expect(ex.isIsolated(SYMBOL)).toBe(false);
    ex.onCommand(order('b2', 'buy', ASK + 1, 1, MARKET), 4);
    expect(ex.isolatedWallets()).toBe('0');
    expect(ex.isolatedPosition(SYMBOL, 'BOTH')).toBeNull();
    expect(() => ex.isIsolated('NOPEUSDT')).toThrow(RangeError);
  });

  it('without an account the modes still switch (the exchange keeps them)', () => {
    const ex = exchange();
    expect(ex.setMarginType(SYMBOL, true)).toBe('ok');
    expect(ex.isIsolated(SYMBOL)).toBe(true);
    expect(ex.setDualSidePosition(true)).toBe('ok');
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('l', 'buy', ASK, 1, { ...MARKET, positionSide: 'LONG' }), 2);
    expect(ex.setMarginType(SYMBOL, false)).toBe('position');
  });
});

describe('funding configuration checks', () => {
  const err = (funding: SimExchangeOptions['funding']): ConfigError => {
    try {
      exchange({ funding });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return e as ConfigError;
    }
    throw new Error('no ConfigError');
  };

  it('the interval must be a positive integer of µs; the rate a decimal', () => {
    for (const intervalUs of [0, -1, 1.5]) {
      const e = err({ mode: 'rate', rate: '0.0001', intervalUs });
      expect(e.message).toBe(`funding interval must be a positive integer of µs, got ${intervalUs}`);
      expect(e.location.field).toBe('funding.intervalUs');
    }
    expect(() => exchange({ funding: { mode: 'rate', rate: 'x' } })).toThrow(/funding\.rate/);
    expect(() => exchange({ funding: { mode: 'rate', rate: '0.0001', intervalUs: 1 } })).not.toThrow();
  });

  it('history times must increase (equal times too); each rate must be a decimal', () => {
    const e = err({ mode: 'data', history: { BTCUSDT: [{ tsUs: 5, rate: '0.0001' }, { tsUs: 5, rate: '0.0001' }] } });
    expect(e.message).toBe('funding history of BTCUSDT: times must increase (record 1)');
    expect(e.location.field).toBe('funding.history.BTCUSDT');
    expect(() => exchange({ funding: { mode: 'data', history: { BTCUSDT: [{ tsUs: 5, rate: '1%' }] } } })).toThrow(/funding\.history\.BTCUSDT\.rate/);
  });

  it('an empty history schedules nothing: prints without a resting order are not accepted', () => {
    const empty = exchange({ funding: { mode: 'data', history: { BTCUSDT: [] } } });
    empty.onMarketEvent(trade(1, BID, 1, 'sell'));
    expect(empty.accepts('trade', SYMBOL)).toBe(false);
    const full = exchange({ funding: { mode: 'data', history: { BTCUSDT: [{ tsUs: 10, rate: '0.0001' }] } } });
    full.onMarketEvent(trade(1, BID, 1, 'sell'));
    expect(full.accepts('trade', SYMBOL)).toBe(true);
  });
});

describe('a mark price event without a price (a funding row)', () => {
  it('leaves the mark unknown: the reference price stays the book mid', () => {
    const ex = exchange();
    ex.onMarketEvent(snapshot(1, [[BID, 1]], [[ASK, 1]]));
    ex.onMarketEvent(mark(2, '', '0.0001', 28_800_000_000));
    expect(ex.referencePrice(SYMBOL)).toBe('59999.5');
    ex.onMarketEvent(diff(3, [[BID + 2, 1]], []));
    expect(ex.referencePrice(SYMBOL)).toBe('59999.6');
  });
});

describe('queue model names, defaults and configuration checks', () => {
  it('names say the family, exponent and variant; the defaults are variant 1 and power 2', () => {
    expect(createQueueModel({ model: 'risk-averse' }).name).toBe('riskAverse');
    expect(createQueueModel({ model: 'prob-power' }).name).toBe('prob-power2-v1');
    expect(createQueueModel({ model: 'prob-power', variant: 3, power: 3 }).name).toBe('prob-power3-v3');
    expect(createQueueModel({ model: 'prob-log', variant: 2 }).name).toBe('prob-log-v2');
    // The log family has no exponent: any n is accepted and ignored.
    expect(new ProbQueueModel('log', 1, -1).name).toBe('prob-log-v1');
  });

  it('an exchange given a model instance uses it as is', () => {
    const m = new ProbQueueModel('log', 2);
    expect(exchange({ queueModel: m }).queueModel).toBe(m);
  });

  it('errors name the field and the bad value', () => {
    const err = (f: () => unknown): ConfigError => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return e as ConfigError;
      }
      throw new Error('no ConfigError');
    };
    const fam = err(() => new ProbQueueModel('cubic' as 'log'));
    expect([fam.message, fam.location.field]).toEqual(['queue model family must be "power" or "log", got "cubic"', 'queueModel.family']);
    const v = err(() => new ProbQueueModel('power', 0 as 1));
    expect([v.message, v.location.field]).toEqual(['queue model variant must be 1, 2 or 3, got 0', 'queueModel.variant']);
    for (const n of [0, Infinity, NaN]) {
      const e = err(() => new ProbQueueModel('power', 1, n));
      expect([e.message, e.location.field]).toEqual([`power queue model exponent must be > 0, got ${n}`, 'queueModel.power']);
    }
    const u = err(() => createQueueModel({ model: 'fifo' } as never));
    expect([u.message, u.location.field]).toEqual(['unknown queue model "fifo" (risk-averse, prob-log, prob-power)', 'queueModel.model']);
  });

  it('an empty level (0/0) counts every decrease as behind us, in every variant', () => {
    for (const v of [1, 2, 3] as const) for (const fam of ['power', 'log'] as const) expect(new ProbQueueModel(fam, v).probBehind(0, 0)).toBe(1);
    // Nobody behind: the decrease is ahead of us (p = 0) in variants 1 and 2, and in 3.
    for (const v of [1, 2, 3] as const) expect(new ProbQueueModel('power', v).probBehind(5, 0)).toBe(0);
  });

  it('log family check values, variants 2 and 3 (front 6, back 4)', () => {
    expect(new ProbQueueModel('log', 2).probBehind(6, 4)).toBeCloseTo(Math.log(5) / Math.log(11), 14);
    expect(new ProbQueueModel('log', 3).probBehind(6, 4)).toBeCloseTo(1 - Math.log(1.6), 14);
    expect(new ProbQueueModel('power', 1, 3).probBehind(6, 4)).toBeCloseTo(64 / (64 + 216), 14);
  });

  it('prints counted at one level change are not subtracted again at the next', () => {
    const m = new ProbQueueModel('power', 2, 2);
    const q = { front: 6, tradedSinceLevelChange: 0 };
    m.onTrade(q, 3); // front 3; the level 10 → 7 that follows is the print
    m.onLevelChange(q, 10, 7);
    expect(q).toEqual({ front: 3, tradedSinceLevelChange: 0 });
    // 7 → 4 is a cancel of 3: front 3, back 4, p = 16/49: front' = 3 − (33/49)·3.
    m.onLevelChange(q, 7, 4);
    expect(q.front).toBeCloseTo(3 - (33 / 49) * 3, 12);
  });

  it('a level that grows back after a print keeps the queue ahead (risk-averse and prob)', () => {
    for (const m of [createQueueModel({ model: 'risk-averse' }), createQueueModel({ model: 'prob-log' })]) {
      const q = { front: 0, tradedSinceLevelChange: 0 };
      m.onPlace(q, 8);
      expect(q).toEqual({ front: 8, tradedSinceLevelChange: 0 });
      m.onTrade(q, 2);
      m.onLevelChange(q, 8, 9);
      expect(q.front).toBe(6);
    }
  });
});

describe('funding edges', () => {
  const H = 3_600_000_000;
  const T0 = Date.UTC(2024, 7, 8, 23) * 1000;
  const two = (funding: SimExchangeOptions['funding']) => {
    const eth = instrument({ symbol: 'ETHUSDT', baseAsset: 'ETH' });
    return new TestExchange({ instruments: [instrument(), eth], rng: new Rng(1), queueModel: { model: 'risk-averse' }, fees: { default: { makerRate: '0', takerRate: '0' } }, funding });
  };

  it('a history of two symbols is settled in time order, symbols in instrument order at one time; a record at the start is not the run\'s', () => {
    const history = {
      ETHUSDT: [{ tsUs: T0, rate: '0.9' }, { tsUs: T0 + H, rate: '0.0001' }, { tsUs: T0 + 3 * H, rate: '0.0003' }],
      BTCUSDT: [{ tsUs: T0 + 2 * H, rate: '0.0002' }, { tsUs: T0 + 3 * H, rate: '0.0004' }],
    };
    const ex = two({ mode: 'data', history });
    ex.onMarketEvent({ ...standardBook(T0), symbol: 'ETHUSDT' });
    ex.onMarketEvent(standardBook(T0 + 1));
    ex.onMarketEvent(standardBook(T0 + 4 * H));
    expect(ex.drainFunding().map((f) => [f.symbol, f.tsUs, f.rate])).toEqual([
      ['ETHUSDT', T0 + H, '0.0001'],
      ['BTCUSDT', T0 + 2 * H, '0.0002'],
      ['BTCUSDT', T0 + 3 * H, '0.0004'],
      ['ETHUSDT', T0 + 3 * H, '0.0003'],
    ]);
  });

  it('a fixed schedule settles at exactly the funding time, every symbol, and ignores the rates of mark price events', () => {
    const ex = two({ mode: 'rate', rate: '0.0001', intervalUs: H });
    ex.onMarketEvent(standardBook(T0 - 10));
    ex.onMarketEvent(mark(T0 - 5, '60000', '0.5', T0 - 1)); // a settlement record in the data: not used in fixed mode
    ex.onMarketEvent(mark(T0 - 4, '60000', '0.5', T0 + 10)); // an announcement: not used either
    ex.onMarketEvent(mark(T0 - 1, '60000', '0.5', T0 + 30));
    expect(ex.drainFunding()).toEqual([]);
    ex.onMarketEvent(mark(T0, '60000', '0.5', T0 + 30));
    expect(ex.drainFunding().map((f) => [f.symbol, f.tsUs, f.rate, f.markPrice])).toEqual([['BTCUSDT', T0, '0.0001', '60000']]);
    expect([ex.counters.fundingSettlements, ex.counters.fundingSkipped]).toEqual([1, 1]); // ETHUSDT has no price
  });

  it('a settlement record carrying its own mark price is settled at that price', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('m', 'buy', 0, 1, MARKET), 2);
    ex.onMarketEvent(mark(3, '59000'));
    ex.onMarketEvent(mark(T0, '61000', '0.0001', T0));
    expect(ex.drainFunding()).toEqual([{ symbol: SYMBOL, tsUs: T0, markPrice: '61000', rate: '0.0001', positionLots: 1, payment: '-0.0061' }]);
  });

  it('a settlement record without a rate is not settled', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onMarketEvent(mark(T0, '61000', '', T0));
    ex.onMarketEvent(mark(T0 + 1, '61000', '0.0001', T0 + 8 * H));
    expect(ex.drainFunding()).toEqual([]);
  });
});

describe('the account and order views', () => {
  it('accountSync lists only symbols with a position; openOrders shows every field of a resting order', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t', 'buy', ASK, 2, MARKET), 2);
    ex.onCommand(order('t2', 'sell', BID, 2, MARKET), 3);
    ex.onCommand(order('r', 'sell', ASK + 3, 4, { timeInForce: 'GTX' }), 4);
    expect(ex.accountSync(5).positions).toEqual([]);
    expect(ex.openOrders(SYMBOL)).toEqual([{
      symbol: SYMBOL, clientOrderId: 'r', orderId: 3, side: 'sell', type: 'LIMIT', timeInForce: 'GTX', priceTicks: ASK + 3, origQtyLots: 4, filledLots: 0, reduceOnly: false, status: 'NEW', queueAheadLots: 10,
    }]);
    expect(ex.accountSync(5).openOrders).toEqual([{ symbol: SYMBOL, clientOrderId: 'r', orderId: 3, side: 'sell', type: 'LIMIT', timeInForce: 'GTX', reduceOnly: false, status: 'NEW', priceTicks: ASK + 3, origQtyLots: 4, cumFilledLots: 0, avgFillPriceTicks: undefined }]);
  });

  it('a query of an order of one symbol under another symbol is not found; a command for an unknown symbol leaves the account alone', () => {
    const ex = exchange({ account: { balance: '100', leverage: 1 } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('r', 'buy', BID - 5, 1), 2);
    ex.onCommand(cancel('r'), 3);
    ex.onCommand({ kind: 'query', symbol: 'ETHUSDT', clientOrderId: 'r', orderId: -1 }, 4);
    ex.onCommand({ kind: 'cancel', symbol: 'ETHUSDT', clientOrderId: 'r' }, 5);
    const [q] = ex.drainOther();
    expect(q).toEqual({ kind: 'queryAnswer', symbol: 'ETHUSDT', result: { clientOrderId: 'r', found: false } });
    expect(ex.accountEquity()).toBe('100');
  });
});

describe('a malformed decimal names the field it came from', () => {
  it('fee rates, the account\'s balance and clearance fee rate, a mark price, a funding rate, a transfer amount', () => {
    expect(() => exchange({ fees: { default: { makerRate: 'x', takerRate: '0' } } })).toThrow('fees.BTCUSDT.makerRate: "x" is not a decimal number');
    expect(() => exchange({ fees: { default: { makerRate: '0', takerRate: '1%' } } })).toThrow('fees.BTCUSDT.takerRate: "1%" is not a decimal number');
    expect(() => exchange({ account: { balance: 'lots', leverage: 1 } })).toThrow('account.balance: "lots" is not a decimal number');
    expect(() => exchange({ account: { balance: '1', leverage: 1, liquidationFeeRate: 'x' } })).toThrow('account.liquidationFeeRate: "x" is not a decimal number');
    const ex = exchange({ account: { balance: '1000', leverage: 10, isolated: ['BTCUSDT'] } });
    expect(() => ex.onMarketEvent(mark(1, 'n/a'))).toThrow('BTCUSDT.markPrice: "n/a" is not a decimal number');
    const f = exchange();
    f.onMarketEvent(standardBook(1));
    f.onMarketEvent(mark(2, '60000', 'bad', 10));
    expect(() => f.onMarketEvent(mark(20, '60000', '0.0001', 30))).toThrow('BTCUSDT.fundingRate: "bad" is not a decimal number');
    ex.onMarketEvent(standardBook(2));
    ex.onCommand(order('b', 'buy', ASK, 1, MARKET), 3);
    expect(() => ex.transferIsolatedMargin(SYMBOL, 'BOTH', 'ten', true, 4)).toThrow('amount: "ten" is not a decimal number');
  });
});

describe('data-mode funding: events that carry part of an announcement', () => {
  it('a mark without a funding time or without a rate keeps the pending announcement', () => {
    const H8 = 8 * 3_600_000_000;
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('m', 'buy', 0, 1, MARKET), 2);
    ex.onMarketEvent(mark(10, '60000', '0.0001', H8)); // announces H8 at 0.0001
    ex.onMarketEvent(mark(20, '60010', '', H8)); // the same time, no rate
    ex.onMarketEvent(mark(30, '60020', '', -1)); // a mark only
    ex.onMarketEvent(mark(H8 + 5, '60030', '0.0003', 2 * H8));
    expect(ex.drainFunding().map((f) => [f.tsUs, f.rate, f.markPrice])).toEqual([[H8, '0.0001', '60020']]);
  });

  it('a rate without a funding time is not a settlement record', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('m', 'buy', 0, 1, MARKET), 2);
    ex.onMarketEvent(mark(10, '60000', '0.0005', -1));
    expect(ex.drainFunding()).toEqual([]);
  });
});
