// REST market history of the local exchange (trades, historicalTrades, aggTrades, klines,
// premiumIndex) agrees with its streams and with itself: every streamed trade is served with the
// same fields, aggregates cover the trades exactly, klines are the trades' OHLCV, premiumIndex is
// the last markPrice; ccxt's fetchTrades / fetchOHLCV / watchTrades read them unmodified.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Decimal } from 'decimal.js';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_WEIGHTS, costOf, depthWeight, klinesWeight } from '../../src/exchange-fake/rate-weights.ts';

const weightOf = (key: string, params: ReadonlyMap<string, string>): number => costOf(CORE_WEIGHTS, key, params).weight;
import { SHARED } from '../support/shared-data.ts';
import { ACCOUNT, ccxtPro, ccxtRest, closePro, startExchange } from './helpers.ts';

const FIXTURES = join(SHARED, 'data', 'binance-fixtures', 'python-resources', 'http_responses');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(FIXTURES, `http_futures_market_${name}.json`), 'utf8'));
const typesOf = (x: unknown): string[] => (Array.isArray(x) ? x.map((v) => typeof v) : Object.entries(x as object).map(([k, v]) => `${k}:${typeof v}`).sort());

let h: Awaited<ReturnType<typeof startExchange>>;

interface RestTrade { id: number; price: string; qty: string; quoteQty: string; time: number; isBuyerMaker: boolean }
interface RestAgg { a: number; p: string; q: string; f: number; l: number; T: number; m: boolean }
type Kline = [number, string, string, string, string, string, number, string, number, string, string, string];

beforeAll(async () => {
  h = await startExchange();
}, 30_000);

afterAll(async () => {
  await h?.close();
});

async function get<T>(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const r = await fetch(`${h.base}${path}`, { headers, signal: AbortSignal.timeout(5_000) });
  return { status: r.status, body: (await r.json()) as T };
}

function listen(streams: string): Promise<{ ws: WebSocket; messages: { stream: string; data: Record<string, unknown> }[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${h.base.replace('http', 'ws')}/market/stream?streams=${streams}`);
    const messages: { stream: string; data: Record<string, unknown> }[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('error', reject);
  });
}

const until = async (cond: () => boolean, ms = 8_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('trades', () => {
  it('every trade of the @trade stream is served by /trades and /historicalTrades with the same fields', async () => {
    const s = await listen('btcusdt@trade');
    await until(() => s.messages.length >= 20);
    s.ws.close();
    const streamed = s.messages.map((m) => m.data);
    const { status, body } = await get<RestTrade[]>('/fapi/v1/trades?symbol=BTCUSDT&limit=1000');
    expect(status).toBe(200);
    const byId = new Map(body.map((t) => [t.id, t]));
    for (const t of streamed) {
      const r = byId.get(t.t as number);
      expect(r, `trade ${t.t}`).toBeDefined();
      expect(r).toMatchObject({ price: t.p, qty: t.q, time: t.T, isBuyerMaker: t.m });
      expect(new Decimal(r!.quoteQty).eq(new Decimal(t.p as string).mul(t.q as string))).toBe(true);
    }
    // Ascending ids, the latest last; limit counts from the latest.
    for (let i = 1; i < body.length; i++) expect(body[i].id).toBeGreaterThan(body[i - 1].id);
    const last3 = await get<RestTrade[]>('/fapi/v1/trades?symbol=BTCUSDT&limit=3');
    expect(last3.body.length).toBe(3);
    expect(last3.body[2].id).toBeGreaterThanOrEqual(body[body.length - 1].id);

    const first = streamed[0].t as number;
    const hist = await get<RestTrade[]>(`/fapi/v1/historicalTrades?symbol=BTCUSDT&fromId=${first}&limit=5`, { 'x-mbx-apikey': ACCOUNT.apiKey });
    expect(hist.status).toBe(200);
    expect(hist.body.map((t) => t.id)).toEqual(body.filter((t) => t.id >= first).slice(0, 5).map((t) => t.id));
  });

  it('historicalTrades needs an API key (MARKET_DATA); bad limits and symbols get Binance codes', async () => {
    expect((await get<{ code: number }>('/fapi/v1/historicalTrades?symbol=BTCUSDT')).body.code).toBe(-2015);
    expect((await get<{ code: number }>('/fapi/v1/historicalTrades?symbol=BTCUSDT', { 'x-mbx-apikey': 'nokey' })).body.code).toBe(-2015);
    expect((await get<{ code: number }>('/fapi/v1/trades?symbol=BTCUSDT&limit=1001')).body.code).toBe(-1130);
    expect((await get<{ code: number }>('/fapi/v1/trades?symbol=NOPE')).body.code).toBe(-1121);
    expect((await get<{ code: number }>('/fapi/v1/trades')).body.code).toBe(-1102);
  });
});

describe('aggTrades', () => {
  it('cover the trades exactly: consecutive id ranges, one price and side each, summed quantity', async () => {
    const aggs = (await get<RestAgg[]>('/fapi/v1/aggTrades?symbol=BTCUSDT&limit=1000')).body;
    const trades = (await get<RestTrade[]>('/fapi/v1/trades?symbol=BTCUSDT&limit=1000')).body;
    expect(aggs.length).toBeGreaterThan(5);
    const byId = new Map(trades.map((t) => [t.id, t]));
    let checked = 0;
    for (let i = 0; i < aggs.length; i++) {
      const a = aggs[i];
      if (i > 0) {
        expect(a.a).toBe(aggs[i - 1].a + 1);
        expect(a.f).toBe(aggs[i - 1].l + 1);
      }
      const parts = [];
      for (let id = a.f; id <= a.l; id++) parts.push(byId.get(id));
      if (parts.some((t) => t === undefined)) continue; // older than the trade ring
      checked++;
      for (const t of parts) expect(t).toMatchObject({ price: a.p, isBuyerMaker: a.m, time: a.T });
      expect(parts.reduce((s, t) => s.add(t!.qty), new Decimal(0)).eq(a.q)).toBe(true);
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('fromId, startTime/endTime and limit as Binance; more than 1 h between them is -1127', async () => {
    const all = (await get<RestAgg[]>('/fapi/v1/aggTrades?symbol=BTCUSDT&limit=1000')).body;
    const mid = all[Math.floor(all.length / 2)];
    const from = (await get<RestAgg[]>(`/fapi/v1/aggTrades?symbol=BTCUSDT&fromId=${mid.a}&limit=3`)).body;
    expect(from.map((a) => a.a)).toEqual([mid.a, mid.a + 1, mid.a + 2]);
    const t0 = all[1].T;
    const t1 = all[all.length - 2].T;
    const win = (await get<RestAgg[]>(`/fapi/v1/aggTrades?symbol=BTCUSDT&startTime=${t0}&endTime=${t1}&limit=1000`)).body;
    expect(win.map((a) => a.a)).toEqual(all.filter((a) => a.T >= t0 && a.T <= t1).map((a) => a.a));
    const firstTwo = (await get<RestAgg[]>(`/fapi/v1/aggTrades?symbol=BTCUSDT&startTime=${t0}&endTime=${t1}&limit=2`)).body;
    expect(firstTwo).toEqual(win.slice(0, 2));
    expect((await get<RestAgg[]>(`/fapi/v1/aggTrades?symbol=BTCUSDT&startTime=${t0}&endTime=${t0 + 3_600_000}`)).status).toBe(200); // ccxt's since + 1 h
    const tooLong = await get<{ code: number; msg: string }>(`/fapi/v1/aggTrades?symbol=BTCUSDT&startTime=${t0}&endTime=${t0 + 3_600_001}`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.code).toBe(-1127);
    expect((await get<{ code: number }>(`/fapi/v1/aggTrades?symbol=BTCUSDT&startTime=${t1}&endTime=${t0}`)).body.code).toBe(-1023);
  });
});

describe('premiumIndex', () => {
  it('is the last markPrice event of the stream (mark, index, funding rate, next funding time)', async () => {
    const s = await listen('btcusdt@markPrice@1s');
    await until(() => s.messages.length >= 1);
    const all = await get<Record<string, unknown>[]>('/fapi/v1/premiumIndex');
    const one = await get<Record<string, unknown>>('/fapi/v1/premiumIndex?symbol=BTCUSDT');
    s.ws.close();
    const m = s.messages[s.messages.length - 1].data;
    expect(one.body).toMatchObject({ symbol: 'BTCUSDT', interestRate: '0.00010000', nextFundingTime: m.T });
    expect(Number(one.body.markPrice)).toBeCloseTo(Number(m.p), -2);
    expect(Object.keys(one.body).sort()).toEqual(['estimatedSettlePrice', 'indexPrice', 'interestRate', 'lastFundingRate', 'markPrice', 'nextFundingTime', 'symbol', 'time']);
    expect(all.body).toHaveLength(1);
    expect(all.body[0].symbol).toBe('BTCUSDT');
  });
});

describe('klines', () => {
  it('bad intervals and limits get -1120 / -1130; a missing interval -1102', async () => {
    expect((await get<{ code: number }>('/fapi/v1/klines?symbol=BTCUSDT&interval=7m')).body.code).toBe(-1120);
    expect((await get<{ code: number }>('/fapi/v1/klines?symbol=BTCUSDT')).body.code).toBe(-1102);
    expect((await get<{ code: number }>('/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1501')).body.code).toBe(-1130);
  });

  it('ccxt fetchTrades (aggTrades), fetchOHLCV (klines) and watchTrades (@trade) read them unmodified', async () => {
    const c = await ccxtRest(h.base);
    const trades = await c.fetchTrades('BTC/USDT:USDT', undefined, 50);
    expect(trades.length).toBeGreaterThan(0);
    expect(trades.length).toBeLessThanOrEqual(50);
    expect(trades[0].symbol).toBe('BTC/USDT:USDT');
    expect(['buy', 'sell']).toContain(trades[0].side);
    const since = trades[0].timestamp!;
    const again = await c.fetchTrades('BTC/USDT:USDT', since, 10); // ccxt sends startTime and endTime = since + 1 h
    expect(again[0].timestamp).toBeGreaterThanOrEqual(since);
    const ohlcv = await c.fetchOHLCV('BTC/USDT:USDT', '1m', undefined, 5);
    expect(ohlcv.length).toBeGreaterThan(0);
    const [t, o, hi, lo, cl, v] = ohlcv[ohlcv.length - 1];
    expect(t! % 60_000).toBe(0);
    expect(hi!).toBeGreaterThanOrEqual(Math.max(o!, cl!));
    expect(lo!).toBeLessThanOrEqual(Math.min(o!, cl!));
    expect(v!).toBeGreaterThanOrEqual(0);

    const pro = await ccxtPro(h.base);
    try {
      const seen = await pro.watchTrades('BTC/USDT:USDT');
      expect(seen.length).toBeGreaterThan(0);
      const served = new Map((await get<RestTrade[]>('/fapi/v1/trades?symbol=BTCUSDT&limit=1000')).body.map((x) => [String(x.id), x]));
      for (const x of seen) {
        const r = served.get(x.id!);
        expect(r, `trade ${x.id}`).toBeDefined();
        expect(x.price).toBe(Number(r!.price));
        expect(x.amount).toBe(Number(r!.qty));
        expect(x.timestamp).toBe(r!.time);
        expect(x.side).toBe(r!.isBuyerMaker ? 'sell' : 'buy');
      }
    } finally {
      await closePro(pro);
    }
  });

  it('are the OHLCV of the served trades, premiumIndex the last mark (market frozen); start/end/limit select as Binance; the open kline is included', async () => {
    const marks = await listen('btcusdt@markPrice@1s');
    await until(() => marks.messages.length >= 1);
    h.ex.stop(); // freeze the market: every request below sees the same trades
    await new Promise((r) => setTimeout(r, 300));
    marks.ws.close();
    const m = marks.messages[marks.messages.length - 1].data;
    const pi = (await get<Record<string, unknown>>('/fapi/v1/premiumIndex?symbol=BTCUSDT')).body;
    expect(pi).toMatchObject({ markPrice: m.p, indexPrice: m.i, estimatedSettlePrice: m.i, lastFundingRate: m.r, nextFundingTime: m.T });
    const trades = (await get<RestTrade[]>('/fapi/v1/trades?symbol=BTCUSDT&limit=1000')).body;
    const aggs = (await get<RestAgg[]>('/fapi/v1/aggTrades?symbol=BTCUSDT&limit=1000')).body;
    // With 1,000 trades served the oldest minute may have more trades than these: compare the later ones.
    const complete = trades.length < 1000;
    const firstOpen = Math.floor(trades[0].time / 60_000) * 60_000;
    const allKlines = (await get<Kline[]>('/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1500')).body;
    const klines = complete ? allKlines : allKlines.filter((k) => k[0] > firstOpen);
    const expected = new Map<number, Kline>();
    for (const t of trades) {
      const open = Math.floor(t.time / 60_000) * 60_000;
      const k = expected.get(open);
      const buy = !t.isBuyerMaker;
      if (k === undefined) {
        expected.set(open, [open, t.price, t.price, t.price, t.price, t.qty, open + 59_999, t.quoteQty, 1, buy ? t.qty : '0', buy ? t.quoteQty : '0', '0']);
        continue;
      }
      if (Number(t.price) > Number(k[2])) k[2] = t.price;
      if (Number(t.price) < Number(k[3])) k[3] = t.price;
      k[4] = t.price;
      k[5] = new Decimal(k[5]).add(t.qty).toFixed(3);
      k[7] = new Decimal(k[7]).add(t.quoteQty).toString();
      k[8]++;
      if (buy) {
        k[9] = new Decimal(k[9]).add(t.qty).toFixed(3);
        k[10] = new Decimal(k[10]).add(t.quoteQty).toString();
      }
    }
    const norm = (k: Kline) => [k[0], k[1], k[2], k[3], k[4], new Decimal(k[5]).toString(), k[6], new Decimal(k[7]).toString(), k[8], new Decimal(k[9]).toString(), new Decimal(k[10]).toString(), k[11]];
    expect(klines.map(norm)).toEqual([...expected.values()].filter((k) => complete || k[0] > firstOpen).map(norm));
    // The open kline (the current minute) is the last one; closeTime = open + interval − 1.
    expect(klines[klines.length - 1][0]).toBe(Math.floor(h.server.nowMs() / 60_000) * 60_000);
    // aggTrades and klines agree on volume.
    expect(aggs.reduce((s, a) => s.add(a.q), new Decimal(0)).eq(trades.reduce((s, t) => s.add(t.qty), new Decimal(0)))).toBe(true);

    const open = allKlines[0][0];
    const byEnd = (await get<Kline[]>(`/fapi/v1/klines?symbol=BTCUSDT&interval=1m&endTime=${open + 59_999}&limit=10`)).body;
    expect(byEnd).toEqual([allKlines[0]]);
    const none = (await get<Kline[]>(`/fapi/v1/klines?symbol=BTCUSDT&interval=1m&endTime=${open - 1}`)).body;
    expect(none).toEqual([]);
    const day = (await get<Kline[]>('/fapi/v1/klines?symbol=BTCUSDT&interval=1d')).body;
    expect(day).toHaveLength(1);
    if (complete) expect(day[0][8]).toBe(trades.length);
  });

  it('an hour without trades is served as flat klines at the previous close', async () => {
    // Built directly: one trade, then a request an hour and a half later on a frozen clock.
    const { LocalExchange, ExchangeServer } = await import('../../src/exchange-fake/index.ts');
    const { Rng } = await import('../../src/core/random.ts');
    const { syntheticInstrument } = await import('../../src/synthetic/index.ts');
    const inst = syntheticInstrument('BTCUSDT');
    let now = 1_699_920_000_000_000; // µs, a day boundary
    const trade = (id: number, at: number, ticks: number) => ({ type: 'trade' as const, symbol: 'BTCUSDT', tsExchangeUs: at, tsReceiveUs: at, tsTransactUs: at, tradeId: id, priceTicks: ticks, qtyLots: 2, buyerIsMaker: false });
    const ex = new LocalExchange({
      instruments: [inst], source: [[trade(1, now + 1_000_000, 600_000), trade(2, now + 2_000_000, 600_010)]], speed: 1, accounts: [ACCOUNT], clockUs: () => now,
      execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } } },
    });
    const srv = new ExchangeServer(ex, [ACCOUNT]);
    const port = await srv.listen();
    try {
      await ex.start();
      now += 5_400_000_000;
      const r = await fetch(`http://127.0.0.1:${port}/fapi/v1/klines?symbol=BTCUSDT&interval=15m`);
      const k = (await r.json()) as Kline[];
      expect(k).toHaveLength(7); // 0:00 … 1:30, the last one open
      expect(k[0].slice(1, 6)).toEqual(['60000.0', '60001.0', '60000.0', '60001.0', '0.004']);
      for (const x of k.slice(1)) expect(x.slice(1, 6).concat([x[8]])).toEqual(['60001.0', '60001.0', '60001.0', '60001.0', '0.000', 0]);
      const limited = (await (await fetch(`http://127.0.0.1:${port}/fapi/v1/klines?symbol=BTCUSDT&interval=15m&limit=2`)).json()) as Kline[];
      expect(limited).toEqual(k.slice(-2));
      const fromStart = (await (await fetch(`http://127.0.0.1:${port}/fapi/v1/klines?symbol=BTCUSDT&interval=15m&startTime=${k[1][0] - 5}&limit=2`)).json()) as Kline[];
      expect(fromStart).toEqual(k.slice(1, 3));
    } finally {
      ex.stop();
      await srv.close();
    }
  });
});

describe('data with aggregate trades and no trades or mark prices (a store of aggTrades)', () => {
  it('serves the data’s aggregates as they are, klines from them, no trades, and premiumIndex from the book’s mid', async () => {
    const { LocalExchange, ExchangeServer } = await import('../../src/exchange-fake/index.ts');
    const { Rng } = await import('../../src/core/random.ts');
    const { syntheticInstrument } = await import('../../src/synthetic/index.ts');
    const inst = syntheticInstrument('BTCUSDT');
    let now = 1_699_920_000_000_000; // µs, a day boundary
    const t0 = now + 1_000_000;
    const snap = { type: 'snapshot' as const, symbol: 'BTCUSDT', tsExchangeUs: t0, tsReceiveUs: t0, tsTransactUs: t0, lastUpdateId: 10, bidTicks: [600_000], bidLots: [5], askTicks: [600_011], askLots: [7] };
    const agg = (a: number, f: number, l: number, dt: number, ticks: number, lots: number, m: boolean) => ({ type: 'aggTrade' as const, symbol: 'BTCUSDT', tsExchangeUs: t0 + dt, tsReceiveUs: t0 + dt, tsTransactUs: t0 + dt, aggTradeId: a, firstTradeId: f, lastTradeId: l, priceTicks: ticks, qtyLots: lots, buyerIsMaker: m });
    const events = [snap, agg(70, 100, 102, 1000, 600_011, 9, false), agg(71, 103, 103, 2000, 600_000, 4, true), agg(72, 104, 105, 3000, 600_011, 1, false)];
    const ex = new LocalExchange({
      instruments: [inst], source: [events], speed: 1, accounts: [ACCOUNT], clockUs: () => now,
      execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } } },
    });
    const srv = new ExchangeServer(ex, [ACCOUNT]);
    const port = await srv.listen();
    const base = `http://127.0.0.1:${port}`;
    const json = async (path: string) => (await fetch(`${base}${path}`)).json();
    try {
      await ex.start();
      now += 10_000_000;
      const startMs = (now - 10_000_000) / 1000; // the replay's start: data time t0 maps to it
      expect(await json('/fapi/v1/aggTrades?symbol=BTCUSDT')).toEqual([
        { a: 70, p: '60001.1', q: '0.009', f: 100, l: 102, T: startMs + 1, m: false },
        { a: 71, p: '60000.0', q: '0.004', f: 103, l: 103, T: startMs + 2, m: true },
        { a: 72, p: '60001.1', q: '0.001', f: 104, l: 105, T: startMs + 3, m: false },
      ]);
      expect(await json('/fapi/v1/aggTrades?symbol=BTCUSDT&fromId=72')).toHaveLength(1);
      expect(await json('/fapi/v1/trades?symbol=BTCUSDT')).toEqual([]);
      const [k] = (await json('/fapi/v1/klines?symbol=BTCUSDT&interval=1m')) as Kline[];
      expect(k).toEqual([startMs - (startMs % 60_000), '60001.1', '60001.1', '60000.0', '60001.1', '0.014', startMs - (startMs % 60_000) + 59_999, '840.011', 6, '0.010', '600.011', '0']);
      const pi = (await json('/fapi/v1/premiumIndex?symbol=BTCUSDT')) as Record<string, unknown>;
      expect(pi).toMatchObject({ markPrice: '60000.55000000', indexPrice: '60000.55000000', lastFundingRate: '0.00000000' });
      const nowMs = now / 1000;
      expect(pi.nextFundingTime).toBe(Math.floor(nowMs / 28_800_000 + 1) * 28_800_000);
    } finally {
      ex.stop();
      await srv.close();
    }
  });
});

describe('payload shapes', () => {
  it.skipIf(!existsSync(FIXTURES))('are those of Binance’s recorded replies (field names and JSON types)', async () => {
    const [agg] = (await get<unknown[]>('/fapi/v1/aggTrades?symbol=BTCUSDT&limit=1')).body;
    expect(typesOf(agg)).toEqual(typesOf((fixture('agg_trades') as unknown[])[0]));
    const [trade] = (await get<unknown[]>('/fapi/v1/trades?symbol=BTCUSDT&limit=1')).body;
    // Binance added isRPITrade to REST trades in 2025-11 (binance-usdm.md §0); the fixture predates it.
    expect(typesOf(trade)).toEqual([...typesOf((fixture('trades') as unknown[])[0]), 'isRPITrade:boolean'].sort());
    const [hist] = (await get<unknown[]>('/fapi/v1/historicalTrades?symbol=BTCUSDT&limit=1', { 'x-mbx-apikey': ACCOUNT.apiKey })).body;
    expect(typesOf(hist)).toEqual([...typesOf((fixture('historical_trades') as unknown[])[0]), 'isRPITrade:boolean'].sort());
    const [kline] = (await get<unknown[]>('/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1')).body;
    expect(typesOf(kline)).toEqual(typesOf((fixture('klines') as unknown[])[0]));
    const pi = (await get<unknown>('/fapi/v1/premiumIndex?symbol=BTCUSDT')).body;
    expect(typesOf(pi)).toEqual(typesOf(fixture('premium_index')));
  });
});

describe('weights', () => {
  it("follow Binance's tables, by limit where Binance does so", () => {
    const p = (o: Record<string, string>) => new Map(Object.entries(o));
    expect([5, 50, 100, 500, 1000].map((l) => depthWeight(p({ limit: String(l) })))).toEqual([2, 2, 5, 10, 20]);
    expect(depthWeight(p({}))).toBe(10);
    expect([1, 99, 100, 499, 500, 1000, 1500].map((l) => klinesWeight(p({ limit: String(l) })))).toEqual([1, 1, 2, 2, 5, 5, 10]);
    expect(weightOf('GET /fapi/v1/premiumIndex', p({}))).toBe(10);
    expect(weightOf('GET /fapi/v1/premiumIndex', p({ symbol: 'BTCUSDT' }))).toBe(1);
    expect(weightOf('GET /fapi/v1/openOrders', p({}))).toBe(40);
    expect(weightOf('GET /fapi/v1/aggTrades', p({}))).toBe(20);
    expect(weightOf('GET /fapi/v1/unknown', p({}))).toBe(1);
  });
});
