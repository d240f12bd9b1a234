// Order entry shared by the live gateways (src/adapter/binance/order-entry.ts), without a network:
// the exact parameters each command sends (the OMS's client order id, ACK replies, no field the
// command did not ask for), the exact event each outcome becomes (accepted / rejected / not sent /
// unknown, and a query's found / not found / no answer), and the gateway's bookkeeping (counts,
// one call per command, never re-sent, a mapping bug → requestUnknown, idle() waiting for requests
// sent while it waits). The transports are tested against a local exchange in gateway.test.ts and
// ws-gateway.test.ts; this file pins the mapping the two share.
import { describe, expect, it } from 'vitest';
import { OrderGateway, orderParams, outcomeEvent, type OrderOutcome } from '../../../src/adapter/binance/index.ts';
import { Instrument } from '../../../src/model/instrument.ts';
import type { ExecutionReport, OrderRequest, VenueCommand, VenueEvent } from '../../../src/model/venue.ts';
import { syntheticInstrument } from '../../../src/synthetic/index.ts';

const BTC = new Instrument(syntheticInstrument('BTCUSDT').spec); // tick 0.1, step 0.001
const inst = (symbol: string): Instrument => {
  if (symbol !== 'BTCUSDT') throw new Error(`no instrument for ${symbol}`);
  return BTC;
};
const TS = 1_700_000_123_456_789; // µs, not a whole ms
const TS_MS_US = 1_700_000_123_456_000;

const limitBuy: OrderRequest = { symbol: 'BTCUSDT', clientOrderId: 'mk-1', side: 'buy', type: 'LIMIT', timeInForce: 'GTX', priceTicks: 618_001, qtyLots: 20, reduceOnly: false };
const submit = (o: Partial<OrderRequest> = {}): VenueCommand => ({ kind: 'submit', order: { ...limitBuy, ...o } });
const cancel: VenueCommand = { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: 'mk-2' };
const modify: VenueCommand = { kind: 'modify', symbol: 'BTCUSDT', clientOrderId: 'mk-3', side: 'sell', priceTicks: 618_123, qtyLots: 35 };
const query: VenueCommand = { kind: 'query', symbol: 'BTCUSDT', clientOrderId: 'mk-4', orderId: 77 };

const ok = (body: object): OrderOutcome => ({ kind: 'ok', status: 200, body });
const rejected = (code: number, msg = `refused ${code}`): OrderOutcome => ({ kind: 'rejected', status: 400, code, msg });
const unknown: OrderOutcome = { kind: 'unknown', cause: 'POST /fapi/v1/order: no reply within 5000 ms' };
const throttled: OrderOutcome = { kind: 'throttled', untilUs: TS + 1_000_000, code: -1003, cause: 'weight budget spent' };

/** A Binance order object as a reply carries it. */
const binanceOrder = (o: Record<string, unknown> = {}) => ({ orderId: 9001, symbol: 'BTCUSDT', status: 'NEW', clientOrderId: 'mk-x', price: '61812.3', origQty: '0.035', executedQty: '0.010', side: 'SELL', reduceOnly: true, updateTime: 1_700_000_200_000, ...o });

/** Every field of a report, the ones not given at their "nothing" value. */
const fullReport = (r: Partial<ExecutionReport> & Pick<ExecutionReport, 'clientOrderId' | 'orderId' | 'execType' | 'status'>): ExecutionReport => ({
  symbol: 'BTCUSDT',
  side: 'buy',
  priceTicks: 0,
  origQtyLots: 0,
  cumFilledLots: 0,
  lastFillLots: 0,
  lastFillPriceTicks: 0,
  tradeId: -1,
  liquidity: null,
  commission: '0',
  errorCode: 0,
  errorMessage: '',
  reduceOnly: false,
  tsExchangeUs: 0,
  ...r,
});

describe('orderParams: what each command sends (strictly: a key with an undefined value would go out as "undefined")', () => {
  it('a LIMIT submit: the OMS client order id, side, quantity and price as decimals, ACK reply, time in force', () => {
    expect(orderParams(submit(), inst)).toStrictEqual({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.020', newClientOrderId: 'mk-1', newOrderRespType: 'ACK', timeInForce: 'GTX', price: '61800.1' });
  });

  it('reduce-only and self-trade prevention are sent only when asked', () => {
    expect(orderParams(submit({ side: 'sell', reduceOnly: true, selfTradePrevention: 'EXPIRE_BOTH', timeInForce: 'IOC' }), inst)).toStrictEqual({
      symbol: 'BTCUSDT',
      side: 'SELL',
      type: 'LIMIT',
      quantity: '0.020',
      newClientOrderId: 'mk-1',
      newOrderRespType: 'ACK',
      timeInForce: 'IOC',
      price: '61800.1',
      reduceOnly: 'true',
      selfTradePreventionMode: 'EXPIRE_BOTH',
    });
  });

  it('a MARKET submit has neither price nor time in force', () => {
    expect(orderParams(submit({ type: 'MARKET', side: 'sell', qtyLots: 1 }), inst)).toStrictEqual({ symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.001', newClientOrderId: 'mk-1', newOrderRespType: 'ACK' });
  });

  it('modify, cancel and query name the order by the OMS client order id', () => {
    expect(orderParams(modify, inst)).toStrictEqual({ symbol: 'BTCUSDT', origClientOrderId: 'mk-3', side: 'SELL', quantity: '0.035', price: '61812.3' });
    expect(orderParams({ ...modify, side: 'buy' } as VenueCommand, inst)).toMatchObject({ side: 'BUY' });
    expect(orderParams(cancel, inst)).toStrictEqual({ symbol: 'BTCUSDT', origClientOrderId: 'mk-2' });
    expect(orderParams(query, inst)).toStrictEqual({ symbol: 'BTCUSDT', origClientOrderId: 'mk-4' });
  });
});

describe('outcomeEvent: submit', () => {
  it('accepted: the acknowledgement only (NEW, nothing filled) with the reply order id and update time, whatever the reply says was filled', () => {
    const e = outcomeEvent(submit({ reduceOnly: true }), ok(binanceOrder({ status: 'FILLED', executedQty: '0.020', clientOrderId: 'mk-1', side: 'BUY' })), inst, TS);
    expect(e).toEqual({ kind: 'report', report: fullReport({ clientOrderId: 'mk-1', orderId: 9001, execType: 'NEW', status: 'NEW', side: 'buy', priceTicks: 618_001, origQtyLots: 20, reduceOnly: true, tsExchangeUs: 1_700_000_200_000_000 }) });
  });

  it('accepted without an update time: stamped with the send time, whole ms', () => {
    const e = outcomeEvent(submit({ side: 'sell' }), ok({ orderId: 5, symbol: 'BTCUSDT', status: 'NEW', clientOrderId: 'mk-1' }), inst, TS);
    expect(e).toEqual({ kind: 'report', report: fullReport({ clientOrderId: 'mk-1', orderId: 5, execType: 'NEW', status: 'NEW', side: 'sell', priceTicks: 618_001, origQtyLots: 20, tsExchangeUs: TS_MS_US }) });
  });

  it('a MARKET order is reported at price 0', () => {
    const e = outcomeEvent(submit({ type: 'MARKET' }), ok({ orderId: 6, updateTime: 1 }), inst, TS);
    expect(e).toMatchObject({ kind: 'report', report: { priceTicks: 0, execType: 'NEW', orderId: 6 } });
  });

  it('rejected: REJECTED with Binance code and message, no order id, at the send time', () => {
    const e = outcomeEvent(submit(), rejected(-5022, 'Due to the order could not be executed as maker, the Post Only order will be rejected.'), inst, TS);
    expect(e).toEqual({
      kind: 'report',
      report: fullReport({ clientOrderId: 'mk-1', orderId: -1, execType: 'REJECTED', status: 'REJECTED', priceTicks: 618_001, origQtyLots: 20, errorCode: -5022, errorMessage: 'Due to the order could not be executed as maker, the Post Only order will be rejected.', tsExchangeUs: TS }),
    });
  });

  it('not sent (budget, 429 wait, closed): REJECTED "not sent: …" with the code', () => {
    const e = outcomeEvent(submit(), throttled, inst, TS);
    expect(e).toEqual({ kind: 'report', report: fullReport({ clientOrderId: 'mk-1', orderId: -1, execType: 'REJECTED', status: 'REJECTED', priceTicks: 618_001, origQtyLots: 20, errorCode: -1003, errorMessage: 'not sent: weight budget spent', tsExchangeUs: TS }) });
  });

  it('unknown: requestUnknown with the cause, never a reject', () => {
    expect(outcomeEvent(submit(), unknown, inst, TS)).toEqual({ kind: 'requestUnknown', symbol: 'BTCUSDT', clientOrderId: 'mk-1', request: 'submit', cause: 'POST /fapi/v1/order: no reply within 5000 ms' });
  });
});

describe('outcomeEvent: cancel', () => {
  it('accepted: CANCELED from the reply (side, price, quantity, filled, reduce-only, update time)', () => {
    const e = outcomeEvent(cancel, ok(binanceOrder({ status: 'CANCELED', clientOrderId: 'mk-2' })), inst, TS);
    expect(e).toEqual({ kind: 'report', report: fullReport({ clientOrderId: 'mk-2', orderId: 9001, execType: 'CANCELED', status: 'CANCELED', side: 'sell', priceTicks: 618_123, origQtyLots: 35, cumFilledLots: 10, reduceOnly: true, tsExchangeUs: 1_700_000_200_000_000 }) });
  });

  it('a reply without reduceOnly nor updateTime: not reduce-only, stamped with the send time', () => {
    const { reduceOnly: _r, updateTime: _u, ...bare } = binanceOrder({ status: 'CANCELED', side: 'BUY', clientOrderId: 'mk-2' });
    const e = outcomeEvent(cancel, ok(bare), inst, TS);
    expect(e).toMatchObject({ kind: 'report', report: { side: 'buy', reduceOnly: false, tsExchangeUs: TS_MS_US } });
  });

  it('a reply with reduceOnly false', () => {
    expect(outcomeEvent(cancel, ok(binanceOrder({ reduceOnly: false })), inst, TS)).toMatchObject({ report: { reduceOnly: false } });
  });

  it('rejected (-2011): CANCEL_REJECTED, the order still NEW as far as this says', () => {
    const e = outcomeEvent(cancel, rejected(-2011, 'Unknown order sent.'), inst, TS);
    expect(e).toEqual({ kind: 'report', report: fullReport({ clientOrderId: 'mk-2', orderId: -1, execType: 'CANCEL_REJECTED', status: 'NEW', errorCode: -2011, errorMessage: 'Unknown order sent.', tsExchangeUs: TS }) });
  });

  it('not sent: CANCEL_REJECTED "not sent: …"', () => {
    expect(outcomeEvent(cancel, throttled, inst, TS)).toMatchObject({ report: { execType: 'CANCEL_REJECTED', status: 'NEW', errorCode: -1003, errorMessage: 'not sent: weight budget spent' } });
  });

  it('unknown: requestUnknown cancel', () => {
    expect(outcomeEvent(cancel, unknown, inst, TS)).toEqual({ kind: 'requestUnknown', symbol: 'BTCUSDT', clientOrderId: 'mk-2', request: 'cancel', cause: 'POST /fapi/v1/order: no reply within 5000 ms' });
  });
});

describe('outcomeEvent: modify', () => {
  it('accepted: AMENDMENT with the reply price, quantity and filled quantity', () => {
    const e = outcomeEvent(modify, ok(binanceOrder({ clientOrderId: 'mk-3', status: 'PARTIALLY_FILLED' })), inst, TS);
    expect(e).toEqual({ kind: 'report', report: fullReport({ clientOrderId: 'mk-3', orderId: 9001, execType: 'AMENDMENT', status: 'PARTIALLY_FILLED', side: 'sell', priceTicks: 618_123, origQtyLots: 35, cumFilledLots: 10, reduceOnly: true, tsExchangeUs: 1_700_000_200_000_000 }) });
  });

  it('a modify Binance turned into a cancel or an expiry is reported as such', () => {
    expect(outcomeEvent(modify, ok(binanceOrder({ status: 'CANCELED' })), inst, TS)).toMatchObject({ report: { execType: 'CANCELED', status: 'CANCELED' } });
    expect(outcomeEvent(modify, ok(binanceOrder({ status: 'EXPIRED' })), inst, TS)).toMatchObject({ report: { execType: 'EXPIRED', status: 'EXPIRED' } });
    expect(outcomeEvent(modify, ok(binanceOrder({ status: 'NEW' })), inst, TS)).toMatchObject({ report: { execType: 'AMENDMENT', status: 'NEW' } });
  });

  it('rejected (-2013 order does not exist, -5027 no change): MODIFY_REJECTED with the requested price and quantity, status NEW', () => {
    const e = outcomeEvent(modify, rejected(-2013, 'Order does not exist.'), inst, TS);
    expect(e).toEqual({ kind: 'report', report: fullReport({ clientOrderId: 'mk-3', orderId: -1, execType: 'MODIFY_REJECTED', status: 'NEW', side: 'sell', priceTicks: 618_123, origQtyLots: 35, errorCode: -2013, errorMessage: 'Order does not exist.', tsExchangeUs: TS }) });
  });

  it('unknown: requestUnknown modify', () => {
    expect(outcomeEvent(modify, unknown, inst, TS)).toMatchObject({ kind: 'requestUnknown', clientOrderId: 'mk-3', request: 'modify' });
  });
});

describe('outcomeEvent: query', () => {
  it('found: the order as Binance has it, with the average fill price when it is on the tick grid', () => {
    const e = outcomeEvent(query, ok(binanceOrder({ clientOrderId: 'mk-4', status: 'PARTIALLY_FILLED', avgPrice: '61812.3' })), inst, TS);
    expect(e).toEqual({ kind: 'queryAnswer', symbol: 'BTCUSDT', result: { clientOrderId: 'mk-4', found: true, orderId: 9001, status: 'PARTIALLY_FILLED', priceTicks: 618_123, origQtyLots: 35, cumFilledLots: 10, avgFillPriceTicks: 618_123 } });
  });

  it('no average fill price when it is absent, zero (nothing filled) or off the grid', () => {
    const base = { clientOrderId: 'mk-4', found: true, orderId: 9001, status: 'NEW', priceTicks: 618_123, origQtyLots: 35, cumFilledLots: 10 };
    for (const avgPrice of [undefined, '0', '0.00000', '61812.35']) {
      const e = outcomeEvent(query, ok(binanceOrder({ avgPrice })), inst, TS);
      expect(e, String(avgPrice)).toEqual({ kind: 'queryAnswer', symbol: 'BTCUSDT', result: base });
    }
  });

  it('-2013 (no such order): found false', () => {
    expect(outcomeEvent(query, rejected(-2013), inst, TS)).toEqual({ kind: 'queryAnswer', symbol: 'BTCUSDT', result: { clientOrderId: 'mk-4', found: false } });
  });

  it('no answer (unknown, not sent, another refusal): nothing, the OMS asks again', () => {
    for (const r of [unknown, throttled, rejected(-2011), rejected(-1021), rejected(-2015)]) expect(outcomeEvent(query, r, inst, TS)).toBeUndefined();
    // Only Binance's definitive -2013 says "not found": a request not sent proves nothing, whatever its code.
    expect(outcomeEvent(query, { kind: 'throttled', untilUs: TS, code: -2013, cause: 'x' }, inst, TS)).toBeUndefined();
  });
});

/** A gateway whose transport answers from a script; each call is recorded. */
class ScriptedGateway extends OrderGateway {
  readonly calls: { cmd: VenueCommand; params: Record<string, string> }[] = [];
  constructor(
    private readonly answer: (cmd: VenueCommand) => Promise<OrderOutcome>,
    onEvents?: () => void,
  ) {
    super(new Map([['BTCUSDT', BTC]]), onEvents);
  }
  protected call(cmd: VenueCommand, params: Record<string, string>): Promise<OrderOutcome> {
    this.calls.push({ cmd, params });
    return this.answer(cmd);
  }
}

const clientIdOf = (c: VenueCommand): string => (c.kind === 'submit' ? c.order.clientOrderId : c.clientOrderId);
const later = <T>(ms: number, v: T) => new Promise<T>((r) => setTimeout(() => r(v), ms));

describe('OrderGateway', () => {
  it('one call per command with its parameters, counted by kind; events queued in outcome order and drained once', async () => {
    const g = new ScriptedGateway((cmd) => (cmd.kind === 'submit' ? later(30, ok({ orderId: 1, updateTime: 2 })) : Promise.resolve(rejected(-2011))));
    g.send(submit(), TS);
    g.send(cancel, TS);
    g.send(query, TS);
    expect(g.sent).toEqual({ submit: 1, cancel: 1, modify: 0, query: 1 });
    await g.idle();
    expect(g.calls.map((c) => c.params)).toEqual([orderParams(submit(), inst), orderParams(cancel, inst), orderParams(query, inst)]);
    const events = g.drainEvents();
    // The query refused with -2011 answers nothing; the cancel's refusal came before the submit's ack.
    expect(events.map((e) => (e.kind === 'report' ? `${e.report.clientOrderId} ${e.report.execType}` : e.kind))).toEqual(['mk-2 CANCEL_REJECTED', 'mk-1 NEW']);
    expect(g.drainEvents()).toEqual([]);
  });

  it('an unknown outcome is never re-sent by the gateway', async () => {
    const g = new ScriptedGateway(() => Promise.resolve(unknown));
    g.send(submit(), TS);
    await g.idle();
    await later(20, null);
    expect(g.calls).toHaveLength(1);
    expect(g.drainEvents()).toEqual([{ kind: 'requestUnknown', symbol: 'BTCUSDT', clientOrderId: 'mk-1', request: 'submit', cause: 'POST /fapi/v1/order: no reply within 5000 ms' }]);
  });

  it('a failure of the mapping or transport (a bug) makes a submit, cancel or modify unknown, and a query answer nothing', async () => {
    const g = new ScriptedGateway(() => Promise.reject(new Error('boom')));
    g.send(submit(), TS);
    g.send(cancel, TS);
    g.send(modify, TS);
    g.send(query, TS);
    g.send({ kind: 'submit', order: { ...limitBuy, symbol: 'ETHUSDT', clientOrderId: 'eth-1' } }, TS);
    g.send({ kind: 'cancel', symbol: 'ETHUSDT', clientOrderId: 'eth-2' }, TS);
    await g.idle();
    const events = g.drainEvents();
    expect(events).toHaveLength(5);
    expect(events).toEqual(
      expect.arrayContaining([
        { kind: 'requestUnknown', symbol: 'BTCUSDT', clientOrderId: 'mk-1', request: 'submit', cause: 'internal: boom' },
        { kind: 'requestUnknown', symbol: 'BTCUSDT', clientOrderId: 'mk-2', request: 'cancel', cause: 'internal: boom' },
        { kind: 'requestUnknown', symbol: 'BTCUSDT', clientOrderId: 'mk-3', request: 'modify', cause: 'internal: boom' },
        // No instrument for a submit: nothing was sent, the mapping failed; the OMS settles it by query.
        { kind: 'requestUnknown', symbol: 'ETHUSDT', clientOrderId: 'eth-1', request: 'submit', cause: 'internal: no instrument for ETHUSDT' },
        { kind: 'requestUnknown', symbol: 'ETHUSDT', clientOrderId: 'eth-2', request: 'cancel', cause: 'internal: boom' },
      ]),
    );
    expect(g.calls.map((c) => clientIdOf(c.cmd))).toEqual(['mk-1', 'mk-2', 'mk-3', 'mk-4', 'eth-2']);
  });

  it('onEvents is told of every queued event; idle() also waits for commands sent while it waits', async () => {
    let told = 0;
    let g: ScriptedGateway | undefined;
    g = new ScriptedGateway(
      (cmd) => later(cmd.kind === 'submit' ? 10 : 40, cmd.kind === 'submit' ? ok({ orderId: 3, updateTime: 4 }) : rejected(-2011)),
      () => {
        told++;
        // The driver reacts to the ack with a cancel, sent while idle() is waiting.
        if (told === 1) g!.send(cancel, TS);
      },
    );
    g.send(submit(), TS);
    await g.idle();
    expect(told).toBe(2);
    expect(g.drainEvents().map((e) => e.kind === 'report' && e.report.execType)).toEqual(['NEW', 'CANCEL_REJECTED']);
    g.enqueue({ kind: 'queryAnswer', symbol: 'BTCUSDT', result: { clientOrderId: 'x', found: false } });
    expect(told).toBe(3);
  });

  it('idle() with nothing in flight resolves at once', async () => {
    const g = new ScriptedGateway(() => Promise.resolve(unknown));
    await g.idle();
    expect(g.drainEvents()).toEqual([]);
  });
});
