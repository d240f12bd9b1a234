// OrderManager.adopt: a venue's account snapshot makes the OMS track exactly what the venue has,
// without guessing (docs/OMS_SPEC.md "Account snapshots").
import { describe, expect, it } from 'vitest';
import type { AccountSync, VenueOrder } from '../../src/model/venue.ts';
import { SYMBOL, bid, makeOms, type T } from './setup.ts';

function venueOrder(over: Partial<VenueOrder> & Pick<VenueOrder, 'clientOrderId'>): VenueOrder {
  return { symbol: SYMBOL, orderId: 77, side: 'buy', type: 'LIMIT', timeInForce: 'GTX', reduceOnly: false, status: 'NEW', priceTicks: 100, origQtyLots: 10, cumFilledLots: 0, ...over };
}

function sync(t: T, openOrders: VenueOrder[], symbols = [SYMBOL]): AccountSync {
  return { tsUs: t.clock.nowUs(), symbols, positions: [], balances: [], openOrders };
}

describe('OrderManager.adopt', () => {
  it('adopts an open order it does not track (an earlier session): resting, filled part kept, no fill booked', () => {
    const t = makeOms();
    const n = t.oms.adopt(sync(t, [venueOrder({ clientOrderId: 'old-1', cumFilledLots: 4, status: 'PARTIALLY_FILLED', side: 'sell', priceTicks: 105 })]));
    expect(n).toBe(1);
    const o = t.oms.order('old-1')!;
    expect(o).toMatchObject({ state: 'partially-filled', side: 'sell', priceTicks: 105, qtyLots: 10, filledLots: 4, remainingLots: 6, orderId: 77, unknown: false });
    expect(t.events['order.adopted'].map((e) => e.order.clientOrderId)).toEqual(['old-1']);
    expect(t.events['order.filled']).toEqual([]);
    expect(t.oms.positionLots(SYMBOL)).toBe(0);
    // The next decision treats it like any order of ours: no quote keeps it, so it is cancelled.
    const cmds = t.decide([]);
    expect(cmds).toEqual([{ kind: 'cancel', symbol: SYMBOL, clientOrderId: 'old-1' }]);
  });

  it('a quote equal to an adopted order keeps it (nothing is sent)', () => {
    const t = makeOms();
    t.oms.adopt(sync(t, [venueOrder({ clientOrderId: 'old-1' })]));
    expect(t.decide([bid(100, 10)])).toEqual([]);
  });

  it('a listed order it tracks is brought to the venue state: unseen fills inferred at the average price, pending submit settled', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.oms.adopt(sync(t, [venueOrder({ clientOrderId: id, orderId: 9, status: 'PARTIALLY_FILLED', cumFilledLots: 3, avgFillPriceTicks: 100 })]));
    expect(t.oms.order(id)).toMatchObject({ state: 'partially-filled', filledLots: 3, orderId: 9, unknown: false });
    expect(t.events['order.filled']).toEqual([expect.objectContaining({ fillLots: 3, priceTicks: 100, inferred: true })]);
    expect(t.oms.positionLots(SYMBOL)).toBe(3);
  });

  it('a tracked live order the snapshot does not list becomes unknown and is queried; the answer settles it', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    t.oms.adopt(sync(t, []));
    expect(t.oms.order(id)).toMatchObject({ state: 'open', unknown: true });
    expect(t.oms.unknownCount(SYMBOL)).toBe(1);
    expect(t.oms.nextQueryUs()).toBe(t.clock.nowUs());
    expect(t.oms.queriesDue()).toEqual([{ symbol: SYMBOL, clientOrderId: id, orderId: 7 }]);
    // Filled while we were not looking: the query says so, and the fill is inferred.
    t.oms.onQueryResult({ clientOrderId: id, found: true, orderId: 7, status: 'FILLED', priceTicks: 100, origQtyLots: 10, cumFilledLots: 10, avgFillPriceTicks: 100 });
    expect(t.oms.order(id)).toMatchObject({ state: 'filled', unknown: false, filledLots: 10 });
    expect(t.oms.unknownCount()).toBe(0);
    expect(t.oms.nextQueryUs()).toBe(Infinity);
    expect(t.oms.positionLots(SYMBOL)).toBe(10);
  });

  it('a missing resting order that the query finds live is settled (still resting); one not found was cancelled', () => {
    const t = makeOms();
    const [a, b] = t.decide([bid(100, 10, 0), bid(99, 10, 1)]).map((c) => (c.kind === 'submit' ? c.order.clientOrderId : ''));
    t.ack(a);
    t.ack(b);
    t.oms.adopt(sync(t, []));
    expect(t.oms.queriesDue().map((q) => q.clientOrderId)).toEqual([a, b]);
    t.oms.onQueryResult({ clientOrderId: a, found: true, orderId: 7, status: 'NEW', priceTicks: 100, origQtyLots: 10, cumFilledLots: 0 });
    t.oms.onQueryResult({ clientOrderId: b, found: false });
    expect(t.oms.order(a)).toMatchObject({ state: 'open', unknown: false });
    expect(t.oms.order(b)).toMatchObject({ state: 'canceled', unknown: false });
    expect(t.oms.unknownCount()).toBe(0);
  });

  it('a pending submit the snapshot does not list stays in flight until the grace period (never a guess)', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.oms.adopt(sync(t, []));
    expect(t.oms.order(id)).toMatchObject({ state: 'pending-new', unknown: true });
    t.oms.queriesDue();
    t.oms.onQueryResult({ clientOrderId: id, found: false });
    expect(t.oms.order(id)).toMatchObject({ state: 'pending-new', unknown: true }); // may still arrive
    t.advance(3_000_000); // past requestGraceUs (2 s in these tests)
    expect(t.oms.queriesDue()).toHaveLength(1);
    t.oms.onQueryResult({ clientOrderId: id, found: false });
    expect(t.oms.order(id)).toMatchObject({ state: 'rejected', unknown: false });
  });

  it('only the covered symbols are touched', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    t.oms.adopt(sync(t, [], ['ETHUSDT']));
    expect(t.oms.order(id)).toMatchObject({ state: 'open', unknown: false });
    // An order of a symbol the snapshot does not cover is neither adopted nor looked at.
    expect(t.oms.adopt(sync(t, [venueOrder({ clientOrderId: 'x', symbol: 'ETHUSDT' })], [SYMBOL]))).toBe(0);
    expect(t.oms.order('x')).toBeUndefined();
  });

  it('a snapshot older than a report that ended the order changes nothing (anomaly)', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    t.trade(id, 10);
    t.oms.adopt(sync(t, [venueOrder({ clientOrderId: id })]));
    expect(t.oms.order(id)).toMatchObject({ state: 'filled', filledLots: 10 });
    expect(t.events['order.anomaly'].at(-1)).toMatchObject({ kind: 'stale-snapshot', clientOrderId: id });
  });

  it('a resting order the venue shows at another price takes the venue price (anomaly), and re-decides from it', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    t.oms.adopt(sync(t, [venueOrder({ clientOrderId: id, orderId: 7, priceTicks: 101 })]));
    expect(t.oms.order(id)).toMatchObject({ state: 'open', priceTicks: 101, unknown: false });
    expect(t.events['order.anomaly'].at(-1)).toMatchObject({ kind: 'venue-differs', clientOrderId: id });
    expect(t.decide([bid(101, 10)])).toEqual([]);
  });

  it('never issues a client id an adopted order holds', () => {
    const t = makeOms();
    const probe = makeOms();
    const next = probe.place(100, 10); // the id this generator gives out first
    t.oms.adopt(sync(t, [venueOrder({ clientOrderId: next })]));
    // The adopted order keeps the first quote; the second needs a new id.
    const cmds = t.decide([bid(100, 10, 0), bid(90, 10, 1)]);
    expect(cmds).toHaveLength(1);
    const fresh = cmds[0].kind === 'submit' ? cmds[0].order.clientOrderId : '';
    expect(fresh).not.toBe(next);
    expect(fresh).not.toBe('');
    expect(t.oms.openOrders(SYMBOL).size).toBe(2);
  });
});
