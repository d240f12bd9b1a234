// Partial depth, !bookTicker and kline streams as clients read them: a client keeping Binance's
// book (REST snapshot + @depth@100ms diffs) sees exactly each @depth20@100ms message's top 20 after
// the diff with the same `u`; !bookTicker carries every symbol; @kline_1m is the REST klines' open
// kline and sends the closed one (x: true) when its minute ends; ccxt pro reads them unmodified.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Rng } from '../../src/core/random.ts';
import { ExchangeServer, LocalExchange, syntheticMarket } from '../../src/exchange-fake/index.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';
import { ACCOUNT, ccxtPro, closePro, startExchange } from './helpers.ts';

type Frame = { stream: string; data: Record<string, unknown> };

/** Collects the frames of a combined-stream connection for `ms`. */
async function collect(base: string, streams: string[], ms: number, onOpen?: () => Promise<void>): Promise<Frame[]> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/stream?streams=${streams.join('/')}`);
  const frames: Frame[] = [];
  ws.on('message', (m) => frames.push(JSON.parse(String(m)) as Frame));
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  await onOpen?.();
  await new Promise((r) => setTimeout(r, ms));
  ws.close();
  return frames;
}

describe('partial depth and !bookTicker streams', () => {
  let h: Awaited<ReturnType<typeof startExchange>>;
  beforeAll(async () => {
    h = await startExchange(['BTCUSDT', 'ETHUSDT']);
  });
  afterAll(() => h.close());

  it('@depth20@100ms is the top 20 of the book a Binance-algorithm client builds from @depth@100ms, window by window; @depth5 is 5 levels', async () => {
    let snap: { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] } | undefined;
    const frames = await collect(h.base, ['btcusdt@depth@100ms', 'btcusdt@depth20@100ms', 'btcusdt@depth5'], 3_000, async () => {
      snap = (await (await fetch(`${h.base}/fapi/v1/depth?symbol=BTCUSDT&limit=1000`)).json()) as typeof snap;
    });
    const bids = new Map(snap!.bids.map(([p, q]) => [p, q]));
    const asks = new Map(snap!.asks.map(([p, q]) => [p, q]));
    const partial = new Map<number, Frame['data']>();
    for (const f of frames) if (f.stream === 'btcusdt@depth20@100ms') partial.set(f.data.u as number, f.data);
    const top = (m: Map<string, string>, desc: boolean) => [...m].filter(([, q]) => Number(q) > 0).sort((x, y) => (desc ? Number(y[0]) - Number(x[0]) : Number(x[0]) - Number(y[0]))).slice(0, 20);
    let compared = 0;
    let prevU = -1;
    for (const f of frames) {
      if (f.stream !== 'btcusdt@depth@100ms') continue;
      const d = f.data as { U: number; u: number; pu: number; b: [string, string][]; a: [string, string][] };
      if (d.u < snap!.lastUpdateId) continue;
      if (prevU >= 0) expect(d.pu).toBe(prevU);
      prevU = d.u;
      for (const [p, q] of d.b) bids.set(p, q);
      for (const [p, q] of d.a) asks.set(p, q);
      const pd = partial.get(d.u);
      if (pd === undefined) continue;
      expect(pd.e).toBe('depthUpdate');
      expect([pd.U, pd.pu]).toEqual([d.U, d.pu]);
      expect(pd.b).toEqual(top(bids, true));
      expect(pd.a).toEqual(top(asks, false));
      compared++;
    }
    expect(compared).toBeGreaterThan(3);
    const five = frames.filter((f) => f.stream === 'btcusdt@depth5');
    expect(five.length).toBeGreaterThan(3);
    for (const f of five) {
      const d = f.data as { b: [string, string][]; a: [string, string][] };
      expect(d.b.length).toBe(5);
      expect(d.a.length).toBe(5);
      expect(Number(d.b[0][0])).toBeLessThan(Number(d.a[0][0]));
    }
  });

  it('!bookTicker carries every symbol, and unknown streams are still refused', async () => {
    const frames = await collect(h.base, ['!bookTicker'], 2_000);
    const symbols = new Set(frames.map((f) => f.data.s));
    expect(frames.every((f) => f.stream === '!bookTicker' && f.data.e === 'bookTicker')).toBe(true);
    expect([...symbols].sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
    const ws = new WebSocket(`${h.base.replace('http', 'ws')}/ws`);
    await new Promise((r) => ws.once('open', r));
    const reply = new Promise<Record<string, unknown>>((r) => ws.once('message', (m) => r(JSON.parse(String(m)))));
    ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@depth7', 'btcusdt@kline_2m'], id: 1 }));
    expect(((await reply).error as { code: number }).code).toBe(2);
    ws.close();
  });

  it('ccxt pro watchBidsAsks (!bookTicker) and watchOHLCV (@kline_1m) read them unmodified', async () => {
    const pro = await ccxtPro(h.base);
    try {
      const ba = await pro.watchBidsAsks(['BTC/USDT:USDT', 'ETH/USDT:USDT']);
      const t = Object.values(ba)[0];
      expect(t.bid!).toBeLessThan(t.ask!);
      const ohlcv = await pro.watchOHLCV('BTC/USDT:USDT', '1m');
      const [ts, o, hi, lo, cl] = ohlcv[ohlcv.length - 1];
      expect(ts! % 60_000).toBe(0);
      expect(hi!).toBeGreaterThanOrEqual(Math.max(o!, cl!));
      expect(lo!).toBeLessThanOrEqual(Math.min(o!, cl!));
    } finally {
      await closePro(pro);
    }
  });
});

describe('partial depth subscribed in the middle of a window', () => {
  it("its first message has the U and pu of the @depth@100ms message with the same u (not the subscription's)", async () => {
    const inst = [syntheticInstrument('BTCUSDT')];
    // A clock the test moves, so the subscription lands in the middle of a window with diffs in it.
    let nowUs = Math.floor(Date.now() / 1000) * 1_000_000;
    const ex = new LocalExchange({ instruments: inst, source: syntheticMarket(inst, 5, nowUs - 5_000_000, 600), speed: 1, accounts: [ACCOUNT], clockUs: () => nowUs, execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } } } });
    const server = new ExchangeServer(ex, [ACCOUNT]);
    const port = await server.listen();
    await ex.start();
    const open = async (stream: string, into: Record<string, number>[]) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/${stream}`);
      ws.on('message', (m) => into.push(JSON.parse(String(m))));
      await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
      return ws;
    };
    const advance = async (us: number) => {
      const end = nowUs + us;
      while (nowUs < end) {
        nowUs = Math.min(end, nowUs + 10_000);
        ex.pump();
        await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 50));
    };
    const diffs: Record<string, number>[] = [];
    const partial: Record<string, number>[] = [];
    const a = await open('btcusdt@depth@100ms', diffs);
    let b: WebSocket | undefined;
    try {
      await advance(1_000_000);
      const before = diffs.length;
      await advance(60_000); // into the window: diffs of this window already in the stream's conflater
      b = await open('btcusdt@depth20@100ms', partial);
      await advance(1_000_000);
      expect(diffs.length).toBeGreaterThan(before);
      const byU = new Map(diffs.map((d) => [d.u, d]));
      expect(partial.length).toBeGreaterThan(3);
      for (const p of partial) {
        const d = byU.get(p.u);
        expect(d, `a @depth@100ms message with u ${p.u}`).toBeDefined();
        expect([p.U, p.pu]).toEqual([d!.U, d!.pu]);
      }
    } finally {
      a.close();
      b?.close();
      ex.stop();
      await server.close();
    }
  });
});

describe('kline streams', () => {
  it('@kline_1m: the open kline equals REST klines; at the minute end the closed kline (x: true) once', async () => {
    const inst = [syntheticInstrument('BTCUSDT')];
    // A clock the test moves: the minute ends when the test says so.
    let nowUs = Math.floor(Date.now() / 60_000) * 60_000_000 + 5_000_000;
    const ex = new LocalExchange({ instruments: inst, source: syntheticMarket(inst, 3, nowUs - 10_000_000, 600), speed: 1, accounts: [ACCOUNT], clockUs: () => nowUs, execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } } } });
    const server = new ExchangeServer(ex, [ACCOUNT]);
    const port = await server.listen();
    await ex.start();
    const base = `http://127.0.0.1:${port}`;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/btcusdt@kline_1m`);
    const msgs: { E: number; k: Record<string, unknown> }[] = [];
    ws.on('message', (m) => msgs.push(JSON.parse(String(m))));
    try {
      await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
      const advance = async (us: number) => {
        const end = nowUs + us;
        while (nowUs < end) {
          nowUs = Math.min(end, nowUs + 200_000);
          ex.pump();
          await new Promise((r) => setTimeout(r, 5));
        }
        await new Promise((r) => setTimeout(r, 50));
      };
      await advance(20_000_000);
      const open = msgs.filter((m) => m.k.x === false);
      expect(open.length).toBeGreaterThan(2);
      const last = open[open.length - 1].k;
      const rest = (await (await fetch(`${base}/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1`)).json()) as unknown[][];
      expect([last.t, last.o, last.h, last.l, last.c, last.v, last.n, last.q]).toEqual([rest[0][0], rest[0][1], rest[0][2], rest[0][3], rest[0][4], rest[0][5], rest[0][8], rest[0][7]]);
      expect(last.T).toBe((last.t as number) + 59_999);
      expect(last.f as number).toBeLessThanOrEqual(last.L as number);
      await advance(40_000_000); // past the minute's end
      const closed = msgs.filter((m) => m.k.x === true);
      expect(closed.length).toBe(1);
      expect(closed[0].k.t).toBe(last.t);
      expect(closed[0].E).toBeGreaterThanOrEqual((last.t as number) + 60_000);
      const after = msgs.filter((m) => m.k.x === false && (m.k.t as number) > (last.t as number));
      expect(after.length).toBeGreaterThan(0);
      // Updates at most once per 250 ms of server time.
      for (let i = 1; i < open.length; i++) expect(Math.floor(open[i].E / 250)).toBeGreaterThan(Math.floor(open[i - 1].E / 250));
    } finally {
      ws.close();
      ex.stop();
      await server.close();
    }
  }, 60_000);
});
