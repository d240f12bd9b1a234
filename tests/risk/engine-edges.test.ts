// Edges of the risk engine that the mutation run of issue 15 found unpinned (survivors of
// `npm run mutate -- --only risk`): exact messages and payloads, exact boundaries of the exchange
// filters and the book gates, the scratch state carried between checks, and the memos of the
// equity stops and capital usage. Equivalent mutants are listed in docs/mutation/risk-equivalents.md.
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/core/bus.ts';
import { InputError } from '../../src/core/errors.ts';
import { Instrument } from '../../src/model/instrument.ts';
import type { RiskDecision } from '../../src/model/trading.ts';
import { RiskEngine, parseRiskConfig, type RiskEventMap } from '../../src/risk/index.ts';
import { SYMBOL, T0, intent, makeCtx, makeSpec, quote } from './fixtures.ts';

const S = 1_000_000;

/** Every optional rule off unless the test turns it on. */
const OFF = {
  maxPositionLots: 1_000_000,
  maxOpenOrders: 1000,
  maxCapitalUsage: null,
  maxDrawdownFraction: null,
  maxDailyLossFraction: null,
  maxDistanceFromMidBps: null,
  enforcePercentPrice: false,
  maxBookAgeUs: null,
  orderRate: { per10s: null, perMinute: null },
  volatility: { maxMidJumpBps: null },
};

function setup(raw: Record<string, unknown> = {}) {
  const cfg = parseRiskConfig({ ...OFF, ...raw });
  const bus = new EventBus<RiskEventMap>();
  const events: { type: string; payload: unknown }[] = [];
  for (const type of ['risk.stateChanged', 'risk.denied', 'risk.trimmed'] as const) bus.on(type, (payload) => events.push({ type, payload }));
  const engine = new RiskEngine({ symbol: SYMBOL, config: cfg, bus, startUs: T0 });
  return { engine, events };
}

function approved(d: RiskDecision) {
  if (!d.approved) throw new Error(`expected approval, got ${d.reason.code}: ${d.reason.message}`);
  return d;
}

function denied(d: RiskDecision) {
  if (d.approved) throw new Error('expected a denial');
  return d;
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

/** The trims of a decision as [side, price, code, kept lots, message]. */
function trimRows(d: RiskDecision) {
  return approved(d).trims.map((t) => [t.quote.side, t.quote.priceTicks, t.reason.code, t.keptLots, t.reason.message]);
}

describe('engine defaults, kill and reset', () => {
  it('starts ACTIVE at startUs; kill and reset have default messages; a repeated kill or an idle reset publishes nothing', () => {
    const { engine, events } = setup();
    expect(engine.status()).toEqual({ state: 'ACTIVE', sinceUs: T0, cause: undefined, holds: [] });
    engine.kill(T0 + 1);
    expect(engine.status().cause).toEqual({ kind: 'kill', state: 'HALTED', code: 'KILL_SWITCH', message: 'manual kill switch', sinceUs: T0 + 1, untilUs: null });
    engine.kill(T0 + 2, 'again');
    engine.reset(T0 + 3);
    engine.reset(T0 + 4);
    expect(events).toEqual([
      { type: 'risk.stateChanged', payload: { symbol: SYMBOL, from: 'ACTIVE', to: 'HALTED', trigger: 'KILL', code: 'KILL_SWITCH', message: 'manual kill switch', tsUs: T0 + 1 } },
      { type: 'risk.stateChanged', payload: { symbol: SYMBOL, from: 'HALTED', to: 'ACTIVE', trigger: 'RESET', code: null, message: 'manual reset', tsUs: T0 + 3 } },
    ]);
  });

  it('names the engine time going backwards exactly (not only the mid window)', () => {
    const { engine } = setup();
    engine.kill(T0 + 10);
    expect(() => engine.kill(T0 + 9)).toThrow(`risk engine: time went backwards (${T0 + 9} < ${T0 + 10})`);
  });
});

describe('whole-intent gates: exact reasons', () => {
  it('an intent for another symbol, a cancel-all with quotes, an unsynced account, a stale book', () => {
    const { engine, events } = setup({ maxBookAgeUs: S });
    expect(() => engine.check(intent([], { symbol: 'ETHUSDT' }), makeCtx())).toThrow('risk engine for BTCUSDT given an intent for ETHUSDT');
    expect(denied(engine.check(intent([quote('buy', 599_990, 1)], { cancelAll: true }), makeCtx())).reason).toEqual({
      code: 'FILTER',
      message: 'cancelAll intent carries 1 quotes (must be empty)',
    });
    expect(denied(engine.check(intent([quote('buy', 599_990, 1)]), makeCtx({ accountInSync: false }))).reason).toEqual({
      code: 'ACCOUNT_UNSYNCED',
      message: 'the venue user-data stream is down or not yet reconciled (fills would go unseen); no quoting',
    });
    expect(denied(engine.check(intent([quote('buy', 599_990, 1)]), makeCtx({ lastBookUpdateUs: T0 - S - 1 }))).reason).toEqual({
      code: 'STALE_DATA',
      message: `last book update is ${S + 1} µs old (max ${S} µs); no quoting`,
    });
    expect(events.at(-1)).toEqual({
      type: 'risk.denied',
      payload: { symbol: SYMBOL, tsUs: T0, reason: { code: 'STALE_DATA', message: `last book update is ${S + 1} µs old (max ${S} µs); no quoting` }, state: 'ACTIVE', cancelAll: true },
    });
  });

  it('no book-age limit: an old book passes', () => {
    const { engine } = setup({ maxBookAgeUs: null });
    expect(approved(engine.check(intent([quote('buy', 599_990, 1)]), makeCtx({ lastBookUpdateUs: T0 - 3_600 * S }))).trims).toEqual([]);
  });

  it.each([
    ['a zero bid', 0, 600_005],
    ['a negative bid', -5, 600_005],
    ['a locked touch', 600_000, 600_000],
  ])('denies quoting on %s, naming the touch', (_name, bid, ask) => {
    const { engine } = setup();
    const d = denied(engine.check(intent([quote('buy', 599_990, 1)]), makeCtx({ bestBidTicks: bid, bestAskTicks: ask })));
    expect(d.reason).toEqual({ code: 'BOOK_INVALID', message: `book has no usable touch (bid ${bid}, ask ${ask}); no quoting` });
    expect(d.cancelAll).toBe(true);
  });
});

describe('per-quote rules: exact boundaries and messages', () => {
  it('a mark of 0 is unknown: the notional limit uses the mid', () => {
    const { engine } = setup({ maxPositionNotional: '600' });
    expect(trimRows(engine.check(intent([quote('buy', 599_990, 15)]), makeCtx({ markPriceTicks: 0 })))).toEqual([
      ['buy', 599_990, 'MAX_POSITION_NOTIONAL', 10, 'worst-case buy position over 600 at 600000 ticks (10 lots)'],
    ]);
  });

  it('an open order with 0 lots remaining is valid input', () => {
    const { engine } = setup();
    const d = approved(engine.check(intent([quote('buy', 599_990, 1)]), makeCtx({ openOrders: [{ side: 'buy', priceTicks: 599_980, remainingLots: 0 }] })));
    expect(d.trims).toEqual([]);
  });

  it('sizes an out-of-order input by level with ties in input order', () => {
    const { engine } = setup({ maxPositionLots: 3 });
    const far = quote('buy', 599_980, 2, 1);
    const b = quote('buy', 599_990, 2, 0);
    const c = quote('buy', 599_989, 2, 0);
    const d = approved(engine.check(intent([far, b, c]), makeCtx()));
    expect(d.intent.quotes).toEqual([b, { ...c, qtyLots: 1 }]);
    expect(d.trims.map((t) => [t.quote.priceTicks, t.keptLots])).toEqual([
      [599_989, 1],
      [599_980, 0],
    ]);
  });

  it('untouched quotes are passed on as the same objects when others are trimmed', () => {
    const { engine } = setup({ maxPositionLots: 3 });
    const a = quote('buy', 599_990, 2, 0);
    const b = quote('buy', 599_980, 2, 1);
    const d = approved(engine.check(intent([a, b]), makeCtx()));
    expect(d.intent.quotes[0]).toBe(a);
    expect(d.intent.quotes[1]).toEqual({ ...b, qtyLots: 1 });
  });

  it('a kept sell order frees its lots for the next sell quote', () => {
    const { engine } = setup({ maxPositionLots: 10 });
    const open = [{ side: 'sell' as const, priceTicks: 600_010, remainingLots: 4, keepable: true }];
    const d = approved(engine.check(intent([quote('sell', 600_010, 4, 0), quote('sell', 600_020, 4, 1)]), makeCtx({ positionLots: -2, openOrders: open })));
    // −2 short + kept 4 + new 4 = 10: exactly the limit.
    expect(d.intent.quotes).toEqual([quote('sell', 600_010, 4, 0), quote('sell', 600_020, 4, 1)]);
    expect(d.trims).toEqual([]);
  });

  it('a keepable order of the other side at the same price and size is not kept by the quote', () => {
    const { engine } = setup({ maxPositionLots: 10 });
    const open = [{ side: 'sell' as const, priceTicks: 599_990, remainingLots: 4, keepable: true }];
    const d = approved(engine.check(intent([quote('buy', 599_990, 4, 0), quote('buy', 599_980, 4, 1)]), makeCtx({ positionLots: 6, openOrders: open })));
    expect(d.intent.quotes).toEqual([quote('buy', 599_990, 4, 0)]);
    expect(trimRows(d)).toEqual([['buy', 599_980, 'MAX_POSITION', 0, 'worst-case buy position 6 + open 0 + approved 4 + 4 over 10 lots']]);
  });

  it('a quote dropped by an earlier rule spends no order-rate budget and no open-order slot', () => {
    const rate = setup({ maxDistanceFromMidBps: 10, orderRate: { perSecond: 1, per10s: null, perMinute: null } }).engine;
    const far = quote('buy', 599_000, 1, 0);
    const near = quote('buy', 599_990, 1, 1);
    expect(trimRows(rate.check(intent([far, near]), makeCtx()))).toEqual([['buy', 599_000, 'PRICE_BAND', 0, 'price 599000 ticks is more than 10 bps from mid 600000']]);
    const slots = setup({ maxDistanceFromMidBps: 10, maxOpenOrders: 1 }).engine;
    expect(approved(slots.check(intent([far, near]), makeCtx())).intent.quotes).toEqual([near]);
  });

  it('an open order of the other side at the same price and size does not save the budget', () => {
    const { engine } = setup({ orderRate: { perSecond: 1, per10s: null, perMinute: null } });
    engine.recordOrderSent(T0);
    const ctx = makeCtx({ openOrders: [{ side: 'sell', priceTicks: 599_990, remainingLots: 1 }] });
    expect(trimRows(engine.check(intent([quote('buy', 599_990, 1)]), ctx))).toEqual([
      ['buy', 599_990, 'ORDER_RATE', 0, 'order-rate budget exhausted (sliding 1 s / 10 s / 1 min windows)'],
    ]);
  });

  it('PRICE_FILTER bounds are inclusive, and a maxPrice of 0 means no upper bound', () => {
    const { engine } = setup();
    const ctx = makeCtx({ bestBidTicks: 5_000, bestAskTicks: 60_000_000 });
    const d = engine.check(intent([quote('buy', 5_568, 10), quote('buy', 5_567, 10), quote('sell', 45_297_640, 1), quote('sell', 45_297_641, 1)]), ctx);
    expect(approved(d).intent.quotes.map((q) => q.priceTicks)).toEqual([5_568, 45_297_640]);
    expect(trimRows(d)).toEqual([
      ['buy', 5_567, 'FILTER', 0, 'price 5567 ticks outside PRICE_FILTER [5568, 45297640]'],
      ['sell', 45_297_641, 'FILTER', 0, 'price 45297641 ticks outside PRICE_FILTER [5568, 45297640]'],
    ]);
    const open = new Instrument(makeSpec({ maxPrice: '0' }));
    expect(approved(engine.check(intent([quote('sell', 50_000_000, 1)]), makeCtx({ instrument: open, bestBidTicks: 5_000, bestAskTicks: 60_000_000 }))).trims).toEqual([]);
  });

  it('malformed quotes: a price of 0 or a side other than buy/sell', () => {
    const { engine } = setup();
    const odd = { side: 'hold', priceTicks: 599_990, qtyLots: 1, level: 0 } as unknown as ReturnType<typeof quote>;
    expect(trimRows(engine.check(intent([quote('buy', 0, 1), odd]), makeCtx()))).toEqual([
      ['buy', 0, 'FILTER', 0, 'malformed quote (buy 1 lots @ 0 ticks)'],
      ['hold', 599_990, 'FILTER', 0, 'malformed quote (hold 1 lots @ 599990 ticks)'],
    ]);
  });

  it('PERCENT_PRICE names the bound of each side', () => {
    const { engine } = setup({ enforcePercentPrice: true });
    expect(trimRows(engine.check(intent([quote('buy', 630_001, 1), quote('sell', 569_999, 1)]), makeCtx()))).toEqual([
      ['buy', 630_001, 'PERCENT_PRICE', 0, 'buy at 630001 ticks is outside PERCENT_PRICE vs mark 600000 (max 630000)'],
      ['sell', 569_999, 'PERCENT_PRICE', 0, 'sell at 569999 ticks is outside PERCENT_PRICE vs mark 600000 (min 570000)'],
    ]);
  });

  it('reduce-only trims say why: REDUCING state or capital usage', () => {
    const reducing = setup({ maxDrawdownFraction: 0.1 }).engine;
    expect(reducing.update(makeCtx({ equity: '9000' }))).toBe('REDUCING');
    expect(trimRows(reducing.check(intent([quote('buy', 599_990, 1), quote('sell', 600_010, 5)]), makeCtx({ tsUs: T0 + 1, equity: '9000', positionLots: 3 })))).toEqual([
      ['buy', 599_990, 'REDUCING_ONLY', 0, 'state is REDUCING: buy may only reduce position 3 (open 0, approved 0)'],
      ['sell', 600_010, 'REDUCING_ONLY', 3, 'state is REDUCING: sell may only reduce position 3 (open 0, approved 0)'],
    ]);
    const capital = setup({ maxCapitalUsage: 0.5 }).engine;
    const ctx = makeCtx({ positionLots: 4, marginUsed: '5000', openOrders: [{ side: 'sell', priceTicks: 601_000, remainingLots: 1 }] });
    expect(trimRows(capital.check(intent([quote('buy', 599_990, 2), quote('sell', 600_010, 6)]), ctx))).toEqual([
      ['buy', 599_990, 'CAPITAL_USAGE', 0, 'capital usage limit reached: buy may only reduce position 4 (open 0, approved 0)'],
      ['sell', 600_010, 'CAPITAL_USAGE', 3, 'capital usage limit reached: sell may only reduce position 4 (open 1, approved 0)'],
    ]);
  });

  it('LOT_SIZE: maxQty 0 means no cap; the cap and minQty name themselves; MIN_NOTIONAL is inclusive', () => {
    const { engine } = setup({ maxPositionLots: 10_000_000 });
    const uncapped = new Instrument(makeSpec({ maxQty: '0' }));
    expect(approved(engine.check(intent([quote('sell', 600_010, 2_000_000)]), makeCtx({ instrument: uncapped }))).trims).toEqual([]);
    expect(trimRows(engine.check(intent([quote('sell', 600_010, 1_500_000)]), makeCtx()))).toEqual([
      ['sell', 600_010, 'FILTER', 1_000_000, 'quantity over LOT_SIZE maxQty (1000000 lots)'],
    ]);
    const minQty5 = new Instrument(makeSpec({ minQty: '0.005' }));
    expect(trimRows(engine.check(intent([quote('buy', 599_990, 2), quote('buy', 599_980, 5)]), makeCtx({ instrument: minQty5 })))).toEqual([
      ['buy', 599_990, 'FILTER', 0, '2 lots @ 599990 ticks is below LOT_SIZE minQty or MIN_NOTIONAL'],
    ]);
    // MIN_NOTIONAL 60 USDT = 600,000 tick-lots: one lot at 600,000 ticks is exactly enough.
    const min60 = new Instrument(makeSpec({ minNotional: '60' }));
    expect(trimRows(engine.check(intent([quote('buy', 600_000, 1), quote('buy', 599_999, 1)]), makeCtx({ instrument: min60 })))).toEqual([
      ['buy', 599_999, 'FILTER', 0, '1 lots @ 599999 ticks is below LOT_SIZE minQty or MIN_NOTIONAL'],
    ]);
  });

  it('the kept-order flags of one check do not leak into the next', () => {
    const { engine } = setup({ maxPositionLots: 8 });
    const open = [
      { side: 'buy' as const, priceTicks: 599_990, remainingLots: 4, keepable: true },
      { side: 'buy' as const, priceTicks: 599_980, remainingLots: 4, keepable: true },
    ];
    const keep = intent([quote('buy', 599_990, 4, 0), quote('buy', 599_980, 4, 1)]);
    for (let i = 0; i < 3; i++) {
      const d = approved(engine.check(keep, makeCtx({ tsUs: T0 + i, openOrders: open })));
      expect(d.intent.quotes).toEqual(keep.quotes);
      expect(d.trims).toEqual([]);
    }
  });
});

describe('capital usage memo and errors', () => {
  it('re-evaluates when the margin used changes with equity unchanged', () => {
    const { engine } = setup({ maxCapitalUsage: 0.5 });
    const q = intent([quote('buy', 599_990, 2)]);
    expect(approved(engine.check(q, makeCtx({ marginUsed: '0' }))).trims).toEqual([]);
    expect(approved(engine.check(q, makeCtx({ tsUs: T0 + 1, marginUsed: '6000' }))).trims.map((t) => t.reason.code)).toEqual(['CAPITAL_USAGE']);
  });

  it('a malformed equity is an input error naming ctx.equity', () => {
    const { engine } = setup({ maxCapitalUsage: 0.5 });
    const err = thrown(() => engine.check(intent([quote('buy', 599_990, 2)]), makeCtx({ equity: 'x' })));
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe('expected a decimal string, got "x"');
    expect((err as InputError).code).toBe('E_INPUT');
    expect((err as InputError).location).toEqual({ field: 'ctx.equity' });
  });
});

describe('volatility breaker edges', () => {
  const book = (tsUs: number, mid: number, over = {}) => makeCtx({ tsUs, bestBidTicks: mid - 5, bestAskTicks: mid + 5, ...over });

  it('mids of a book without a usable touch are not observed', () => {
    const { engine } = setup({ volatility: { maxMidJumpTicks: 50, maxMidJumpBps: null, jumpWindowUs: S } });
    engine.update(book(T0, 600_000));
    expect(engine.update(makeCtx({ tsUs: T0 + 1, bestBidTicks: 0, bestAskTicks: 600_005 }))).toBe('ACTIVE');
    expect(engine.update(makeCtx({ tsUs: T0 + 2, bestBidTicks: 600_200, bestAskTicks: 600_000 }))).toBe('ACTIVE');
    expect(engine.update(makeCtx({ tsUs: T0 + 3, bestBidTicks: 600_200, bestAskTicks: 600_200 }))).toBe('ACTIVE');
  });

  it('a σ trip keeps the mids: a jump spanning it extends the halt', () => {
    const { engine } = setup({ volatility: { maxSigmaTicksPerSqrtS: 5, maxMidJumpTicks: 50, maxMidJumpBps: null, jumpWindowUs: 10 * S, cooldownUs: S } });
    expect(engine.update(book(T0, 600_000))).toBe('ACTIVE');
    expect(engine.update(book(T0 + 1, 600_040, { sigmaTicksPerSqrtS: 9 }))).toBe('HALTED');
    expect(engine.status().cause?.message).toBe('σ 9 ticks/√s over 5');
    expect(engine.update(book(T0 + 1 + S, 600_060))).toBe('HALTED');
    expect(engine.status().cause).toMatchObject({ message: `mid moved 60 ticks within ${10 * S} µs (max 50)`, untilUs: T0 + 1 + 2 * S });
  });

  it('σ is ignored when its limit is off; tick and bps limits work alone', () => {
    const sigmaOff = setup({ volatility: { maxSigmaTicksPerSqrtS: null } }).engine;
    expect(sigmaOff.update(makeCtx({ sigmaTicksPerSqrtS: 1000 }))).toBe('ACTIVE');
    const ticks = setup({ volatility: { maxMidJumpTicks: 50, maxMidJumpBps: null, jumpWindowUs: S } }).engine;
    ticks.update(book(T0, 600_000));
    expect(ticks.update(book(T0 + 1, 600_010))).toBe('ACTIVE');
    expect(ticks.update(book(T0 + 2, 600_051))).toBe('HALTED');
    // 499,000 → 500,000 is exactly 20 bps of the latest mid: not more.
    const bps = setup({ volatility: { maxMidJumpTicks: null, maxMidJumpBps: 20, jumpWindowUs: S } }).engine;
    bps.update(book(T0, 499_000, { markPriceTicks: 500_000 }));
    expect(bps.update(book(T0 + 1, 500_000))).toBe('ACTIVE');
    expect(bps.update(book(T0 + 2, 500_001))).toBe('HALTED');
    expect(bps.status().cause?.message).toBe(`mid moved 20.02 bps within ${S} µs (max 20)`);
  });
});

describe('equity stops: memo, messages, latching', () => {
  it('re-evaluates when only the peak or only the day-start equity changes', () => {
    const dd = setup({ maxDrawdownFraction: 0.1 }).engine;
    expect(dd.update(makeCtx({ equity: '9000', peakEquity: '9500' }))).toBe('ACTIVE');
    expect(dd.update(makeCtx({ tsUs: T0 + 1, equity: '9000', peakEquity: '10000' }))).toBe('REDUCING');
    expect(dd.status().cause?.message).toBe('drawdown 1000 from peak 10000 reached 0.1 of peak');
    const daily = setup({ maxDailyLoss: '250' }).engine;
    expect(daily.update(makeCtx({ equity: '9800', dayStartEquity: '10000' }))).toBe('ACTIVE');
    expect(daily.update(makeCtx({ tsUs: T0 + 1, equity: '9800', dayStartEquity: '10100' }))).toBe('REDUCING');
    expect(daily.status().cause?.message).toBe('daily loss 300 reached 250');
    const frac = setup({ maxDailyLossFraction: 0.05 }).engine;
    expect(frac.update(makeCtx({ equity: '9500' }))).toBe('REDUCING');
    expect(frac.status().cause?.message).toBe('daily loss 500 reached 0.05 of day-start equity 10000');
  });

  it('a non-positive peak trips even when equity is above it', () => {
    const { engine } = setup({ maxDrawdownFraction: 0.1 });
    expect(engine.update(makeCtx({ equity: '1', peakEquity: '0' }))).toBe('REDUCING');
    expect(engine.status().cause?.message).toBe('peak equity 0 is not positive');
  });

  it('names the malformed equity field', () => {
    const { engine } = setup({ maxDrawdownFraction: 0.1 });
    expect((thrown(() => engine.update(makeCtx({ equity: 'x' }))) as InputError).location).toEqual({ field: 'ctx.equity' });
    expect((thrown(() => engine.update(makeCtx({ peakEquity: 'x' }))) as InputError).location).toEqual({ field: 'ctx.peakEquity' });
  });

  it('an equity field no enabled or unlatched stop needs is not read', () => {
    const dd = setup({ maxDrawdownFraction: 0.1 }).engine;
    expect(dd.update(makeCtx({ dayStartEquity: 'x' }))).toBe('ACTIVE'); // daily-loss stop off
    expect(dd.update(makeCtx({ tsUs: T0 + 1, equity: '9000', dayStartEquity: 'x' }))).toBe('REDUCING');
    expect(dd.update(makeCtx({ tsUs: T0 + 2, equity: '9000', peakEquity: 'x' }))).toBe('REDUCING'); // latched: not re-evaluated
    const daily = setup({ maxDailyLoss: '250' }).engine;
    expect(daily.update(makeCtx({ equity: '9000' }))).toBe('REDUCING');
    expect(daily.update(makeCtx({ tsUs: T0 + 1, equity: '9000', dayStartEquity: 'x' }))).toBe('REDUCING');
  });
});
