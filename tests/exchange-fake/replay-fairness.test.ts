// The replay delivers in bounded steps: at a speed this machine cannot keep up with, the server
// still answers REST while the replay is behind, the lag is measured, and every event is delivered,
// in data order, at its mapped time.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { ExchangeServer, LocalExchange, syntheticMarket } from '../../src/exchange-fake/index.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';
import { ACCOUNT } from './helpers.ts';

const inst = [syntheticInstrument('BTCUSDT')];
const execution = { rng: new Rng(1), queueModel: { model: 'prob-power' as const, variant: 2 as const, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } } };

describe('LocalExchange replay fairness', () => {
  it('at 20,000x on 10 minutes of data: a ping is answered while the replay is behind, within a few of its steps; every event arrives in order', async () => {
    const startUs = Date.now() * 1000 - 3_600_000_000;
    const ex = new LocalExchange({ instruments: inst, source: syntheticMarket(inst, 7, startUs, 600), speed: 20_000, accounts: [ACCOUNT], execution });
    const server = new ExchangeServer(ex, [ACCOUNT]);
    const port = await server.listen();
    const seen: { ts: number; type: string; at: number }[] = [];
    ex.onMarket((e, at) => seen.push({ ts: e.tsExchangeUs, type: e.type, at }));
    const lags: number[] = [];
    ex.onLag((l) => lags.push(l));
    try {
      await ex.start();
      const pings: { steps: number; behind: boolean }[] = [];
      for (let i = 0; i < 5 && !ex.ended; i++) {
        const steps0 = lags.length;
        const res = await fetch(`http://127.0.0.1:${port}/fapi/v1/ping`, { signal: AbortSignal.timeout(5_000) });
        expect(res.status).toBe(200);
        await res.json();
        pings.push({ steps: lags.length - steps0, behind: ex.lagUs > 0 && !ex.ended });
      }
      // Answered while the replay was late (it had not delivered everything due), each after a few
      // late steps of the replay at most (counted, not timed: a loaded machine makes steps slower,
      // not more numerous), far fewer than the replay needs to catch up.
      expect(pings.filter((p) => p.behind).length).toBeGreaterThan(0);
      for (const p of pings) expect(p.steps).toBeLessThanOrEqual(20);
      const deadline = Date.now() + 60_000;
      while (!ex.ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(ex.ended).toBe(true);
      expect(lags.length).toBeGreaterThan(50);
      expect(ex.maxLagUs).toBeGreaterThan(0);
      ex.pump();
      expect(ex.lagUs).toBe(0);
      // Every event of the source, in data order, each at its mapped time.
      const expected: MarketEvent[] = [];
      for (const b of syntheticMarket(inst, 7, startUs, 600)) for (const e of b) expected.push(e);
      expect(seen.length).toBe(expected.length);
      expect(ex.eventsDelivered).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) {
        if (seen[i].ts !== expected[i].tsExchangeUs || seen[i].type !== expected[i].type) throw new Error(`event ${i} out of order`);
        if (seen[i].at !== ex.mapUs(expected[i].tsExchangeUs)) throw new Error(`event ${i} not at its mapped time`);
      }
    } finally {
      ex.stop();
      await server.close();
    }
  }, 90_000);
});
