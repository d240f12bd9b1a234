// TradingCore.onVenueEvent: every venue event kind routed, decisions re-triggered once, streams
// going down stop quoting until the venue is back in sync (src/model/venue.ts, src/trader/core.ts and core-venue.ts).
import { describe, expect, it } from 'vitest';
import { SimClock } from '../../src/core/clock.ts';
import { Rng } from '../../src/core/random.ts';
import type { AccountSync, ExecutionReport, VenueCommand, VenueOrder } from '../../src/model/venue.ts';
import { TradingCore, type TraderConfigInput } from '../../src/trader/index.ts';
import { FIXED_CONFIG, INSTRUMENT, RandomMarket, SYMBOL, T0 } from './harness.ts';

type Submit = Extract<VenueCommand, { kind: 'submit' }>;

/** A core quoting a synced random market, its four quotes acked (orderIds 1..4). */
function quoting(config: TraderConfigInput = FIXED_CONFIG) {
  const clock = new SimClock(T0);
  const core = new TradingCore({ clock, instruments: [INSTRUMENT], config, initialBalance: [{ asset: 'USDT', amount: '100000' }] });
  const market = new RandomMarket(new Rng(1));
  const denials: string[] = [];
  core.bus.on('risk.denied', (e) => denials.push(e.reason.code));
  core.onMarketEvent(market.snapshot(T0));
  for (const e of market.step(T0)) core.onMarketEvent(e);
  const submits = core.drainCommands().filter((c): c is Submit => c.kind === 'submit');
  expect(submits).toHaveLength(4);
  const report = (o: Submit['order'], orderId: number, over: Partial<ExecutionReport> = {}): ExecutionReport => ({
    symbol: SYMBOL, clientOrderId: o.clientOrderId, orderId, execType: 'NEW', status: 'NEW', side: o.side, priceTicks: o.priceTicks, origQtyLots: o.qtyLots,
    cumFilledLots: 0, lastFillLots: 0, lastFillPriceTicks: 0, tradeId: -1, liquidity: null, commission: '0', errorCode: 0, errorMessage: '', reduceOnly: false, tsExchangeUs: clock.nowUs(), ...over,
  });
  submits.forEach((c, i) => core.onVenueEvent({ kind: 'report', report: report(c.order, i + 1) }));
  expect(core.drainCommands()).toEqual([]);
  const listing = (c: Submit, i: number, over: Partial<VenueOrder> = {}): VenueOrder => ({
    symbol: SYMBOL, clientOrderId: c.order.clientOrderId, orderId: i + 1, side: c.order.side, type: 'LIMIT', timeInForce: 'GTX', reduceOnly: false,
    status: 'NEW', priceTicks: c.order.priceTicks, origQtyLots: c.order.qtyLots, cumFilledLots: 0, ...over,
  });
  const sync = (openOrders: VenueOrder[], positionLots = 0, balances: AccountSync['balances'] = []): AccountSync => ({
    tsUs: clock.nowUs(), symbols: [SYMBOL], positions: positionLots === 0 ? [] : [{ symbol: SYMBOL, lots: positionLots, entryPrice: '' }], balances, openOrders,
  });
  /** Runs the core's timers due now (queries of unknown outcomes). */
  const timers = (): void => {
    const t = core.nextTimerUs();
    if (t <= clock.nowUs()) core.onTimer(clock.nowUs());
  };
  return { clock, core, market, submits, report, listing, sync, denials, timers };
}

describe('TradingCore venue events', () => {
  it('a throttle holds every request until the venue takes them again, then decides at once', () => {
    const q = quoting();
    const held: { untilUs: number }[] = [];
    q.core.bus.on('venue.throttled', (e) => held.push(e));
    const until = T0 + 2_000_000;
    q.core.onVenueEvent({ kind: 'throttled', tsUs: T0, untilUs: until, httpStatus: 429, reason: 'Too many requests' });
    expect(held).toEqual([expect.objectContaining({ untilUs: until, httpStatus: 429 })]);
    // The market moves a lot: no command while throttled (what rests stays).
    for (let k = 1; k <= 20; k++) {
      q.clock.advanceTo(T0 + k * 50_000);
      for (const e of q.market.step(q.clock.nowUs())) q.core.onMarketEvent(e);
      q.timers();
    }
    expect(q.core.drainCommands()).toEqual([]);
    // An unknown outcome is not queried during the throttle either; the core's timer points at its end.
    q.core.onVenueEvent({ kind: 'requestUnknown', symbol: SYMBOL, clientOrderId: q.submits[1].order.clientOrderId, request: 'cancel', cause: 'timeout' });
    q.core.kill(SYMBOL);
    expect(q.core.drainCommands()).toEqual([]);
    // Timers that fall in the throttle (requotes) fire and send nothing; the last one is its end.
    let guard = 0;
    while (q.core.nextTimerUs() < until && guard++ < 100) {
      const t = Math.max(q.clock.nowUs(), q.core.nextTimerUs());
      q.clock.advanceTo(t);
      q.core.onTimer(t);
      expect(q.core.drainCommands()).toEqual([]);
    }
    expect(q.core.nextTimerUs()).toBe(until);
    // At the end the held decisions and queries go out.
    q.clock.advanceTo(until);
    q.core.onTimer(until);
    const kinds = q.core.drainCommands().map((c) => c.kind);
    expect(kinds.length).toBeGreaterThan(0);
    expect(kinds).toContain('cancel');
    // A throttle already over, or shorter than the current one, changes nothing.
    q.core.onVenueEvent({ kind: 'throttled', tsUs: until, untilUs: until - 1, httpStatus: 418, reason: 'old' });
    expect(held).toHaveLength(1);
  });

  it('a throttle trips risk to REDUCING (VENUE_THROTTLED): nothing during the ban, only reducing quotes for the cool-down after it, then ACTIVE', () => {
    const cooldown = 1_000_000;
    const q = quoting({ ...FIXED_CONFIG, risk: { ...(FIXED_CONFIG.risk as object), throttleCooldownUs: cooldown } });
    const states: { tsUs: number; from: string; to: string; code: string | null; message: string }[] = [];
    q.core.bus.on('risk.stateChanged', (e) => states.push(e));
    // One buy fills: long 3 lots.
    const buy = q.submits.find((c) => c.order.side === 'buy')!;
    const buyIdx = q.submits.indexOf(buy);
    q.core.onVenueEvent({ kind: 'report', report: q.report(buy.order, buyIdx + 1, { execType: 'TRADE', status: 'FILLED', cumFilledLots: 3, lastFillLots: 3, lastFillPriceTicks: buy.order.priceTicks, tradeId: 1, liquidity: 'maker' }) });
    expect(q.core.portfolio.positionLots(SYMBOL)).toBe(3);
    // The re-quote after the fill is acked.
    q.core.drainCommands().forEach((c, i) => {
      if (c.kind === 'submit') q.core.onVenueEvent({ kind: 'report', report: q.report(c.order, 10 + i) });
    });
    expect(q.core.drainCommands()).toEqual([]);
    const until = q.clock.nowUs() + 2_000_000;
    q.core.onVenueEvent({ kind: 'throttled', tsUs: q.clock.nowUs(), untilUs: until, httpStatus: 429, reason: 'Too many requests' });
    expect(states).toEqual([expect.objectContaining({ from: 'ACTIVE', to: 'REDUCING', code: 'VENUE_THROTTLED', tsUs: q.clock.nowUs() })]);
    expect(states[0].message).toMatch(/HTTP 429: Too many requests/);
    expect(q.core.risk(SYMBOL).status().cause?.code).toBe('VENUE_THROTTLED');
    expect(q.core.drainCommands()).toEqual([]);
    const run = (to: number): VenueCommand[] => {
      const out: VenueCommand[] = [];
      let guard = 0;
      while (q.core.nextTimerUs() <= to && guard++ < 1000) {
        const t = Math.max(q.clock.nowUs(), q.core.nextTimerUs());
        q.clock.advanceTo(t);
        for (const e of q.market.step(t)) q.core.onMarketEvent(e);
        q.core.onTimer(t);
        out.push(...q.core.drainCommands());
      }
      return out;
    };
    // During the ban: nothing.
    expect(run(until - 1)).toEqual([]);
    // From the ban's end to the hold's end: no buy is placed or amended, and what sells rest never exceeds the long.
    const reducing = run(until + cooldown - 1);
    expect(reducing.length).toBeGreaterThan(0);
    for (const c of reducing) {
      if (c.kind === 'submit') expect(c.order.side).toBe('sell');
      if (c.kind === 'modify') expect(c.side).toBe('sell');
    }
    expect(q.core.risk(SYMBOL).state).toBe('REDUCING');
    const openSell = q.core.oms.liveOrders(SYMBOL).filter((o) => o.side === 'sell' && o.state !== 'pending-cancel').reduce((n, o) => n + o.qtyLots - o.filledLots, 0);
    expect(openSell).toBeLessThanOrEqual(3);
    expect(q.core.oms.liveOrders(SYMBOL).filter((o) => o.side === 'buy' && o.state !== 'pending-cancel')).toEqual([]);
    // At the hold's end a decision lifts it and quotes both sides again.
    const after = run(until + cooldown);
    expect(states.at(-1)).toMatchObject({ from: 'REDUCING', to: 'ACTIVE', code: 'VENUE_THROTTLED', tsUs: until + cooldown });
    expect(after.some((c) => c.kind === 'submit' && c.order.side === 'buy')).toBe(true);
  });

  it('an unknown request outcome is queried on the timer, and the answer settles it', () => {
    const q = quoting();
    const id = q.submits[0].order.clientOrderId;
    q.core.onVenueEvent({ kind: 'requestUnknown', symbol: SYMBOL, clientOrderId: id, request: 'submit', cause: 'timeout' });
    // The order was acked already: a late timeout of an answered request changes nothing.
    expect(q.core.oms.order(id)!.unknown).toBe(false);
    // A modify in flight whose outcome becomes unknown is queried.
    q.clock.advanceTo(T0 + 10_000);
    q.core.kill(SYMBOL);
    const cancels = q.core.drainCommands();
    expect(cancels.map((c) => c.kind)).toEqual(['cancel', 'cancel', 'cancel', 'cancel']);
    q.core.onVenueEvent({ kind: 'requestUnknown', symbol: SYMBOL, clientOrderId: id, request: 'cancel', cause: 'HTTP 503' });
    expect(q.core.oms.order(id)).toMatchObject({ state: 'pending-cancel', unknown: true });
    expect(q.core.nextTimerUs()).toBe(q.clock.nowUs());
    q.timers();
    expect(q.core.drainCommands()).toEqual([{ kind: 'query', symbol: SYMBOL, clientOrderId: id, orderId: 1 }]);
    // Not again before the query interval.
    q.timers();
    expect(q.core.drainCommands()).toEqual([]);
    q.core.onVenueEvent({ kind: 'queryAnswer', symbol: SYMBOL, result: { clientOrderId: id, found: true, orderId: 1, status: 'CANCELED', priceTicks: q.submits[0].order.priceTicks, origQtyLots: 3, cumFilledLots: 0 } });
    expect(q.core.oms.order(id)).toMatchObject({ state: 'canceled', unknown: false });
    expect(q.core.nextTimerUs()).not.toBe(q.clock.nowUs());
  });

  it('an account snapshot with fills on two orders re-decides once, infers the fills and keeps the position', () => {
    const q = quoting();
    const decisions = q.core.counters.decisions;
    const open = q.submits.map((c, i) => (i < 2 ? q.listing(c, i, { status: 'PARTIALLY_FILLED', cumFilledLots: 1, avgFillPriceTicks: c.order.priceTicks }) : q.listing(c, i)));
    const buys = q.submits.slice(0, 2).reduce((n, c) => n + (c.order.side === 'buy' ? 1 : -1), 0);
    const synced: unknown[] = [];
    q.core.bus.on('account.synced', (e) => synced.push(e));
    q.core.onVenueEvent({ kind: 'accountSync', sync: q.sync(open, buys) });
    expect(q.core.counters.decisions).toBe(decisions + 1);
    expect(q.core.oms.positionLots(SYMBOL)).toBe(buys);
    expect(q.core.portfolio.positionLots(SYMBOL)).toBe(buys);
    expect(synced).toEqual([expect.objectContaining({ positions: [{ symbol: SYMBOL, venueLots: buys, ourLots: buys, checked: true }], openOrders: 4, adoptedOrders: 0 })]);
  });

  it('a position that differs once nothing is unknown is taken from the venue (ledger and OMS); with unknowns it waits', () => {
    const q = quoting();
    const adjusted: unknown[] = [];
    q.core.bus.on('position.adjusted', (e) => adjusted.push(e));
    // One order missing: its outcome is unknown, so the position check waits.
    const open = q.submits.slice(1).map((c, i) => q.listing(c, i + 1));
    q.core.onVenueEvent({ kind: 'accountSync', sync: q.sync(open, 5) });
    expect(adjusted).toEqual([]);
    expect(q.core.oms.unknownCount(SYMBOL)).toBe(1);
    expect(q.core.oms.positionLots(SYMBOL)).toBe(0);
    // Everything listed, position 5 that no order explains: taken, and booked at the mid.
    q.core.onVenueEvent({ kind: 'accountSync', sync: q.sync(q.submits.map((c, i) => q.listing(c, i)), 5) });
    expect(adjusted).toEqual([expect.objectContaining({ symbol: SYMBOL, fromLots: 0, toLots: 5 })]);
    expect(q.core.oms.positionLots(SYMBOL)).toBe(5);
    expect(q.core.portfolio.positionLots(SYMBOL)).toBe(5);
  });

  it('takes the venue wallet as the start balance before anything is booked, and only reports it afterwards', () => {
    const q = quoting();
    const synced: { balances: { adopted: boolean; venueWallet: string; ourWallet: string }[] }[] = [];
    q.core.bus.on('account.synced', (e) => synced.push(e));
    const listed = q.submits.map((c, i) => q.listing(c, i));
    q.core.onVenueEvent({ kind: 'accountSync', sync: q.sync(listed, 0, [{ asset: 'USDT', walletBalance: '2500.5' }]) });
    expect(q.core.portfolio.accountSnapshot('USDT').walletBalance).toMatch(/^2500\.50*$/);
    expect(synced[0].balances[0]).toMatchObject({ adopted: true, venueWallet: '2500.5' });
    // A fill is booked: from now on the ledger is ours, a venue figure is only reported.
    const c = q.submits[0];
    q.core.onVenueEvent({ kind: 'report', report: q.report(c.order, 1, { execType: 'TRADE', status: 'PARTIALLY_FILLED', cumFilledLots: 1, lastFillLots: 1, lastFillPriceTicks: c.order.priceTicks, tradeId: 9, liquidity: 'maker', commission: '0.01' }) });
    const wallet = q.core.portfolio.accountSnapshot('USDT').walletBalance;
    q.core.onVenueEvent({ kind: 'accountSync', sync: q.sync(listed.map((o, i) => (i === 0 ? { ...o, status: 'PARTIALLY_FILLED' as const, cumFilledLots: 1 } : o)), c.order.side === 'buy' ? 1 : -1, [{ asset: 'USDT', walletBalance: '9999' }]) });
    expect(q.core.portfolio.accountSnapshot('USDT').walletBalance).toBe(wallet);
    expect(synced[1].balances[0]).toMatchObject({ adopted: false, venueWallet: '9999' });
  });

  it('a market stream going down invalidates the book: quotes are cancelled, none return until the book re-syncs', () => {
    const q = quoting();
    const changes: unknown[] = [];
    q.core.bus.on('venue.streamChanged', (e) => changes.push(e));
    q.clock.advanceTo(T0 + 1_000);
    q.core.onVenueEvent({ kind: 'streamState', stream: 'market', up: false, tsUs: T0 + 1_000, reason: 'no close frame' });
    expect(q.core.book(SYMBOL).isValid()).toBe(false);
    expect(q.core.drainCommands().map((c) => c.kind)).toEqual(['cancel', 'cancel', 'cancel', 'cancel']);
    expect(changes).toEqual([expect.objectContaining({ stream: 'market', up: false, symbols: [SYMBOL] })]);
    q.core.onVenueEvent({ kind: 'streamState', stream: 'market', up: true, tsUs: T0 + 2_000, reason: 'reconnected' });
    // Diffs after the reconnect alone do not make the book valid: it waits for a snapshot.
    q.clock.advanceTo(T0 + 3_000);
    for (const e of q.market.step(T0 + 3_000)) q.core.onMarketEvent(e);
    expect(q.core.book(SYMBOL).isValid()).toBe(false);
    expect(q.core.drainCommands().filter((c) => c.kind === 'submit')).toEqual([]);
    q.core.onMarketEvent(q.market.snapshot(T0 + 4_000));
    q.clock.advanceTo(T0 + 5_000);
    for (const e of q.market.step(T0 + 5_000)) q.core.onMarketEvent(e);
    expect(q.core.book(SYMBOL).isValid()).toBe(true);
    expect(q.core.drainCommands().filter((c) => c.kind === 'submit').length).toBeGreaterThan(0);
  });

  it('a market stream down for another symbol leaves this one alone', () => {
    const q = quoting();
    q.core.onVenueEvent({ kind: 'streamState', stream: 'market', up: false, tsUs: T0, symbols: ['ETHUSDT'], reason: 'test' });
    expect(q.core.book(SYMBOL).isValid()).toBe(true);
    expect(q.core.drainCommands()).toEqual([]);
  });

  it('a user stream going down stops quoting (ACCOUNT_UNSYNCED); back up it waits for the account snapshot', () => {
    const q = quoting();
    q.clock.advanceTo(T0 + 1_000);
    q.core.onVenueEvent({ kind: 'streamState', stream: 'user', up: false, tsUs: T0 + 1_000, reason: 'listenKey expired' });
    expect(q.denials.at(-1)).toBe('ACCOUNT_UNSYNCED');
    const cancels = q.core.drainCommands();
    expect(cancels.map((c) => c.kind)).toEqual(['cancel', 'cancel', 'cancel', 'cancel']);
    for (const c of cancels) if (c.kind === 'cancel') q.core.onVenueEvent({ kind: 'report', report: q.report(q.submits.find((s) => s.order.clientOrderId === c.clientOrderId)!.order, 1, { execType: 'CANCELED', status: 'CANCELED' }) });
    q.core.onVenueEvent({ kind: 'streamState', stream: 'user', up: true, tsUs: T0 + 2_000, reason: 'reconnected' });
    // The book moves, but the account is not reconciled yet: still no quotes.
    q.clock.advanceTo(T0 + 3_000);
    for (let i = 0; i < 5; i++) for (const e of q.market.step(T0 + 3_000)) q.core.onMarketEvent(e);
    expect(q.core.drainCommands()).toEqual([]);
    expect(q.denials.at(-1)).toBe('ACCOUNT_UNSYNCED');
    q.core.onVenueEvent({ kind: 'accountSync', sync: q.sync([]) });
    expect(q.core.drainCommands().filter((c) => c.kind === 'submit')).toHaveLength(4);
  });

  it('order entry down holds every decision, cancel and query (a refusal does not decide again); back up, every symbol decides at once', () => {
    const q = quoting();
    const changes: unknown[] = [];
    q.core.bus.on('venue.streamChanged', (e) => changes.push(e));
    q.clock.advanceTo(T0 + 1_000);
    // The operator pauses: a cancel-all goes out just before the connection drops.
    expect(q.core.setPaused(SYMBOL, true)).toBe(true);
    const cancels = q.core.drainCommands();
    expect(cancels.map((c) => c.kind)).toEqual(['cancel', 'cancel', 'cancel', 'cancel']);
    q.core.onVenueEvent({ kind: 'streamState', stream: 'orderEntry', up: false, tsUs: T0 + 1_000, reason: 'ws-fapi reconnecting: dropped (1006)' });
    expect(changes).toEqual([expect.objectContaining({ stream: 'orderEntry', up: false, symbols: [] })]);
    expect(q.core.drainCommands()).toEqual([]);
    // The first cancel was written and lost with the connection (unknown); the others were refused
    // at once, not sent. With order entry up each refusal would send the cancel again at once.
    const orderOf = (c: VenueCommand) => q.submits.find((s) => c.kind === 'cancel' && s.order.clientOrderId === c.clientOrderId)!.order;
    q.core.onVenueEvent({ kind: 'requestUnknown', symbol: SYMBOL, clientOrderId: orderOf(cancels[0]).clientOrderId, request: 'cancel', cause: 'order.cancel: connection closed (1006) with the request in flight' });
    for (const c of cancels.slice(1)) {
      q.core.onVenueEvent({ kind: 'report', report: q.report(orderOf(c), -1, { execType: 'CANCEL_REJECTED', status: 'NEW', errorCode: 0, errorMessage: 'not sent: ws-fapi not connected (reconnecting)' }) });
      expect(q.core.drainCommands()).toEqual([]);
    }
    // Seconds go by, the market moves, the timers run: no decision, cancel or query, and no timer due now (none spins).
    for (let k = 1; k <= 40; k++) {
      q.clock.advanceTo(T0 + 1_000 + k * 100_000);
      for (const e of q.market.step(q.clock.nowUs())) q.core.onMarketEvent(e);
      q.timers();
      expect(q.core.drainCommands()).toEqual([]);
      expect(q.core.nextTimerUs()).toBeGreaterThan(q.clock.nowUs());
    }
    // Back up: the paused symbol decides at once (cancels what rests), and the unknown cancel is queried.
    q.core.onVenueEvent({ kind: 'streamState', stream: 'orderEntry', up: true, tsUs: q.clock.nowUs(), reason: 'ws-fapi open: connected' });
    expect(changes).toHaveLength(2);
    expect(q.core.drainCommands().map((c) => c.kind)).toEqual(['cancel', 'cancel', 'cancel']);
    q.timers();
    expect(q.core.drainCommands()).toEqual([expect.objectContaining({ kind: 'query', clientOrderId: orderOf(cancels[0]).clientOrderId })]);
  });

  it('routes funding to the ledger as the venue booked it', () => {
    const q = quoting();
    const before = q.core.portfolio.accountSnapshot('USDT').walletBalance;
    q.core.onVenueEvent({ kind: 'funding', settlement: { symbol: SYMBOL, tsUs: T0, markPrice: '60000', rate: '0.0001', positionLots: 0, payment: '-1.25' } });
    expect(Number(q.core.portfolio.accountSnapshot('USDT').walletBalance) - Number(before)).toBeCloseTo(-1.25, 12);
    expect(q.core.counters.fundings).toBe(1);
  });

  it('books a liquidation (CALCULATED fill of an autoclose- order it never placed) in the ledger and the OMS, exactly and once', () => {
    const q = quoting();
    const buy = q.submits.find((c) => c.order.side === 'buy')!;
    const id = q.submits.indexOf(buy) + 1;
    const lots = buy.order.qtyLots;
    q.core.onVenueEvent({ kind: 'report', report: q.report(buy.order, id, { execType: 'TRADE', status: 'FILLED', cumFilledLots: lots, lastFillLots: lots, lastFillPriceTicks: buy.order.priceTicks, tradeId: 7, liquidity: 'maker', commission: '0.01' }) });
    expect(q.core.portfolio.positionLots(SYMBOL)).toBe(lots);
    const seen: unknown[] = [];
    q.core.bus.on('position.liquidated', (e) => seen.push(e));
    const anomalies: unknown[] = [];
    q.core.bus.on('order.anomaly', (e) => anomalies.push(e));
    const liq: ExecutionReport = {
      symbol: SYMBOL, clientOrderId: 'autoclose-99', orderId: 99, execType: 'CALCULATED', status: 'FILLED', side: 'sell', priceTicks: buy.order.priceTicks - 1000, origQtyLots: lots,
      cumFilledLots: lots, lastFillLots: lots, lastFillPriceTicks: buy.order.priceTicks - 1000, tradeId: 8, liquidity: 'taker', commission: '0.5', errorCode: 0, errorMessage: '', reduceOnly: true,
      tsExchangeUs: q.clock.nowUs(), insuranceClearance: '1.25',
    };
    q.core.onVenueEvent({ kind: 'report', report: liq });
    q.core.onVenueEvent({ kind: 'report', report: liq }); // a duplicate is booked once
    expect(q.core.portfolio.positionLots(SYMBOL)).toBe(0);
    expect(q.core.oms.positionLots(SYMBOL)).toBe(0);
    expect(anomalies).toEqual([]);
    expect(seen).toEqual([{ symbol: SYMBOL, tsUs: liq.tsExchangeUs, clientOrderId: 'autoclose-99', side: 'sell', qtyLots: lots, priceTicks: liq.lastFillPriceTicks, commission: '0.5', insuranceClearance: '1.25', positionLots: 0 }]);
    // Bought and sold `lots` lots 1000 ticks (100 USDT per unit) apart: −lots × 0.001 × 100, fees 0.01 + 0.5 + 1.25.
    const wallet = q.core.portfolio.accountSnapshot('USDT').walletBalance;
    const expected = 100000 * 1000 - lots * 100 - 1760; // in thousandths
    expect(wallet).toBe(`${Math.floor(expected / 1000)}.${String(expected % 1000).padStart(3, '0')}`.replace(/\.?0+$/, ''));
  });

  it('accepts() is pure and agrees with what onMarketEvent ignores', () => {
    const { core } = quoting();
    const counters = { ...core.counters };
    expect(core.accepts('bookTicker', SYMBOL)).toBe(true); // auto, depth seen: fused (laid over the depth book)
    expect(core.accepts('depth', SYMBOL)).toBe(true);
    expect(core.accepts('trade', SYMBOL)).toBe(true);
    expect(core.accepts('bookTicker', 'ETHUSDT')).toBe(true); // not ours: delivered, counted as ignored
    expect(core.counters).toEqual(counters);
    const depth = new TradingCore({ clock: new SimClock(T0), instruments: [INSTRUMENT], config: { ...FIXED_CONFIG, decision: { bookSource: 'depth' } }, initialBalance: [] });
    expect(depth.accepts('bookTicker', SYMBOL)).toBe(false);
    depth.onMarketEvent({ type: 'bookTicker', symbol: SYMBOL, tsExchangeUs: T0, tsReceiveUs: T0, tsTransactUs: T0, updateId: -1, bidTicks: 1, bidLots: 1, askTicks: 2, askLots: 1 });
    expect(depth.counters.bookUpdates).toBe(0);
    const tob = new TradingCore({ clock: new SimClock(T0), instruments: [INSTRUMENT], config: { ...FIXED_CONFIG, decision: { bookSource: 'bookTicker' } }, initialBalance: [] });
    expect(tob.accepts('depth', SYMBOL)).toBe(false);
    expect(tob.accepts('snapshot', SYMBOL)).toBe(false);
    expect(tob.accepts('bookTicker', SYMBOL)).toBe(true);
  });
});
