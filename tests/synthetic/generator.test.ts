import { describe, expect, it } from 'vitest';
import { DEFAULT_SYNTHETIC, generateSynthetic } from '../../src/synthetic/index.ts';
import { Instrument } from '../../src/model/index.ts';
import type { MarketEvent } from '../../src/model/index.ts';

const btc = new Instrument({
  symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT', marginAsset: 'USDT', contractType: 'PERPETUAL',
  tickSize: '0.1', minPrice: '0.1', maxPrice: '1000000', stepSize: '0.001', minQty: '0.001', maxQty: '1000',
  marketMinQty: '0.001', marketMaxQty: '120', minNotional: '5', source: { kind: 'manual', asOf: '2024-01-01T00:00:00.000Z' },
});

function collect(seed: number, durationS = 20): MarketEvent[] {
  return [...generateSynthetic({ ...DEFAULT_SYNTHETIC, seed, durationS }, btc, 100)].flat();
}

describe('synthetic market', () => {
  const events = collect(7);

  it('is a pure function of the seed', () => {
    expect(JSON.stringify(collect(7))).toBe(JSON.stringify(events));
    expect(JSON.stringify(collect(8))).not.toBe(JSON.stringify(events));
  });

  it('stamps a match time T ≤ E: trades at their match (T = E), diffs and bookTickers at their last change', () => {
    const below = { trade: 0, depth: 0, bookTicker: 0 } as Record<string, number>;
    for (const e of events) {
      if (e.type === 'markPrice') continue;
      expect(e.tsTransactUs).toBeLessThanOrEqual(e.tsExchangeUs);
      if (e.type === 'trade' || e.type === 'snapshot') expect(e.tsTransactUs).toBe(e.tsExchangeUs);
      if (e.tsTransactUs < e.tsExchangeUs) below[e.type] = (below[e.type] ?? 0) + 1;
    }
    expect(below.trade).toBe(0);
    expect(below.depth).toBeGreaterThan(10);
    expect(below.bookTicker).toBeGreaterThan(10);
  });

  it('starts with a snapshot, keeps an unbroken pu chain and never goes back in receive time', () => {
    expect(events[0].type).toBe('snapshot');
    let prevU = events[0].type === 'snapshot' ? events[0].lastUpdateId : -1;
    let prevRecv = 0;
    let diffs = 0;
    for (const e of events) {
      expect(e.tsReceiveUs).toBeGreaterThanOrEqual(prevRecv);
      prevRecv = e.tsReceiveUs;
      if (e.type === 'depth') {
        expect(e.prevFinalUpdateId).toBe(prevU);
        expect(e.firstUpdateId).toBe(prevU + 1);
        expect(e.finalUpdateId).toBeGreaterThanOrEqual(e.firstUpdateId);
        prevU = e.finalUpdateId;
        diffs++;
      }
    }
    expect(diffs).toBeGreaterThan(100);
  });

  it('bookTickers at a diff u show the replayed book; others come in id order before their diff; the book never crosses', () => {
    const bids = new Map<number, number>();
    const asks = new Map<number, number>();
    let lastU = -1;
    let checked = 0;
    let lastTickerId = -1;
    for (const e of events) {
      if (e.type === 'snapshot' || e.type === 'depth') {
        if (e.type === 'snapshot') { bids.clear(); asks.clear(); lastU = e.lastUpdateId; } else lastU = e.finalUpdateId;
        e.bidTicks.forEach((p, i) => (e.bidLots[i] === 0 ? bids.delete(p) : bids.set(p, e.bidLots[i])));
        e.askTicks.forEach((p, i) => (e.askLots[i] === 0 ? asks.delete(p) : asks.set(p, e.askLots[i])));
        expect(Math.max(...bids.keys())).toBeLessThan(Math.min(...asks.keys()));
        expect(e.bidLots.every((q) => Number.isInteger(q) && q >= 0) && e.askLots.every((q) => Number.isInteger(q) && q >= 0)).toBe(true);
      } else if (e.type === 'bookTicker') {
        expect(e.updateId).toBeGreaterThan(lastTickerId);
        expect(e.updateId).toBeGreaterThanOrEqual(lastU);
        expect(e.bidTicks).toBeLessThan(e.askTicks);
        lastTickerId = e.updateId;
        if (e.updateId === lastU) {
          const bb = Math.max(...bids.keys());
          const ba = Math.min(...asks.keys());
          expect([e.bidTicks, e.bidLots, e.askTicks, e.askLots]).toEqual([bb, bids.get(bb), ba, asks.get(ba)]);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('a taker order starts at the touch of the latest bookTicker and takes no more than rests there', () => {
    // Every change of the top of book is published as a bookTicker, so the latest one before a
    // trade is the book the taker order met.
    let top = { bid: 0, bidLots: 0, ask: 0, askLots: 0 };
    let group = { ts: -1, buy: false, price: 0, lots: 0 };
    let groups = 0;
    for (const e of events) {
      if (e.type === 'bookTicker') top = { bid: e.bidTicks, bidLots: e.bidLots, ask: e.askTicks, askLots: e.askLots };
      else if (e.type === 'trade') {
        const buy = !e.buyerIsMaker;
        if (e.tsExchangeUs !== group.ts || buy !== group.buy) {
          group = { ts: e.tsExchangeUs, buy, price: e.priceTicks, lots: 0 };
          groups++;
          expect(e.priceTicks).toBe(buy ? top.ask : top.bid);
        }
        expect(Number.isInteger(e.qtyLots) && e.qtyLots > 0).toBe(true);
        if (e.priceTicks === group.price) {
          group.lots += e.qtyLots;
          expect(group.lots).toBeLessThanOrEqual(buy ? top.askLots : top.bidLots);
        } else expect(buy ? e.priceTicks > group.price : e.priceTicks < group.price).toBe(true);
      }
    }
    expect(groups).toBeGreaterThan(200);
  });

  it('publishes mark price and funding once a second', () => {
    const marks = events.filter((e) => e.type === 'markPrice');
    expect(marks.length).toBe(19);
    for (const m of marks) if (m.type === 'markPrice') expect(m.fundingRate).toBe('0.0001');
  });
});
