// Edges of the simulated exchange's account (src/sim-exchange/margin.ts) and of the exchange's
// account API that the behaviour tests (margin.test.ts, margin-modes.test.ts) leave open: the
// config checks with their messages and fields, a custom clearance fee rate and brackets, isolated
// margin transfers (Binance positionMargin) at their exact limits, the isolated view, and the
// answers without an account. Written for issue 15 (mutation testing: each test kills mutants that
// survived `npm run mutate -- --only sim-exchange`).
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/random.ts';
import { SimExchange, type SimExchangeOptions } from '../../src/sim-exchange/index.ts';
import { ASK, BID, SYMBOL, cancel, exchange, instrument, mark, order, snapshot, standardBook, ticker } from './helpers.ts';

const MARKET = { type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 } as const;

function configError(opts: Partial<SimExchangeOptions>, spec = {}): ConfigError {
  try {
    exchange(opts, spec);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('no ConfigError');
}

describe('account configuration checks', () => {
  it('leverage must be an integer in 1..125, per symbol too (a symbol not listed gets 1×)', () => {
    for (const lev of [0, 126, 2.5]) {
      const e = configError({ account: { balance: '100', leverage: lev } });
      expect(e.message).toBe(`account.leverage of BTCUSDT must be an integer in 1..125, got ${lev}`);
      expect(e.location.field).toBe('account.leverage');
    }
    for (const lev of [1, 125]) expect(() => exchange({ account: { balance: '100', leverage: lev } })).not.toThrow();
    // Not listed: 1×, so 60 USDT of BTC needs 60 USDT.
    const ex = exchange({ account: { balance: '59', leverage: { ETHUSDT: 20 } } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('a', 'buy', ASK - 10, 1), 2);
    expect(ex.drainReports()[0].errorCode).toBe(-2019);
  });

  it('a bracket tier needs a positive integer initial leverage, and the leverage may not exceed the first tier', () => {
    const bad = configError({ account: { balance: '100', leverage: 1, brackets: { BTCUSDT: [{ notionalCap: '', initialLeverage: 0, maintMarginRatio: '0.01', cum: '0' }] } } });
    expect(bad.message).toBe('account.brackets.BTCUSDT[0].initialLeverage must be a positive integer, got 0');
    expect(bad.location.field).toBe('account.brackets.BTCUSDT[0].initialLeverage');
    const frac = configError({ account: { balance: '100', leverage: 1, brackets: { BTCUSDT: [{ notionalCap: '', initialLeverage: 1.5, maintMarginRatio: '0.01', cum: '0' }] } } });
    expect(frac.message).toContain('got 1.5');
    const brackets = { BTCUSDT: [{ notionalCap: '', initialLeverage: 20, maintMarginRatio: '0.01', cum: '0' }] };
    const high = configError({ account: { balance: '100', leverage: 21, brackets } });
    expect(high.message).toBe("account.leverage 21 is above BTCUSDT's highest leverage 20 (account.brackets.BTCUSDT)");
    expect(high.location.field).toBe('account.leverage');
    expect(() => exchange({ account: { balance: '100', leverage: 20, brackets } })).not.toThrow();
    // A symbol without a default table gets the fallback: one tier at 50×.
    expect(configError({ account: { balance: '100', leverage: 51 } }, { symbol: 'XYZUSDT' }).message).toBe("account.leverage 51 is above XYZUSDT's highest leverage 50 (account.brackets.XYZUSDT)");
    expect(() => exchange({ account: { balance: '100', leverage: 50 } }, { symbol: 'XYZUSDT' })).not.toThrow();
  });

  it('an isolated symbol must be traded', () => {
    const e = configError({ account: { balance: '100', leverage: 1, isolated: ['ETHUSDT'] } });
    expect(e.message).toBe('account.isolated names ETHUSDT, which is not traded');
    expect(e.location.field).toBe('account.isolated');
  });
});

/** 100 USDT, 20×: long 20 lots taken at 60000.0 ×10 and 60000.1 ×10 (margin.test.ts's liquidation case). */
function leveragedLong(extra: { liquidationFeeRate?: string; brackets?: Record<string, { notionalCap: string; initialLeverage: number; maintMarginRatio: string; cum: string }[]> } = {}) {
  const ex = exchange({ account: { balance: '100', leverage: 20, ...extra } });
  ex.onMarketEvent(standardBook(1));
  ex.onCommand(order('t', 'buy', ASK + 1, 20, { timeInForce: 'IOC' }), 2);
  ex.drainReports();
  return ex;
}

describe('liquidation settings', () => {
  it('a clearance fee rate of 0 takes nothing; the default rate takes what is left (margin.test.ts)', () => {
    const ex = leveragedLong({ liquidationFeeRate: '0' });
    ex.onMarketEvent(mark(11, '55200'));
    const liq = ex.drainReports().find((r) => r.execType === 'CALCULATED');
    expect(liq).toMatchObject({ lastFillLots: 20, commission: '0.552', insuranceClearance: '0' });
    // 100 − 1.1520005 fees − 96.001 loss.
    expect(ex.accountEquity()).toBe('2.8469995');
  });

  it('a small clearance fee rate takes its notional × rate, less than what is left', () => {
    const ex = leveragedLong({ liquidationFeeRate: '0.001' });
    ex.onMarketEvent(mark(11, '55200'));
    const liq = ex.drainReports().find((r) => r.execType === 'CALCULATED');
    // 1104 × 0.001 = 1.104 < 2.8469995 left.
    expect(liq?.insuranceClearance).toBe('1.104');
    expect(ex.accountEquity()).toBe('1.7429995');
  });

  it('brackets given for a symbol replace its defaults (a higher maintenance rate liquidates sooner)', () => {
    // Default 0.004: at 55300 the equity 5.3989995 is above the maintenance 4.424 (margin.test.ts).
    const plain = leveragedLong();
    plain.onMarketEvent(mark(10, '55300'));
    expect(plain.drainReports()).toEqual([]);
    // 0.005: maintenance 1106 × 0.005 = 5.53 ≥ 5.3989995.
    const ex = leveragedLong({ brackets: { BTCUSDT: [{ notionalCap: '', initialLeverage: 125, maintMarginRatio: '0.005', cum: '0' }] } });
    ex.onMarketEvent(mark(10, '55300'));
    expect(ex.drainReports().filter((r) => r.execType === 'CALCULATED')).toHaveLength(1);
  });
});

describe('isolated margin transfers (Binance positionMargin) and the isolated view', () => {
  /** 1000 USDT, 10×, BTCUSDT isolated, long 10 lots at 60000.0: isolated wallet 60, commission 0.3. */
  function isolatedLong() {
    const ex = exchange({ account: { balance: '1000', leverage: 10, isolated: ['BTCUSDT'] } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', ASK, 10, MARKET), 2);
    ex.drainReports();
    return ex;
  }

  it('answers for a cross symbol, a flat position and an exchange without an account', () => {
    const cross = exchange({ account: { balance: '1000', leverage: 10 } });
    expect(cross.transferIsolatedMargin('BTCUSDT', 'BOTH', '1', true, 1)).toBe('notIsolated');
    expect(cross.isolatedPosition('BTCUSDT', 'BOTH')).toBeNull();
    const flat = exchange({ account: { balance: '1000', leverage: 10, isolated: ['BTCUSDT'] } });
    expect(flat.transferIsolatedMargin('BTCUSDT', 'BOTH', '1', true, 1)).toBe('noPosition');
    expect(flat.isolatedPosition('BTCUSDT', 'BOTH')).toEqual({ wallet: '0', margin: '0', liquidationPrice: null });
    const none = exchange();
    expect(none.transferIsolatedMargin('BTCUSDT', 'BOTH', '1', true, 1)).toBe('noAccount');
    expect(none.isolatedPosition('BTCUSDT', 'BOTH')).toBeNull();
    expect(none.isolatedWallets()).toBe('0');
    expect(none.accountEquity()).toBeNull();
    expect(() => none.transferIsolatedMargin('NOPEUSDT', 'BOTH', '1', true, 1)).toThrow('SimExchange has no instrument NOPEUSDT');
  });

  it('the view: wallet, own margin at the book mid and the liquidation price', () => {
    const ex = isolatedLong();
    // Own margin: 60 + 0.01 × 59999.5 − 600 = 59.995. Liquidation: 60 + 0.01 (P − 60000) = 0.01 P × 0.004, P = 54216.867469879… rounded up.
    expect(ex.isolatedPosition('BTCUSDT', 'BOTH')).toEqual({ wallet: '60', margin: '59.995', liquidationPrice: '54216.86746988' });
    expect(ex.isolatedWallets()).toBe('60');
    expect(ex.referencePrice('BTCUSDT')).toBe('59999.5');
  });

  it('adding needs that much cross equity above the cross requirement, to the last unit', () => {
    // Equity 1000 − 0.3 − 0.005 = 999.695; the position's own margin 59.995 is not the cross's: 939.7 left.
    const over = isolatedLong();
    expect(over.transferIsolatedMargin('BTCUSDT', 'BOTH', '939.7000001', true, 3)).toBe('crossInsufficient');
    expect(over.isolatedPosition('BTCUSDT', 'BOTH')?.wallet).toBe('60');
    const ex = isolatedLong();
    expect(ex.transferIsolatedMargin('BTCUSDT', 'BOTH', '939.7', true, 3)).toBe('ok');
    expect(ex.isolatedPosition('BTCUSDT', 'BOTH')?.wallet).toBe('999.7');
    expect(ex.isolatedWallets()).toBe('999.7');
    // The total equity does not move; the cross has nothing left for a new order.
    expect(ex.accountEquity()).toBe('999.695');
  });

  it('an open order of the isolated symbol counts against the cross equity', () => {
    const ex = isolatedLong();
    ex.onCommand(order('r', 'buy', BID - 100, 10), 3); // opens 10 lots more: IM ≈ 59.9995 at the mid from the cross
    expect(ex.drainReports()[0].execType).toBe('NEW');
    expect(ex.transferIsolatedMargin('BTCUSDT', 'BOTH', '939.7', true, 4)).toBe('crossInsufficient');
    expect(ex.transferIsolatedMargin('BTCUSDT', 'BOTH', '879.7005', true, 4)).toBe('ok');
  });

  it('removing must leave the own margin at or above the initial margin at the reference price', () => {
    const ex = isolatedLong();
    // Own margin 59.995 is already below the initial margin 59.9995: nothing can be removed.
    expect(ex.transferIsolatedMargin('BTCUSDT', 'BOTH', '0.001', false, 3)).toBe('isolatedInsufficient');
    expect(ex.transferIsolatedMargin('BTCUSDT', 'BOTH', '10', true, 4)).toBe('ok');
    // Own margin 69.995: 9.9955 can go, not a unit more.
    expect(ex.transferIsolatedMargin('BTCUSDT', 'BOTH', '9.9955001', false, 5)).toBe('isolatedInsufficient');
    expect(ex.transferIsolatedMargin('BTCUSDT', 'BOTH', '9.9955', false, 5)).toBe('ok');
    expect(ex.isolatedPosition('BTCUSDT', 'BOTH')).toMatchObject({ wallet: '60.0045', margin: '59.9995' });
  });

  it('removing more than the isolated wallet is refused even when the position is in profit', () => {
    const ex = isolatedLong();
    ex.onMarketEvent(mark(3, '80000')); // own margin 60 + 200 = 260, initial margin 80
    expect(ex.transferIsolatedMargin('BTCUSDT', 'BOTH', '60.0000001', false, 4)).toBe('isolatedInsufficient');
    expect(ex.transferIsolatedMargin('BTCUSDT', 'BOTH', '60', false, 4)).toBe('ok');
    expect(ex.isolatedPosition('BTCUSDT', 'BOTH')).toMatchObject({ wallet: '0', margin: '200' });
  });
});

describe('the exchange API around the account', () => {
  it('referencePrice: null with neither book nor mark, the book mid, then the mark; unknown symbols throw', () => {
    const ex = exchange();
    expect(ex.referencePrice('BTCUSDT')).toBeNull();
    ex.onMarketEvent(standardBook(1));
    expect(ex.referencePrice('BTCUSDT')).toBe('59999.5');
    ex.onMarketEvent(mark(2, '60001.23'));
    expect(ex.referencePrice('BTCUSDT')).toBe('60001.23');
    expect(() => ex.referencePrice('NOPEUSDT')).toThrow(RangeError);
  });

  it('tradedSymbols in instrument order; firstOrderId numbers the orders across symbols', () => {
    const eth = instrument({ symbol: 'ETHUSDT', baseAsset: 'ETH' });
    const ex = new SimExchange({ instruments: [instrument(), eth], rng: new Rng(1), queueModel: { model: 'risk-averse' }, fees: { default: { makerRate: '0', takerRate: '0' } }, firstOrderId: 500 });
    expect(ex.tradedSymbols()).toEqual(['BTCUSDT', 'ETHUSDT']);
    ex.send(order('a', 'buy', BID, 1), 1);
    ex.send({ kind: 'submit', order: { symbol: 'ETHUSDT', clientOrderId: 'b', side: 'buy', type: 'LIMIT', timeInForce: 'GTC', priceTicks: BID, qtyLots: 1, reduceOnly: false } }, 2);
    const ids = ex.drainEvents().flatMap((e) => (e.kind === 'report' ? [[e.report.clientOrderId, e.report.orderId]] : []));
    expect(ids).toEqual([['a', 500], ['b', 501]]);
  });
});

describe('the initial-margin check at its limits (plain cross, one-way)', () => {
  const noFees = { fees: { default: { makerRate: '0', takerRate: '0' } } };

  it('equity exactly covering the requirement passes; the order\'s own symbol is counted once', () => {
    // No book: valued at the order price, 60000.0 × 0.001 = 60 at 1×.
    const ex = exchange({ ...noFees, account: { balance: '60', leverage: 1 } });
    ex.onCommand(order('a', 'buy', 600_000, 1), 1);
    ex.onCommand(order('b', 'buy', 600_000, 1, { clientOrderId: 'b' }), 2);
    expect(ex.drainReports().map((r) => [r.clientOrderId, r.execType, r.errorCode])).toEqual([['a', 'NEW', 0], ['b', 'REJECTED', -2019]]);
    const two = exchange({ ...noFees, account: { balance: '120', leverage: 1 } });
    two.onMarketEvent(standardBook(1)); // valued at the mid 59999.5
    two.onCommand(order('a', 'buy', BID - 100, 1), 1);
    two.onCommand(order('b', 'buy', BID - 100, 1), 2); // 119.999 in all, not 59.9995 + 119.999
    expect(two.drainReports().map((r) => r.errorCode)).toEqual([0, 0]);
  });

  it('a MARKET order with nothing to value it at passes (and expires unfilled)', () => {
    const ex = exchange({ account: { balance: '0', leverage: 1 } });
    ex.onCommand(order('m', 'buy', 0, 1, MARKET), 1);
    expect(ex.drainReports().map((r) => r.execType)).toEqual(['NEW', 'EXPIRED']);
  });

  it('an order that leaves the requirement unchanged passes even when the account is already short of initial margin', () => {
    // Long 1 lot and a resting buy of 1: requirement 2 lots. At 80000 equity is 150, the requirement 160.
    const ex = exchange({ ...noFees, account: { balance: '130', leverage: 1 } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t', 'buy', ASK, 1, MARKET), 2);
    ex.onCommand(order('b', 'buy', BID - 100, 1), 3);
    ex.onMarketEvent(mark(4, '80000'));
    ex.drainReports();
    ex.onCommand(order('s', 'sell', 800_100, 1), 5); // max(|1 + 1|, |1 − 1|) = 2: unchanged
    expect(ex.drainReports()[0]).toMatchObject({ clientOrderId: 's', execType: 'NEW' });
    ex.onCommand(order('s2', 'sell', 800_200, 4), 6); // |1 − 5| = 4 lots: more
    expect(ex.drainReports()[0]).toMatchObject({ clientOrderId: 's2', errorCode: -2019 });
    // Keeping the leverage is not lowering it: accepted although the account is short.
    expect(ex.changeLeverage(SYMBOL, 1)).toBe(true);
  });

  it('other symbols\' requirements count against the same equity; a symbol without a price counts nothing', () => {
    const eth = instrument({ symbol: 'ETHUSDT', baseAsset: 'ETH' });
    const ex = new SimExchange({ instruments: [instrument(), eth], rng: new Rng(1), queueModel: { model: 'risk-averse' }, fees: { default: { makerRate: '0', takerRate: '0' } }, account: { balance: '120', leverage: 1 } });
    const ethOrder = (id: string, ticks: number) => ({ kind: 'submit' as const, order: { symbol: 'ETHUSDT', clientOrderId: id, side: 'buy' as const, type: 'LIMIT' as const, timeInForce: 'GTC' as const, priceTicks: ticks, qtyLots: 1, reduceOnly: false } });
    ex.onMarketEvent(standardBook(1)); // BTCUSDT mid 59999.5
    ex.send(ethOrder('e1', 600_000), 2); // ETHUSDT has no price: valued at the order price when placed (60), then counts nothing
    ex.send(order('b1', 'buy', BID - 100, 2), 3); // 119.999 of 120
    ex.send(cancel('b1'), 4);
    ex.onMarketEvent({ ...snapshot(5, [[599_990, 5]], [[600_010, 5]]), symbol: 'ETHUSDT' }); // ETHUSDT's order now needs 60
    ex.send(order('b2', 'buy', BID - 100, 2), 6);
    const codes = ex.drainEvents().flatMap((e) => (e.kind === 'report' && e.report.execType !== 'CANCELED' ? [[e.report.clientOrderId, e.report.errorCode]] : []));
    expect(codes).toEqual([['e1', 0], ['b1', 0], ['b2', -2019]]);
  });

  it('an account with nothing open is never liquidated, even with no equity', () => {
    const ex = exchange({ account: { balance: '0', leverage: 1 } });
    ex.onMarketEvent(standardBook(1));
    ex.onMarketEvent(mark(2, '60000'));
    expect(ex.counters.liquidations).toBe(0);
  });
});

describe('liquidation triggers between exact checks (book moves without a mark)', () => {
  it('a short is liquidated on the book mid when it reaches its trigger, not before', () => {
    const ex = exchange({ account: { balance: '100', leverage: 20 } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t', 'sell', BID, 10, MARKET), 2); // short 10 lots at 59999.0
    ex.drainReports();
    // Liquidation from a mid of about 69691 (margin.test.ts, the same short on marks).
    ex.onMarketEvent(snapshot(3, [[695_990, 5]], [[696_010, 5]])); // mid 69600
    expect(ex.drainReports()).toEqual([]);
    ex.onMarketEvent(snapshot(4, [[697_990, 5]], [[698_010, 5]])); // mid 69800
    const liq = ex.drainReports().find((r) => r.execType === 'CALCULATED');
    expect(liq).toMatchObject({ side: 'buy', lastFillPriceTicks: 698_000, lastFillLots: 10 });
  });

  it('a long is not liquidated by a move that stays above its trigger, on any number of book events', () => {
    const ex = exchange({ account: { balance: '100', leverage: 20 } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('t', 'buy', ASK + 1, 20, { timeInForce: 'IOC' }), 2);
    for (let i = 0; i < 5; i++) ex.onMarketEvent(snapshot(3 + i * 2_000_000, [[552_990, 5]], [[553_010, 5]])); // mid 55300, refreshed every 2 s
    expect(ex.counters.liquidations).toBe(0);
  });
});

describe('isolated margin in one-way mode: fills, funding, liquidation', () => {
  it('a partial close releases its share of the isolated wallet', () => {
    const ex = exchange({ account: { balance: '1000', leverage: 10, isolated: ['BTCUSDT'] } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', ASK, 10, MARKET), 2); // wallet 60
    ex.onCommand(order('s', 'sell', BID, 3, MARKET), 3);
    expect(ex.isolatedPosition(SYMBOL, 'BOTH')?.wallet).toBe('42');
    ex.onCommand(order('b2', 'buy', ASK + 1, 2, MARKET), 4); // adds 2 × 60.0001 / 10
    expect(ex.isolatedPosition(SYMBOL, 'BOTH')?.wallet).toBe('54.00002');
  });

  it('funding of an isolated position goes into its wallet', () => {
    const ex = exchange({ account: { balance: '1000', leverage: 10, isolated: ['BTCUSDT'] } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', ASK, 10, MARKET), 2);
    ex.onMarketEvent(mark(28_800_000_000, '60000', '0.0001', 28_800_000_000)); // pays 0.01 × 60000 × 0.0001
    expect(ex.drainFunding().map((f) => f.payment)).toEqual(['-0.06']);
    expect(ex.isolatedPosition(SYMBOL, 'BOTH')?.wallet).toBe('59.94');
  });

  it('a long is liquidated alone at its bankruptcy price; the orders of its symbol are cancelled, another isolated symbol untouched', () => {
    const eth = instrument({ symbol: 'ETHUSDT', baseAsset: 'ETH' });
    const ex = new SimExchange({ instruments: [instrument(), eth], rng: new Rng(1), queueModel: { model: 'risk-averse' }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } }, account: { balance: '1000', leverage: 10, isolated: ['BTCUSDT', 'ETHUSDT'] } });
    ex.onMarketEvent(standardBook(1));
    ex.send(order('b', 'buy', ASK, 10, MARKET), 2);
    ex.send(order('rest', 'buy', BID - 500, 1), 3);
    ex.send({ kind: 'submit', order: { symbol: 'ETHUSDT', clientOrderId: 'e', side: 'buy', type: 'LIMIT', timeInForce: 'GTC', priceTicks: 60_000, qtyLots: 1, reduceOnly: false } }, 3);
    ex.drainEvents();
    ex.onMarketEvent(mark(4, '54000'));
    const rs = ex.drainEvents().flatMap((e) => (e.kind === 'report' ? [e.report] : []));
    expect(rs.map((r) => [r.clientOrderId.replace(/\d+$/, ''), r.execType])).toEqual([['rest', 'CANCELED'], ['autoclose-', 'CALCULATED']]);
    // Bankruptcy (600 − 60) / (0.01 × (1 − 0.0005)) = 54027.01… → 54027.1, above the mark.
    expect(rs[1]).toMatchObject({ side: 'sell', lastFillLots: 10, lastFillPriceTicks: 540_271, reduceOnly: true, status: 'FILLED' });
    expect(rs[1].positionSide).toBeUndefined();
    // The clearance fee takes what is left of the isolated margin: 60 − 59.729 − 0.2701355.
    expect(rs[1].insuranceClearance).toBe('0.0008645');
    expect(ex.openOrders('ETHUSDT').map((o) => o.clientOrderId)).toEqual(['e']);
    expect(ex.positionLots(SYMBOL)).toBe(0);
    expect(ex.isolatedPosition(SYMBOL, 'BOTH')?.wallet).toBe('0');
    // 1000 − 0.3 opening fee − 60 isolated wallet lost.
    expect(ex.accountEquity()).toBe('939.7');
  });

  it('a short is liquidated alone no worse than its bankruptcy price (rounded down)', () => {
    const ex = exchange({ account: { balance: '1000', leverage: 10, isolated: ['BTCUSDT'] } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('s', 'sell', BID, 10, MARKET), 2); // short 10 at 59999.0, wallet 59.999
    ex.drainReports();
    ex.onMarketEvent(mark(3, '65000')); // own margin 59.999 − 50.01 = 9.989 > maintenance 2.6
    expect(ex.drainReports()).toEqual([]);
    ex.onMarketEvent(mark(4, '66500'));
    const liq = ex.drainReports().find((r) => r.execType === 'CALCULATED');
    // Bankruptcy: (599.99 + 59.999) / (0.01 × (1 + 0.0005)) = 65965.9… → 65965.9 (rounded down), below the mark.
    expect(liq).toMatchObject({ side: 'buy', lastFillLots: 10, lastFillPriceTicks: 659_659, reduceOnly: true, insuranceClearance: '0.0001705' });
    // What was left of the isolated margin: 59.999 + 599.99 − 659.659 − the fee 0.3298295.
    expect(ex.positionLots(SYMBOL)).toBe(0);
  });
});

describe('leverage in hedge mode or with isolated symbols', () => {
  it('lowering it is refused when the cross equity would not cover the requirement', () => {
    const ex = exchange({ account: { balance: '100', leverage: 2 }, dualSidePosition: true });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('l', 'buy', BID - 100, 3, { positionSide: 'LONG' }), 2); // 3 × 59.9995 / 2 = 89.99925
    expect(ex.drainReports()[0].execType).toBe('NEW');
    expect(ex.changeLeverage(SYMBOL, 1)).toBe(false);
    ex.onCommand(order('l2', 'buy', BID - 100, 1, { positionSide: 'LONG' }), 3); // still 2×: 119.999 > 100
    expect(ex.drainReports()[0].errorCode).toBe(-2019);
    ex.onCommand(cancel('l'), 4);
    expect(ex.changeLeverage(SYMBOL, 1)).toBe(true);
  });
});

describe('two symbols on one cross account', () => {
  const tier = [{ notionalCap: '', initialLeverage: 125, maintMarginRatio: '0.004', cum: '0' }];
  /** 61 USDT at 20×, no fees: long 10 lots of BTCUSDT and of ETHUSDT (same grid), each at 60000.0 (≈ 30 USDT of initial margin each). */
  function twoLongs() {
    const eth = instrument({ symbol: 'ETHUSDT', baseAsset: 'ETH' });
    const ex = new SimExchange({
      instruments: [instrument(), eth], rng: new Rng(1), queueModel: { model: 'risk-averse' }, fees: { default: { makerRate: '0', takerRate: '0' } },
      account: { balance: '61', leverage: 20, brackets: { BTCUSDT: tier, ETHUSDT: tier } },
    });
    ex.onMarketEvent(standardBook(1));
    ex.onMarketEvent({ ...standardBook(1), symbol: 'ETHUSDT' });
    ex.send(order('b', 'buy', ASK, 10, MARKET), 2);
    ex.send({ kind: 'submit', order: { symbol: 'ETHUSDT', clientOrderId: 'e', side: 'buy', type: 'MARKET', timeInForce: 'IOC', priceTicks: 0, qtyLots: 10, reduceOnly: false } }, 3);
    const rs = ex.drainEvents().flatMap((e) => (e.kind === 'report' ? [e.report] : []));
    expect(rs.filter((r) => r.execType === 'TRADE').map((r) => [r.symbol, r.lastFillLots])).toEqual([['BTCUSDT', 10], ['ETHUSDT', 10]]);
    return ex;
  }
  const book = (symbol: string, ts: number, bid: number) => ({ ...snapshot(ts, [[bid, 5]], [[bid + 10, 5]]), symbol });

  it('between exact checks each symbol is checked against its own trigger, and every trigger is refreshed a second after the last check', () => {
    // Liquidated when 61 + 0.01 (S − 120000) ≤ 0.00004 S, S = the two prices: S ≤ 114357.4.
    // Each trigger holds the other symbol at its price of the last check (59999.5): 54357.9.
    const ex = twoLongs();
    ex.onMarketEvent(book('ETHUSDT', 500_000, 569_995)); // mid 57000: not ETH's trigger
    ex.onMarketEvent(book('BTCUSDT', 600_000, 569_995)); // S = 114000, but not BTC's (stale) trigger
    ex.onMarketEvent(book('BTCUSDT', 1_000_002, 569_995)); // 999 999 µs after the last check (the fill at 3)
    expect(ex.counters.liquidations).toBe(0);
    ex.onMarketEvent(book('BTCUSDT', 1_000_003, 569_995)); // a second after it: exact check
    expect(ex.counters.liquidations).toBe(1);
    expect([ex.positionLots('BTCUSDT'), ex.positionLots('ETHUSDT')]).toEqual([0, 0]);
  });

  it('a symbol valued at its mark checks its own trigger in ticks of the mark between marks', () => {
    // Three longs of 10 lots at 60000.0, 91 USDT at 20×: liquidated when 91 + 0.01 (S − 180000) ≤ 0.00004 S, S ≤ 171586.3.
    // After the exact check at BTCUSDT's mark (59999.5), each trigger holds the other two at 59999.5: 51587.3.
    const syms = ['BTCUSDT', 'ETHUSDT', 'XRPUSDT'];
    const ex = new SimExchange({
      instruments: syms.map((symbol) => instrument({ symbol, baseAsset: symbol.slice(0, 3) })), rng: new Rng(1), queueModel: { model: 'risk-averse' }, fees: { default: { makerRate: '0', takerRate: '0' } },
      account: { balance: '91', leverage: 20, brackets: Object.fromEntries(syms.map((x) => [x, tier])) },
    });
    for (const symbol of syms) {
      ex.onMarketEvent({ ...standardBook(1), symbol });
      ex.send({ kind: 'submit', order: { symbol, clientOrderId: `b-${symbol}`, side: 'buy', type: 'MARKET', timeInForce: 'IOC', priceTicks: 0, qtyLots: 10, reduceOnly: false } }, 2);
    }
    expect(syms.map((x) => ex.positionLots(x))).toEqual([10, 10, 10]);
    ex.onMarketEvent(mark(4, '59999.5'));
    ex.onMarketEvent(book('ETHUSDT', 500_000, 549_995)); // 55000: above ETH's trigger
    ex.onMarketEvent(book('XRPUSDT', 550_000, 549_995)); // 55000: above XRP's (stale) trigger; S = 169999.5
    ex.onMarketEvent(book('BTCUSDT', 600_000, 499_995)); // a book mid of 50000, but BTCUSDT's reference is its mark, above its trigger: no check
    expect(ex.counters.liquidations).toBe(0);
    ex.onMarketEvent(book('BTCUSDT', 1_000_004, 499_995)); // a second after the check at the mark
    expect(ex.counters.liquidations).toBe(1);
  });

  it('a liquidation cancels the orders of every symbol and closes every position, each by its own autoclose order', () => {
    const ex = twoLongs();
    ex.send(order('rb', 'sell', ASK + 500, 1), 4);
    ex.send({ kind: 'submit', order: { symbol: 'ETHUSDT', clientOrderId: 're', side: 'sell', type: 'LIMIT', timeInForce: 'GTC', priceTicks: ASK + 500, qtyLots: 1, reduceOnly: false } }, 4);
    ex.drainEvents();
    ex.onMarketEvent({ ...mark(5, '57000'), symbol: 'ETHUSDT' });
    expect(ex.counters.liquidations).toBe(0);
    ex.onMarketEvent(mark(6, '57000')); // BTC at the mark 57000 too: S = 114000
    const rs = ex.drainEvents().flatMap((e) => (e.kind === 'report' ? [e.report] : []));
    expect(rs.map((r) => [r.symbol, r.clientOrderId.replace(/-\d+$/, ''), r.execType, r.side, r.lastFillLots, r.lastFillPriceTicks])).toEqual([
      ['BTCUSDT', 'rb', 'CANCELED', 'sell', 0, 0],
      ['ETHUSDT', 're', 'CANCELED', 'sell', 0, 0],
      ['BTCUSDT', 'autoclose', 'CALCULATED', 'sell', 10, 570_000],
      ['ETHUSDT', 'autoclose', 'CALCULATED', 'sell', 10, 570_000],
    ]);
    expect(rs[3].orderId).toBe(rs[2].orderId + 1);
    expect(rs[3].tradeId).toBe(rs[2].tradeId + 1);
    // 61 − 2 × 30 lost; the clearance fees (each 570 × 0.0125 = 7.125) take what is left: 1, then 0.
    expect([rs[2].insuranceClearance, rs[3].insuranceClearance]).toEqual(['1', '0']);
    expect(ex.accountEquity()).toBe('0');
    expect(ex.openOrderCount('BTCUSDT') + ex.openOrderCount('ETHUSDT')).toBe(0);
  });
});

describe('an isolated symbol beside a cross one', () => {
  it('a cross liquidation closes only the cross positions and cancels only the cross orders; the isolated position keeps its wallet', () => {
    const tier = [{ notionalCap: '', initialLeverage: 125, maintMarginRatio: '0.004', cum: '0' }];
    const eth = instrument({ symbol: 'ETHUSDT', baseAsset: 'ETH' });
    const ex = new SimExchange({
      instruments: [instrument(), eth], rng: new Rng(1), queueModel: { model: 'risk-averse' }, fees: { default: { makerRate: '0', takerRate: '0' } },
      account: { balance: '200', leverage: 10, brackets: { BTCUSDT: tier, ETHUSDT: tier }, isolated: ['BTCUSDT'] },
    });
    const ethCmd = (id: string, side: 'buy' | 'sell', type: 'LIMIT' | 'MARKET', priceTicks: number) => ({ kind: 'submit' as const, order: { symbol: 'ETHUSDT', clientOrderId: id, side, type, timeInForce: type === 'MARKET' ? ('IOC' as const) : ('GTC' as const), priceTicks, qtyLots: 10, reduceOnly: false } });
    ex.onMarketEvent(standardBook(1));
    ex.onMarketEvent({ ...standardBook(1), symbol: 'ETHUSDT' });
    ex.send(order('b', 'buy', ASK, 10, MARKET), 2); // isolated wallet 60
    ex.send(ethCmd('e', 'buy', 'MARKET', 0), 3);
    ex.send(order('bs', 'sell', ASK + 900, 10), 4);
    ex.send(ethCmd('es', 'sell', 'LIMIT', ASK + 900), 4);
    expect(ex.drainEvents().flatMap((e) => (e.kind === 'report' && e.report.errorCode !== 0 ? [e.report.clientOrderId] : []))).toEqual([]);
    // Cross equity 200 − 60 + 0.01 (P − 60000) against 0.01 P × 0.004: liquidated from P ≈ 46184.7.
    ex.onMarketEvent({ ...mark(5, '46300'), symbol: 'ETHUSDT' }); // cross equity 3 > 1.852 (the isolated position's maintenance is not the cross's)
    expect(ex.counters.liquidations).toBe(0);
    ex.onMarketEvent({ ...mark(6, '46000'), symbol: 'ETHUSDT' });
    const rs = ex.drainEvents().flatMap((e) => (e.kind === 'report' ? [e.report] : []));
    expect(rs.map((r) => [r.symbol, r.clientOrderId.replace(/-\d+$/, ''), r.execType])).toEqual([['ETHUSDT', 'es', 'CANCELED'], ['ETHUSDT', 'autoclose', 'CALCULATED']]);
    expect([ex.positionLots('BTCUSDT'), ex.positionLots('ETHUSDT')]).toEqual([10, 0]);
    expect(ex.openOrders('BTCUSDT').map((o) => o.clientOrderId)).toEqual(['bs']);
    expect(ex.isolatedPosition('BTCUSDT', 'BOTH')?.wallet).toBe('60');
    // 140 − 140 lost on ETH; its clearance fee takes nothing (nothing left of the cross equity).
    expect(rs[1].insuranceClearance).toBe('0');
  });
});

describe('hedge mode: the SHORT side', () => {
  const hedge = (balance: string, isolated: string[] = []) => exchange({ account: { balance, leverage: 1, isolated }, dualSidePosition: true, fees: { default: { makerRate: '0', takerRate: '0' } } });

  it('a BUY SHORT closes the short side only, capped at it and refused when it is flat; it needs no margin', () => {
    const ex = hedge('130');
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('c0', 'buy', ASK, 1, { ...MARKET, positionSide: 'SHORT' }), 2);
    expect(ex.drainReports()[0].errorCode).toBe(-2022);
    ex.onCommand(order('l', 'buy', ASK, 1, { ...MARKET, positionSide: 'LONG' }), 3); // 60 at 1×
    ex.onCommand(order('s', 'sell', BID, 1, { ...MARKET, positionSide: 'SHORT' }), 4); // 60 more: 120 of 130
    ex.onCommand(order('s2', 'sell', BID - 100, 1, { positionSide: 'SHORT' }), 5); // 60 more: refused
    ex.onCommand(order('c', 'buy', ASK + 2, 3, { positionSide: 'SHORT' }), 6); // closes 1, expires the rest
    const rs = ex.drainReports();
    expect(rs.filter((r) => r.errorCode !== 0).map((r) => [r.clientOrderId, r.errorCode])).toEqual([['s2', -2019]]);
    expect(rs.filter((r) => r.clientOrderId === 'c').map((r) => [r.execType, r.lastFillLots, r.positionSide])).toEqual([['NEW', 0, 'SHORT'], ['TRADE', 1, 'SHORT'], ['EXPIRED', 0, 'SHORT']]);
    expect(ex.positionSides(SYMBOL)).toEqual([['LONG', 1], ['SHORT', 0]]);
  });

  it('an isolated SHORT side: its own wallet, transfers to it, and its view', () => {
    const ex = hedge('1000', ['BTCUSDT']);
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('s', 'sell', BID, 2, { ...MARKET, positionSide: 'SHORT' }), 2); // wallet 2 × 59.999
    expect(ex.isolatedPosition(SYMBOL, 'SHORT')).toMatchObject({ wallet: '119.998' });
    expect(ex.isolatedPosition(SYMBOL, 'LONG')).toEqual({ wallet: '0', margin: '0', liquidationPrice: null });
    expect(ex.transferIsolatedMargin(SYMBOL, 'LONG', '1', true, 3)).toBe('noPosition');
    expect(ex.transferIsolatedMargin(SYMBOL, 'SHORT', '10', true, 3)).toBe('ok');
    // Own margin 129.998 + 0.002 × (59999 − 59999.5) = 129.997; liquidation where it equals 0.002 P × 0.004.
    const v = ex.isolatedPosition(SYMBOL, 'SHORT');
    expect(v).toMatchObject({ wallet: '129.998', margin: '129.997' });
    expect(Number(v?.liquidationPrice)).toBeCloseTo((129.998 + 119.998) / (0.002 * 1.004), 4);
  });
});

describe('more entry points that reach the account', () => {
  /** A flat diff emptying the standard book's five levels a side and setting one level each side. */
  const flat = (ts: number, bid: number, ask: number) => {
    const out = [0, 1, 2, 3, 4];
    return {
      tsExchangeUs: ts, firstUpdateId: -1, finalUpdateId: -1, prevFinalUpdateId: -1,
      bidTicks: [...out.map((i) => BID - i), bid], bidLots: [...out.map(() => 0), 5], bidStart: 0, bidEnd: 6,
      askTicks: [...out.map((i) => ASK + i), ask], askLots: [...out.map(() => 0), 5], askStart: 0, askEnd: 6,
    };
  };

  it('a flat depth diff moving the mid to the trigger liquidates; a flat diff on a top-of-book exchange is ignored', () => {
    const ex = leveragedLong();
    ex.onFlatDepthDiff(SYMBOL, flat(10, 551_990, 552_010)); // mid 55200 (margin.test.ts: liquidated there)
    expect(ex.counters.liquidations).toBe(1);
    const top = exchange({ bookSource: 'bookTicker' });
    top.onFlatDepthDiff(SYMBOL, flat(1, 551_990, 552_010));
    expect(Number.isNaN(top.book(SYMBOL).bestBidTicks())).toBe(true);
    // Nor does an ignored diff give back the level our taker order took.
    top.onMarketEvent(ticker(2, BID, 10, ASK, 10));
    top.onCommand(order('t', 'buy', ASK, 10, { timeInForce: 'IOC' }), 3);
    top.onFlatDepthDiff(SYMBOL, flat(4, 551_990, 552_010));
    top.onCommand(order('t2', 'buy', ASK, 10, { timeInForce: 'IOC' }), 5);
    expect(top.drainReports().filter((r) => r.execType === 'TRADE').map((r) => [r.clientOrderId, r.lastFillLots])).toEqual([['t', 10]]);
  });

  it('a fill forced by fillRestingNow is checked against maintenance margin at once', () => {
    const ex = exchange({ account: { balance: '100', leverage: 20 } });
    ex.onMarketEvent(standardBook(1));
    ex.onMarketEvent(mark(2, '55000'));
    ex.onCommand(order('b2', 'buy', BID, 30), 4); // 30 lots at 59999.0 bought at a mark of 55000: −147 USDT on fill
    expect(ex.drainReports()[0].execType).toBe('NEW');
    expect(ex.fillRestingNow(SYMBOL, 'b2', 5)).toBe(true);
    expect(ex.counters.liquidations).toBe(1);
    expect(ex.openOrderCount(SYMBOL)).toBe(0);
  });

  it('closedOrderRetention 0 keeps no ended order', () => {
    const ex = exchange({ closedOrderRetention: 0 });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('a', 'buy', BID, 1), 2);
    ex.onCommand(cancel('a'), 3);
    ex.onCommand({ kind: 'query', symbol: SYMBOL, clientOrderId: 'a', orderId: -1 }, 4);
    expect(ex.drainOther()).toEqual([{ kind: 'queryAnswer', symbol: SYMBOL, result: { clientOrderId: 'a', found: false } }]);
  });

  it('a transfer amount finer than 10^-24 is rounded toward zero', () => {
    const ex = exchange({ account: { balance: '1000', leverage: 10, isolated: ['BTCUSDT'] } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', ASK, 10, MARKET), 2);
    expect(ex.transferIsolatedMargin(SYMBOL, 'BOTH', '10.0000000000000000000000019', true, 3)).toBe('ok');
    expect(ex.isolatedPosition(SYMBOL, 'BOTH')?.wallet).toBe('70.000000000000000000000001');
  });

  it('a plain liquidation closes only the symbols with a position', () => {
    const eth = instrument({ symbol: 'ETHUSDT', baseAsset: 'ETH' });
    const ex = new SimExchange({ instruments: [instrument(), eth], rng: new Rng(1), queueModel: { model: 'risk-averse' }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } }, account: { balance: '100', leverage: 20 } });
    ex.onMarketEvent({ ...standardBook(1), symbol: 'ETHUSDT' });
    ex.onMarketEvent(standardBook(1));
    ex.send(order('t', 'buy', ASK + 1, 20, { timeInForce: 'IOC' }), 2);
    ex.onMarketEvent(mark(11, '55200'));
    const closes = ex.drainEvents().flatMap((e) => (e.kind === 'report' && e.report.execType === 'CALCULATED' ? [[e.report.symbol, e.report.lastFillLots]] : []));
    expect(closes).toEqual([['BTCUSDT', 20]]);
  });

  it('a cross liquidation in hedge mode closes only the sides with a position', () => {
    const ex = exchange({ account: { balance: '100', leverage: 20 }, dualSidePosition: true });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('l', 'buy', ASK + 1, 20, { timeInForce: 'IOC', positionSide: 'LONG' }), 2);
    ex.onMarketEvent(mark(3, '54000'));
    // A hedge-mode close carries its position side and is not reduce-only (Binance refuses reduceOnly there).
    expect(ex.drainReports().filter((r) => r.execType === 'CALCULATED').map((r) => [r.positionSide, r.lastFillLots, r.reduceOnly])).toEqual([['LONG', 20, false]]);
  });

  it('an isolated long liquidated at a mark above its bankruptcy price closes at the mark (rounded down)', () => {
    const ex = exchange({ account: { balance: '1000', leverage: 10, isolated: ['BTCUSDT'] } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', ASK, 10, MARKET), 2);
    ex.drainReports();
    // Liquidation from 54216.87 (the view), bankruptcy 54027.1: a mark of 54100.05 is between.
    ex.onMarketEvent(mark(3, '54100.05'));
    const liq = ex.drainReports().find((r) => r.execType === 'CALCULATED');
    expect(liq).toMatchObject({ side: 'sell', lastFillLots: 10, lastFillPriceTicks: 541_000 });
  });
});

describe('funding and the cross wallet', () => {
  it('a funding payment moves the cross equity', () => {
    const ex = exchange({ account: { balance: '1000', leverage: 10 }, fees: { default: { makerRate: '0', takerRate: '0' } } });
    ex.onMarketEvent(standardBook(1));
    ex.onCommand(order('b', 'buy', ASK, 10, MARKET), 2);
    ex.onMarketEvent(mark(3, '60000'));
    expect(ex.accountEquity()).toBe('1000');
    ex.onMarketEvent(mark(28_800_000_000, '60000', '0.0001', 28_800_000_000)); // pays 0.01 × 60000 × 0.0001
    expect(ex.drainFunding().map((f) => f.payment)).toEqual(['-0.06']);
    expect(ex.accountEquity()).toBe('999.94');
  });
});

describe('a position in the second bracket tier', () => {
  it('is liquidated at notional × 0.005 − 50 (BTCUSDT\'s second tier, cum 50), not before', () => {
    // 1 BTC at 60000.0, 1000 USDT at 100×, no fees: 1000 + (P − 60000) ≤ 0.005 P − 50 from P ≤ 59246.23.
    // (Without the tier's cum the line would be 59296.48; with the first tier (0.004, no cum), 59236.95.)
    const ex = exchange({ account: { balance: '1000', leverage: 100 }, fees: { default: { makerRate: '0', takerRate: '0' } } });
    ex.onMarketEvent(snapshot(1, [[BID, 2000]], [[ASK, 2000]]));
    ex.onCommand(order('b', 'buy', ASK, 1000, MARKET), 2);
    expect(ex.positionLots(SYMBOL)).toBe(1000);
    ex.onMarketEvent(mark(3, '59250'));
    expect(ex.counters.liquidations).toBe(0);
    ex.onMarketEvent(snapshot(4, [[592_450, 10]], [[592_470, 10]])); // a book move (mid 59246.0) does not matter: the mark is the reference
    expect(ex.counters.liquidations).toBe(0);
    ex.onMarketEvent(mark(5, '59246.2'));
    expect(ex.counters.liquidations).toBe(1);
  });

  it('between marks, the trigger of a second-tier short uses that tier too (book mids, no mark)', () => {
    // Short 1 BTC at 59999.0: 1000 + (59999 − P) ≤ 0.005 P − 50 from P ≥ 60745.77.
    const ex = exchange({ account: { balance: '1000', leverage: 100 }, fees: { default: { makerRate: '0', takerRate: '0' } } });
    ex.onMarketEvent(snapshot(1, [[BID, 2000]], [[ASK, 2000]]));
    ex.onCommand(order('s', 'sell', BID, 1000, MARKET), 2);
    ex.onMarketEvent(snapshot(3, [[607_440, 10]], [[607_460, 10]])); // mid 60745.0
    expect(ex.counters.liquidations).toBe(0);
    ex.onMarketEvent(snapshot(4, [[607_450, 10]], [[607_470, 10]])); // mid 60746.0
    expect(ex.counters.liquidations).toBe(1);
  });
});

describe('the initial margin of an isolated symbol\'s orders', () => {
  for (const dual of [false, true]) {
    it(`comes from the cross equity for the orders only, its position being backed by its own wallet (${dual ? 'hedge' : 'one-way'} mode)`, () => {
      const ex = exchange({ account: { balance: '130', leverage: 1, isolated: ['BTCUSDT'] }, dualSidePosition: dual, fees: { default: { makerRate: '0', takerRate: '0' } } });
      const side = dual ? { positionSide: 'LONG' as const } : {};
      ex.onMarketEvent(standardBook(1));
      ex.onCommand(order('l', 'buy', ASK, 1, { ...MARKET, ...side }), 2); // 60 into the isolated wallet: 70 left to the cross
      ex.onCommand(order('o1', 'buy', BID - 100, 1, side), 3); // 59.9995 of 69.9995
      ex.onCommand(order('o2', 'buy', BID - 100, 1, side), 4); // 119.999: refused
      expect(ex.drainReports().filter((r) => r.execType !== 'TRADE').map((r) => [r.clientOrderId, r.errorCode])).toEqual([['l', 0], ['o1', 0], ['o2', -2019]]);
    });
  }
});
