// SimExchange as a venue (model/venue.ts): one event queue in the order things happened, order
// queries (open, ended, forgotten, never seen), the account snapshot.
import { describe, expect, it } from 'vitest';
import { ASK, BID, SYMBOL, exchange, order, standardBook } from './helpers.ts';

describe('SimExchange as a venue', () => {
  it('answers queries of open, ended and unknown orders (-2013 as found: false)', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.send(order('b1', 'buy', BID, 5), 2);
    ex.drainEvents();
    ex.send({ kind: 'query', symbol: SYMBOL, clientOrderId: 'b1', orderId: -1 }, 4);
    ex.send({ kind: 'query', symbol: SYMBOL, clientOrderId: 'nope', orderId: -1 }, 4);
    ex.send({ kind: 'cancel', symbol: SYMBOL, clientOrderId: 'b1' }, 5);
    ex.send({ kind: 'query', symbol: SYMBOL, clientOrderId: 'b1', orderId: -1 }, 6);
    ex.send({ kind: 'query', symbol: 'ETHUSDT', clientOrderId: 'b1', orderId: -1 }, 6);
    const events = ex.drainEvents();
    expect(events.map((e) => e.kind)).toEqual(['queryAnswer', 'queryAnswer', 'report', 'queryAnswer', 'queryAnswer']);
    expect(events[0]).toEqual({ kind: 'queryAnswer', symbol: SYMBOL, result: expect.objectContaining({ found: true, clientOrderId: 'b1', status: 'NEW', priceTicks: BID, origQtyLots: 5, cumFilledLots: 0, side: 'buy', type: 'LIMIT' }) });
    expect(events[1]).toEqual({ kind: 'queryAnswer', symbol: SYMBOL, result: { clientOrderId: 'nope', found: false } });
    expect(events[3]).toEqual({ kind: 'queryAnswer', symbol: SYMBOL, result: expect.objectContaining({ found: true, clientOrderId: 'b1', status: 'CANCELED' }) });
    expect(events[4]).toEqual({ kind: 'queryAnswer', symbol: 'ETHUSDT', result: { clientOrderId: 'b1', found: false } });
  });

  it('reports the average fill price of a query only when it is a whole number of ticks', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    // A marketable buy walks two ask levels (10 lots each): 10 @ ASK + 5 @ ASK+1, an average off the grid.
    ex.send(order('t1', 'buy', ASK + 1, 15, { timeInForce: 'IOC' }), 2);
    // t1 took all of ASK (depleted until the market updates it): t2 gets 1 of the 5 left at ASK + 1.
    ex.send(order('t2', 'buy', ASK + 1, 1, { timeInForce: 'IOC' }), 2);
    ex.send({ kind: 'query', symbol: SYMBOL, clientOrderId: 't1', orderId: -1 }, 3);
    ex.send({ kind: 'query', symbol: SYMBOL, clientOrderId: 't2', orderId: -1 }, 3);
    const answers = ex.drainOther();
    const r1 = answers[0].kind === 'queryAnswer' ? answers[0].result : null;
    const r2 = answers[1].kind === 'queryAnswer' ? answers[1].result : null;
    expect(r2).toMatchObject({ found: true, cumFilledLots: 1, avgFillPriceTicks: ASK + 1 });
    expect(r1).toMatchObject({ found: true, cumFilledLots: 15, status: 'FILLED' });
    expect(r1?.found && r1.avgFillPriceTicks).toBeUndefined();
    expect(ex.drainReports().filter((r) => r.clientOrderId === 't1' && r.execType === 'TRADE').map((r) => [r.lastFillLots, r.lastFillPriceTicks])).toEqual([[10, ASK], [5, ASK + 1]]);
  });

  it('forgets ended orders beyond the retention (oldest first)', () => {
    const ex = exchange({ closedOrderRetention: 2 });
    ex.onMarketEvent(standardBook(1));
    for (const id of ['a', 'b', 'c']) {
      ex.send(order(id, 'buy', BID - 5, 1), 2);
      ex.send({ kind: 'cancel', symbol: SYMBOL, clientOrderId: id }, 3);
    }
    for (const id of ['a', 'b', 'c']) ex.send({ kind: 'query', symbol: SYMBOL, clientOrderId: id, orderId: -1 }, 4);
    const found = ex.drainOther().map((e) => (e.kind === 'queryAnswer' ? [e.result.clientOrderId, e.result.found] : null));
    expect(found).toEqual([['a', false], ['b', true], ['c', true]]);
  });

  it('keeps reports and funding settlements in the order they happened', () => {
    const ex = exchange({ funding: { mode: 'rate', rate: '0.0001', intervalUs: 1_000 } });
    ex.onMarketEvent(standardBook(1));
    ex.send(order('t1', 'buy', ASK, 1, { timeInForce: 'IOC' }), 500); // a position to fund
    ex.drainEvents();
    // A command after a funding time: the settlement comes first, then the command's reports.
    ex.send(order('b1', 'buy', BID, 1), 1_200);
    expect(ex.drainEvents().map((e) => (e.kind === 'report' ? e.report.execType : e.kind))).toEqual(['funding', 'NEW']);
  });

  it('lists its account: positions from our fills and every open order', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(1));
    ex.send(order('t1', 'buy', ASK, 2, { timeInForce: 'IOC' }), 2);
    ex.send(order('b1', 'buy', BID, 5), 3);
    ex.send(order('s1', 'sell', ASK + 3, 1), 3);
    const sync = ex.accountSync(4);
    expect(sync).toEqual({
      tsUs: 4,
      symbols: [SYMBOL],
      positions: [{ symbol: SYMBOL, lots: 2, entryPrice: '' }],
      balances: [],
      openOrders: [expect.objectContaining({ clientOrderId: 'b1', status: 'NEW', side: 'buy', origQtyLots: 5 }), expect.objectContaining({ clientOrderId: 's1', side: 'sell' })],
    });
  });
});
