import { describe, expect, it } from 'vitest';
import { SimClock } from '../../src/core/clock.ts';
import { ConfigError } from '../../src/core/errors.ts';
import type { VenueCommand } from '../../src/model/venue.ts';
import { TradingCore, type TraderConfigInput } from '../../src/trader/index.ts';
import { FIXED_CONFIG, INSTRUMENT, NO_CHAOS, RandomMarket, run, SYMBOL, T0 } from './harness.ts';
import { expectBooksAgree, expectCommandsValid, expectOmsMatchesGateway, expectWithinLimit } from './invariants.ts';
import { Rng } from '../../src/core/random.ts';

function newCore(config: TraderConfigInput = FIXED_CONFIG, clock = new SimClock(T0)): { core: TradingCore; clock: SimClock } {
  return { core: new TradingCore({ clock, instruments: [INSTRUMENT], config, initialBalance: [{ asset: 'USDT', amount: '100000' }] }), clock };
}

describe('TradingCore pipeline', () => {
  it('quotes both sides around the book once it is synced, post-only, on the grid', () => {
    const { core } = newCore();
    const market = new RandomMarket(new Rng(1));
    core.onMarketEvent(market.snapshot(T0));
    // The snapshot alone does not sync the book (a bridging diff must follow): no quotes yet.
    expect(core.drainCommands()).toEqual([]);
    for (const e of market.step(T0)) core.onMarketEvent(e);
    const cmds = core.drainCommands();
    const submits = cmds.filter((c): c is Extract<VenueCommand, { kind: 'submit' }> => c.kind === 'submit');
    expect(submits).toHaveLength(4);
    const bids = submits.filter((c) => c.order.side === 'buy').map((c) => c.order.priceTicks);
    const asks = submits.filter((c) => c.order.side === 'sell').map((c) => c.order.priceTicks);
    expect(bids[0] - bids[1]).toBe(1);
    expect(asks[1] - asks[0]).toBe(1);
    expect(bids[0]).toBeLessThan(market.ask);
    expect(asks[0]).toBeGreaterThan(market.bid);
    expect(asks[0] - bids[0]).toBeGreaterThanOrEqual(2);
    for (const c of submits) expect([c.order.qtyLots, c.order.timeInForce, c.order.type, c.order.reduceOnly]).toEqual([3, 'GTX', 'LIMIT', false]);
    const decisions = core.counters.decisions;
    // A trade does not move the touch: no decision, no commands.
    core.onMarketEvent({ type: 'trade', symbol: SYMBOL, tsExchangeUs: T0, tsReceiveUs: T0, tsTransactUs: T0, tradeId: 1, priceTicks: market.bid, qtyLots: 1, buyerIsMaker: true });
    expect(core.drainCommands()).toEqual([]);
    expect(core.counters.decisions).toBe(decisions);
  });

  it('publishes intents, decisions and queued commands on its bus', () => {
    const { core } = newCore();
    const seen: string[] = [];
    core.bus.on('trader.intentDecided', (e) => seen.push(`intent ${e.trigger} ${e.intent.quotes.length}`));
    core.bus.on('trader.riskDecided', (e) => seen.push(`decision ${e.decision.approved}`));
    core.bus.on('trader.commandsQueued', (e) => seen.push(`commands ${e.cause} ${e.commands.length}`));
    const market = new RandomMarket(new Rng(1));
    core.onMarketEvent(market.snapshot(T0));
    for (const e of market.step(T0)) core.onMarketEvent(e);
    expect(seen).toEqual(['intent book 0', 'decision true', 'intent book 4', 'decision true', 'commands decision 4']);
  });

  it('publishes the book\'s validity changes with their cause, and its sync counters', () => {
    const clock = new SimClock(T0);
    const { core } = newCore(FIXED_CONFIG, clock);
    const seen: string[] = [];
    core.bus.on('trader.bookValidityChanged', (e) => seen.push(`${e.tsUs - T0} ${e.valid} ${e.cause}`));
    const market = new RandomMarket(new Rng(1));
    core.onMarketEvent(market.snapshot(T0));
    clock.advanceTo(T0 + 10);
    for (const e of market.step(T0 + 10)) core.onMarketEvent(e);
    clock.advanceTo(T0 + 20);
    for (const e of market.step(T0 + 20)) core.onMarketEvent(e);
    market.step(T0 + 30); // lost: the next diff breaks the chain
    clock.advanceTo(T0 + 40);
    for (const e of market.step(T0 + 40)) core.onMarketEvent(e);
    clock.advanceTo(T0 + 50);
    core.onMarketEvent(market.snapshot(T0 + 50));
    for (const e of market.step(T0 + 50)) core.onMarketEvent(e);
    clock.advanceTo(T0 + 60);
    core.onVenueEvent({ kind: 'streamState', stream: 'market', up: false, tsUs: T0 + 60, reason: 'test' });
    core.onVenueEvent({ kind: 'streamState', stream: 'market', up: false, tsUs: T0 + 60, reason: 'again' });
    expect(seen).toEqual(['0 false awaitingSync', '10 true synced', '40 false gap', '50 true resynced', '60 false streamDown']);
    expect(core.bookSyncCounters(SYMBOL)).toMatchObject({ gaps: 1, resyncs: 1, crossed: 0 });
  });

  it('defers a trigger inside minIntervalUs to a timer, and runs periodic requotes on the grid', () => {
    const clock = new SimClock(T0);
    const { core } = newCore({ ...FIXED_CONFIG, decision: { minIntervalUs: 50_000, requoteIntervalUs: 1_000_000 } }, clock);
    const market = new RandomMarket(new Rng(2));
    expect(core.nextTimerUs()).toBe(T0 + 1_000_000);
    core.onMarketEvent(market.snapshot(T0));
    expect(core.counters.decisions).toBe(1);
    clock.advanceTo(T0 + 10_000);
    let moved = false;
    while (!moved) {
      const before = [market.bid, market.ask];
      const events = market.step(T0 + 10_000);
      moved = market.bid !== before[0] || market.ask !== before[1];
      for (const e of events) core.onMarketEvent(e);
    }
    expect(core.counters.decisions).toBe(1);
    expect(core.nextTimerUs()).toBe(T0 + 50_000);
    clock.advanceTo(T0 + 50_000);
    core.onTimer(T0 + 50_000);
    expect(core.counters.decisions).toBe(2);
    expect(core.nextTimerUs()).toBe(T0 + 1_000_000);
  });

  it('books each fill once with duplicated and reordered reports; OMS equals the gateway after settling', () => {
    const h = run({ seed: 7, steps: 400, chaos: { duplicate: 0.3, swap: 0.3, delay: 0.2 } });
    h.settle();
    expect(h.gateway.filledLots).toBeGreaterThan(0);
    expectBooksAgree(h);
    expectOmsMatchesGateway(h);
    expectCommandsValid(h);
    expectWithinLimit(h, 12);
  });

  it('keeps the same invariants with clean delivery, and trades both ways', () => {
    const h = run({ seed: 11, steps: 300, chaos: NO_CHAOS });
    h.settle();
    const pos = h.core.portfolio.positionSnapshot(SYMBOL);
    expect(pos.boughtLots).toBeGreaterThan(0);
    expect(pos.soldLots).toBeGreaterThan(0);
    expectBooksAgree(h);
    expectOmsMatchesGateway(h);
  });

  it('HALTED cancels every open order at once and sends nothing that adds exposure afterwards', () => {
    const h = run({ seed: 3, steps: 300, chaos: { duplicate: 0.2, swap: 0.2, delay: 0.1 }, killAtStep: 150 });
    h.settle();
    expect(h.core.risk(SYMBOL).state).toBe('HALTED');
    const after = h.queued.slice(h.queuedBeforeKill);
    expect(after.some((c) => c.kind === 'cancel')).toBe(true);
    expect(after.filter((c) => c.kind === 'modify' || (c.kind === 'submit' && !c.order.reduceOnly))).toEqual([]);
    expect(h.gateway.openOrders()).toEqual([]);
    expectBooksAgree(h);
    expectOmsMatchesGateway(h);
  });

  it('kill while orders rest: the halt emits one cancel per open order immediately', () => {
    const h = run({ seed: 5, steps: 50, chaos: NO_CHAOS });
    h.settle();
    const open = h.gateway.openOrders().map((o) => o.clientOrderId).sort();
    expect(open.length).toBeGreaterThan(0);
    const halts: string[] = [];
    h.core.bus.on('trader.commandsQueued', (e) => {
      if (e.cause === 'halt') for (const c of e.commands) halts.push(c.kind === 'cancel' ? c.clientOrderId : `not a cancel: ${c.kind}`);
    });
    h.core.kill(SYMBOL);
    expect(halts.sort()).toEqual(open);
    expect(h.core.drainCommands().map((c) => (c.kind === 'cancel' ? c.clientOrderId : c.kind)).sort()).toEqual(open);
  });

  it('marks the portfolio from the mid when there is no mark price, and books funding', () => {
    const h = run({ seed: 9, steps: 200, chaos: NO_CHAOS });
    h.settle();
    const before = h.core.portfolio.positionSnapshot(SYMBOL);
    expect(before.markPrice).not.toBeNull();
    // −position × mark × rate, position in BTC (lots × 0.001): what the venue books, and the core takes as is.
    const payment = (-before.positionLots * 0.001 * 60000 * 0.0001).toFixed(8);
    h.core.onVenueEvent({ kind: 'funding', settlement: { symbol: SYMBOL, tsUs: h.clock.nowUs(), markPrice: '60000', rate: '0.0001', positionLots: before.positionLots, payment } });
    const after = h.core.portfolio.positionSnapshot(SYMBOL);
    expect(Number(after.funding) - Number(before.funding)).toBeCloseTo(Number(payment), 9);
    expect(h.core.counters.fundings).toBe(1);
  });

  it('a position at the limit does not make the approved size flip (no modify churn)', () => {
    // Strategy and risk share the limit; once it binds, kept orders must stay kept.
    const config: TraderConfigInput = {
      ...FIXED_CONFIG,
      strategy: { kind: 'fixed', halfSpreadTicks: 1, sizeLots: 4, maxPositionLots: 6, levels: 1, requoteToleranceTicks: 100 },
      risk: { ...(FIXED_CONFIG.risk as object), maxPositionLots: 6 },
    };
    const h = run({ seed: 21, steps: 400, chaos: NO_CHAOS, config });
    h.settle();
    const modifies = h.sent.filter((s) => s.cmd.kind === 'modify').length;
    const submits = h.sent.filter((s) => s.cmd.kind === 'submit').length;
    // With a 100-tick tolerance the fixed strategy keeps its quotes: modifies only come from size changes.
    expect(modifies).toBeLessThanOrEqual(submits);
    expectBooksAgree(h);
    expectWithinLimit(h, 6);
  });

  it('risk counts an order with a quantity-raising modify in flight at its target (what can fill)', () => {
    // The shrunk core.prop failure (seed -1098040288): a modify raising an order from 1 to 3 lots was
    // counted at 1, so a new same-side quote got the room and the position reached 3 with a limit of 2.
    const config: TraderConfigInput = {
      ...FIXED_CONFIG,
      strategy: { kind: 'fixed', halfSpreadTicks: 1, sizeLots: 4, maxPositionLots: 2, levels: 3 },
      risk: { ...(FIXED_CONFIG.risk as object), maxPositionLots: 2 },
      oms: { modifyMode: 'amend' },
    };
    let raisingModifiesSeen = 0;
    let checks = 0;
    const h = run({
      seed: 10,
      steps: 45,
      chaos: NO_CHAOS,
      config,
      onStep: (hh, step) => {
        if (step > 0) return;
        const risk = hh.core.risk(SYMBOL);
        const check = risk.check.bind(risk);
        risk.check = (intent, ctx) => {
          checks++;
          // What can still fill per side, from the OMS's own orders: a pending modify may fill at the
          // larger of its current and target quantity.
          const fillable = { buy: 0, sell: 0 };
          for (const o of hh.core.oms.liveOrders(SYMBOL)) {
            const t = o.state === 'pending-modify' ? o.modifyTarget : null;
            if (t !== null && t.qtyLots > o.qtyLots) raisingModifiesSeen++;
            fillable[o.side] += Math.max(o.qtyLots, t?.qtyLots ?? 0) - o.filledLots;
          }
          const seen = { buy: 0, sell: 0 };
          for (const v of ctx.openOrders) seen[v.side] += v.remainingLots;
          expect(seen).toEqual(fillable);
          return check(intent, ctx);
        };
      },
    });
    h.settle();
    expect(checks).toBeGreaterThan(0);
    expect(raisingModifiesSeen).toBeGreaterThan(0);
    expectWithinLimit(h, 2);
  });
});

describe('TradingCore options', () => {
  it('rejects a bad config with the key path', () => {
    const bad = (config: unknown, field: string) => {
      try {
        newCore(config as TraderConfigInput);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        expect((e as ConfigError).location.field).toBe(field);
      }
    };
    bad({ ...FIXED_CONFIG, decision: { minIntervalUs: -1 } }, 'trader.decision.minIntervalUs');
    bad({ ...FIXED_CONFIG, risk: { orderRate: { per10s: 'x' } } }, 'trader.risk.orderRate.per10s');
    bad({ ...FIXED_CONFIG, oms: { orderTtlUs: 1.5 } }, 'trader.oms.orderTtlUs');
  });

  it('ignores events of symbols it does not trade and refuses duplicate instruments', () => {
    const { core } = newCore();
    core.onMarketEvent({ ...new RandomMarket(new Rng(1)).snapshot(T0), symbol: 'ETHUSDT' });
    expect(core.counters.ignoredEvents).toBe(1);
    expect(() => new TradingCore({ clock: new SimClock(T0), instruments: [INSTRUMENT, INSTRUMENT], config: FIXED_CONFIG, initialBalance: [] })).toThrow(ConfigError);
    expect(() => core.risk('ETHUSDT')).toThrow(ConfigError);
  });

  it('feeds the book from bookTicker when the data has no depth', () => {
    const { core } = newCore();
    core.onMarketEvent({ type: 'bookTicker', symbol: SYMBOL, tsExchangeUs: T0, tsReceiveUs: T0, tsTransactUs: T0, updateId: -1, bidTicks: 600_000, bidLots: 5, askTicks: 600_002, askLots: 7 });
    expect(core.book(SYMBOL).bestBidTicks()).toBe(600_000);
    expect(core.book(SYMBOL).bestAskTicks()).toBe(600_002);
    expect(core.drainCommands().length).toBeGreaterThan(0);
    core.onMarketEvent({ type: 'bookTicker', symbol: SYMBOL, tsExchangeUs: T0, tsReceiveUs: T0, tsTransactUs: T0, updateId: -1, bidTicks: 599_990, bidLots: 5, askTicks: 599_995, askLots: 7 });
    expect(core.book(SYMBOL).levelCount('bid')).toBe(1);
    expect(core.book(SYMBOL).bestAskTicks()).toBe(599_995);
    expect(core.signals(SYMBOL).midTicks).toBe(599_992.5);
  });
});
