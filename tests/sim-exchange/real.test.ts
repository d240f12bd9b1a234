// Real Binance data (hftbacktest recording of BTCUSDT 2024-08-08, see ../shared/data/real/SOURCES.md):
// with no orders of ours the exchange's book is exactly the replayed book, and a resting bid a few
// ticks below the touch is filled only once prints reach its price.
import { describe, expect, it } from 'vitest';
import { BookSync, L2Book, type BookView } from '../../src/book/index.ts';
import { Rng } from '../../src/core/random.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import type { SpecRegistry } from '../../src/model/instrument.ts';
import { HBT_BTC, haveReal, loadRealEvents, realSpecs } from '../support/shared-data.ts';
import { TestExchange } from './helpers.ts';

async function load(): Promise<{ registry: SpecRegistry; events: MarketEvent[] }> {
  const registry = realSpecs();
  return { registry, events: await loadRealEvents(HBT_BTC, { specs: registry }) };
}

function levels(b: BookView, side: 'bid' | 'ask', n = Infinity): number[] {
  const out: number[] = [];
  b.forEachLevel(side, (p, q) => {
    out.push(p, q);
    return out.length < 2 * n;
  });
  return out;
}

function newExchange(registry: SpecRegistry, crossingFills = true, bookSource: 'auto' | 'depth' = 'auto'): TestExchange {
  return new TestExchange({
    bookSource,
    instruments: [registry.get('BTCUSDT')],
    rng: new Rng('real'),
    queueModel: { model: 'risk-averse' },
    fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } },
    crossingFills,
  });
}

describe('SimExchange on real BTCUSDT data', () => {
  it.skipIf(!haveReal)('with no orders, its depth-source book equals the replayed book after every depth event', async () => {
    const { registry, events } = await load();
    const ex = newExchange(registry, true, 'depth');
    const ref = new BookSync(new L2Book('BTCUSDT'));
    let compared = 0;
    for (const e of events) {
      ex.onMarketEvent(e);
      if (e.type === 'depth') ref.applyDiff(e);
      else if (e.type === 'snapshot') ref.applySnapshot(e);
      else continue;
      const a = ex.book('BTCUSDT');
      const b = ref.book;
      if (a.bestBidTicks() !== b.bestBidTicks() || a.bestAskTicks() !== b.bestAskTicks() || a.isValid() !== b.isValid()
        || a.lastUpdateId() !== b.lastUpdateId() || a.levelCount('bid') !== b.levelCount('bid') || a.levelCount('ask') !== b.levelCount('ask')) {
        expect({ bid: a.bestBidTicks(), ask: a.bestAskTicks(), u: a.lastUpdateId() }).toEqual({ bid: b.bestBidTicks(), ask: b.bestAskTicks(), u: b.lastUpdateId() });
      }
      if (compared++ % 500 === 0) expect(levels(a, 'bid', 50).concat(levels(a, 'ask', 50))).toEqual(levels(b, 'bid', 50).concat(levels(b, 'ask', 50)));
    }
    expect(compared).toBeGreaterThan(6000);
    const a = ex.book('BTCUSDT');
    expect(a.isValid()).toBe(true);
    expect(levels(a, 'bid')).toEqual(levels(ref.book, 'bid'));
    expect(levels(a, 'ask')).toEqual(levels(ref.book, 'ask'));
    expect(ex.drainReports()).toEqual([]);
  });

  it.skipIf(!haveReal)('fused (default): the top is the newest of depth and bookTicker, the levels behind it the depth book\'s', async () => {
    const { registry, events } = await load();
    const ex = newExchange(registry);
    const ref = new BookSync(new L2Book('BTCUSDT'));
    let tickerTop: number[] = [];
    let tickerU = -1;
    let overlaid = 0;
    let checked = 0;
    for (const e of events) {
      ex.onMarketEvent(e);
      if (e.type === 'depth') ref.applyDiff(e);
      else if (e.type === 'snapshot') ref.applySnapshot(e);
      else if (e.type === 'bookTicker') {
        tickerTop = [e.bidTicks, e.bidLots, e.askTicks, e.askLots];
        tickerU = e.updateId;
      } else continue;
      const a = ex.book('BTCUSDT');
      const b = ref.book;
      if (!b.isValid()) continue;
      checked++;
      const top = [a.bestBidTicks(), a.bestBidLots(), a.bestAskTicks(), a.bestAskLots()];
      if (tickerU > b.lastUpdateId()) {
        overlaid++;
        expect(top).toEqual(tickerTop);
        expect(a.lastUpdateId()).toBe(tickerU);
      } else {
        expect(top).toEqual([b.bestBidTicks(), b.bestBidLots(), b.bestAskTicks(), b.bestAskLots()]);
        expect(a.lastUpdateId()).toBe(b.lastUpdateId());
      }
      // Behind the top (10 levels past the worse of the two bests), the depth book's own levels.
      if (checked % 997 === 0) {
        const deepBid = Math.min(a.bestBidTicks(), b.bestBidTicks()) - 1;
        const deepAsk = Math.max(a.bestAskTicks(), b.bestAskTicks()) + 1;
        for (let p = deepBid; p > deepBid - 10; p--) expect(a.qtyAt('bid', p)).toBe(b.qtyAt('bid', p));
        for (let p = deepAsk; p < deepAsk + 10; p++) expect(a.qtyAt('ask', p)).toBe(b.qtyAt('ask', p));
      }
    }
    expect(checked).toBeGreaterThan(10_000);
    // The depth stream is conflated: the bookTicker is ahead of it a good part of the time.
    expect(overlaid / checked).toBeGreaterThan(0.2);
  });

  it.skipIf(!haveReal)('a bid 3 ticks below the touch fills only when sell prints reach its price', async () => {
    const { registry, events } = await load();
    const ex = newExchange(registry, false);
    const inst = registry.get('BTCUSDT');
    // Place at the first trade once the book is valid.
    let placedAt = -1;
    let price = NaN;
    for (let i = 0; i < events.length && placedAt < 0; i++) {
      ex.onMarketEvent(events[i]);
      if (events[i].type === 'trade' && ex.book('BTCUSDT').isValid()) {
        placedAt = i;
        price = ex.book('BTCUSDT').bestBidTicks() - 3;
      }
    }
    expect(placedAt).toBeGreaterThan(0);
    ex.onCommand({ kind: 'submit', order: { symbol: 'BTCUSDT', clientOrderId: 'bid', side: 'buy', type: 'LIMIT', timeInForce: 'GTX', priceTicks: price, qtyLots: inst.qtyToLots('0.002'), reduceOnly: false } }, events[placedAt].tsExchangeUs);
    expect(ex.drainReports().map((r) => r.execType)).toEqual(['NEW']);
    let filledAt = -1;
    let printsAtOurPrice = 0;
    for (let i = placedAt + 1; i < events.length && ex.openOrders('BTCUSDT').length > 0; i++) {
      const e = events[i];
      const reaches = e.type === 'trade' && e.buyerIsMaker && e.priceTicks <= price;
      const before = reaches ? ex.openOrders('BTCUSDT')[0] : undefined;
      ex.onMarketEvent(e);
      const fills = ex.drainReports().filter((r) => r.execType === 'TRADE');
      if (reaches && before !== undefined && e.type === 'trade') {
        const remaining = before.origQtyLots - before.filledLots;
        // F4: a print through our price fills the rest; F3: at our price, what the print leaves after the queue ahead.
        const expected = e.priceTicks < price ? remaining : Math.min(remaining, Math.max(0, e.qtyLots - before.queueAheadLots));
        expect(fills.reduce((a, f) => a + f.lastFillLots, 0)).toBe(expected);
        if (e.priceTicks === price) printsAtOurPrice++;
      }
      if (fills.length > 0) {
        if (filledAt < 0) filledAt = i;
        expect(e.type).toBe('trade');
        if (e.type !== 'trade') return;
        expect(e.buyerIsMaker).toBe(true);
        expect(e.priceTicks).toBeLessThanOrEqual(price);
        expect(fills.every((f) => f.lastFillPriceTicks === price && f.liquidity === 'maker')).toBe(true);
      } else if (e.type === 'trade' && e.buyerIsMaker) {
        expect(e.priceTicks).toBeGreaterThanOrEqual(price);
      }
    }
    const lowest = Math.min(...events.slice(placedAt + 1).filter((e) => e.type === 'trade').map((e) => (e.type === 'trade' ? e.priceTicks : Infinity)));
    // The recording trades below our price later on, so the order must have been filled.
    expect(lowest).toBeLessThan(price);
    expect(filledAt).toBeGreaterThan(placedAt);
    expect(ex.openOrders('BTCUSDT')).toEqual([]);
    expect(ex.positionLots('BTCUSDT')).toBeGreaterThan(0);
  });
});
