// Invariants of the simulated exchange under random market events and random commands:
// filled ≤ order quantity and monotone, no fill price better than the limit, maker fills at the
// order's own price, GTX never takes, the sum of fills equals the exchange's position, a resting
// order fills only when something allows it (a print at or through its price on its side, or, with
// crossing fills, a book change bringing the opposite side onto it), and the same inputs give the
// same reports (determinism).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/model/events.ts';
import type { ExecutionReport, VenueCommand, TimeInForce } from '../../src/model/venue.ts';
import type { QueueModelConfig } from '../../src/sim-exchange/index.ts';
import { ASK, BID, cancel, diff, exchange, mark, modify, order, standardBook, trade } from './helpers.ts';

type Step = { kind: 'market'; e: MarketEvent } | { kind: 'command'; c: VenueCommand };

const ids = ['a', 'b', 'c', 'd', 'e'];
const mid = (BID + ASK) / 2;
const price = fc.integer({ min: BID - 6, max: ASK + 6 });
const side = fc.constantFrom<'buy' | 'sell'>('buy', 'sell');

/** One step; market events get their timestamp (10 + index) when the scenario is built. */
function step(ts = 0): fc.Arbitrary<Step> {
  return fc.oneof(
    fc.record({ p: price, q: fc.integer({ min: 0, max: 20 }) }).map(({ p, q }) => ({ kind: 'market' as const, e: p < mid ? diff(ts, [[p, q]], []) : diff(ts, [], [[p, q]]) })),
    // A level on either side at any price, through the mid too: brings the opposite side onto resting orders (crossing fills).
    fc.record({ p: price, q: fc.integer({ min: 1, max: 20 }), bid: fc.boolean() }).map(({ p, q, bid }) => ({ kind: 'market' as const, e: bid ? diff(ts, [[p, q]], []) : diff(ts, [], [[p, q]]) })),
    fc.record({ p: price, q: fc.integer({ min: 1, max: 25 }), s: side }).map(({ p, q, s }) => ({ kind: 'market' as const, e: trade(ts, p, q, s) })),
    fc.record({ id: fc.constantFrom(...ids), s: side, p: price, q: fc.integer({ min: 1, max: 30 }), tif: fc.constantFrom<TimeInForce>('GTC', 'GTX', 'IOC', 'FOK'), market: fc.boolean(), ro: fc.integer({ min: 0, max: 4 }).map((x) => x === 0) })
      .map(({ id, s, p, q, tif, market, ro }) => ({ kind: 'command' as const, c: order(id, s, p, q, { timeInForce: tif, type: market && tif === 'IOC' ? 'MARKET' : 'LIMIT', reduceOnly: ro }) })),
    fc.constantFrom(...ids).map((id) => ({ kind: 'command' as const, c: cancel(id) })),
    fc.record({ id: fc.constantFrom(...ids), s: side, p: price, q: fc.integer({ min: 1, max: 30 }) }).map(({ id, s, p, q }) => ({ kind: 'command' as const, c: modify(id, s, p, q) })),
  );
}

const scenario = fc.record({
  steps: fc
    .array(step(), { minLength: 1, maxLength: 120, size: 'large' })
    .map((xs) => xs.map((s, i): Step => (s.kind === 'market' ? { kind: 'market', e: { ...s.e, tsExchangeUs: 10 + i, tsReceiveUs: 10 + i, ...(s.e.type === 'trade' || s.e.type === 'aggTrade' || s.e.type === 'bookTicker' ? { tsTransactUs: 10 + i } : {}) } } : s))),
  queueModel: fc.constantFrom<QueueModelConfig>({ model: 'risk-averse' }, { model: 'prob-power', variant: 1 }, { model: 'prob-log', variant: 2 }, { model: 'prob-power', variant: 3, power: 3 }),
  crossingFills: fc.boolean(),
});

function run(steps: Step[], queueModel: QueueModelConfig, crossingFills: boolean) {
  const ex = exchange({ queueModel, crossingFills });
  ex.onMarketEvent(standardBook(1));
  ex.onMarketEvent(mark(2, '60000', '0.0001', 5));
  const reports: ExecutionReport[] = [];
  /** The reports each step caused, by step index. */
  const byStep: ExecutionReport[][] = [];
  /** Time in force of each accepted order, by exchange order id (client ids are reused). */
  const tifOf = new Map<number, TimeInForce>();
  steps.forEach((s, i) => {
    if (s.kind === 'market') ex.onMarketEvent(s.e);
    else ex.onCommand(s.c, 10 + i);
    const rs = ex.drainReports();
    if (s.kind === 'command' && s.c.kind === 'submit') {
      const ack = rs.find((r) => r.execType === 'NEW');
      if (ack) tifOf.set(ack.orderId, s.c.order.timeInForce);
    }
    reports.push(...rs);
    byStep.push(rs);
  });
  return { ex, reports, byStep, tifOf, funding: ex.drainFunding() };
}

describe('SimExchange invariants', () => {
  it('holds every fill invariant on random streams', () => {
    const seen = { maker: 0, taker: 0, gtxRejects: 0 };
    const causes = { print: 0, crossing: 0 };
    fc.assert(
      fc.property(scenario, ({ steps, queueModel, crossingFills }) => {
        const { ex, reports, byStep, tifOf } = run(steps, queueModel, crossingFills);
        const cum = new Map<number, number>();
        let position = 0;
        for (const r of reports) {
          if (r.errorCode === -5022) seen.gtxRejects++;
          if (r.orderId === -1) continue;
          const before = cum.get(r.orderId) ?? 0;
          expect(r.cumFilledLots).toBeGreaterThanOrEqual(before);
          expect(r.cumFilledLots).toBeLessThanOrEqual(r.origQtyLots);
          if (r.execType === 'TRADE') {
            expect(r.lastFillLots).toBeGreaterThan(0);
            expect(r.cumFilledLots).toBe(before + r.lastFillLots);
            expect(r.status).toBe(r.cumFilledLots === r.origQtyLots ? 'FILLED' : 'PARTIALLY_FILLED');
            if (r.priceTicks > 0) {
              // A LIMIT order: never a price worse for us than the limit; maker fills at the limit exactly.
              if (r.side === 'buy') expect(r.lastFillPriceTicks).toBeLessThanOrEqual(r.priceTicks);
              else expect(r.lastFillPriceTicks).toBeGreaterThanOrEqual(r.priceTicks);
              if (r.liquidity === 'maker') expect(r.lastFillPriceTicks).toBe(r.priceTicks);
            }
            if (tifOf.get(r.orderId) === 'GTX') expect(r.liquidity).toBe('maker');
            position += r.side === 'buy' ? r.lastFillLots : -r.lastFillLots;
            seen[r.liquidity ?? 'maker']++;
          } else {
            expect(r.lastFillLots).toBe(0);
          }
          cum.set(r.orderId, r.cumFilledLots);
        }
        expect(ex.positionLots('BTCUSDT')).toBe(position);
        // When a maker fill may happen: only in the step of a print that reaches the order, or of a
        // depth change putting an opposite level at or through it (crossing fills on).
        byStep.forEach((rs, i) => {
          const st = steps[i];
          for (const r of rs) {
            if (r.execType !== 'TRADE' || r.liquidity !== 'maker') continue;
            const isBuy = r.side === 'buy';
            expect(st.kind, `maker fill of ${r.clientOrderId} on a command step`).toBe('market');
            if (st.kind !== 'market') continue;
            const e = st.e;
            if (e.type === 'trade') {
              // A taker selling hits bids (our buys) at or below their price; a taker buying, our sells at or above.
              expect(e.buyerIsMaker).toBe(isBuy);
              if (isBuy) expect(e.priceTicks).toBeLessThanOrEqual(r.priceTicks);
              else expect(e.priceTicks).toBeGreaterThanOrEqual(r.priceTicks);
              causes.print++;
            } else if (e.type === 'depth') {
              expect(crossingFills).toBe(true);
              const opposite = isBuy ? e.askTicks.map((t, k) => [t, e.askLots[k]]) : e.bidTicks.map((t, k) => [t, e.bidLots[k]]);
              expect(opposite.some(([t, q]) => q > 0 && (isBuy ? t <= r.priceTicks : t >= r.priceTicks))).toBe(true);
              causes.crossing++;
            } else expect.unreachable(`maker fill on a ${e.type} event`);
          }
        });
        for (const o of ex.openOrders('BTCUSDT')) {
          expect(o.filledLots).toBeLessThan(o.origQtyLots);
          expect(o.queueAheadLots).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 300 },
    );
    // The generator must exercise the rules it checks.
    expect(seen.maker).toBeGreaterThan(50);
    expect(seen.taker).toBeGreaterThan(50);
    expect(seen.gtxRejects).toBeGreaterThan(10);
    expect(causes.print).toBeGreaterThan(20);
    expect(causes.crossing).toBeGreaterThan(10);
  });

  it('is deterministic: the same inputs give the same reports and settlements', () => {
    fc.assert(
      fc.property(scenario, ({ steps, queueModel, crossingFills }) => {
        const a = run(steps, queueModel, crossingFills);
        const b = run(steps, queueModel, crossingFills);
        expect(b.reports).toEqual(a.reports);
        expect(b.funding).toEqual(a.funding);
      }),
      { numRuns: 100 },
    );
  });
});
