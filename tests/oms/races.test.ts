// The real races of Binance order handling, one scenario each, with hand-computed expectations.
import { describe, expect, it } from 'vitest';
import { bid, makeOms } from './setup.ts';

describe('races', () => {
  it('fill after the cancel was sent, then the cancel comes back -2011', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    expect(t.decide([])).toEqual([{ kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: id }]);
    t.trade(id, 4);
    expect(t.state(id)).toBe('pending-cancel');
    t.trade(id, 10);
    expect(t.state(id)).toBe('filled');
    t.report(id, { execType: 'CANCEL_REJECTED', errorCode: -2011 });
    expect(t.oms.order(id)).toMatchObject({ state: 'filled', filledLots: 10, unknown: false });
    expect(t.oms.positionLots('BTCUSDT')).toBe(10);
    expect(t.events['order.filled'].map((f) => f.fillLots)).toEqual([4, 6]);
  });

  it('cancel rejected -2011 before the fill report: in flight until the stream settles it', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    t.decide([]);
    t.report(id, { execType: 'CANCEL_REJECTED', errorCode: -2011 });
    expect(t.oms.order(id)).toMatchObject({ state: 'pending-cancel', unknown: true });
    expect(t.events['order.unknown']).toHaveLength(1);
    // Not acted upon while unknown: no second cancel, and the quote is not re-placed under a new id.
    expect(t.decide([])).toEqual([]);
    expect(t.oms.queriesDue()).toEqual([{ symbol: 'BTCUSDT', clientOrderId: id, orderId: 7 }]);
    expect(t.oms.queriesDue()).toEqual([]); // queried just now
    t.trade(id, 10);
    expect(t.oms.order(id)).toMatchObject({ state: 'filled', unknown: false });
  });

  it('cancel rejected -2011, settled by a query showing FILLED (missed trades become one inferred fill)', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    t.trade(id, 2);
    t.decide([]);
    t.report(id, { execType: 'CANCEL_REJECTED', errorCode: -2011 });
    t.oms.queriesDue();
    t.oms.onQueryResult({ clientOrderId: id, found: true, orderId: 7, status: 'FILLED', priceTicks: 100, origQtyLots: 10, cumFilledLots: 10, avgFillPriceTicks: 100 });
    expect(t.oms.order(id)).toMatchObject({ state: 'filled', filledLots: 10, unknown: false });
    expect(t.events['order.filled'].at(-1)).toMatchObject({ fillLots: 8, inferred: true, tradeId: -1, priceTicks: 100 });
    // The late trade reports change neither quantity nor position; their commission still reaches the ledger.
    t.trade(id, 6, 4);
    t.trade(id, 10, 4);
    expect(t.oms.positionLots('BTCUSDT')).toBe(10);
    expect(t.events['order.filled'].slice(-2).map((f) => [f.fillLots, f.commission])).toEqual([
      [0, '0.01'],
      [0, '0.01'],
    ]);
  });

  it('ack arriving after its fill', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.trade(id, 3);
    expect(t.state(id)).toBe('partially-filled');
    t.ack(id);
    expect(t.state(id)).toBe('partially-filled');
    t.trade(id, 10);
    t.ack(id); // a second, duplicated ack after the full fill
    expect(t.oms.order(id)).toMatchObject({ state: 'filled', filledLots: 10 });
    expect(t.events['order.acked']).toHaveLength(1);
  });

  it('fill arriving before the ack (full fill)', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.trade(id, 10);
    expect(t.state(id)).toBe('filled');
    t.ack(id);
    expect(t.state(id)).toBe('filled');
    expect(t.oms.openOrders().size).toBe(0);
  });

  it('modify rejected: the order is unchanged and the next decision tries again', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    expect(t.decide([bid(101, 10)])).toEqual([{ kind: 'modify', symbol: 'BTCUSDT', clientOrderId: id, side: 'buy', priceTicks: 101, qtyLots: 10 }]);
    expect(t.decide([bid(102, 10)])).toEqual([]); // in flight: not acted upon again
    t.report(id, { execType: 'MODIFY_REJECTED', errorCode: -5027 });
    expect(t.oms.order(id)).toMatchObject({ state: 'open', priceTicks: 100 });
    expect(t.decide([bid(101, 10)])).toHaveLength(1);
  });

  it('modify applied; a trade showing the new price/qty before the AMENDMENT report applies the modify', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    t.decide([bid(101, 12)]);
    t.report(id, { execType: 'TRADE', status: 'PARTIALLY_FILLED', priceTicks: 101, origQtyLots: 12, cumFilledLots: 11, lastFillLots: 11, tradeId: 1, lastFillPriceTicks: 101 });
    expect(t.oms.order(id)).toMatchObject({ state: 'partially-filled', priceTicks: 101, qtyLots: 12, filledLots: 11 });
    expect(t.events['order.anomaly']).toEqual([]);
    t.report(id, { execType: 'AMENDMENT', status: 'NEW', priceTicks: 101, origQtyLots: 12, cumFilledLots: 0 });
    expect(t.oms.order(id)).toMatchObject({ state: 'partially-filled', filledLots: 11 });
    expect(t.events['order.amended']).toHaveLength(1);
  });

  it('modify of a partially filled order sends the total quantity; a modify ≤ executed cancels the order', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    t.trade(id, 4);
    expect(t.decide([bid(99, 5)])).toEqual([{ kind: 'modify', symbol: 'BTCUSDT', clientOrderId: id, side: 'buy', priceTicks: 99, qtyLots: 9 }]);
    t.trade(id, 9); // fills up to the new total before the modify lands: Binance cancels it
    t.report(id, { execType: 'CANCELED', status: 'CANCELED', cumFilledLots: 9 });
    expect(t.oms.order(id)).toMatchObject({ state: 'canceled', filledLots: 9 });
  });

  it('a late trade of an earlier order version that happens to show the modify target does not settle the modify', () => {
    const t = makeOms();
    const id = t.place(95, 2);
    t.ack(id);
    // Version A: 95 × 2, one lot traded on it; the OMS learns of it only through the next AMENDMENT.
    t.decide([bid(95, 3)]); // modify to 95 × 3 (nothing known filled yet)
    t.report(id, { execType: 'AMENDMENT', status: 'PARTIALLY_FILLED', priceTicks: 95, origQtyLots: 3, cumFilledLots: 1 });
    expect(t.oms.order(id)).toMatchObject({ state: 'partially-filled', qtyLots: 3, filledLots: 1 });
    expect(t.decide([bid(95, 1)])).toMatchObject([{ kind: 'modify', priceTicks: 95, qtyLots: 2 }]); // 1 filled + 1
    // The late TRADE on version A (95 × 2, cum 1) shows 95 × 2 only by coincidence: no new fill, not the answer.
    t.report(id, { execType: 'TRADE', status: 'PARTIALLY_FILLED', priceTicks: 95, origQtyLots: 2, cumFilledLots: 1, lastFillLots: 1, lastFillPriceTicks: 95, tradeId: 900, liquidity: 'maker', commission: '0.01' });
    expect(t.oms.order(id)).toMatchObject({ state: 'pending-modify', qtyLots: 3, filledLots: 1 });
    // A trade after the modify landed brings a new fill and shows the target: it settles the modify.
    t.report(id, { execType: 'TRADE', status: 'FILLED', priceTicks: 95, origQtyLots: 2, cumFilledLots: 2, lastFillLots: 1, lastFillPriceTicks: 95, tradeId: 901, liquidity: 'maker', commission: '0.01' });
    expect(t.oms.order(id)).toMatchObject({ state: 'filled', qtyLots: 2, filledLots: 2 });
    expect(t.events['order.anomaly']).toEqual([]);
  });

  it('a duplicated old AMENDMENT does not settle a second, different modify', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    t.decide([bid(101, 10)]);
    t.report(id, { execType: 'AMENDMENT', priceTicks: 101, tsExchangeUs: 5 });
    t.decide([bid(100, 10)]);
    t.report(id, { execType: 'AMENDMENT', priceTicks: 100, tsExchangeUs: 6 });
    t.decide([bid(101, 10)]);
    expect(t.state(id)).toBe('pending-modify');
    t.report(id, { execType: 'AMENDMENT', priceTicks: 101, tsExchangeUs: 5 }); // the first one, again
    expect(t.state(id)).toBe('pending-modify');
    t.report(id, { execType: 'AMENDMENT', priceTicks: 101, tsExchangeUs: 9 });
    expect(t.oms.order(id)).toMatchObject({ state: 'open', priceTicks: 101 });
  });

  it('a modify settled by a query: its AMENDMENT arriving after the next modify was sent does not answer that one', () => {
    const t = makeOms();
    const id = t.place(102, 1);
    t.ack(id);
    t.decide([bid(101, 1)]);
    t.oms.onRequestTimeout(id);
    t.oms.onQueryResult({ clientOrderId: id, found: true, orderId: 7, status: 'NEW', priceTicks: 101, origQtyLots: 1, cumFilledLots: 0 });
    expect(t.oms.order(id)).toMatchObject({ state: 'open', priceTicks: 101, unknown: false });
    expect(t.decide([bid(102, 1)])).toHaveLength(1);
    // The first modify's AMENDMENT (101 × 1) only now arrives on the stream: not the answer to 102 × 1.
    t.report(id, { execType: 'AMENDMENT', priceTicks: 101, origQtyLots: 1 });
    expect(t.oms.order(id)).toMatchObject({ state: 'pending-modify', priceTicks: 101 });
    expect(t.events['order.transition'].at(-1)).toMatchObject({ from: 'pending-modify', event: 'stale-amended', to: 'pending-modify' });
    expect(t.decide([bid(103, 1)])).toEqual([]); // still in flight
    t.report(id, { execType: 'AMENDMENT', priceTicks: 102, origQtyLots: 1 });
    expect(t.oms.order(id)).toMatchObject({ state: 'open', priceTicks: 102, qtyLots: 1 });
    expect(t.events['order.anomaly']).toEqual([]);
  });

  describe('unknown outcome', () => {
    it('submit timeout: not re-sent, not replaced under a new id, queried, then "not found" only counts after the grace period', () => {
      const t = makeOms();
      const id = t.place(100, 10);
      t.oms.onRequestTimeout(id);
      expect(t.oms.order(id)).toMatchObject({ state: 'pending-new', unknown: true });
      expect(t.decide([bid(100, 10)])).toEqual([]);
      expect(t.decide([bid(105, 10)])).toEqual([]);
      expect(t.oms.queriesDue()).toHaveLength(1);
      t.oms.onQueryResult({ clientOrderId: id, found: false });
      expect(t.oms.order(id)).toMatchObject({ state: 'pending-new', unknown: true }); // may still land
      t.advance(2_000_000);
      expect(t.oms.queriesDue()).toHaveLength(1);
      t.oms.onQueryResult({ clientOrderId: id, found: false });
      expect(t.oms.order(id)).toMatchObject({ state: 'rejected', unknown: false });
      expect(t.events['order.rejected'].at(-1)).toMatchObject({ errorCode: -2013 });
      const cmds = t.decide([bid(100, 10)]);
      expect(cmds).toHaveLength(1);
      expect(cmds[0].kind === 'submit' && cmds[0].order.clientOrderId).not.toBe(id);
    });

    it('-1007 on submit, the stream then shows the ack: settled without a query', () => {
      const t = makeOms();
      const id = t.place(100, 10);
      t.report(id, { execType: 'REJECTED', status: 'REJECTED', errorCode: -1007, orderId: -1 });
      expect(t.oms.order(id)).toMatchObject({ state: 'pending-new', unknown: true });
      t.ack(id);
      expect(t.oms.order(id)).toMatchObject({ state: 'open', unknown: false, orderId: 7 });
      expect(t.oms.queriesDue()).toEqual([]);
    });

    it('submit timeout settled by a query showing it live and partly filled', () => {
      const t = makeOms();
      const id = t.place(100, 10);
      t.oms.onRequestTimeout(id);
      t.oms.onQueryResult({ clientOrderId: id, found: true, orderId: 42, status: 'PARTIALLY_FILLED', priceTicks: 100, origQtyLots: 10, cumFilledLots: 3 });
      expect(t.oms.order(id)).toMatchObject({ state: 'partially-filled', filledLots: 3, orderId: 42, unknown: false });
      expect(t.oms.positionLots('BTCUSDT')).toBe(3);
      // A second answer (stale) changes nothing.
      t.oms.onQueryResult({ clientOrderId: id, found: true, orderId: 42, status: 'NEW', priceTicks: 100, origQtyLots: 10, cumFilledLots: 0 });
      expect(t.oms.order(id)).toMatchObject({ state: 'partially-filled', filledLots: 3 });
    });

    it('cancel timeout: a query showing the order live is conclusive only after the grace period', () => {
      const t = makeOms();
      const id = t.place(100, 10);
      t.ack(id);
      t.decide([]);
      t.oms.onRequestTimeout(id);
      const live = { clientOrderId: id, found: true as const, orderId: 7, status: 'NEW' as const, priceTicks: 100, origQtyLots: 10, cumFilledLots: 0 };
      t.oms.onQueryResult(live);
      expect(t.oms.order(id)).toMatchObject({ state: 'pending-cancel', unknown: true });
      t.advance(2_000_000);
      t.oms.onQueryResult(live);
      expect(t.oms.order(id)).toMatchObject({ state: 'open', unknown: false });
      expect(t.decide([])).toHaveLength(1); // cancel again
    });

    it('cancel timeout settled by a query showing CANCELED; not-found of a known order means it ended', () => {
      const t = makeOms();
      const a = t.place(100, 10);
      t.ack(a);
      t.decide([]);
      t.oms.onRequestTimeout(a);
      t.oms.onQueryResult({ clientOrderId: a, found: true, orderId: 7, status: 'CANCELED', priceTicks: 100, origQtyLots: 10, cumFilledLots: 0 });
      expect(t.state(a)).toBe('canceled');
      const b = t.place(100, 10);
      t.ack(b);
      t.decide([]);
      t.oms.onRequestTimeout(b);
      t.oms.onQueryResult({ clientOrderId: b, found: false });
      expect(t.state(b)).toBe('canceled');
    });

    it('modify timeout: the query shows the new price → applied; shows the old price → rejected only after the grace period', () => {
      const t = makeOms();
      const id = t.place(100, 10);
      t.ack(id);
      t.decide([bid(101, 10)]);
      t.report(id, { execType: 'MODIFY_REJECTED', errorCode: -1007 });
      expect(t.oms.order(id)).toMatchObject({ state: 'pending-modify', unknown: true });
      t.oms.onQueryResult({ clientOrderId: id, found: true, orderId: 7, status: 'NEW', priceTicks: 101, origQtyLots: 10, cumFilledLots: 0 });
      expect(t.oms.order(id)).toMatchObject({ state: 'open', priceTicks: 101, unknown: false });

      t.decide([bid(102, 10)]);
      t.oms.onRequestTimeout(id);
      const old = { clientOrderId: id, found: true as const, orderId: 7, status: 'NEW' as const, priceTicks: 101, origQtyLots: 10, cumFilledLots: 0 };
      t.oms.onQueryResult(old);
      expect(t.oms.order(id)).toMatchObject({ state: 'pending-modify', unknown: true, priceTicks: 101 });
      t.advance(2_000_000);
      t.oms.onQueryResult(old);
      expect(t.oms.order(id)).toMatchObject({ state: 'open', unknown: false, priceTicks: 101 });
    });

    it('submit timeout settled by a query showing a final status (REJECTED, EXPIRED_IN_MATCH)', () => {
      const t = makeOms();
      const a = t.place(100, 10);
      t.oms.onRequestTimeout(a);
      t.oms.onQueryResult({ clientOrderId: a, found: true, orderId: 1, status: 'REJECTED', priceTicks: 100, origQtyLots: 10, cumFilledLots: 0 });
      expect(t.state(a)).toBe('rejected');
      const b = t.place(100, 10);
      t.oms.onRequestTimeout(b);
      t.oms.onQueryResult({ clientOrderId: b, found: true, orderId: 2, status: 'EXPIRED_IN_MATCH', priceTicks: 100, origQtyLots: 10, cumFilledLots: 2 });
      expect(t.oms.order(b)).toMatchObject({ state: 'expired', filledLots: 2 });
    });

    it('modify -2011: the order ended; settled by the stream', () => {
      const t = makeOms();
      const id = t.place(100, 10);
      t.ack(id);
      t.decide([bid(101, 10)]);
      t.report(id, { execType: 'MODIFY_REJECTED', errorCode: -2011 });
      expect(t.oms.order(id)).toMatchObject({ state: 'pending-modify', unknown: true });
      t.report(id, { execType: 'CANCELED', status: 'CANCELED' });
      expect(t.oms.order(id)).toMatchObject({ state: 'canceled', unknown: false });
    });
  });
});
