// The live gateway's REST order entry against `maker exchange` in-process: place, modify, query and
// cancel give the reports the OMS expects; definitive refusals (-5022 post-only would take, -4164
// min notional, -2011) become REJECTED / CANCEL_REJECTED / MODIFY_REJECTED with the code; both key
// types sign; no output carries a secret.
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderRequest, VenueEvent } from '../../../src/model/venue.ts';
import { bookTicks, ED_CREDS, gatewayFor, leaks, restFor, roundTrip, startLocal } from './helpers.ts';

let h: Awaited<ReturnType<typeof startLocal>>;
const outputs: string[] = [];

beforeAll(async () => {
  h = await startLocal();
}, 30_000);

afterAll(async () => {
  await h?.close();
});

const order = (o: Partial<OrderRequest> & Pick<OrderRequest, 'clientOrderId' | 'side' | 'priceTicks'>): OrderRequest => ({ symbol: 'BTCUSDT', type: 'LIMIT', timeInForce: 'GTX', qtyLots: 20, reduceOnly: false, ...o });

function reportOf(events: VenueEvent[]) {
  outputs.push(JSON.stringify(events));
  expect(events).toHaveLength(1);
  const e = events[0];
  if (e.kind !== 'report') throw new Error(`expected a report, got ${JSON.stringify(e)}`);
  return e.report;
}

function answerOf(events: VenueEvent[]) {
  outputs.push(JSON.stringify(events));
  expect(events).toHaveLength(1);
  const e = events[0];
  if (e.kind !== 'queryAnswer') throw new Error(`expected a queryAnswer, got ${JSON.stringify(e)}`);
  return e.result;
}

describe('BinanceGateway: order round trips', () => {
  for (const creds of ['HMAC', 'Ed25519'] as const) {
    it(`submit, query, modify, cancel and query again (${creds} key)`, async () => {
      const rest = creds === 'HMAC' ? restFor(h.base) : restFor(h.base, ED_CREDS);
      const g = gatewayFor(rest);
      const id = `rt-${creds}-1`;
      const { bid } = await bookTicks(h.base);
      const ack = reportOf(await roundTrip(g, { kind: 'submit', order: order({ clientOrderId: id, side: 'buy', priceTicks: bid - 5_000 }) }));
      expect(ack).toMatchObject({ clientOrderId: id, execType: 'NEW', status: 'NEW', side: 'buy', priceTicks: bid - 5_000, origQtyLots: 20, cumFilledLots: 0, errorCode: 0 });
      expect(ack.orderId).toBeGreaterThan(0);

      const q = answerOf(await roundTrip(g, { kind: 'query', symbol: 'BTCUSDT', clientOrderId: id, orderId: ack.orderId }));
      expect(q).toEqual({ clientOrderId: id, found: true, orderId: ack.orderId, status: 'NEW', priceTicks: bid - 5_000, origQtyLots: 20, cumFilledLots: 0 });

      const mod = reportOf(await roundTrip(g, { kind: 'modify', symbol: 'BTCUSDT', clientOrderId: id, side: 'buy', priceTicks: bid - 6_000, qtyLots: 30 }));
      expect(mod).toMatchObject({ clientOrderId: id, orderId: ack.orderId, execType: 'AMENDMENT', status: 'NEW', priceTicks: bid - 6_000, origQtyLots: 30, cumFilledLots: 0 });

      const cxl = reportOf(await roundTrip(g, { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: id }));
      expect(cxl).toMatchObject({ clientOrderId: id, orderId: ack.orderId, execType: 'CANCELED', status: 'CANCELED', priceTicks: bid - 6_000, origQtyLots: 30, cumFilledLots: 0 });

      expect(answerOf(await roundTrip(g, { kind: 'query', symbol: 'BTCUSDT', clientOrderId: id, orderId: ack.orderId }))).toMatchObject({ found: true, status: 'CANCELED' });
      expect(answerOf(await roundTrip(g, { kind: 'query', symbol: 'BTCUSDT', clientOrderId: 'never-sent', orderId: -1 }))).toEqual({ clientOrderId: 'never-sent', found: false });
      expect(g.sent).toEqual({ submit: 1, cancel: 1, modify: 1, query: 3 });
      // Binance's headers were read: the weight is the server's count, not only ours.
      expect(rest.stats.usedWeight1m).toBeGreaterThan(0);
      expect(rest.stats.orderCount1m).toBeGreaterThanOrEqual(2);
      outputs.push(JSON.stringify(rest.stats), inspect(rest, { depth: 5 }));
    });
  }

  it('definitive refusals carry Binance code: -5022 post-only would take, -4164 min notional, -2011 cancel, -2013 modify', async () => {
    const g = gatewayFor(restFor(h.base));
    const { ask, bid } = await bookTicks(h.base);
    const gtx = reportOf(await roundTrip(g, { kind: 'submit', order: order({ clientOrderId: 'rj-gtx', side: 'buy', priceTicks: ask + 2_000 }) }));
    expect(gtx).toMatchObject({ clientOrderId: 'rj-gtx', execType: 'REJECTED', status: 'REJECTED', orderId: -1, errorCode: -5022 });
    expect(gtx.errorMessage).toMatch(/Post Only/);

    const small = reportOf(await roundTrip(g, { kind: 'submit', order: order({ clientOrderId: 'rj-notional', side: 'buy', priceTicks: bid - 100, qtyLots: 1 }) }));
    expect(small).toMatchObject({ execType: 'REJECTED', status: 'REJECTED', errorCode: -4164 });

    const cxl = reportOf(await roundTrip(g, { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: 'rj-none' }));
    expect(cxl).toMatchObject({ clientOrderId: 'rj-none', execType: 'CANCEL_REJECTED', errorCode: -2011 });

    const mod = reportOf(await roundTrip(g, { kind: 'modify', symbol: 'BTCUSDT', clientOrderId: 'rj-none', side: 'buy', priceTicks: bid - 100, qtyLots: 20 }));
    expect(mod.execType).toBe('MODIFY_REJECTED');
    expect([-2011, -2013]).toContain(mod.errorCode);
  });

  it('no secret in any event, stats, inspected client or error message', () => {
    expect(outputs.length).toBeGreaterThan(5);
    expect(leaks(outputs)).toEqual([]);
  });
});
