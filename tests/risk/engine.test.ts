import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/core/bus.ts';
import { InputError, InvariantError } from '../../src/core/errors.ts';
import { Instrument } from '../../src/model/instrument.ts';
import type { Quote, RiskDecision } from '../../src/model/trading.ts';
import { OrderRateLimiter, RiskEngine, instrumentLimits, parseRiskConfig, type RiskEventMap } from '../../src/risk/index.ts';
import { INSTRUMENT, SYMBOL, T0, intent, makeCtx, makeSpec, quote } from './fixtures.ts';

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

type AppEvents = RiskEventMap & { somethingElse: { x: number } };

function setup(raw: Record<string, unknown> = {}) {
  const cfg = parseRiskConfig({ ...OFF, ...raw });
  const bus = new EventBus<AppEvents>();
  const events: { type: string; payload: unknown }[] = [];
  for (const type of ['risk.stateChanged', 'risk.denied', 'risk.trimmed'] as const) bus.on(type, (payload) => events.push({ type, payload }));
  const engine = new RiskEngine({ symbol: SYMBOL, config: cfg, bus, startUs: T0 });
  return { engine, events, bus };
}

function approved(d: RiskDecision) {
  if (!d.approved) throw new Error(`expected approval, got ${d.reason.code}: ${d.reason.message}`);
  return d;
}

function denied(d: RiskDecision) {
  if (d.approved) throw new Error('expected a denial');
  return d;
}

describe('RiskEngine basics', () => {
  it('passes a calm intent unchanged, with no trims and no events', () => {
    const { engine, events } = setup();
    const i = intent([quote('buy', 599_990, 5), quote('sell', 600_010, 5)]);
    const d = approved(engine.check(i, makeCtx()));
    expect(d.intent).toBe(i);
    expect(d.trims).toEqual([]);
    expect(d.state).toBe('ACTIVE');
    expect(events).toEqual([]);
  });

  it('rejects a context or intent of another symbol, and time going backwards', () => {
    const { engine } = setup();
    expect(() => engine.check(intent([], { symbol: 'ETHUSDT' }), makeCtx())).toThrow(InvariantError);
    const eth = new Instrument(makeSpec({ symbol: 'ETHUSDT' }));
    expect(() => engine.update(makeCtx({ instrument: eth }))).toThrow(/ETHUSDT/);
    engine.update(makeCtx({ tsUs: T0 + 10 }));
    expect(() => engine.update(makeCtx({ tsUs: T0 + 9 }))).toThrow(/backwards/);
    expect(() => engine.kill(T0 + 0.5)).toThrow(/integer/);
  });

  it('rejects a non-integer position or open-order size (a bug upstream, not a market condition)', () => {
    const { engine } = setup();
    expect(() => engine.check(intent([quote('buy', 599_990, 1)]), makeCtx({ positionLots: Number.NaN }))).toThrow(/positionLots/);
    expect(() => engine.check(intent([quote('buy', 599_990, 1)]), makeCtx({ openOrders: [{ side: 'buy', priceTicks: 1, remainingLots: -1 }] }))).toThrow(/remainingLots/);
  });

  it('keeps approved quotes in input order while sizing nearest-first', () => {
    const { engine } = setup({ maxPositionLots: 6 });
    const far = quote('buy', 599_900, 4, 2);
    const near = quote('buy', 599_990, 4, 0);
    const d = approved(engine.check(intent([far, near]), makeCtx()));
    expect(d.intent.quotes).toEqual([{ ...far, qtyLots: 2 }, near]);
    expect(d.trims).toHaveLength(1);
    expect(d.trims[0]).toMatchObject({ quote: far, keptLots: 2, reason: { code: 'MAX_POSITION' } });
  });

  it("a trimmed intent keeps the reason of an intent whose reason is a prototype getter (the strategies' intents)", () => {
    const { engine } = setup({ maxPositionLots: 2 });
    class LazyIntent {
      readonly symbol = SYMBOL;
      readonly tsUs = T0;
      readonly cancelAll = false;
      readonly flatten = false;
      constructor(readonly quotes: Quote[]) {}
      get reason(): string {
        return 'formatted when read';
      }
    }
    const d = approved(engine.check(new LazyIntent([quote('buy', 599_900, 4, 2)]), makeCtx()));
    expect(d.trims).toHaveLength(1);
    expect(d.intent).toEqual({ symbol: SYMBOL, tsUs: T0, quotes: [{ ...quote('buy', 599_900, 4, 2), qtyLots: 2 }], cancelAll: false, flatten: false, reason: 'formatted when read' });
  });

  it('accepts an application bus whose event map includes the risk events', () => {
    const { bus } = setup();
    const seen: number[] = [];
    bus.on('somethingElse', (e) => seen.push(e.x));
    bus.emit('somethingElse', { x: 1 });
    expect(seen).toEqual([1]);
  });

  it('works without a bus', () => {
    const engine = new RiskEngine({ symbol: SYMBOL, config: parseRiskConfig({ ...OFF, maxPositionLots: 1 }) });
    engine.kill(T0);
    expect(denied(engine.check(intent([quote('buy', 599_990, 5)]), makeCtx())).reason.code).toBe('KILL_SWITCH');
    engine.reset(T0);
    expect(approved(engine.check(intent([quote('buy', 599_990, 5)]), makeCtx())).trims[0].reason.code).toBe('MAX_POSITION');
  });
});

describe('max position (lots)', () => {
  it('counts the position, every open same-side order and earlier approved quotes', () => {
    const { engine, events } = setup({ maxPositionLots: 10 });
    const ctx = makeCtx({
      positionLots: 3,
      openOrders: [
        { side: 'buy', priceTicks: 599_000, remainingLots: 4 },
        { side: 'sell', priceTicks: 601_000, remainingLots: 9 },
      ],
    });
    const d = approved(engine.check(intent([quote('buy', 599_990, 2, 0), quote('buy', 599_980, 5, 1), quote('sell', 600_010, 5, 0)]), ctx));
    // buy room: 10 − 3 − 4 = 3 → 2 then 1; sell room: 10 + 3 − 9 = 4.
    expect(d.intent.quotes.map((q) => q.qtyLots)).toEqual([2, 1, 4]);
    // Trims come in sizing order: level 0 of both sides, then level 1.
    expect(d.trims.map((t) => [t.quote.side, t.reason.code, t.keptLots])).toEqual([
      ['sell', 'MAX_POSITION', 4],
      ['buy', 'MAX_POSITION', 1],
    ]);
    expect(events).toEqual([{ type: 'risk.trimmed', payload: { symbol: SYMBOL, tsUs: T0, trims: d.trims, state: 'ACTIVE' } }]);
  });

  it('counts a keepable open order and the quote that keeps it once, so a binding limit does not flip', () => {
    const { engine } = setup({ maxPositionLots: 10 });
    // Position 6, one resting buy of 4: exactly at the limit. The strategy keeps it unchanged.
    const open = [{ side: 'buy' as const, priceTicks: 599_990, remainingLots: 4, keepable: true }];
    const keep = intent([quote('buy', 599_990, 4, 0)]);
    for (let i = 0; i < 3; i++) {
      const d = approved(engine.check(keep, makeCtx({ tsUs: T0 + i, positionLots: 6, openOrders: open })));
      expect(d.intent.quotes).toEqual([quote('buy', 599_990, 4, 0)]);
      expect(d.trims).toEqual([]);
    }
    // Without the flag (e.g. its cancel is in flight) the order counts separately: the quote goes.
    const d2 = approved(engine.check(keep, makeCtx({ tsUs: T0 + 5, positionLots: 6, openOrders: [{ ...open[0], keepable: false }] })));
    expect(d2.intent.quotes).toEqual([]);
    // A second identical quote cannot claim the same order; a bigger quote is a change: counted in full.
    const d3 = approved(engine.check(intent([quote('buy', 599_990, 4, 0), quote('buy', 599_980, 4, 1)]), makeCtx({ tsUs: T0 + 6, positionLots: 6, openOrders: open })));
    expect(d3.intent.quotes).toEqual([quote('buy', 599_990, 4, 0)]);
    const d4 = approved(engine.check(intent([quote('buy', 599_990, 4, 0)]), makeCtx({ tsUs: T0 + 7, positionLots: 7, openOrders: open })));
    // Position 7 + kept 4 > 10: not keepable as is; counted with the open order: room 10 − 7 − 4 = 0.
    expect(d4.intent.quotes).toEqual([]);
    expect(d4.trims[0]).toMatchObject({ keptLots: 0, reason: { code: 'MAX_POSITION' } });
  });

  it('allows only reducing quotes once the position is beyond the limit', () => {
    const { engine } = setup({ maxPositionLots: 10 });
    const d = approved(engine.check(intent([quote('buy', 599_990, 1), quote('sell', 600_010, 20)]), makeCtx({ positionLots: 12 })));
    expect(d.intent.quotes).toEqual([quote('sell', 600_010, 20)]);
    expect(d.trims[0]).toMatchObject({ keptLots: 0, reason: { code: 'MAX_POSITION' } });
  });
});

describe('max position notional', () => {
  it('values the worst-case position at the mark price', () => {
    // 600 USDT = 6,000,000 tick-lots; at mark 600000 ticks that is 10 lots, at 300000 it is 20.
    const { engine } = setup({ maxPositionNotional: '600' });
    const d = approved(engine.check(intent([quote('buy', 599_990, 15)]), makeCtx()));
    expect(d.trims).toMatchObject([{ keptLots: 10, reason: { code: 'MAX_POSITION_NOTIONAL' } }]);
    const d2 = approved(engine.check(intent([quote('buy', 599_990, 25)]), makeCtx({ markPriceTicks: 300_000 })));
    expect(d2.intent.quotes[0].qtyLots).toBe(20);
  });

  it('falls back to the mid (rounded up) when the mark is unknown', () => {
    const { engine } = setup({ maxPositionNotional: '600' });
    const d = approved(engine.check(intent([quote('sell', 600_010, 15)]), makeCtx({ markPriceTicks: Number.NaN, positionLots: -4 })));
    expect(d.intent.quotes[0].qtyLots).toBe(6);
  });
});

describe('max order notional', () => {
  it('shrinks a quote to the largest quantity within the cap', () => {
    // 120 USDT = 1,200,000 tick-lots; at 599990 ticks that is 2 lots.
    const { engine } = setup({ maxOrderNotional: '120' });
    const d = approved(engine.check(intent([quote('buy', 599_990, 5), quote('sell', 600_010, 2)]), makeCtx()));
    expect(d.intent.quotes.map((q) => q.qtyLots)).toEqual([2, 1]);
    expect(d.trims.map((t) => t.reason.code)).toEqual(['MAX_ORDER_NOTIONAL', 'MAX_ORDER_NOTIONAL']);
  });

  it('records a second trim when the shrunk quote falls below MIN_NOTIONAL', () => {
    const engine = new RiskEngine({ symbol: SYMBOL, config: parseRiskConfig({ ...OFF, maxOrderNotional: '100' }) });
    const inst = new Instrument(makeSpec({ minNotional: '100' }));
    // 100 USDT caps at 1 lot (60 USDT), which is below MIN_NOTIONAL 100 → removed.
    const d = approved(engine.check(intent([quote('buy', 599_990, 3)]), makeCtx({ instrument: inst })));
    expect(d.intent.quotes).toEqual([]);
    expect(d.trims.map((t) => [t.reason.code, t.keptLots])).toEqual([
      ['MAX_ORDER_NOTIONAL', 1],
      ['FILTER', 0],
    ]);
  });

  it('rejects a notional cap too large for the instrument', () => {
    const engine = new RiskEngine({ symbol: SYMBOL, config: parseRiskConfig({ ...OFF, maxOrderNotional: '10000000000000' }) });
    expect(() => engine.check(intent([quote('buy', 599_990, 3)]), makeCtx())).toThrow(/risk.maxOrderNotional/);
  });
});

describe('instrumentLimits', () => {
  it('turns money limits into whole tick-lots: caps rounded down, MIN_NOTIONAL (the instrument\'s) rounded up', () => {
    const cfg = parseRiskConfig({ maxOrderNotional: '120.00015', maxPositionNotional: '600' });
    // tick 0.1 × step 0.001 = 0.0001 USDT per tick-lot.
    expect(instrumentLimits(cfg, INSTRUMENT)).toMatchObject({ maxOrderTickLots: 1_200_001, maxPositionTickLots: 6_000_000 });
    expect(INSTRUMENT.minNotionalTickLots).toBe(50_000);
    // tick 0.5 × step 0.001 = 0.0005: MIN_NOTIONAL 0.0007 needs 2 tick-lots (1.4 rounded up).
    const odd = new Instrument(makeSpec({ tickSize: '0.5', minPrice: '0.5', minNotional: '0.0007' }));
    expect(instrumentLimits(cfg, odd)).toMatchObject({ maxOrderTickLots: 240_000 });
    expect(odd.minNotionalTickLots).toBe(2);
    const none = new Instrument(makeSpec({ minNotional: '0' }));
    expect(instrumentLimits(parseRiskConfig(), none)).toMatchObject({ maxOrderTickLots: Number.POSITIVE_INFINITY });
    expect(none.minNotionalTickLots).toBe(0);
  });

  it('takes PERCENT_PRICE from the instrument, only when enforced', () => {
    const pp = new Instrument(makeSpec({ percentPrice: { multiplierUp: '1.05', multiplierDown: '0.950' } }));
    expect(instrumentLimits(parseRiskConfig({ enforcePercentPrice: true }), pp).percentPrice).toMatchObject({ upUnits: 1050, downUnits: 950, unit: 1000 });
    expect(instrumentLimits(parseRiskConfig({ enforcePercentPrice: false }), pp).percentPrice).toBeNull();
  });
});

describe('max open orders', () => {
  it('keeps the nearest levels and drops the rest', () => {
    const { engine } = setup({ maxOpenOrders: 2 });
    const d = approved(engine.check(intent([quote('buy', 599_900, 1, 1), quote('buy', 599_990, 1, 0), quote('sell', 600_100, 1, 2)]), makeCtx()));
    expect(d.intent.quotes.map((q) => q.level)).toEqual([1, 0]);
    expect(d.trims).toMatchObject([{ quote: { level: 2 }, keptLots: 0, reason: { code: 'MAX_OPEN_ORDERS' } }]);
  });

  it('is capped by the instrument MAX_NUM_ORDERS', () => {
    const cfg = parseRiskConfig({ maxOpenOrders: 500 });
    expect(instrumentLimits(cfg, INSTRUMENT).maxOpenOrders).toBe(200);
    expect(instrumentLimits(cfg, new Instrument(makeSpec({ maxNumOrders: undefined }))).maxOpenOrders).toBe(500);
  });
});

describe('capital usage', () => {
  it('at or above the limit, only quotes that reduce the position pass', () => {
    const { engine } = setup({ maxCapitalUsage: 0.5 });
    const ctx = makeCtx({ positionLots: 4, marginUsed: '5000', openOrders: [{ side: 'sell', priceTicks: 601_000, remainingLots: 1 }] });
    const d = approved(engine.check(intent([quote('buy', 599_990, 2), quote('sell', 600_010, 6)]), ctx));
    expect(d.intent.quotes).toEqual([quote('sell', 600_010, 3)]);
    expect(d.trims.map((t) => [t.reason.code, t.keptLots])).toEqual([
      ['CAPITAL_USAGE', 0],
      ['CAPITAL_USAGE', 3],
    ]);
    expect(d.state).toBe('ACTIVE');
  });

  it('below the limit nothing changes; zero equity counts as over the limit', () => {
    const { engine } = setup({ maxCapitalUsage: 0.5 });
    expect(approved(engine.check(intent([quote('buy', 599_990, 2)]), makeCtx({ marginUsed: '4999.99' }))).trims).toEqual([]);
    expect(approved(engine.check(intent([quote('buy', 599_990, 2)]), makeCtx({ equity: '0' }))).trims[0].reason.code).toBe('CAPITAL_USAGE');
  });

  it('names the field of a malformed money string', () => {
    const { engine } = setup({ maxCapitalUsage: 0.5 });
    let err: unknown;
    try {
      engine.check(intent([quote('buy', 599_990, 2)]), makeCtx({ marginUsed: '12,5' }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location.field).toBe('ctx.marginUsed');
    expect(() => engine.check(intent([]), makeCtx({ tsUs: T0 + 1, equity: 'NaN' }))).not.toThrow(); // no quotes: capital usage not evaluated
  });
});

describe('drawdown stop', () => {
  it('trips at 10 % from peak into REDUCING, latches, and re-trips after a reset if still breached', () => {
    const { engine, events } = setup({ maxDrawdownFraction: 0.1, stopState: 'REDUCING' });
    expect(engine.update(makeCtx({ equity: '9000.01' }))).toBe('ACTIVE');
    expect(engine.update(makeCtx({ tsUs: T0 + 1, equity: '9000' }))).toBe('REDUCING');
    expect(events).toEqual([
      {
        type: 'risk.stateChanged',
        payload: { symbol: SYMBOL, from: 'ACTIVE', to: 'REDUCING', trigger: 'STOP_REDUCING', code: 'DRAWDOWN_STOP', message: expect.stringContaining('1000'), tsUs: T0 + 1 },
      },
    ]);
    // Latched: recovering equity does not lift it.
    const d = approved(engine.check(intent([quote('buy', 599_990, 1), quote('sell', 600_010, 5)]), makeCtx({ tsUs: T0 + 2, positionLots: 3 })));
    expect(d.state).toBe('REDUCING');
    expect(d.intent.quotes).toEqual([quote('sell', 600_010, 3)]);
    expect(d.trims.map((t) => t.reason.code)).toEqual(['REDUCING_ONLY', 'REDUCING_ONLY']);
    engine.reset(T0 + 3);
    expect(engine.state).toBe('ACTIVE');
    expect(engine.update(makeCtx({ tsUs: T0 + 4, equity: '9000' }))).toBe('REDUCING');
    expect(engine.status().cause?.code).toBe('DRAWDOWN_STOP');
  });

  it('can halt instead; a halted engine denies quotes with the cause and asks to cancel all', () => {
    const { engine, events } = setup({ maxDrawdownFraction: 0.1, stopState: 'HALTED' });
    const d = denied(engine.check(intent([quote('sell', 600_010, 1)]), makeCtx({ equity: '8000', positionLots: 5 })));
    expect(d.reason.code).toBe('DRAWDOWN_STOP');
    expect(d.reason.message).toMatch(/HALTED/);
    expect(d.cancelAll).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['risk.stateChanged', 'risk.denied']);
  });

  it('trips when the peak equity is not positive', () => {
    const { engine } = setup({ maxDrawdownFraction: 0.5 });
    expect(engine.update(makeCtx({ equity: '0', peakEquity: '0' }))).toBe('REDUCING');
    expect(engine.status().cause?.message).toMatch(/not positive/);
  });
});

describe('daily loss stop', () => {
  it('trips on an absolute loss in the margin asset', () => {
    const { engine } = setup({ maxDailyLoss: '250' });
    expect(engine.update(makeCtx({ equity: '9750.01' }))).toBe('ACTIVE');
    expect(engine.update(makeCtx({ tsUs: T0 + 1, equity: '9750' }))).toBe('REDUCING');
    expect(engine.status().cause?.code).toBe('DAILY_LOSS_STOP');
  });

  it('trips on a fraction of day-start equity, or a non-positive day start', () => {
    const { engine } = setup({ maxDailyLossFraction: 0.05, stopState: 'HALTED' });
    expect(engine.update(makeCtx({ equity: '9500.5' }))).toBe('ACTIVE');
    expect(engine.update(makeCtx({ tsUs: T0 + 1, equity: '9500' }))).toBe('HALTED');
    const other = setup({ maxDailyLossFraction: 0.05 });
    expect(other.engine.update(makeCtx({ dayStartEquity: '0', equity: '1' }))).toBe('REDUCING');
  });

  it('names the field of a malformed equity string', () => {
    const { engine } = setup({ maxDailyLoss: '250' });
    expect(() => engine.update(makeCtx({ dayStartEquity: 'ten' }))).toThrow(expect.objectContaining({ location: { field: 'ctx.dayStartEquity' } }));
  });
});

describe('order-rate limit', () => {
  it('trims quotes that need a new order once the budget is spent; kept orders pass', () => {
    const { engine } = setup({ orderRate: { perSecond: 3, per10s: null, perMinute: null } });
    engine.recordOrderSent(T0);
    engine.recordOrderSent(T0);
    const ctx = makeCtx({ openOrders: [{ side: 'sell', priceTicks: 600_010, remainingLots: 2 }] });
    const d = approved(engine.check(intent([quote('buy', 599_980, 1, 1), quote('buy', 599_990, 1, 0), quote('sell', 600_010, 2, 0)]), ctx));
    expect(d.intent.quotes).toEqual([quote('buy', 599_990, 1, 0), quote('sell', 600_010, 2, 0)]);
    expect(d.trims).toMatchObject([{ quote: { level: 1 }, keptLots: 0, reason: { code: 'ORDER_RATE' } }]);
    expect(engine.rateUsage(T0)).toEqual([{ label: '1s', lengthUs: S, maxOrders: 3, used: 2 }]);
    // One second later the window has rolled.
    expect(approved(engine.check(intent([quote('buy', 599_980, 1, 1), quote('buy', 599_990, 1, 0)]), makeCtx({ tsUs: T0 + S }))).trims).toEqual([]);
  });

  it('uses Binance defaults (300 / 10 s) and can share one limiter between engines', () => {
    const shared = new OrderRateLimiter(parseRiskConfig().orderRate);
    const a = new RiskEngine({ symbol: SYMBOL, config: parseRiskConfig({ ...OFF, orderRate: {} }), rateLimiter: shared });
    const b = new RiskEngine({ symbol: 'ETHUSDT', config: parseRiskConfig({ ...OFF, orderRate: {} }), rateLimiter: shared });
    b.recordOrderSent(T0, 299);
    const d = approved(a.check(intent([quote('buy', 599_990, 1), quote('sell', 600_010, 1)]), makeCtx()));
    expect(d.intent.quotes).toHaveLength(1);
    expect(d.trims[0].reason.code).toBe('ORDER_RATE');
  });
});

describe('price band and PERCENT_PRICE', () => {
  it('drops quotes further than the configured bps from mid (boundary included)', () => {
    // mid 600000; 10 bps = 600 ticks.
    const { engine } = setup({ maxDistanceFromMidBps: 10 });
    const d = approved(engine.check(intent([quote('buy', 599_400, 1), quote('buy', 599_399, 1), quote('sell', 600_601, 1)]), makeCtx()));
    expect(d.intent.quotes).toEqual([quote('buy', 599_400, 1)]);
    expect(d.trims.map((t) => t.reason.code)).toEqual(['PRICE_BAND', 'PRICE_BAND']);
  });

  it('drops buys above mark × 1.05 and sells below mark × 0.95', () => {
    const { engine } = setup({ enforcePercentPrice: true });
    const d = approved(engine.check(intent([quote('buy', 630_000, 1), quote('buy', 630_001, 1), quote('sell', 570_000, 1), quote('sell', 569_999, 1)]), makeCtx()));
    expect(d.intent.quotes.map((q) => q.priceTicks)).toEqual([630_000, 570_000]);
    expect(d.trims.map((t) => t.reason.code)).toEqual(['PERCENT_PRICE', 'PERCENT_PRICE']);
  });

  it('uses the mid when the mark is unknown, and does nothing when disabled or absent', () => {
    const on = setup({ enforcePercentPrice: true }).engine;
    const ctx = makeCtx({ markPriceTicks: Number.NaN, bestBidTicks: 399_999, bestAskTicks: 400_001 });
    expect(approved(on.check(intent([quote('buy', 420_001, 1)]), ctx)).trims[0].reason.code).toBe('PERCENT_PRICE');
    expect(approved(setup({ enforcePercentPrice: false }).engine.check(intent([quote('buy', 420_001, 1)]), ctx)).trims).toEqual([]);
    const noFilter = new Instrument(makeSpec({ percentPrice: undefined }));
    expect(approved(on.check(intent([quote('buy', 700_000, 1)]), makeCtx({ instrument: noFilter }))).trims).toEqual([]);
  });
});

describe('exchange filters', () => {
  it('drops malformed quotes and prices outside PRICE_FILTER, caps quantity at maxQty', () => {
    const { engine } = setup({ maxPositionLots: 10_000_000 });
    const d = approved(
      engine.check(
        intent([quote('buy', 599_990, 0), quote('buy', 599_990.5, 1), quote('buy', 5_000, 20), quote('sell', 600_010, 1_500_000)]),
        makeCtx({ bestBidTicks: 4_999, bestAskTicks: 700_000 }),
      ),
    );
    // LOT_SIZE maxQty 1000 BTC = 1,000,000 lots. The buy at 500.0 (below minPrice 556.8) is 10 USDT:
    // above MIN_NOTIONAL (5), so only PRICE_FILTER can drop it.
    expect(d.intent.quotes).toEqual([quote('sell', 600_010, 1_000_000)]);
    expect(d.trims[2].reason.message).toMatch(/PRICE_FILTER/);
    expect(d.trims.map((t) => [t.reason.code, t.keptLots])).toEqual([
      ['FILTER', 0],
      ['FILTER', 0],
      ['FILTER', 0],
      ['FILTER', 1_000_000],
    ]);
  });
});

describe('stale data and invalid book', () => {
  it('denies quoting when the book is older than the threshold, and asks to cancel all', () => {
    const { engine } = setup({ maxBookAgeUs: S });
    expect(approved(engine.check(intent([quote('buy', 599_990, 1)]), makeCtx({ lastBookUpdateUs: T0 - S }))).trims).toEqual([]);
    const d = denied(engine.check(intent([quote('buy', 599_990, 1)]), makeCtx({ lastBookUpdateUs: T0 - S - 1 })));
    expect(d.reason.code).toBe('STALE_DATA');
    expect(d.cancelAll).toBe(true);
    // Cancels and an empty desired set still pass on a stale book.
    expect(approved(engine.check(intent([], { cancelAll: true }), makeCtx({ lastBookUpdateUs: 0 }))).intent.cancelAll).toBe(true);
  });

  it.each([
    ['out of sync', { bookValid: false }],
    ['an empty side', { bestAskTicks: Number.NaN }],
    ['a crossed touch', { bestBidTicks: 600_010, bestAskTicks: 600_000 }],
  ])('denies quoting on a book with %s', (_name, over) => {
    const { engine } = setup();
    const d = denied(engine.check(intent([quote('buy', 599_990, 1)]), makeCtx(over)));
    expect(d.reason.code).toBe('BOOK_INVALID');
    expect(d.cancelAll).toBe(true);
  });

  it('denies quoting while the account is out of sync with the venue, and lets cancels through', () => {
    const { engine } = setup();
    const d = denied(engine.check(intent([quote('buy', 599_990, 1)]), makeCtx({ accountInSync: false })));
    expect(d.reason.code).toBe('ACCOUNT_UNSYNCED');
    expect(d.cancelAll).toBe(true);
    expect(approved(engine.check(intent([], { cancelAll: true }), makeCtx({ accountInSync: false }))).intent.cancelAll).toBe(true);
    // Absent means in sync (a backtest's simulated venue never goes down).
    expect(approved(engine.check(intent([quote('buy', 599_990, 1)]), makeCtx({}))).intent.quotes).toHaveLength(1);
  });
});

describe('volatility circuit breaker', () => {
  it('σ above the threshold halts for exactly the cooldown, then returns to ACTIVE', () => {
    const { engine, events } = setup({ volatility: { maxSigmaTicksPerSqrtS: 5, cooldownUs: 30 * S } });
    expect(engine.update(makeCtx({ sigmaTicksPerSqrtS: 5 }))).toBe('ACTIVE');
    expect(engine.update(makeCtx({ tsUs: T0 + 1, sigmaTicksPerSqrtS: 6 }))).toBe('HALTED');
    const d = denied(engine.check(intent([quote('buy', 599_990, 1)]), makeCtx({ tsUs: T0 + 2 })));
    expect(d.reason.code).toBe('VOLATILITY_HALT');
    expect(engine.update(makeCtx({ tsUs: T0 + 1 + 30 * S - 1 }))).toBe('HALTED');
    expect(engine.update(makeCtx({ tsUs: T0 + 1 + 30 * S }))).toBe('ACTIVE');
    expect(events.filter((e) => e.type === 'risk.stateChanged').map((e) => e.payload)).toEqual([
      expect.objectContaining({ from: 'ACTIVE', to: 'HALTED', trigger: 'VOLATILITY_TRIP', code: 'VOLATILITY_HALT', tsUs: T0 + 1 }),
      expect.objectContaining({ from: 'HALTED', to: 'ACTIVE', trigger: 'VOLATILITY_CLEAR', tsUs: T0 + 1 + 30 * S }),
    ]);
  });

  it('a breach during the cooldown extends it from the new breach', () => {
    const { engine } = setup({ volatility: { maxSigmaTicksPerSqrtS: 5, cooldownUs: 10 * S } });
    engine.update(makeCtx({ sigmaTicksPerSqrtS: 9 }));
    engine.update(makeCtx({ tsUs: T0 + 8 * S, sigmaTicksPerSqrtS: 9 }));
    expect(engine.update(makeCtx({ tsUs: T0 + 10 * S }))).toBe('HALTED');
    expect(engine.status().cause?.untilUs).toBe(T0 + 18 * S);
    expect(engine.update(makeCtx({ tsUs: T0 + 18 * S }))).toBe('ACTIVE');
  });

  it('a mid jump of more than N ticks within the window halts; the same move spread out does not', () => {
    const cfg = { volatility: { maxMidJumpTicks: 50, jumpWindowUs: S, cooldownUs: 5 * S } };
    const book = (tsUs: number, mid: number) => makeCtx({ tsUs, bestBidTicks: mid - 5, bestAskTicks: mid + 5 });
    const slow = setup(cfg).engine;
    slow.update(book(T0, 600_000));
    expect(slow.update(book(T0 + S, 600_060))).toBe('ACTIVE'); // the first mid left the window at T0 + 1 s
    const fast = setup(cfg).engine;
    fast.update(book(T0, 600_000));
    expect(fast.update(book(T0 + S - 1, 600_050))).toBe('ACTIVE'); // exactly 50 ticks: not more
    expect(fast.update(book(T0 + S - 1, 600_051))).toBe('HALTED');
    expect(fast.status().cause?.message).toMatch(/51 ticks/);
  });

  it('the jump is forgotten at the trip: with a window longer than the cooldown, the halt still ends after the cooldown', () => {
    const { engine } = setup({ volatility: { maxMidJumpTicks: 50, jumpWindowUs: 10 * S, cooldownUs: 5 * S } });
    const book = (tsUs: number, mid: number) => makeCtx({ tsUs, bestBidTicks: mid - 5, bestAskTicks: mid + 5 });
    engine.update(book(T0, 600_000));
    expect(engine.update(book(T0 + S, 600_051))).toBe('HALTED');
    // 600,000 at T0 is still inside the 10 s window at T0 + 6 s: only forgetting it lets the halt end.
    expect(engine.update(book(T0 + 6 * S - 1, 600_051))).toBe('HALTED');
    expect(engine.update(book(T0 + 6 * S, 600_051))).toBe('ACTIVE');
  });

  it('trips on a second jump after the first halt ended (the window is whole again after the reset)', () => {
    const { engine, events } = setup({ volatility: { maxMidJumpTicks: 50, jumpWindowUs: 10 * S, cooldownUs: 5 * S } });
    const book = (tsUs: number, mid: number) => makeCtx({ tsUs, bestBidTicks: mid - 5, bestAskTicks: mid + 5 });
    engine.update(book(T0, 600_000));
    expect(engine.update(book(T0 + S, 600_100))).toBe('HALTED');
    expect(engine.update(book(T0 + 6 * S, 600_100))).toBe('ACTIVE');
    expect(engine.update(book(T0 + 7 * S, 600_140))).toBe('ACTIVE'); // 40 ticks: within the limit
    expect(engine.update(book(T0 + 8 * S, 600_040))).toBe('HALTED'); // 100 ticks down from 600,140
    expect(engine.status().cause?.message).toMatch(/100 ticks/);
    expect(engine.update(book(T0 + 13 * S - 1, 600_040))).toBe('HALTED');
    expect(engine.update(book(T0 + 13 * S, 600_040))).toBe('ACTIVE');
    expect(events.filter((e) => e.type === 'risk.stateChanged').map((e) => (e.payload as { trigger: string }).trigger)).toEqual(['VOLATILITY_TRIP', 'VOLATILITY_CLEAR', 'VOLATILITY_TRIP', 'VOLATILITY_CLEAR']);
  });

  it('a mid jump in bps of the mid halts', () => {
    const { engine } = setup({ volatility: { maxMidJumpBps: 20, jumpWindowUs: S, cooldownUs: S } });
    const book = (tsUs: number, mid: number) => makeCtx({ tsUs, bestBidTicks: mid - 5, bestAskTicks: mid + 5 });
    engine.update(book(T0, 600_000));
    expect(engine.update(book(T0 + 10, 601_200))).toBe('ACTIVE'); // 1200 / 601200 = 19.96 bps
    expect(engine.update(book(T0 + 20, 601_300))).toBe('HALTED');
    expect(engine.status().cause?.message).toMatch(/bps/);
  });

  it('ignores mids from an invalid book and an unknown σ', () => {
    const { engine } = setup({ volatility: { maxMidJumpTicks: 10, maxSigmaTicksPerSqrtS: 1 } });
    engine.update(makeCtx());
    expect(engine.update(makeCtx({ tsUs: T0 + 1, bookValid: false, bestBidTicks: 700_000, bestAskTicks: 700_010 }))).toBe('ACTIVE');
  });
});

describe('kill switch and HALTED', () => {
  it('halts until reset; only pure cancels pass meanwhile', () => {
    const { engine, events } = setup();
    engine.kill(T0, 'operator pressed the button');
    expect(engine.state).toBe('HALTED');
    const q = denied(engine.check(intent([quote('sell', 600_010, 1)]), makeCtx({ tsUs: T0 + 1 })));
    expect(q.reason).toEqual({ code: 'KILL_SWITCH', message: expect.stringContaining('operator pressed the button') });
    expect(q.cancelAll).toBe(true);
    expect(denied(engine.check(intent([], { flatten: true }), makeCtx({ tsUs: T0 + 2 }))).reason.code).toBe('KILL_SWITCH');
    const c = approved(engine.check(intent([], { cancelAll: true }), makeCtx({ tsUs: T0 + 3 })));
    expect(c.intent.quotes).toEqual([]);
    expect(c.state).toBe('HALTED');
    // Hours later it is still halted.
    expect(engine.update(makeCtx({ tsUs: T0 + 3_600 * S }))).toBe('HALTED');
    engine.reset(T0 + 3_600 * S, 'all clear');
    expect(approved(engine.check(intent([quote('sell', 600_010, 1)]), makeCtx({ tsUs: T0 + 3_600 * S }))).state).toBe('ACTIVE');
    expect(events.filter((e) => e.type === 'risk.stateChanged').map((e) => (e.payload as { trigger: string }).trigger)).toEqual(['KILL', 'RESET']);
  });

  it('REDUCING lets flatten through; a cancel-all carrying quotes is denied', () => {
    const { engine } = setup({ maxDrawdownFraction: 0.1 });
    engine.update(makeCtx({ equity: '1' }));
    expect(approved(engine.check(intent([], { flatten: true }), makeCtx({ equity: '1' }))).intent.flatten).toBe(true);
    const d = denied(engine.check(intent([quote('buy', 599_990, 1)], { cancelAll: true }), makeCtx()));
    expect(d.reason.code).toBe('FILTER');
    expect(d.cancelAll).toBe(true);
  });
});

describe('edges a mutation test found unpinned', () => {
  it('a keepable open order is kept only by a quote of exactly its size: a bigger quote counts the order in full', () => {
    const { engine } = setup({ maxPositionLots: 10 });
    // Position 6, a resting buy of 2 at 599,990; the strategy wants 4 there. Worst case counted:
    // 6 + 2 open + the quote: room 2.
    const open = [{ side: 'buy' as const, priceTicks: 599_990, remainingLots: 2, keepable: true }];
    const d = approved(engine.check(intent([quote('buy', 599_990, 4)]), makeCtx({ positionLots: 6, openOrders: open })));
    expect(d.intent.quotes).toEqual([quote('buy', 599_990, 2)]);
    expect(d.trims.map((t) => [t.reason.code, t.keptLots])).toEqual([['MAX_POSITION', 2]]);
  });

  it('REDUCING with a SHORT position lets buys through up to the position, and no sells', () => {
    const { engine } = setup({ maxDrawdownFraction: 0.1, stopState: 'REDUCING' });
    expect(engine.update(makeCtx({ equity: '9000' }))).toBe('REDUCING');
    const d = approved(engine.check(intent([quote('buy', 599_990, 5), quote('sell', 600_010, 1)]), makeCtx({ tsUs: T0 + 1, positionLots: -3 })));
    expect(d.intent.quotes).toEqual([quote('buy', 599_990, 3)]);
    expect(d.trims.map((t) => [t.quote.side, t.reason.code, t.keptLots])).toEqual([
      ['buy', 'REDUCING_ONLY', 3],
      ['sell', 'REDUCING_ONLY', 0],
    ]);
  });

  it('capital usage is re-evaluated when equity changes with the margin used unchanged', () => {
    const { engine } = setup({ maxCapitalUsage: 0.5 });
    const q = intent([quote('buy', 599_990, 2)]);
    expect(approved(engine.check(q, makeCtx({ marginUsed: '4000', equity: '10000' }))).trims).toEqual([]);
    // Same margin, equity down to 7000: 4000 ≥ 0.5 × 7000.
    const d = approved(engine.check(q, makeCtx({ tsUs: T0 + 1, marginUsed: '4000', equity: '7000' })));
    expect(d.trims.map((t) => t.reason.code)).toEqual(['CAPITAL_USAGE']);
    // And back.
    expect(approved(engine.check(q, makeCtx({ tsUs: T0 + 2, marginUsed: '4000', equity: '10000' }))).trims).toEqual([]);
  });

  it('sizes more than 16 quotes and keeps more than 16 open orders in one check', () => {
    const { engine } = setup({ maxPositionLots: 40 });
    const quotes = Array.from({ length: 20 }, (_, i) => quote('buy', 599_990 - i, 2, i));
    // 20 fresh quotes of 2 lots: 40 lots, exactly the limit.
    const d = approved(engine.check(intent(quotes), makeCtx()));
    expect(d.intent.quotes).toEqual(quotes);
    expect(d.trims).toEqual([]);
    // The same 20 resting as keepable orders, kept by the same quotes: counted once, nothing trimmed.
    const open = quotes.map((q) => ({ side: 'buy' as const, priceTicks: q.priceTicks, remainingLots: 2, keepable: true }));
    const k = approved(engine.check(intent(quotes), makeCtx({ tsUs: T0 + 1, openOrders: open })));
    expect(k.intent.quotes).toEqual(quotes);
    expect(k.trims).toEqual([]);
    // 21 quotes: the last one is over the limit.
    const more = [...quotes, quote('buy', 599_960, 2, 20)];
    const m = approved(engine.check(intent(more), makeCtx({ tsUs: T0 + 2 })));
    expect(m.intent.quotes).toEqual(quotes);
    expect(m.trims.map((t) => [t.quote.priceTicks, t.reason.code, t.keptLots])).toEqual([[599_960, 'MAX_POSITION', 0]]);
  });
});
