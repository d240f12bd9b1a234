// planReconcile (index flags, sorts skipped on ordered input) must plan exactly what the original
// Set/filter/sort formulation planned, for any orders and quotes: unsorted, duplicated quote
// objects, in-flight and reduce-only orders, more orders than the scratch flags first hold.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Side } from '../../src/model/events.ts';
import type { Quote } from '../../src/model/trading.ts';
import { isActionable, isInFlight, isTerminal, ORDER_STATES, planReconcile, qtyWithinTolerance, targetOf } from '../../src/oms/index.ts';
import type { ReconcileConfig, ReconcilePlan, TrackedOrder } from '../../src/oms/index.ts';

/** The reconciler as first written (commit 0ac05fb), kept verbatim as the reference. */
function referencePlan(orders: readonly TrackedOrder[], quotes: readonly Quote[], cancelAll: boolean, nowUs: number, cfg: ReconcileConfig): ReconcilePlan {
  const plan: ReconcilePlan = { cancels: [], modifies: [], replaces: [], news: [], kept: [], occupied: [] };
  const live = orders.filter((o) => !isTerminal(o.state)).sort((a, b) => a.seq - b.seq);
  if (cancelAll) {
    for (const o of live) if (isActionable(o)) plan.cancels.push({ order: o, reason: 'cancel-all' });
    return plan;
  }
  const candidates: TrackedOrder[] = [];
  for (const o of live) {
    if (o.reduceOnly || o.state === 'pending-cancel') continue;
    if (isActionable(o) && cfg.orderTtlUs > 0 && nowUs - o.placedUs >= cfg.orderTtlUs) {
      plan.cancels.push({ order: o, reason: 'ttl' });
      continue;
    }
    candidates.push(o);
  }
  const wanted = quotes
    .map((q, i) => ({ q, i }))
    .filter(({ q }) => q.qtyLots > 0)
    .sort((a, b) => a.q.level - b.q.level || a.i - b.i)
    .map(({ q }) => q);
  const leftovers: TrackedOrder[] = [];
  for (const side of ['buy', 'sell'] as Side[]) {
    referenceMatchSide(
      candidates.filter((o) => o.side === side),
      wanted.filter((q) => q.side === side),
      cfg,
      plan,
      leftovers,
    );
  }
  for (const o of leftovers) plan.cancels.push({ order: o, reason: 'unwanted' });
  plan.news.sort((a, b) => a.level - b.level || (a.side === b.side ? 0 : a.side === 'buy' ? -1 : 1));
  return plan;
}

function referenceMatchSide(orders: TrackedOrder[], quotes: Quote[], cfg: ReconcileConfig, plan: ReconcilePlan, leftovers: TrackedOrder[]): void {
  const usedOrders = new Set<TrackedOrder>();
  const usedQuotes = new Set<Quote>();
  for (const q of quotes) {
    const o = orders.find((c) => {
      if (usedOrders.has(c)) return false;
      const t = targetOf(c);
      return t.priceTicks === q.priceTicks && qtyWithinTolerance(t.remainingLots, q.qtyLots, cfg.qtyTolerance);
    });
    if (o) {
      usedOrders.add(o);
      usedQuotes.add(q);
      plan.kept.push({ order: o, quote: q });
    }
  }
  for (const o of orders) {
    if (usedOrders.has(o) || !isInFlight(o)) continue;
    usedOrders.add(o);
    let q: Quote | null = null;
    for (const c of quotes) {
      if (usedQuotes.has(c)) continue;
      if (q === null || Math.abs(c.priceTicks - targetOf(o).priceTicks) < Math.abs(q.priceTicks - targetOf(o).priceTicks)) q = c;
    }
    if (q) usedQuotes.add(q);
    plan.occupied.push({ order: o, quote: q });
  }
  for (const q of quotes) {
    if (usedQuotes.has(q)) continue;
    let best: TrackedOrder | null = null;
    for (const o of orders) {
      if (usedOrders.has(o)) continue;
      if (best === null || Math.abs(o.priceTicks - q.priceTicks) < Math.abs(best.priceTicks - q.priceTicks)) best = o;
    }
    usedQuotes.add(q);
    if (best === null) {
      plan.news.push(q);
      continue;
    }
    usedOrders.add(best);
    if (cfg.modifyMode === 'amend') plan.modifies.push({ order: best, quote: q });
    else plan.replaces.push({ order: best, quote: q });
  }
  for (const o of orders) if (!usedOrders.has(o)) leftovers.push(o);
}

const side = fc.constantFrom<Side>('buy', 'sell');

const orderArb = fc.record({
  side,
  state: fc.constantFrom(...ORDER_STATES),
  unknown: fc.boolean(),
  reduceOnly: fc.boolean(),
  priceTicks: fc.integer({ min: 95, max: 105 }),
  qtyLots: fc.integer({ min: 1, max: 5 }),
  filled: fc.integer({ min: 0, max: 5 }),
  target: fc.option(fc.record({ priceTicks: fc.integer({ min: 95, max: 105 }), qtyLots: fc.integer({ min: 1, max: 6 }) })),
  placedUs: fc.integer({ min: 0, max: 1_000 }),
});

const quoteArb = fc.record({ side, priceTicks: fc.integer({ min: 95, max: 105 }), qtyLots: fc.integer({ min: -1, max: 5 }), level: fc.integer({ min: 0, max: 3 }) });

const scenario = fc.record({
  orders: fc.array(orderArb, { maxLength: 40 }),
  seqOrder: fc.array(fc.nat(), { maxLength: 40 }),
  quotes: fc.array(quoteArb, { maxLength: 20 }),
  /** Indexes of quotes listed a second time (the same object). */
  repeats: fc.array(fc.nat(), { maxLength: 4 }),
  cancelAll: fc.boolean(),
  cfg: fc.record({
    modifyMode: fc.constantFrom<ReconcileConfig['modifyMode']>('amend', 'cancel-replace'),
    qtyTolerance: fc.constantFrom(0, 0.5),
    orderTtlUs: fc.constantFrom(0, 500),
  }),
});

type OrderSpec = typeof orderArb extends fc.Arbitrary<infer T> ? T : never;

function build(s: OrderSpec[], seqOrder: number[]): TrackedOrder[] {
  // Sequence numbers are a permutation mixed by `seqOrder`, so inputs come unsorted too.
  const seqs = s.map((_, i) => i).sort((a, b) => (seqOrder[a] ?? a) - (seqOrder[b] ?? b) || a - b);
  return s.map((o, i) => ({
    symbol: 'BTCUSDT',
    clientOrderId: `o${i}`,
    seq: seqs[i],
    side: o.side,
    type: 'LIMIT',
    timeInForce: 'GTX',
    reduceOnly: o.reduceOnly,
    orderId: i,
    state: o.state,
    priceTicks: o.priceTicks,
    qtyLots: o.qtyLots,
    filledLots: Math.min(o.filled, o.qtyLots),
    unknown: o.unknown,
    requestSentUs: 0,
    placedUs: o.placedUs,
    createdUs: 0,
    lastQueryUs: Number.NEGATIVE_INFINITY,
    modifyTarget: o.target,
    seenTrades: new Set(),
    seenStatus: new Map(),
    endedUs: 0,
  }));
}

/** A plan as ids: orders by client id, quotes by their first index in the input (identity). */
function shape(plan: ReconcilePlan, quotes: readonly Quote[]) {
  const q = (x: Quote | null) => (x === null ? null : quotes.indexOf(x));
  return {
    cancels: plan.cancels.map((c) => [c.order.clientOrderId, c.reason]),
    modifies: plan.modifies.map((m) => [m.order.clientOrderId, q(m.quote)]),
    replaces: plan.replaces.map((m) => [m.order.clientOrderId, q(m.quote)]),
    news: plan.news.map(q),
    kept: plan.kept.map((m) => [m.order.clientOrderId, q(m.quote)]),
    occupied: plan.occupied.map((m) => [m.order.clientOrderId, q(m.quote)]),
  };
}

describe('planReconcile = the reference formulation', () => {
  it('plans the same actions for any orders and quotes', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const orders = build(s.orders, s.seqOrder);
        const quotes: Quote[] = s.quotes.map((q) => ({ ...q }));
        for (const r of s.repeats) if (quotes.length > 0) quotes.push(quotes[r % quotes.length]);
        const got = planReconcile(orders, quotes, s.cancelAll, 1_000, s.cfg);
        const want = referencePlan(orders, quotes, s.cancelAll, 1_000, s.cfg);
        expect(shape(got, quotes)).toEqual(shape(want, quotes));
      }),
      { numRuns: 1500 },
    );
  });

  it('a quote object listed twice is used once everywhere (identity, as the Set formulation had it)', () => {
    const [o] = build([{ side: 'buy', state: 'pending-new', unknown: false, reduceOnly: false, priceTicks: 100, qtyLots: 2, filled: 0, target: null, placedUs: 0 }], []);
    const q: Quote = { side: 'buy', priceTicks: 100, qtyLots: 2, level: 0 };
    const plan = planReconcile([o], [q, q], false, 0, { modifyMode: 'amend', qtyTolerance: 0, orderTtlUs: 0 });
    expect(plan.kept).toHaveLength(1);
    expect(plan.news).toEqual([]); // the second listing is the same, already covered quote
  });

  it('targetOf reads an outstanding modify target, else the order itself', () => {
    const [o] = build([{ side: 'sell', state: 'pending-modify', unknown: false, reduceOnly: false, priceTicks: 100, qtyLots: 4, filled: 1, target: { priceTicks: 102, qtyLots: 6 }, placedUs: 0 }], []);
    expect(targetOf(o)).toEqual({ priceTicks: 102, remainingLots: 5 });
    expect(targetOf({ ...o, state: 'open' })).toEqual({ priceTicks: 100, remainingLots: 3 });
  });
});
