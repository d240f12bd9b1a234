// OrderManager: ids, views, de-duplication, fills and position, anomalies, pruning, bus events.
import { describe, expect, it } from 'vitest';
import { isValidClientOrderId } from '../../src/core/ids.ts';
import type { Quote } from '../../src/model/trading.ts';
import { DEFAULT_OMS_CONFIG, eventOfReport, OrderManager, UNKNOWN_OUTCOME_CODES } from '../../src/oms/index.ts';
import { ask, bid, makeOms, makeReport, SYMBOL } from './setup.ts';

describe('client order ids', () => {
  it('are valid for Binance, unique, and identical between runs with the same inputs', () => {
    const run = () => {
      const t = makeOms({ runTag: 'bt1', modifyMode: 'cancel-replace' });
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) {
        for (const c of t.decide([bid(100 - (i % 3), 1 + (i % 4)), ask(101 + (i % 2), 2)])) if (c.kind === 'submit') ids.push(c.order.clientOrderId);
        for (const [id, v] of t.oms.openOrders()) {
          if (v.state === 'pending-new') t.ack(id);
          if (v.state === 'pending-cancel') t.report(id, { execType: 'CANCELED', status: 'CANCELED' });
        }
      }
      return ids;
    };
    const a = run();
    expect(a.length).toBeGreaterThan(20);
    expect(new Set(a).size).toBe(a.length);
    for (const id of a) expect(isValidClientOrderId(id)).toBe(true);
    expect(a[0]).toBe('mk-bt1-1');
    expect(run()).toEqual(a);
  });

  it('refuses a prefix Binance would not accept', () => {
    expect(() => makeOms({ idPrefix: 'bad prefix!' })).toThrow(RangeError);
  });
});

describe('views and fills', () => {
  it('exposes state, filled and remaining by client id, and the signed position per fill', () => {
    const t = makeOms();
    const [b, s] = t.decide([bid(100, 10), ask(101, 4)]).map((c) => (c.kind === 'submit' ? c.order.clientOrderId : ''));
    t.ack(b);
    t.ack(s);
    t.trade(b, 6);
    t.trade(s, 4);
    expect(t.oms.order(b)).toMatchObject({ state: 'partially-filled', filledLots: 6, remainingLots: 4, side: 'buy', orderId: 7 });
    expect([...t.oms.openOrders().keys()]).toEqual([b]);
    expect(t.oms.positionLots('BTCUSDT')).toBe(2);
    expect(t.events['order.filled'].map((f) => [f.signedLots, f.tradeId > 0, f.liquidity, f.inferred])).toEqual([
      [6, true, 'maker', false],
      [-4, true, 'maker', false],
    ]);
    t.oms.setPosition('BTCUSDT', 0);
    expect(t.oms.positionLots('BTCUSDT')).toBe(0);
    expect(t.oms.order('nope')).toBeUndefined();
  });

  it('de-duplicates trades by trade id and status reports by their key; out-of-order trades count once', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    const ack = makeReport({ clientOrderId: id, execType: 'NEW', tsExchangeUs: 5 });
    t.oms.onExecutionReport(ack);
    t.oms.onExecutionReport(ack);
    const tr = (tradeId: number, cum: number) =>
      makeReport({ clientOrderId: id, execType: 'TRADE', status: cum === 10 ? 'FILLED' : 'PARTIALLY_FILLED', cumFilledLots: cum, lastFillLots: 2, lastFillPriceTicks: 100, tradeId, commission: '0.02', liquidity: 'maker' });
    t.oms.onExecutionReport(tr(2, 6)); // arrives before trade 1
    t.oms.onExecutionReport(tr(2, 6));
    t.oms.onExecutionReport(tr(1, 4));
    expect(t.oms.order(id)).toMatchObject({ filledLots: 6, state: 'partially-filled' });
    expect(t.oms.positionLots('BTCUSDT')).toBe(6);
    expect(t.events['order.filled'].map((f) => f.fillLots)).toEqual([6, 0]);
    expect(t.events['order.transition'].filter((x) => x.event === 'ack')).toHaveLength(1);
  });

  it('a status report with more filled quantity than the trades seen moves the position at once (inferred)', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    t.decide([]);
    t.report(id, { execType: 'CANCELED', status: 'CANCELED', cumFilledLots: 3 });
    expect(t.oms.order(id)).toMatchObject({ state: 'canceled', filledLots: 3 });
    expect(t.events['order.filled'].at(-1)).toMatchObject({ fillLots: 3, inferred: true, priceTicks: 100, commission: '0' });
    t.trade(id, 3, 3); // the trade itself, late: commission only
    expect(t.oms.positionLots('BTCUSDT')).toBe(3);
    expect(t.events['order.filled'].at(-1)).toMatchObject({ fillLots: 0, commission: '0.01' });
  });

  it('caps an impossible cumulative quantity at the order quantity and reports it', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.trade(id, 12);
    expect(t.oms.order(id)).toMatchObject({ filledLots: 10, state: 'filled' });
    expect(t.events['order.anomaly']).toMatchObject([{ kind: 'overfill', clientOrderId: id }]);
  });
});

describe('anomalies', () => {
  it('reports for unknown ids, other symbols, and impossible transitions are published and ignored', () => {
    const t = makeOms();
    t.oms.onExecutionReport(makeReport({ clientOrderId: 'autoclose-123', execType: 'TRADE', cumFilledLots: 1, tradeId: 1 }));
    t.oms.onRequestTimeout('ghost');
    t.oms.onQueryResult({ clientOrderId: 'ghost', found: false });
    const id = t.place(100, 10);
    t.oms.onExecutionReport(makeReport({ clientOrderId: id, symbol: 'ETHUSDT', execType: 'NEW' }));
    t.report(id, { execType: 'REJECTED', status: 'REJECTED', errorCode: -5022, errorMessage: 'post only' });
    t.ack(id); // a rejected order cannot be acked
    expect(t.events['order.anomaly'].map((a) => a.kind)).toEqual(['unknown-client-order-id', 'unknown-client-order-id', 'unknown-client-order-id', 'symbol-mismatch', 'no-row']);
    expect(t.state(id)).toBe('rejected');
    expect(t.events['order.rejected']).toMatchObject([{ errorCode: -5022, message: 'post only' }]);
    expect(t.oms.positionLots('BTCUSDT')).toBe(0);
  });
});

describe('lifecycle events and pruning', () => {
  it('publishes created, acked, amended, canceled, expired, unknown in order', () => {
    const t = makeOms();
    const id = t.place(100, 10);
    t.ack(id);
    t.decide([bid(101, 10)]);
    t.report(id, { execType: 'AMENDMENT', priceTicks: 101 });
    t.decide([]);
    t.oms.onRequestTimeout(id);
    t.report(id, { execType: 'CANCELED', status: 'CANCELED' });
    const id2 = t.place(100, 10);
    t.ack(id2);
    t.report(id2, { execType: 'EXPIRED', status: 'EXPIRED_IN_MATCH' });
    expect(t.events['order.created'].map((e) => e.order.clientOrderId)).toEqual([id, id2]);
    expect(t.events['order.acked']).toHaveLength(2);
    expect(t.events['order.amended'][0].order.priceTicks).toBe(101);
    expect(t.events['order.unknown']).toHaveLength(1);
    expect(t.events['order.canceled'][0].order).toMatchObject({ clientOrderId: id, unknown: false });
    expect(t.events['order.expired'][0].order.clientOrderId).toBe(id2);
  });

  it('forgets ended orders after the retention time; later reports for them are anomalies', () => {
    const t = makeOms({ terminalRetentionUs: 1_000_000 });
    const id = t.place(100, 10);
    t.trade(id, 10);
    t.decide([]);
    expect(t.oms.order(id)).toBeDefined();
    t.advance(1_000_001);
    t.decide([]);
    expect(t.oms.order(id)).toBeUndefined();
    t.oms.onExecutionReport(makeReport({ clientOrderId: id, execType: 'NEW' }));
    expect(t.events['order.anomaly'].at(-1)).toMatchObject({ kind: 'unknown-client-order-id' });
  });
});

describe('report classification', () => {
  it('maps unknown-outcome codes on every request kind to timeout', () => {
    for (const code of UNKNOWN_OUTCOME_CODES) {
      for (const execType of ['REJECTED', 'CANCEL_REJECTED', 'MODIFY_REJECTED'] as const) {
        expect(eventOfReport(makeReport({ clientOrderId: 'x', execType, errorCode: code }))).toBe('timeout');
      }
    }
    expect(eventOfReport(makeReport({ clientOrderId: 'x', execType: 'MODIFY_REJECTED', errorCode: -2013 }))).toBe('unknown-order-reject');
    expect(DEFAULT_OMS_CONFIG.requestGraceUs).toBeGreaterThanOrEqual(5_000_000); // ≥ Binance default recvWindow
  });
});

describe('live-order index and pruning order', () => {
  it('liveOrders(symbol) holds exactly the non-terminal orders in creation order, like openOrders', () => {
    const t = makeOms();
    expect(t.oms.liveOrders('ETHUSDT')).toEqual([]);
    const ids = t.decide([bid(100, 1, 0), ask(101, 1, 0), bid(99, 1, 1)]).map((c) => (c.kind === 'submit' ? c.order.clientOrderId : ''));
    expect(t.oms.liveOrders(SYMBOL).map((o) => o.clientOrderId)).toEqual(ids);
    const idOf = (p: number) => t.oms.liveOrders(SYMBOL).find((o) => o.priceTicks === p)?.clientOrderId ?? '';
    const [b100, a101, b99] = [idOf(100), idOf(101), idOf(99)];
    t.ack(b100);
    t.ack(b99);
    t.trade(b100, 1); // filled: leaves the index
    t.report(a101, { execType: 'REJECTED', status: 'REJECTED' });
    expect(t.oms.liveOrders(SYMBOL).map((o) => o.clientOrderId)).toEqual([b99]);
    expect([...t.oms.openOrders(SYMBOL).keys()]).toEqual([b99]);
    expect([...t.oms.openOrders().keys()]).toEqual([b99]);
    const live = t.oms.liveOrders(SYMBOL)[0];
    expect({ state: live.state, priceTicks: live.priceTicks, remaining: live.qtyLots - live.filledLots }).toEqual({ state: 'open', priceTicks: 99, remaining: 1 });
  });

  it('prunes exactly the orders past retention when ends are out of time order (a clock that went back)', () => {
    let now = 10_000_000;
    const clock = { nowUs: () => now };
    const oms = new OrderManager({ clock, config: { terminalRetentionUs: 1_000_000 } });
    const decide = (quotes: Quote[]) => oms.decide({ symbol: SYMBOL, tsUs: now, quotes, cancelAll: false, flatten: false, reason: 't' });
    const submitId = (cmds: ReturnType<typeof decide>) => (cmds[0].kind === 'submit' ? cmds[0].order.clientOrderId : '');
    const end = (id: string) => oms.onExecutionReport(makeReport({ clientOrderId: id, execType: 'CANCELED', status: 'CANCELED', tsExchangeUs: now }));
    const a = submitId(decide([bid(100, 1)]));
    end(a); // ended at 10.0 s
    now = 9_000_000;
    const b = submitId(decide([bid(100, 1)]));
    end(b); // ended at 9.0 s: earlier than a
    now = 10_500_000; // b is 1.5 s old, a 0.5 s
    decide([]);
    expect(oms.order(b)).toBeUndefined();
    expect(oms.order(a)).toBeDefined();
    now = 11_000_001;
    decide([]);
    expect(oms.order(a)).toBeUndefined();
  });

  it('keeps its prune queue bounded over many ended orders', () => {
    const t = makeOms({ terminalRetentionUs: 10 });
    const ids: string[] = [];
    for (let i = 0; i < 1_100; i++) {
      const id = t.place(100 + (i % 3), 1);
      t.report(id, { execType: 'CANCELED', status: 'CANCELED' });
      ids.push(id);
    }
    t.advance(1_000);
    t.decide([]);
    expect(ids.every((id) => t.oms.order(id) === undefined)).toBe(true);
    const id = t.place(100, 1);
    t.report(id, { execType: 'CANCELED', status: 'CANCELED' });
    t.decide([]);
    expect(t.oms.order(id)).toBeDefined();
    t.advance(1_000);
    t.decide([]);
    expect(t.oms.order(id)).toBeUndefined();
  });
});
