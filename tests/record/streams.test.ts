// aggTrade and markPrice end to end: `maker exchange`'s synthetic market (mark prices every second,
// trades, aggTrades served one per trade) recorded by `maker record`; every message the exchange
// published on those streams (tapped in-process) is a stored row, once, in order, and the row
// encodes back to exactly the payload that was sent (prices, ids, funding rate and time, E, T).
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { ExchangeServer, LocalExchange, syntheticMarket } from '../../src/exchange-fake/index.ts';
import { payloadOf } from '../../src/exchange-fake/streams.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import { Recorder } from '../../src/record/index.ts';
import { eventsFromBatch, readEvents } from '../../src/store/index.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';
import { ACCOUNT } from '../exchange-fake/helpers.ts';
import { tempDir, VENUE, waitFor } from './helpers.ts';

const SPEED = 20;

describe('maker record: aggTrade and markPrice from the synthetic market', () => {
  const out = tempDir('agg');
  afterAll(() => out.cleanup());

  it('stores every published markPrice and aggTrade (and trade) exactly once, encoding back to the sent payload', async () => {
    const inst = syntheticInstrument('BTCUSDT');
    const ex = new LocalExchange({
      instruments: [inst],
      source: syntheticMarket([inst], 1, Date.now() * 1000, 3_600 * SPEED),
      speed: SPEED,
      accounts: [ACCOUNT],
      execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } }, funding: { mode: 'off' } },
    });
    const server = new ExchangeServer(ex, [ACCOUNT], { streams: { aggTradesFromTrades: true } });
    const port = await server.listen();
    await ex.start();
    const base = `http://127.0.0.1:${port}`;
    const rec = new Recorder({ symbols: ['BTCUSDT'], rest: base, ws: base.replace('http', 'ws'), out: out.dir, streams: { depthSpeed: '100ms', trade: true, aggTrade: true, bookTicker: false, markPrice: true }, flushMs: 100 });
    // The tap: every message the stream hub publishes, by stream name.
    const sent = new Map<string, string[]>();
    const hub = server.streams as unknown as { publish(name: string, data: object): void };
    const publish = hub.publish.bind(hub);
    let tapping = false;
    let rest: { a: number; f: number; l: number }[] = [];
    hub.publish = (name, data) => {
      if (tapping) {
        const list = sent.get(name) ?? [];
        list.push(JSON.stringify(data));
        sent.set(name, list);
      }
      publish(name, data);
    };
    try {
      await rec.start();
      await waitFor('both routes connected', () => rec.status().connections === 2, 5_000);
      // Messages published from here on reach the recorder's open connections.
      tapping = true;
      await waitFor('some mark prices', () => (sent.get('btcusdt@markPrice@1s')?.length ?? 0) >= 20, 10_000);
      tapping = false;
      const expected = [...sent.values()].reduce((n, l) => n + l.length, 0);
      await waitFor('the recorder to hear them', () => Object.values(rec.status().streams).reduce((n, s) => n + s.messages, 0) >= expected, 5_000);
      const firstAgg = JSON.parse(sent.get('btcusdt@aggTrade')?.[0] ?? '{"a":0}') as { a: number };
      rest = (await (await fetch(`${base}/fapi/v1/aggTrades?symbol=BTCUSDT&fromId=${firstAgg.a}&limit=5`)).json()) as { a: number; f: number; l: number }[];
    } finally {
      await rec.stop();
      ex.stop();
      await server.close();
    }
    expect(rec.error).toBeUndefined();
    const stored: MarketEvent[] = [];
    for await (const b of readEvents(out.dir, { venue: VENUE, symbol: 'BTCUSDT' })) for (const e of eventsFromBatch(b)) stored.push(e);
    const encoded = (type: MarketEvent['type']) => stored.filter((e) => e.type === type).map((e) => JSON.stringify(payloadOf(e, inst, (us) => us)));
    for (const [stream, type] of [['btcusdt@markPrice@1s', 'markPrice'], ['btcusdt@aggTrade', 'aggTrade'], ['btcusdt@trade', 'trade']] as const) {
      const want = sent.get(stream) ?? [];
      expect(want.length, stream).toBeGreaterThan(type === 'markPrice' ? 19 : 50);
      const got = encoded(type);
      // The tap started after the connections opened and stopped before the recorder did: S' holds
      // the tapped run as one contiguous stretch, nothing missing, nothing doubled.
      const at = got.indexOf(want[0]);
      expect(at, stream).toBeGreaterThanOrEqual(0);
      expect(got.slice(at, at + want.length), stream).toEqual(want);
      expect(new Set(got).size, stream).toBe(got.length);
    }
    const mp = JSON.parse(sent.get('btcusdt@markPrice@1s')![0]) as Record<string, unknown>;
    expect(Object.keys(mp).sort()).toEqual(['E', 'P', 'T', 'ap', 'e', 'i', 'p', 'r', 's'].sort());
    // aggTrades aggregate the trades as GET /fapi/v1/aggTrades does: each covers consecutive trade ids, together all of them.
    const aggs = sent.get('btcusdt@aggTrade')!.map((t) => JSON.parse(t) as { e: string; a: number; f: number; l: number });
    expect(aggs[0].e).toBe('aggTrade');
    for (let i = 1; i < aggs.length; i++) {
      expect(aggs[i].a).toBe(aggs[i - 1].a + 1);
      expect(aggs[i].f).toBe(aggs[i - 1].l + 1);
    }
    expect(aggs.some((a) => a.l > a.f)).toBe(true);
    expect(rest.map((r) => [r.a, r.f, r.l])).toEqual(aggs.slice(0, 5).map((a) => [a.a, a.f, a.l]));
  }, 60_000);
});
