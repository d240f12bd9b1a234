// How the OMS reads what the exchange says: fill prices, request refusals, unknown outcomes, query
// answers. Each case pins a behaviour a mutation test showed no other test noticed
// (../shared/design/mutation-report-2026-12-02.md, groups H1–H3, M1–M7).
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/index.ts';
import { OrderManager, TokenBucket } from '../../src/oms/index.ts';
import { bid, makeOms, makeReport, SYMBOL } from './setup.ts';

describe('fill prices', () => {
  it('a fill is booked at the trade price, not the order price (a crossing modify, price improvement)', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    t.trade(id, 4, 4, { lastFillPriceTicks: 98 });
    expect(t.events['order.filled'].map((f) => [f.fillLots, f.priceTicks])).toEqual([[4, 98]]);
  });

  it('a MARKET flatten (order price 0) is booked at its fill price', () => {
    const t = makeOms({}, { [SYMBOL]: 5 });
    const cmds = t.decide([], { flatten: true });
    const c = cmds.find((x) => x.kind === 'submit');
    if (c === undefined || c.kind !== 'submit') throw new Error('no flatten order');
    expect(c.order).toMatchObject({ type: 'MARKET', priceTicks: 0, qtyLots: 5, side: 'sell', reduceOnly: true });
    t.ack(c.order.clientOrderId);
    t.trade(c.order.clientOrderId, 5, 5, { lastFillPriceTicks: 12_345, liquidity: 'taker' });
    expect(t.events['order.filled'].at(-1)).toMatchObject({ fillLots: 5, signedLots: -5, priceTicks: 12_345, inferred: false });
    expect(t.oms.positionLots(SYMBOL)).toBe(0);
  });

  it('a fill inferred from a query answer is booked at the average fill price the venue gives', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.oms.onRequestTimeout(id);
    expect(t.oms.order(id)).toMatchObject({ state: 'pending-new', unknown: true });
    t.advance(1_000_000);
    expect(t.oms.queriesDue().map((q) => q.clientOrderId)).toEqual([id]);
    t.oms.onQueryResult({ clientOrderId: id, found: true, orderId: 9, status: 'FILLED', priceTicks: 100, origQtyLots: 10, cumFilledLots: 10, avgFillPriceTicks: 97 });
    expect(t.oms.order(id)).toMatchObject({ state: 'filled', filledLots: 10, unknown: false });
    expect(t.events['order.filled'].map((f) => [f.fillLots, f.priceTicks, f.inferred])).toEqual([[10, 97, true]]);
  });
});

describe('request refusals', () => {
  it('a refused modify carrying the requested price and quantity (as Binance and the simulated exchange send it) leaves the order as it was', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    const cmds = t.decide([bid(101, 10)]);
    expect(cmds).toEqual([{ kind: 'modify', symbol: SYMBOL, clientOrderId: id, side: 'buy', priceTicks: 101, qtyLots: 10 }]);
    expect(t.state(id)).toBe('pending-modify');
    t.report(id, { execType: 'MODIFY_REJECTED', status: 'NEW', priceTicks: 101, origQtyLots: 10, errorCode: -5027, errorMessage: 'No need to modify the order.' });
    expect(t.oms.order(id)).toMatchObject({ state: 'open', priceTicks: 100, qtyLots: 10, unknown: false });
    expect(t.events['order.amended']).toHaveLength(0);
  });

  it('a refused submit carrying its price and quantity is a reject, not an ack', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.report(id, { execType: 'REJECTED', status: 'REJECTED', priceTicks: 100, origQtyLots: 10, errorCode: -5022, errorMessage: 'Post Only order will be rejected' });
    expect(t.oms.order(id)).toMatchObject({ state: 'rejected', unknown: false });
    expect(t.events['order.rejected'].map((e) => e.errorCode)).toEqual([-5022]);
    expect(t.events['order.acked']).toHaveLength(0);
  });

  it('the second refusal of a second cancel of one order is not dropped as a duplicate', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    const refuse = () => {
      // Identical reports apart from time: a status key would make the second one a duplicate.
      t.oms.onExecutionReport(makeReport({ clientOrderId: id, orderId: 7, execType: 'CANCEL_REJECTED', status: 'NEW', errorCode: -1008, errorMessage: 'Server is currently overloaded', tsExchangeUs: 42 }));
    };
    expect(t.decide([]).map((c) => c.kind)).toEqual(['cancel']);
    refuse();
    expect(t.state(id)).toBe('open');
    expect(t.decide([]).map((c) => c.kind)).toEqual(['cancel']);
    expect(t.state(id)).toBe('pending-cancel');
    refuse();
    expect(t.oms.order(id)).toMatchObject({ state: 'open', unknown: false });
    // ... so the next decision can try again instead of waiting on a cancel that will never settle.
    expect(t.decide([]).map((c) => c.kind)).toEqual(['cancel']);
  });

  it('two refusals of two modifies of one order each put it back to open', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    for (const price of [101, 102]) {
      expect(t.decide([bid(price, 10)]).map((c) => c.kind)).toEqual(['modify']);
      t.oms.onExecutionReport(makeReport({ clientOrderId: id, orderId: 7, execType: 'MODIFY_REJECTED', status: 'NEW', priceTicks: 0, origQtyLots: 0, errorCode: -1008, tsExchangeUs: 42 }));
      expect(t.oms.order(id)).toMatchObject({ state: 'open', priceTicks: 100 });
    }
  });
});

describe('unknown outcomes', () => {
  for (const code of [-1000, -1001, -1006, -1007]) {
    it(`a submit refused with ${code} may have been applied: outcome unknown, queried, never booked as rejected`, () => {
      const t = makeOms();
      const id = t.place(100, 10);
      t.report(id, { execType: 'REJECTED', status: 'REJECTED', errorCode: code, errorMessage: 'unknown' });
      expect(t.oms.order(id)).toMatchObject({ state: 'pending-new', unknown: true });
      expect(t.events['order.rejected']).toHaveLength(0);
      expect(t.oms.queriesDue().map((q) => q.clientOrderId)).toEqual([id]);
      // It was live after all.
      t.oms.onQueryResult({ clientOrderId: id, found: true, orderId: 7, status: 'NEW', priceTicks: 100, origQtyLots: 10, cumFilledLots: 0 });
      expect(t.oms.order(id)).toMatchObject({ state: 'open', unknown: false });
    });
  }

  it('a cancel refused with -1001 (disconnected) leaves the order pending-cancel, unknown', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    t.decide([]);
    t.report(id, { execType: 'CANCEL_REJECTED', status: 'NEW', errorCode: -1001, errorMessage: 'Internal error; unable to process your request. Please try again.' });
    expect(t.oms.order(id)).toMatchObject({ state: 'pending-cancel', unknown: true });
  });

  it('a query answer EXPIRED settles an unknown submit as expired', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.oms.onRequestTimeout(id);
    t.oms.onQueryResult({ clientOrderId: id, found: true, orderId: 7, status: 'EXPIRED', priceTicks: 100, origQtyLots: 10, cumFilledLots: 0 });
    expect(t.oms.order(id)).toMatchObject({ state: 'expired', unknown: false });
    expect(t.events['order.expired']).toHaveLength(1);
  });

  it('a late query answer for an order whose outcome is known again is ignored', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    t.decide([]); // cancel sent: pending-cancel, outcome not unknown
    t.advance(5_000_000); // past the grace period
    t.oms.onQueryResult({ clientOrderId: id, found: true, orderId: 7, status: 'NEW', priceTicks: 100, origQtyLots: 10, cumFilledLots: 0 });
    expect(t.oms.order(id)).toMatchObject({ state: 'pending-cancel', unknown: false });
    expect(t.events['order.transition'].some((e) => e.event === 'cancel-reject')).toBe(false);
  });
});

describe('modifies', () => {
  it('a quantity-only modify is not settled by a report of the old quantity at the same price', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    expect(t.decide([bid(100, 6)])).toEqual([{ kind: 'modify', symbol: SYMBOL, clientOrderId: id, side: 'buy', priceTicks: 100, qtyLots: 6 }]);
    // A fill of the old version (10 lots at 100) arrives before the modify's answer.
    t.trade(id, 2, 2, { priceTicks: 100, origQtyLots: 10 });
    expect(t.oms.order(id)).toMatchObject({ state: 'pending-modify', qtyLots: 10, filledLots: 2 });
    expect(t.events['order.amended']).toHaveLength(0);
    // The AMENDMENT settles it: the total quantity sent was 6 (0 filled when the modify left).
    t.report(id, { execType: 'AMENDMENT', status: 'PARTIALLY_FILLED', priceTicks: 100, origQtyLots: 6, cumFilledLots: 2 });
    expect(t.oms.order(id)).toMatchObject({ state: 'partially-filled', qtyLots: 6, filledLots: 2 });
  });
});

describe('budgets', () => {
  it('cancels are asked of the budget as cancels: a cancel-all goes out when only submits are exhausted', () => {
    const t = makeOms();
    const ids = t.decide([bid(100, 1), bid(99, 1, 1)]).flatMap((c) => (c.kind === 'submit' ? [c.order.clientOrderId] : []));
    expect(ids).toHaveLength(2);
    for (const id of ids) t.ack(id);
    const bucket = new TokenBucket(t.clock, 1, 0, { cancelsFree: true });
    expect(bucket.tryTake('submit')).toBe(true); // exhausted for orders
    const cmds = t.decide([], { cancelAll: true }, { budget: bucket });
    expect(cmds.map((c) => (c.kind === 'cancel' ? c.clientOrderId : c.kind))).toEqual(ids);
  });
});

describe('pruning when the clock steps back', () => {
  it('a live order is never forgotten by the rebuild of the ended queue', () => {
    let now = 10_000_000;
    const clock: Clock = { nowUs: () => now };
    const oms = new OrderManager({ clock, config: { terminalRetentionUs: 1_000_000, requestGraceUs: 2_000_000, queryIntervalUs: 500_000 } });
    const decide = (q: ReturnType<typeof bid>[]) => oms.decide({ symbol: SYMBOL, tsUs: now, quotes: q, cancelAll: false, flatten: false, reason: 'test' });
    const submitId = (cmds: ReturnType<typeof decide>) => {
      const c = cmds.find((x) => x.kind === 'submit');
      if (c === undefined || c.kind !== 'submit') throw new Error('no submit');
      return c.order.clientOrderId;
    };
    const report = (id: string, execType: 'NEW' | 'CANCELED' | 'REJECTED', status: 'NEW' | 'CANCELED' | 'REJECTED', errorCode = 0) =>
      oms.onExecutionReport(makeReport({ clientOrderId: id, execType, status, errorCode, tsExchangeUs: now }));
    // C rests from 10 s; A ends at 10 s; the clock steps back to 5 s; B ends at 5 s: the ended queue is out of order.
    const c = submitId(decide([bid(100, 1)]));
    report(c, 'NEW', 'NEW');
    const a = submitId(decide([bid(100, 1), bid(99, 1, 1)]));
    report(a, 'REJECTED', 'REJECTED', -5022);
    now = 5_000_000;
    const b = submitId(decide([bid(100, 1), bid(99, 1, 1)]));
    report(b, 'REJECTED', 'REJECTED', -5022);
    // Far later: the full-scan prune forgets A and B, keeps C; later prunes must keep C too.
    now = 20_000_000;
    decide([bid(100, 1)]);
    expect(oms.order(a)).toBeUndefined();
    expect(oms.order(b)).toBeUndefined();
    expect(oms.order(c)).toMatchObject({ state: 'open' });
    now = 40_000_000;
    expect(decide([bid(100, 1)])).toEqual([]);
    expect(oms.order(c)).toMatchObject({ state: 'open' });
    report(c, 'CANCELED', 'CANCELED');
    expect(oms.order(c)).toMatchObject({ state: 'canceled' });
  });
});
