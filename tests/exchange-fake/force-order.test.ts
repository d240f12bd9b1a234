// The local exchange's liquidation streams: `<symbol>@forceOrder` and `!forceOrder@arr` (on
// /market, in the path, the combined stream and by SUBSCRIBE) carry the replayed liquidation
// orders in Binance's payload (the recorded fixture's keys, in its order) at server time, and one
// more when the simulated exchange liquidates one of our accounts (its autoclose- order).
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticMarket } from '../../src/exchange-fake/index.ts';
import { forceOrderPayload } from '../../src/exchange-fake/streams.ts';
import type { ForceOrder, MarketEvent, MarkPrice } from '../../src/model/events.ts';
import { DEFAULT_SYNTHETIC, syntheticInstrument } from '../../src/synthetic/index.ts';
import { ACCOUNT, signed, startLocalExchange } from './helpers.ts';

const inst = syntheticInstrument('BTCUSDT');
const START_US = Date.now() * 1000;
// The keys of the recorded payload (binance-fixtures/market_data_json/liquidation_stream.json), in order.
const FIXTURE_KEYS = ['e', 'E', 'o'];
const FIXTURE_ORDER_KEYS = ['s', 'S', 'o', 'f', 'q', 'p', 'ap', 'X', 'l', 'z', 'T'];

const replayed: ForceOrder[] = [2.0, 2.6].map((s, k) => ({
  type: 'forceOrder', symbol: 'BTCUSDT', tsExchangeUs: START_US + s * 1e6, tsReceiveUs: START_US + s * 1e6, tsTransactUs: START_US + s * 1e6 - 2_000, side: k === 0 ? 'sell' : 'buy',
  orderType: 'LIMIT', timeInForce: 'IOC', origQtyLots: 14 + k, priceTicks: 600_000 + k, avgPrice: `60000.${k}2345678`, status: 'FILLED', lastFilledQtyLots: 14 + k, filledQtyLots: 14 + k,
}));

/**
 * The synthetic market with the liquidation orders above, and the mark price at `crashMarkPrice` at
 * 4 s (data time). The exchange reads its source ahead: everything here is fixed before it starts.
 */
function* market(crashMarkPrice: string): Generator<MarketEvent[]> {
  const extra: MarketEvent[] = [...replayed];
  let crashed = false;
  for (const batch of syntheticMarket([inst], 1, START_US, 30)) {
    const out: MarketEvent[] = [];
    for (const e of batch) {
      while (extra.length > 0 && extra[0].tsExchangeUs <= e.tsExchangeUs) out.push(extra.shift()!);
      if (!crashed && e.tsExchangeUs >= START_US + 4e6) {
        crashed = true;
        const crash: MarkPrice = { type: 'markPrice', symbol: 'BTCUSDT', tsExchangeUs: e.tsExchangeUs, tsReceiveUs: e.tsReceiveUs, markPrice: crashMarkPrice, indexPrice: '', fundingRate: '', nextFundingTimeUs: -1 };
        out.push(crash);
      }
      out.push(e);
    }
    yield out;
  }
}

let h: Awaited<ReturnType<typeof startLocalExchange>>;
let entryPrice = '';

beforeAll(async () => {
  // 500 USDT at 20×: a 7,500 USDT position is allowed, and a 15 % fall of the mark wipes out the wallet.
  const startMid = Number(inst.ticksToPrice(DEFAULT_SYNTHETIC.startMidTicks));
  h = await startLocalExchange({ accounts: [{ ...ACCOUNT, balances: { USDT: '500' } }], source: market((startMid * 0.85).toFixed(1)), margin: true });
}, 30_000);

afterAll(async () => {
  await h?.close();
});

function client(path: string): Promise<{ ws: WebSocket; messages: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${h.wsBase}${path}`);
    const messages: Record<string, unknown>[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d)) as Record<string, unknown>));
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('error', reject);
  });
}

const until = async (what: string, cond: () => boolean, ms = 8_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

type Payload = { e: string; E: number; o: Record<string, unknown> & { s: string; S: string; q: string; X: string; z: string; T: number } };

describe('forceOrder streams of the local exchange', () => {
  it('serves replayed and own liquidation orders on <symbol>@forceOrder and !forceOrder@arr in Binance\'s shape', async () => {
    const sub = await client('/market/ws');
    sub.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['!forceOrder@arr'], id: 1 }));
    sub.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['ethusdt@forceOrder'], id: 2 }));
    sub.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 3 }));
    const combined = await client('/market/stream?streams=btcusdt@forceOrder');
    const raw = await client('/market/ws/btcusdt@forceOrder');
    await until('the replies', () => sub.messages.length >= 3);
    expect(sub.messages[0]).toEqual({ result: null, id: 1 });
    expect(sub.messages[1]).toMatchObject({ id: 2, error: { code: 2 } }); // no such symbol here
    expect(sub.messages[2]).toEqual({ result: ['!forceOrder@arr'], id: 3 });

    // Our position, before the mark falls: 0.125 BTC (about 7,500 USDT) bought at market.
    const ask = h.ex.book('BTCUSDT')!.bestAskTicks();
    entryPrice = inst.ticksToPrice(ask);
    const qty = inst.lotsToQty(Math.floor(7_500 / Number(entryPrice) / 0.001));
    const buy = await signed(h.base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: qty, newOrderRespType: 'RESULT' });
    expect(buy.status, JSON.stringify(buy.json)).toBe(200);
    expect(buy.json.status).toBe('FILLED');

    await until('two replayed and one own liquidation', () => sub.messages.length >= 6 && raw.messages.length >= 3 && combined.messages.length >= 3);
    const onArr = sub.messages.slice(3) as Payload[];
    // The same payloads on every path; the combined stream wraps them.
    expect(raw.messages).toEqual(onArr);
    expect(combined.messages).toEqual(onArr.map((data) => ({ stream: 'btcusdt@forceOrder', data })));
    for (const p of onArr) {
      expect(Object.keys(p)).toEqual(FIXTURE_KEYS);
      expect(Object.keys(p.o)).toEqual(FIXTURE_ORDER_KEYS);
      expect(p.e).toBe('forceOrder');
      expect(Math.abs(p.E - Date.now())).toBeLessThan(10_000); // server time, not the data's
    }
    // The replayed ones: the stored event encoded at its mapped (server) time.
    for (let k = 0; k < 2; k++) expect(onArr[k]).toEqual(forceOrderPayload(replayed[k], inst, (us) => h.ex.mapUs(us)));
    // Ours: the autoclose- order closing the whole long, LIMIT IOC, filled at once.
    const own = onArr[2].o;
    expect(own).toMatchObject({ s: 'BTCUSDT', S: 'SELL', o: 'LIMIT', f: 'IOC', q: qty, X: 'FILLED', l: qty, z: qty });
    expect(Number(own.ap)).toBe(Number(own.p));
    expect(Number(own.p)).toBeLessThan(Number(entryPrice) * 0.9);
    const pos = await signed(h.base, 'GET', '/fapi/v2/positionRisk', { symbol: 'BTCUSDT' });
    expect(Number((pos.json as unknown as { positionAmt: string }[])[0].positionAmt)).toBe(0);
    for (const c of [sub, combined, raw]) c.ws.close();
  }, 30_000);
});
