// Reconcile: fewest actions, in-flight orders untouched, TTL, cancelAll, flatten, budgets.
import { describe, expect, it } from 'vitest';
import { SimClock } from '../../src/core/index.ts';
import { InvariantError } from '../../src/core/errors.ts';
import { TokenBucket, qtyWithinTolerance } from '../../src/oms/index.ts';
import { ask, bid, makeOms } from './setup.ts';

function kinds(cmds: { kind: string }[]): string[] {
  return cmds.map((c) => c.kind);
}

describe('reconcile', () => {
  it('places new quotes nearest the touch first, alternating sides by level', () => {
    const t = makeOms();
    const cmds = t.decide([bid(99, 1, 1), ask(102, 1, 1), bid(100, 2, 0), ask(101, 2, 0)]);
    expect(cmds.map((c) => (c.kind === 'submit' ? [c.order.side, c.order.priceTicks, c.order.qtyLots, c.order.timeInForce, c.order.type] : null))).toEqual([
      ['buy', 100, 2, 'GTX', 'LIMIT'],
      ['sell', 101, 2, 'GTX', 'LIMIT'],
      ['buy', 99, 1, 'GTX', 'LIMIT'],
      ['sell', 102, 1, 'GTX', 'LIMIT'],
    ]);
    expect(t.events['order.created']).toHaveLength(4);
  });

  it('keeps matching orders (no action), within the quantity tolerance', () => {
    const t = makeOms({ qtyTolerance: 0.2 });
    const id = t.place(100, 10);
    t.ack(id);
    expect(t.decide([bid(100, 10)])).toEqual([]);
    expect(t.decide([bid(100, 12)])).toEqual([]); // |10-12| ≤ floor(12×0.2)=2
    expect(kinds(t.decide([bid(100, 13)]))).toEqual(['modify']);
    expect(qtyWithinTolerance(8, 10, 0.2)).toBe(true);
    expect(qtyWithinTolerance(7, 10, 0.2)).toBe(false);
  });

  it('keeps partially filled orders by their remaining quantity', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    t.trade(id, 4);
    expect(t.decide([bid(100, 6)])).toEqual([]);
  });

  it('amend mode moves an order with one modify; cancel-replace mode with a cancel and a new order', () => {
    const a = makeOms({ modifyMode: 'amend' });
    const ida = a.place(100, 10);
    a.ack(ida);
    expect(kinds(a.decide([bid(98, 10)]))).toEqual(['modify']);
    expect(a.oms.order(ida)?.state).toBe('pending-modify');

    const r = makeOms({ modifyMode: 'cancel-replace' });
    const idr = r.place(100, 10);
    r.ack(idr);
    const cmds = r.decide([bid(98, 10)]);
    expect(kinds(cmds)).toEqual(['cancel', 'submit']);
    expect(cmds[0]).toMatchObject({ clientOrderId: idr });
    expect(cmds[1].kind === 'submit' && cmds[1].order.priceTicks).toBe(98);
  });

  it('pairs each quote with the nearest order, cancels the rest', () => {
    const u = makeOms();
    const cmds0 = u.decide([bid(100, 1, 0), bid(95, 1, 1), bid(90, 1, 2)]);
    const [o100, o95, o90] = cmds0.map((c) => (c.kind === 'submit' ? c.order.clientOrderId : ''));
    for (const id of [o100, o95, o90]) u.ack(id);
    const cmds = u.decide([bid(96, 1, 0)]);
    expect(cmds).toEqual([
      { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: o100 },
      { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: o90 },
      { kind: 'modify', symbol: 'BTCUSDT', clientOrderId: o95, side: 'buy', priceTicks: 96, qtyLots: 1 },
    ]);
  });

  it('in-flight orders are not acted upon and occupy a quote instead of being duplicated', () => {
    const t = makeOms();
    const id = t.place(100, 10); // pending-new
    expect(t.decide([bid(101, 10)])).toEqual([]); // occupies the moved quote
    expect(t.decide([])).toEqual([]); // cannot cancel before the ack
    expect(kinds(t.decide([bid(101, 10), bid(99, 10, 1)]))).toEqual(['submit']); // only the second level is new
    t.ack(id);
    expect(kinds(t.decide([bid(101, 10), bid(99, 10, 1)]))).toEqual(['modify']);
  });

  it('an in-flight order with no quote left for it is left alone (not cancelled, not duplicated)', () => {
    const t = makeOms();
    const cmds = t.decide([bid(100, 1, 0), bid(99, 1, 1)]);
    expect(cmds).toHaveLength(2);
    expect(t.decide([bid(100, 1)])).toEqual([]);
    expect(t.oms.openOrders().size).toBe(2);
  });

  it('orders being cancelled cover nothing: the quote is placed anew', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    t.decide([]);
    const cmds = t.decide([bid(100, 10)]);
    expect(kinds(cmds)).toEqual(['submit']);
  });

  it('cancels orders past their time-to-live, and only those', () => {
    const t = makeOms({ orderTtlUs: 5_000_000 });
    const a = t.place(100, 10);
    t.ack(a);
    t.advance(4_000_000);
    expect(t.decide([bid(100, 10)])).toEqual([]);
    t.advance(1_000_000);
    expect(t.decide([bid(100, 10)])).toEqual([
      { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: a },
      expect.objectContaining({ kind: 'submit' }),
    ]);
  });

  it('a modify restarts the time-to-live', () => {
    const t = makeOms({ orderTtlUs: 5_000_000 });
    const a = t.place(100, 10);
    t.ack(a);
    t.advance(4_000_000);
    t.decide([bid(101, 10)]);
    t.report(a, { execType: 'AMENDMENT', priceTicks: 101 });
    t.advance(4_000_000);
    expect(t.decide([bid(101, 10)])).toEqual([]);
  });

  it('cancelAll cancels every actionable order and places nothing', () => {
    const t = makeOms();
    const cmds0 = t.decide([bid(100, 1), ask(101, 1)]);
    const [b, s] = cmds0.map((c) => (c.kind === 'submit' ? c.order.clientOrderId : ''));
    t.ack(b);
    expect(t.decide([], { cancelAll: true })).toEqual([{ kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: b }]);
    t.ack(s);
    expect(t.decide([bid(100, 1)], { cancelAll: true })).toEqual([{ kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: s }]);
  });

  it('ignores quotes trimmed to zero and rejects malformed quotes', () => {
    const t = makeOms();
    expect(t.decide([bid(100, 0)])).toEqual([]);
    expect(() => t.decide([bid(100.5, 1)])).toThrow(InvariantError);
    expect(() => t.decide([bid(0, 1)])).toThrow(InvariantError);
  });

  it('only touches the intent symbol', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    expect(t.oms.decide({ symbol: 'ETHUSDT', tsUs: 0, quotes: [], cancelAll: true, flatten: false, reason: '' })).toEqual([]);
    expect(t.oms.openOrders('ETHUSDT').size).toBe(0);
    expect(t.oms.openOrders('BTCUSDT').size).toBe(1);
  });
});

describe('flatten', () => {
  it('sends one reduce-only MARKET order for the whole position, not again while it is live', () => {
    const t = makeOms({}, { BTCUSDT: 7 });
    const cmds = t.decide([], { flatten: true });
    expect(cmds).toEqual([
      { kind: 'submit', order: expect.objectContaining({ side: 'sell', type: 'MARKET', qtyLots: 7, reduceOnly: true, timeInForce: 'IOC', priceTicks: 0 }) },
    ]);
    expect(t.decide([], { flatten: true })).toEqual([]);
    const id = cmds[0].kind === 'submit' ? cmds[0].order.clientOrderId : '';
    t.report(id, { execType: 'TRADE', status: 'FILLED', side: 'sell', cumFilledLots: 7, lastFillLots: 7, lastFillPriceTicks: 99, tradeId: 1, liquidity: 'taker' });
    expect(t.oms.positionLots('BTCUSDT')).toBe(0);
    expect(t.decide([], { flatten: true })).toEqual([]);
  });

  it('uses an IOC limit when configured and given a price, the caller position when given, and buys back a short', () => {
    const t = makeOms({ flattenOrderType: 'IOC' });
    expect(t.decide([], { flatten: true }, { positionLots: -3, flattenPriceTicks: 105 })).toEqual([
      { kind: 'submit', order: expect.objectContaining({ side: 'buy', type: 'LIMIT', timeInForce: 'IOC', priceTicks: 105, qtyLots: 3, reduceOnly: true }) },
    ]);
    const u = makeOms({ flattenOrderType: 'IOC' });
    expect(u.decide([], { flatten: true }, { positionLots: 2 })[0]).toMatchObject({ order: { type: 'MARKET', side: 'sell' } });
  });

  it('flatten orders are never matched to quotes, and cancels go first', () => {
    const t = makeOms({}, { BTCUSDT: 2 });
    const q = t.place(100, 1);
    t.ack(q);
    const cmds = t.decide([ask(101, 1)], { flatten: true, cancelAll: true });
    expect(kinds(cmds)).toEqual(['cancel', 'submit']);
    expect(cmds[1]).toMatchObject({ order: { reduceOnly: true } });
  });
});

describe('rate budget', () => {
  it('maxCommands caps a decision in priority order: cancels, modifies, then new orders', () => {
    const t = makeOms();
    const cmds0 = t.decide([bid(100, 1, 0), bid(99, 1, 1)]);
    for (const c of cmds0) if (c.kind === 'submit') t.ack(c.order.clientOrderId);
    // The 98 quote takes the nearest order (99, modify), the 100 order is unwanted (cancel), the ask is new.
    const cmds = t.decide([bid(98, 1, 0), ask(105, 1, 0)], {}, { maxCommands: 2 });
    expect(kinds(cmds)).toEqual(['cancel', 'modify']);
    const next = t.decide([bid(98, 1, 0), ask(105, 1, 0)], {}, { maxCommands: 2 });
    expect(kinds(next)).toEqual(['submit']);
  });

  it('cancel-replace under a budget of one sends the cancel first', () => {
    const t = makeOms({ modifyMode: 'cancel-replace' });
    const id = t.place(100, 1);
    t.ack(id);
    expect(kinds(t.decide([bid(99, 1)], {}, { maxCommands: 1 }))).toEqual(['cancel']);
    expect(kinds(t.decide([bid(99, 1)], {}, { maxCommands: 1 }))).toEqual(['submit']);
  });

  it('a kind-aware budget may refuse submits and still let cancels through', () => {
    const t = makeOms({ modifyMode: 'cancel-replace' });
    const id = t.place(100, 1);
    t.ack(id);
    const noOrders = { tryTake: (k: string) => k === 'cancel' };
    expect(kinds(t.decide([bid(99, 1), ask(101, 1)], {}, { budget: noOrders }))).toEqual(['cancel']);
    const nothing = { tryTake: () => false };
    expect(t.decide([bid(99, 1)], {}, { budget: nothing })).toEqual([]);
  });

  it('TokenBucket refills with the clock and can leave cancels free', () => {
    // Start away from 0 and refill at 4/s: (now − last) × rate is then the only formula giving these numbers.
    const clock = new SimClock(3_000_000);
    const b = new TokenBucket(clock, 2, 4, { cancelsFree: true });
    expect([b.tryTake('submit'), b.tryTake('modify'), b.tryTake('submit')]).toEqual([true, true, false]);
    expect(b.tryTake('cancel')).toBe(true);
    clock.advanceTo(3_125_000);
    expect(b.available()).toBeCloseTo(0.5, 9);
    expect(b.tryTake('submit')).toBe(false);
    clock.advanceTo(3_250_000);
    expect(b.available()).toBeCloseTo(1, 9);
    expect(b.tryTake('submit')).toBe(true);
    clock.advanceTo(13_000_000);
    expect(b.available()).toBe(2);
    const strict = new TokenBucket(clock, 1, 0);
    expect([strict.tryTake('cancel'), strict.tryTake('cancel')]).toEqual([true, false]);
    expect(() => new TokenBucket(clock, 0, 1)).toThrow(RangeError);
  });
});

describe('reconcile: boundaries and orderings', () => {
  it('an order exactly orderTtlUs old is past its time to live', () => {
    const t = makeOms({ orderTtlUs: 1_000_000 });
    const id = t.place(100, 10);
    t.ack(id);
    const placed = t.oms.order(id)!.placedUs;
    t.clock.advanceTo(placed + 999_999);
    expect(t.decide([bid(100, 10)])).toEqual([]);
    t.clock.advanceTo(placed + 1_000_000);
    expect(t.decide([bid(100, 10)]).map((c) => c.kind)).toEqual(['cancel', 'submit']);
  });

  it('new orders go nearest level first, the bid before the ask of a level, ties in input order', () => {
    const t = makeOms();
    const cmds = t.decide([ask(103, 1, 2), bid(97, 1, 2), ask(102, 1, 1), bid(98, 1, 1), bid(99, 1, 0), bid(96, 2, 0), ask(101, 1, 0)]);
    expect(cmds.map((c) => (c.kind === 'submit' ? `${c.order.side} ${c.order.priceTicks}` : c.kind))).toEqual([
      'buy 99',
      'buy 96',
      'sell 101',
      'buy 98',
      'sell 102',
      'buy 97',
      'sell 103',
    ]);
  });

  it('many orders per side (more than the scratch space starts with) are matched one to one', () => {
    const t = makeOms();
    const n = 40;
    const quotes = Array.from({ length: n }, (_, i) => bid(1000 - i, 1, i));
    const placed = t.decide(quotes);
    expect(placed).toHaveLength(n);
    for (const c of placed) if (c.kind === 'submit') t.ack(c.order.clientOrderId);
    expect(t.decide(quotes)).toEqual([]);
    const asks = Array.from({ length: n }, (_, i) => ask(2000 + i, 1, i));
    const both = t.decide([...quotes, ...asks]);
    expect(both.map((c) => c.kind)).toEqual(Array(n).fill('submit'));
    for (const c of both) if (c.kind === 'submit') t.ack(c.order.clientOrderId);
    expect(t.decide([...quotes, ...asks])).toEqual([]);
    // Half the bids withdrawn: exactly the unwanted half is cancelled, the rest kept.
    const cancels = t.decide([...quotes.slice(0, n / 2), ...asks]);
    expect(cancels.map((c) => c.kind)).toEqual(Array(n / 2).fill('cancel'));
    expect(new Set(cancels.map((c) => (c.kind === 'cancel' ? t.oms.order(c.clientOrderId)!.priceTicks : 0)))).toEqual(new Set(quotes.slice(n / 2).map((q) => q.priceTicks)));
  });

  it('a quote at equal distance from two resting orders moves the older one', () => {
    const t = makeOms();
    const cmds = t.decide([bid(99, 1, 0), bid(101, 1, 1)]);
    const ids = cmds.map((c) => (c.kind === 'submit' ? c.order.clientOrderId : ''));
    for (const id of ids) t.ack(id);
    expect(t.decide([bid(100, 1)]).map((c) => [c.kind, c.kind === 'submit' ? '' : c.clientOrderId])).toEqual([
      ['cancel', ids[1]],
      ['modify', ids[0]],
    ]);
  });
});

describe('TokenBucket edges', () => {
  it('refuses a negative refill, saying what it needs', () => {
    const clock = new SimClock(0);
    expect(() => new TokenBucket(clock, 1, -1)).toThrow(new RangeError('TokenBucket needs capacity > 0 and refillPerSecond ≥ 0'));
    expect(() => new TokenBucket(clock, 0, 1)).toThrow(new RangeError('TokenBucket needs capacity > 0 and refillPerSecond ≥ 0'));
  });

  it('a clock stepping back neither takes tokens away nor delays the refill', () => {
    const clock = { t: 5_000_000, nowUs() { return this.t; } };
    const b = new TokenBucket(clock, 4, 2);
    expect([b.tryTake('submit'), b.tryTake('submit')]).toEqual([true, true]);
    clock.t = 4_000_000;
    expect(b.available()).toBe(2);
    clock.t = 5_500_000;
    expect(b.available()).toBe(3);
  });
});
