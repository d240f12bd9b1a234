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

describe('LocalExchange clock mapping', () => {
  // Recorded data is replayed on server time (`start + (E − firstE) / speed`). The simulated
  // exchange lets a print fill only the orders that arrived before the print matched, so the
  // print's match time `T` must be mapped onto server time too: with data from 2024 replayed in
  // 2026, an unmapped `T` lies two years before every order, and no resting order would ever fill.
  const D0 = Date.UTC(2024, 0, 1) * 1000;
  const C0 = Date.UTC(2026, 11, 3) * 1000;
  const stamp = (dt: number) => ({ symbol: 'BTCUSDT', tsExchangeUs: D0 + dt, tsReceiveUs: D0 + dt + 3_000, tsTransactUs: D0 + dt - 1_000 });
  const market: MarketEvent[] = [
    { ...stamp(0), type: 'snapshot', lastUpdateId: 10, bidTicks: [618_000, 617_999], bidLots: [5, 7], askTicks: [618_001, 618_002], askLots: [4, 9] },
    // 2 s later (after our order), a seller takes the whole bid level and more.
    { ...stamp(2_000_000), type: 'trade', tradeId: 1, priceTicks: 618_000, qtyLots: 9, buyerIsMaker: true },
    { ...stamp(3_000_000), type: 'trade', tradeId: 2, priceTicks: 618_001, qtyLots: 1, buyerIsMaker: false },
  ];

  async function run(speed: number) {
    let clock = C0;
    const ex = new LocalExchange({ instruments: inst, source: [market], speed, accounts: [ACCOUNT], execution: { ...execution, queueModel: { model: 'prob-power' as const, variant: 2 as const, power: 3 } }, clockUs: () => clock });
    await ex.start();
    const a = ex.account(ACCOUNT.apiKey)!;
    clock = C0 + 1_000_000 / speed; // data time D0 + 1 s: the book is there, the print not yet
    const placed = ex.command(a, { kind: 'submit', order: { symbol: 'BTCUSDT', clientOrderId: 'bid-1', side: 'buy', type: 'LIMIT', timeInForce: 'GTX', priceTicks: 618_000, qtyLots: 3, reduceOnly: false } });
    expect(placed.map((e) => (e.kind === 'report' ? e.report.execType : e.kind))).toEqual(['NEW']);
    const fills: { lots: number; tsUs: number }[] = [];
    ex.onAccountEvent((_acc, e) => {
      if (e.kind === 'report' && e.report.execType === 'TRADE') fills.push({ lots: e.report.lastFillLots, tsUs: e.report.tsExchangeUs });
    });
    clock = C0 + 3_500_000 / speed;
    ex.pump();
    ex.stop();
    return fills;
  }

  it('a print after our order fills it (queue ahead 5, print 9: all 3 of ours), stamped at the mapped time, at any speed', async () => {
    for (const speed of [1, 4]) {
      const fills = await run(speed);
      // The print's 9 lots: 5 to the queue ahead, then our 3 (prob-power: the print takes the queue first).
      expect(fills, `speed ${speed}`).toEqual([{ lots: 3, tsUs: C0 + 2_000_000 / speed }]);
    }
  });
});
