// The 24-hour tickers (`@ticker`, `!ticker@arr`, `@miniTicker`, `!miniTicker@arr`, REST
// `ticker/24hr`; ccxt's fetchTicker and ccxt pro's watchTicker) and `!markPrice@arr[@1s]` from the replayed market. The statistics are checked exactly against the
// trades the same connection received before each message (a client can rebuild every ticker from
// `@trade`), the formatting against hand-computed values, the push cadence per window of server
// time. A clock the test moves makes the replay deterministic.
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { ExchangeServer, LocalExchange, syntheticMarket } from '../../src/exchange-fake/index.ts';
import { TickerFormat, tickerStats, type TickerStats } from '../../src/exchange-fake/tickers.ts';
import type { Kline } from '../../src/exchange-fake/market-rest.ts';
import { Rng } from '../../src/core/random.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';
import { ACCOUNT, ccxtPro, ccxtRest, closePro } from './helpers.ts';

const BTC = syntheticInstrument('BTCUSDT'); // tick 0.1, step 0.001

function kline(openMs: number, trades: [number, number][], firstId: number): Kline {
  const ticks = trades.map((t) => t[0]);
  return {
    openMs, firstId, lastId: firstId + trades.length - 1, open: ticks[0], high: Math.max(...ticks), low: Math.min(...ticks), close: ticks[ticks.length - 1],
    volLots: trades.reduce((s, t) => s + t[1], 0), quote: trades.reduce((s, t) => s + BigInt(t[0]) * BigInt(t[1]), 0n), count: trades.length, takerBuyLots: 0, takerBuyQuote: 0n,
  };
}

describe('ticker statistics', () => {
  const klines = [kline(0, [[10_000, 1_000], [10_010, 1_000], [9_990, 1_000]], 1), kline(60_000, [[10_020, 2_000]], 4)];
  const f = new TickerFormat(BTC);

  it('over the minutes of the window, formatted as Binance sends them', () => {
    const all = tickerStats(klines, 30_000)!; // the window starts in minute 0: it counts whole
    expect(f.full(all, 2_000, 86_430_000)).toEqual({
      e: '24hrTicker', E: 86_430_000, s: 'BTCUSDT', p: '2.00000000', P: '0.200', w: '1000.80000000', c: '1002.00000000', Q: '2.000', o: '1000.00000000', h: '1002.00000000',
      l: '999.00000000', v: '5.000', q: '5004.00000000', O: 30_000, C: 86_430_000, F: 1, L: 4, n: 4,
    });
    expect(f.mini(all, 5)).toEqual({ e: '24hrMiniTicker', E: 5, s: 'BTCUSDT', c: '1002.00000000', o: '1000.00000000', h: '1002.00000000', l: '999.00000000', v: '5.000', q: '5004.00000000' });
    const last = tickerStats(klines, 60_000)!;
    expect(f.full(last, 2_000, 1)).toMatchObject({ p: '0.00000000', P: '0.000', o: '1002.00000000', n: 1, F: 4, L: 4 });
    expect(tickerStats(klines, 120_000)).toBeNull();
    const down = tickerStats([kline(0, [[10_000, 1_000], [9_985, 3_000]], 7)], 0)!;
    expect(f.full(down, 3_000, 0)).toMatchObject({ p: '-1.50000000', P: '-0.150', w: '998.87500000', q: '3995.50000000' });
    // REST's names for the same numbers; zeros without trades.
    expect(f.rest(all, 2_000, 86_430_000)).toEqual({
      symbol: 'BTCUSDT', priceChange: '2.00000000', priceChangePercent: '0.200', weightedAvgPrice: '1000.80000000', lastPrice: '1002.00000000', lastQty: '2.000', openPrice: '1000.00000000',
      highPrice: '1002.00000000', lowPrice: '999.00000000', volume: '5.000', quoteVolume: '5004.00000000', openTime: 30_000, closeTime: 86_430_000, firstId: 1, lastId: 4, count: 4,
    });
    expect(f.rest(null, 0, 86_400_000)).toMatchObject({ priceChange: '0.00000000', priceChangePercent: '0.000', lastPrice: '0.00000000', volume: '0.000', openTime: 0, firstId: -1, lastId: -1, count: 0 });
  });
});

describe('ticker and mark price streams', () => {
  it('every message equals the statistics of the trades sent before it; pushed once per window, only what changed', async () => {
    const insts = [syntheticInstrument('BTCUSDT'), syntheticInstrument('ETHUSDT')];
    let nowUs = Math.floor(Date.now() / 10_000) * 10_000_000;
    const ex = new LocalExchange({ instruments: insts, source: syntheticMarket(insts, 5, nowUs, 600), speed: 1, accounts: [ACCOUNT], clockUs: () => nowUs, sliceEvents: 1e9, execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } } } });
    const server = new ExchangeServer(ex, [ACCOUNT]);
    const port = await server.listen();
    await ex.start();
    const streams = ['btcusdt@trade', 'ethusdt@trade', 'btcusdt@markPrice@1s', 'ethusdt@markPrice@1s', 'btcusdt@ticker', 'btcusdt@miniTicker', 'ethusdt@miniTicker', '!ticker@arr', '!miniTicker@arr', '!markPrice@arr@1s', '!markPrice@arr'];
    const ws = new WebSocket(`ws://127.0.0.1:${port}/stream?streams=${streams.join('/')}`);
    const frames: { stream: string; data: Record<string, unknown> | Record<string, unknown>[] }[] = [];
    ws.on('message', (m) => frames.push(JSON.parse(String(m))));
    const opened = new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    const pro = await ccxtPro(`http://127.0.0.1:${port}`);
    try {
      await opened;
      // ccxt pro's watchTicker subscribes to <s>@miniTicker: its first update is one of the frames below.
      const watched = pro.watchTicker('BTC/USDT:USDT');
      for (let i = 0; i < 500 && server.streams.subscribers('btcusdt@miniTicker') < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(server.streams.subscribers('btcusdt@miniTicker')).toBe(2);
      const end = nowUs + 12_000_000;
      while (nowUs < end) {
        nowUs += 100_000;
        ex.pump();
        await new Promise((r) => setTimeout(r, 2));
      }
      await new Promise((r) => setTimeout(r, 200));

      const fmt = new Map(insts.map((i) => [i.symbol, new TickerFormat(i)]));
      const stats = new Map<string, TickerStats & { lastQty: number }>();
      const marks = new Map<string, Record<string, unknown>>();
      const byStream = new Map<string, { E: number; symbols: string[] }[]>();
      const expectTicker = (stream: string, d: Record<string, unknown>) => {
        const s = stats.get(d.s as string)!;
        const f = fmt.get(d.s as string)!;
        const want = d.e === '24hrTicker' ? f.full(s, s.lastQty, d.E as number) : f.mini(s, d.E as number);
        if (JSON.stringify(d) !== JSON.stringify(want)) expect({ stream, d }).toEqual({ stream, d: want });
      };
      let checked = 0;
      for (const { stream, data } of frames) {
        const list = Array.isArray(data) ? data : [data];
        const first = list[0];
        if (stream.endsWith('@trade')) {
          const inst = insts.find((i) => i.symbol === first.s)!;
          const ticks = inst.priceToTicks(first.p as string);
          const lots = inst.qtyToLots(first.q as string);
          const s = stats.get(first.s as string);
          if (s === undefined) stats.set(first.s as string, { open: ticks, high: ticks, low: ticks, close: ticks, volLots: lots, quote: BigInt(ticks) * BigInt(lots), count: 1, firstId: first.t as number, lastId: first.t as number, lastQty: lots });
          else Object.assign(s, { high: Math.max(s.high, ticks), low: Math.min(s.low, ticks), close: ticks, volLots: s.volLots + lots, quote: s.quote + BigInt(ticks) * BigInt(lots), count: s.count + 1, lastId: first.t, lastQty: lots });
          continue;
        }
        if (/@markPrice@1s$/.test(stream)) {
          marks.set(first.s as string, first);
          continue;
        }
        const seen = byStream.get(stream) ?? [];
        byStream.set(stream, seen);
        seen.push({ E: first.E as number, symbols: list.map((x) => x.s as string) });
        for (const d of list) {
          if (stream.startsWith('!markPrice')) expect(d).toEqual(marks.get(d.s as string));
          else expectTicker(stream, d);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(20);
      // Cadence: one message per window of the stream's speed (in server time), symbols in exchangeInfo order.
      const speeds: Record<string, number> = { 'btcusdt@ticker': 2000, 'ethusdt@miniTicker': 2000, '!ticker@arr': 1000, '!miniTicker@arr': 1000, '!markPrice@arr@1s': 1000, '!markPrice@arr': 3000 };
      for (const [stream, speed] of Object.entries(speeds)) {
        const seen = byStream.get(stream) ?? [];
        expect(seen.length, stream).toBeGreaterThanOrEqual(Math.floor(10_000 / speed) - 1);
        for (let i = 1; i < seen.length; i++) expect(Math.floor(seen[i].E / speed), stream).toBeGreaterThan(Math.floor(seen[i - 1].E / speed));
        for (const s of seen) expect(s.symbols, stream).toEqual(['BTCUSDT', 'ETHUSDT'].filter((x) => s.symbols.includes(x)));
      }
      expect(byStream.get('!ticker@arr')!.some((s) => s.symbols.length === 2)).toBe(true);
      const wt = await watched;
      const sent = frames.filter((f) => f.stream === 'btcusdt@miniTicker').map((f) => f.data as Record<string, string | number>);
      const match = sent.find((d) => d.E === wt.timestamp);
      expect(match, 'the ticker ccxt pro saw was sent on btcusdt@miniTicker').toBeDefined();
      expect([wt.last, wt.open, wt.high, wt.low, wt.baseVolume, wt.quoteVolume]).toEqual([match!.c, match!.o, match!.h, match!.l, match!.v, match!.q].map(Number));

      // GET /fapi/v1/ticker/24hr: the same statistics now (the clock stands still: every trade was sent).
      const base = `http://127.0.0.1:${port}`;
      const one = (await (await fetch(`${base}/fapi/v1/ticker/24hr?symbol=BTCUSDT`)).json()) as Record<string, string | number>;
      const btc = stats.get('BTCUSDT')!;
      expect(one).toEqual(fmt.get('BTCUSDT')!.rest(btc, btc.lastQty, Math.floor(nowUs / 1000)));
      const all = (await (await fetch(`${base}/fapi/v1/ticker/24hr`)).json()) as Record<string, string>[];
      expect(all.map((t) => t.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
      expect(all[0]).toEqual(one);
      // ccxt's fetchTicker reads it unmodified.
      const c = await ccxtRest(base);
      const t = await c.fetchTicker('BTC/USDT:USDT');
      expect([t.last, t.open, t.high, t.low, t.baseVolume, t.quoteVolume, t.vwap]).toEqual([one.lastPrice, one.openPrice, one.highPrice, one.lowPrice, one.volume, one.quoteVolume, one.weightedAvgPrice].map(Number));
    } finally {
      await closePro(pro);
      ws.close();
      ex.stop();
      await server.close();
    }
  }, 60_000);
});
