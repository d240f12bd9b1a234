// The local exchange's replay: a data source that fails is reported, not swallowed; what was read
// before the failure keeps being served.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { LocalExchange, syntheticMarket } from '../../src/exchange-fake/index.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';
import { ACCOUNT } from './helpers.ts';

const inst = [syntheticInstrument('BTCUSDT')];
const execution = { rng: new Rng(1), queueModel: { model: 'prob-power' as const, variant: 2 as const, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } } };

describe('LocalExchange data source', () => {
  it('a source that fails after some batches: the error is published once and kept; the book read so far stays', async () => {
    const now = Date.now() * 1000;
    async function* failing(): AsyncGenerator<MarketEvent[]> {
      let n = 0;
      for (const batch of syntheticMarket(inst, 1, now - 60_000_000, 120)) {
        if (n++ === 2) throw new Error('disk read failed at batch 3');
        yield batch;
      }
    }
    const ex = new LocalExchange({ instruments: inst, source: failing(), speed: 1, accounts: [ACCOUNT], execution, readAhead: 100_000 });
    const seen: string[] = [];
    ex.onSourceError((e) => seen.push(e.message));
    await ex.start();
    ex.pump();
    expect(seen).toEqual(['disk read failed at batch 3']);
    expect(ex.sourceError?.message).toBe('disk read failed at batch 3');
    expect(ex.eventsDelivered).toBeGreaterThan(0);
    expect(ex.book('BTCUSDT')!.bestBidTicks()).toBeLessThan(ex.book('BTCUSDT')!.bestAskTicks());
    ex.stop();
  });
});
