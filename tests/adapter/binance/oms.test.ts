// The OMS driven through the live gateway against `maker exchange`: its commands become requests,
// the gateway's events bring it to the exchange's state (place, reprice, cancel), and an unknown
// outcome is settled by the OMS's own queries, never by re-sending: a submit whose reply was lost
// after the exchange applied it ends open; one lost before it reached the exchange ends rejected
// once the grace period has passed (-2013 until then is "not yet").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BinanceGateway } from '../../../src/adapter/binance/index.ts';
import { WallClock } from '../../../src/live/index.ts';
import type { Quote } from '../../../src/model/trading.ts';
import { OrderManager } from '../../../src/oms/index.ts';
import { bookTicks, gatewayFor, restFor, startLocal } from './helpers.ts';

let h: Awaited<ReturnType<typeof startLocal>>;
beforeAll(async () => {
  h = await startLocal();
}, 30_000);
afterAll(async () => {
  await h?.close();
});

/** Sends the OMS's commands, waits for their outcomes and feeds them back, until nothing is left. */
async function pump(oms: OrderManager, g: BinanceGateway, cmds: ReturnType<OrderManager['decide']>): Promise<void> {
  for (const c of cmds) g.send(c, Date.now() * 1000);
  await g.idle();
  for (const e of g.drainEvents()) {
    if (e.kind === 'report') oms.onExecutionReport(e.report);
    else if (e.kind === 'requestUnknown') oms.onRequestTimeout(e.clientOrderId);
    else if (e.kind === 'queryAnswer') oms.onQueryResult(e.result);
  }
}

const intent = (quotes: Quote[], cancelAll = false) => ({ symbol: 'BTCUSDT', tsUs: Date.now() * 1000, quotes, cancelAll, flatten: false, reason: 'test' });

async function exchangeOpen(): Promise<{ clientOrderId: string; price: string; origQty: string }[]> {
  const r = await restFor(h.base).request({ method: 'GET', path: '/fapi/v1/openOrders', params: { symbol: 'BTCUSDT' }, signed: true });
  return (r as { body: { clientOrderId: string; price: string; origQty: string }[] }).body;
}

describe('OMS ↔ gateway ↔ maker exchange', () => {
  it('place, reprice and cancel: the OMS ends where the exchange is', async () => {
    const oms = new OrderManager({ clock: new WallClock(), config: { idPrefix: 'omsA' } });
    const g = gatewayFor(restFor(h.base));
    const { bid, ask } = await bookTicks(h.base);
    await pump(oms, g, oms.decide(intent([{ side: 'buy', priceTicks: bid - 5_000, qtyLots: 20, level: 0 }, { side: 'sell', priceTicks: ask + 5_000, qtyLots: 20, level: 0 }])));
    expect([...oms.openOrders().values()].map((o) => o.state)).toEqual(['open', 'open']);
    expect((await exchangeOpen()).map((o) => o.clientOrderId).sort()).toEqual([...oms.openOrders().keys()].sort());

    await pump(oms, g, oms.decide(intent([{ side: 'buy', priceTicks: bid - 6_000, qtyLots: 20, level: 0 }, { side: 'sell', priceTicks: ask + 5_000, qtyLots: 20, level: 0 }])));
    const open = [...oms.openOrders().values()];
    expect(open.map((o) => o.state)).toEqual(['open', 'open']);
    const onExchange = await exchangeOpen();
    expect(onExchange.map((o) => `${o.clientOrderId}@${o.price}`).sort()).toEqual(open.map((o) => `${o.clientOrderId}@${(o.priceTicks / 10).toFixed(1)}`).sort());
    expect(open.some((o) => o.priceTicks === bid - 6_000)).toBe(true);

    await pump(oms, g, oms.decide(intent([], true)));
    expect(oms.openOrders().size).toBe(0);
    expect(await exchangeOpen()).toEqual([]);
  });

  it('a submit applied but its reply lost: requestUnknown, settled by the OMS query, sent once', async () => {
    const oms = new OrderManager({ clock: new WallClock(), config: { idPrefix: 'omsB', queryIntervalUs: 50_000 } });
    const posts: string[] = [];
    let loseReply = true;
    const rest = restFor(h.base, undefined, {
      fetch: async (url, init) => {
        if (init?.method === 'POST' && String(url).includes('/fapi/v1/order?')) posts.push(String(url));
        const res = await fetch(url, init);
        if (loseReply && init?.method === 'POST') {
          loseReply = false;
          await res.text();
          throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
        }
        return res;
      },
    });
    const g = gatewayFor(rest);
    const { bid } = await bookTicks(h.base);
    await pump(oms, g, oms.decide(intent([{ side: 'buy', priceTicks: bid - 7_000, qtyLots: 20, level: 0 }])));
    const [id] = [...oms.openOrders().keys()];
    expect(oms.order(id)).toMatchObject({ state: 'pending-new', unknown: true });
    // The OMS asks; the exchange has it; the order is open. Nothing was re-sent.
    await new Promise((r) => setTimeout(r, 60));
    await pump(oms, g, oms.queriesDue().map((q) => ({ kind: 'query' as const, ...q })));
    expect(oms.order(id)).toMatchObject({ state: 'open', unknown: false });
    expect(oms.order(id)!.orderId).toBeGreaterThan(0);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toContain(`newClientOrderId=${id}`);
    await pump(oms, g, oms.decide(intent([], true)));
    expect(await exchangeOpen()).toEqual([]);
  });

  it('a submit lost before the exchange: -2013 is "not yet" within the grace period, then rejected', async () => {
    const oms = new OrderManager({ clock: new WallClock(), config: { idPrefix: 'omsC', queryIntervalUs: 50_000, requestGraceUs: 400_000 } });
    let posts = 0;
    const rest = restFor(h.base, undefined, {
      fetch: async (url, init) => {
        if (init?.method === 'POST') {
          posts++;
          throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
        }
        return fetch(url, init);
      },
    });
    const g = gatewayFor(rest);
    const { bid } = await bookTicks(h.base);
    await pump(oms, g, oms.decide(intent([{ side: 'buy', priceTicks: bid - 7_000, qtyLots: 20, level: 0 }])));
    const [id] = [...oms.openOrders().keys()];
    await new Promise((r) => setTimeout(r, 60));
    await pump(oms, g, oms.queriesDue().map((q) => ({ kind: 'query' as const, ...q })));
    expect(oms.order(id)).toMatchObject({ state: 'pending-new', unknown: true });
    await new Promise((r) => setTimeout(r, 450));
    await pump(oms, g, oms.queriesDue().map((q) => ({ kind: 'query' as const, ...q })));
    expect(oms.order(id)).toMatchObject({ state: 'rejected' });
    expect(posts).toBe(1);
  });
});
