// Property tests: whatever the book, position, signals, live orders and parameters, every intent
// obeys the quoting invariants (grid, filters, post-only, position limit, positive integer sizes,
// strict level order, our own min spread), is deterministic, and is a fixed point of refreshing.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatFixed } from '../../src/model/decimal.ts';
import { Instrument } from '../../src/model/instrument.ts';
import type { Intent } from '../../src/model/trading.ts';
import { createStrategy } from '../../src/strategy/index.ts';
import type { LiveQuote, SignalReading, StrategyContext } from '../../src/strategy/index.ts';
import { ArrayBook } from './helpers.ts';

interface Case {
  config: Record<string, unknown> & { maxPositionLots: number; minSpreadTicks: number };
  ctx: StrategyContext;
}

const instrumentArb = fc
  .record({
    tickDecimals: fc.integer({ min: 0, max: 2 }),
    minPriceTicks: fc.integer({ min: 1, max: 2000 }),
    // Mostly a price filter wide enough for the book; sometimes one the book straddles.
    priceRangeTicks: fc.oneof({ weight: 3, arbitrary: fc.constant(10_000_000) }, { weight: 1, arbitrary: fc.integer({ min: 100, max: 5_000_000 }) }),
    minQtyLots: fc.integer({ min: 1, max: 10 }),
    maxQtyLots: fc.integer({ min: 10, max: 100_000 }),
    minNotional: fc.constantFrom('0', '0', '5', '100'),
  })
  .map(
    (p) =>
      new Instrument({
        symbol: 'PROPUSDT', baseAsset: 'PROP', quoteAsset: 'USDT', marginAsset: 'USDT', contractType: 'PERPETUAL',
        tickSize: formatFixed(1, p.tickDecimals), minPrice: formatFixed(p.minPriceTicks, p.tickDecimals),
        maxPrice: formatFixed(p.minPriceTicks + p.priceRangeTicks, p.tickDecimals), stepSize: '0.001',
        minQty: formatFixed(p.minQtyLots, 3), maxQty: formatFixed(p.maxQtyLots, 3), marketMinQty: '0.001', marketMaxQty: '1000',
        minNotional: p.minNotional, source: { kind: 'manual', asOf: '2024-01-01T00:00:00.000Z' },
      }),
  );

const bookArb = fc
  .record({
    bestBid: fc.integer({ min: 1, max: 3_000_000 }),
    spread: fc.integer({ min: 1, max: 40 }),
    depth: fc.integer({ min: 1, max: 5 }),
    // Mostly healthy books; sometimes invalid, one-sided or crossed.
    shape: fc.oneof({ weight: 16, arbitrary: fc.constant('ok') }, { weight: 1, arbitrary: fc.constantFrom('invalid', 'noBids', 'noAsks', 'crossed') }),
  })
  .map(({ bestBid, spread, depth, shape }) => {
    const bestAsk = shape === 'crossed' ? bestBid : bestBid + spread;
    const bids: [number, number][] = shape === 'noBids' ? [] : Array.from({ length: depth }, (_, i) => [bestBid - i, 5 + i] as [number, number]);
    const asks: [number, number][] = shape === 'noAsks' ? [] : Array.from({ length: depth }, (_, i) => [bestAsk + i, 5 + i] as [number, number]);
    return new ArrayBook('PROPUSDT', bids, asks, shape !== 'invalid');
  });

const reading = (arb: fc.Arbitrary<number>): fc.Arbitrary<SignalReading | undefined> =>
  fc.oneof(
    { weight: 30, arbitrary: arb.map((value) => ({ value, ready: true })) },
    { weight: 1, arbitrary: arb.map((value) => ({ value, ready: false })) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );

/** A tilt weight: half the time unused (0), else in [−max, max]. */
const weight = (max: number) => fc.oneof(fc.constant(0), fc.double({ min: -max, max, noNaN: true }));

const commonArb = fc.record({
  levels: fc.integer({ min: 1, max: 4 }),
  levelSpacingTicks: fc.integer({ min: 1, max: 5 }),
  size: fc.oneof(
    fc.integer({ min: 1, max: 30 }).map((sizeLots) => ({ sizeLots })),
    fc.double({ min: 0.5, max: 5000, noNaN: true }).map((sizeNotionalQuote) => ({ sizeNotionalQuote, inventoryUnitLots: 5 })),
  ),
  minSpreadTicks: fc.integer({ min: 1, max: 10 }),
  maxPositionLots: fc.integer({ min: 0, max: 60 }),
  requoteToleranceTicks: fc.integer({ min: 0, max: 5 }),
  maxOrderAgeUs: fc.integer({ min: 1, max: 10_000_000 }),
  fairPriceSource: fc.constantFrom('mid', 'mid', 'microprice', 'mark', 'external'),
  tilt: fc.option(
    fc.record({
      obiTicksPerUnit: weight(20),
      ofiTicksPerLot: weight(1),
      micropriceWeight: weight(2),
      maxTiltTicks: fc.double({ min: 0, max: 50, noNaN: true }),
    }),
    { nil: undefined },
  ),
});

const modelArb = fc.oneof(
  fc.record({ kind: fc.constant('fixed'), halfSpreadTicks: fc.double({ min: 0, max: 30, noNaN: true }), skewTicksPerLot: fc.double({ min: 0, max: 3, noNaN: true }) }),
  fc.record({ kind: fc.constant('avellaneda-stoikov'), gammaPerTick: fc.double({ min: 1e-4, max: 2, noNaN: true }), horizonS: fc.double({ min: 0.01, max: 100, noNaN: true }) }),
  fc.record({
    kind: fc.constant('glft'),
    gammaPerTick: fc.double({ min: 1e-4, max: 1, noNaN: true }),
    halfSpreadAdj: fc.double({ min: 0.1, max: 3, noNaN: true }),
    skewAdj: fc.double({ min: 0, max: 3, noNaN: true }),
  }),
);

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    model: modelArb,
    common: commonArb,
    instrument: instrumentArb,
    book: bookArb,
    positionLots: fc.integer({ min: -80, max: 80 }),
    signalValues: fc.record({
      sigma: reading(fc.double({ min: 0, max: 50, noNaN: true })),
      a: reading(fc.double({ min: 0.01, max: 100, noNaN: true })),
      k: reading(fc.double({ min: 0.01, max: 5, noNaN: true })),
      obi: reading(fc.double({ min: -1, max: 1, noNaN: true })),
      ofi: reading(fc.double({ min: -1000, max: 1000, noNaN: true })),
      microOffset: reading(fc.double({ min: -30, max: 30, noNaN: true })),
      markOffset: reading(fc.double({ min: -30, max: 30, noNaN: true })),
      fairOffset: reading(fc.double({ min: -60, max: 60, noNaN: true })),
    }),
    live: fc.array(
      fc.record({ side: fc.constantFrom('buy' as const, 'sell' as const), offset: fc.integer({ min: -10, max: 40 }), qtyLots: fc.integer({ min: 1, max: 40 }), ageUs: fc.integer({ min: 0, max: 20_000_000 }) }),
      { maxLength: 8 },
    ),
  })
  .map(({ model, common, instrument, book, positionLots, signalValues: s, live }) => {
    const { size, tilt, ...rest } = common;
    const sizing = model.kind === 'fixed' && 'inventoryUnitLots' in size ? { sizeNotionalQuote: size.sizeNotionalQuote } : size;
    const config = { ...model, ...rest, ...sizing, ...(tilt ? { tilt } : {}) };
    const bb = book.bestBidTicks();
    const ref = Number.isNaN(bb) ? book.bestAskTicks() : bb;
    const shifted = (r: SignalReading | undefined) => (r === undefined ? undefined : { value: ref + r.value, ready: r.ready });
    const tsUs = 50_000_000;
    const liveQuotes: LiveQuote[] = live.map((l) => ({
      side: l.side,
      // Offsets are measured away from the touch: positive = behind it, negative = through it.
      priceTicks: l.side === 'buy' ? ref - l.offset : ref + l.offset,
      qtyLots: l.qtyLots,
      placedAtUs: tsUs - l.ageUs,
    }));
    const ctx: StrategyContext = {
      tsUs,
      instrument,
      book,
      positionLots,
      signals: {
        sigmaTicksPerSqrtS: s.sigma, intensityAPerS: s.a, intensityKPerTick: s.k, obi: s.obi, ofiLots: s.ofi,
        micropriceTicks: shifted(s.microOffset), markPriceTicks: shifted(s.markOffset), fairPriceTicks: shifted(s.fairOffset),
      },
      liveQuotes,
    };
    return { config, ctx };
  });

function checkInvariants({ config, ctx }: Case, intent: Intent): void {
  const inst = ctx.instrument;
  const book = ctx.book;
  const bestBid = book.bestBidTicks();
  const bestAsk = book.bestAskTicks();
  expect(intent.symbol).toBe(inst.symbol);
  expect(intent.tsUs).toBe(ctx.tsUs);
  if (intent.cancelAll) expect(intent.quotes).toEqual([]);
  if (!book.isValid() || Number.isNaN(bestBid) || Number.isNaN(bestAsk) || bestBid >= bestAsk) {
    expect(intent.quotes).toEqual([]);
    return;
  }
  let bidLots = 0;
  let askLots = 0;
  for (const q of intent.quotes) {
    expect(Number.isSafeInteger(q.priceTicks)).toBe(true);
    expect(Number.isSafeInteger(q.qtyLots)).toBe(true);
    expect(q.qtyLots).toBeGreaterThanOrEqual(Math.max(1, inst.minQtyLots));
    expect(q.qtyLots).toBeLessThanOrEqual(inst.maxQtyLots);
    expect(q.priceTicks).toBeGreaterThanOrEqual(Math.max(1, inst.minPriceTicks));
    expect(q.priceTicks).toBeLessThanOrEqual(inst.maxPriceTicks);
    expect(inst.meetsMinNotional(q.priceTicks, q.qtyLots)).toBe(true);
    expect(q.level).toBeLessThan((config.levels as number) ?? 1);
    if (q.side === 'buy') {
      expect(q.priceTicks).toBeLessThan(bestAsk);
      bidLots += q.qtyLots;
    } else {
      expect(q.priceTicks).toBeGreaterThan(bestBid);
      askLots += q.qtyLots;
    }
  }
  if (bidLots > 0) expect(ctx.positionLots + bidLots).toBeLessThanOrEqual(config.maxPositionLots);
  if (askLots > 0) expect(ctx.positionLots - askLots).toBeGreaterThanOrEqual(-config.maxPositionLots);
  const bids = intent.quotes.filter((q) => q.side === 'buy');
  const asks = intent.quotes.filter((q) => q.side === 'sell');
  for (let i = 1; i < bids.length; i++) {
    expect(bids[i].priceTicks).toBeLessThan(bids[i - 1].priceTicks);
    expect(bids[i].level).toBeGreaterThan(bids[i - 1].level);
  }
  for (let i = 1; i < asks.length; i++) {
    expect(asks[i].priceTicks).toBeGreaterThan(asks[i - 1].priceTicks);
    expect(asks[i].level).toBeGreaterThan(asks[i - 1].level);
  }
  if (bids.length > 0 && asks.length > 0) expect(asks[0].priceTicks - bids[0].priceTicks).toBeGreaterThanOrEqual(config.minSpreadTicks);
}

describe('strategy invariants (property)', () => {
  it('every intent obeys grid, filters, post-only, max position, sizes, level order and min spread', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const intent = createStrategy(c.config).decide(c.ctx);
        checkInvariants(c, intent);
      }),
      { numRuns: 600 },
    );
  });

  it('an intent without quotes always says why', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const intent = createStrategy(c.config).decide(c.ctx);
        expect(intent.reason.length).toBeGreaterThan(0);
        if (intent.quotes.length === 0 && !intent.cancelAll) expect(intent.reason).toMatch(/dropped|off|trimmed/);
      }),
      { numRuns: 200 },
    );
  });

  it('is deterministic and a fixed point: resubmitting its own quotes as live orders changes nothing', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const config = { ...c.config, requoteToleranceTicks: 0 };
        const strategy = createStrategy(config);
        const first = strategy.decide({ ...c.ctx, liveQuotes: [] });
        expect(strategy.decide({ ...c.ctx, liveQuotes: [] })).toEqual(first);
        const live: LiveQuote[] = first.quotes.map((q) => ({ side: q.side, priceTicks: q.priceTicks, qtyLots: q.qtyLots, placedAtUs: c.ctx.tsUs }));
        const second = strategy.decide({ ...c.ctx, liveQuotes: live });
        expect(second.quotes).toEqual(first.quotes);
        checkInvariants({ config, ctx: { ...c.ctx, liveQuotes: live } }, second);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the invariants when live orders sit near the desired quotes (the refresh paths)', () => {
    const nudgeArb = fc.array(fc.record({
        dPrice: fc.oneof(fc.constant(0), fc.integer({ min: -6, max: 6 })),
        dQty: fc.oneof(fc.constant(0), fc.integer({ min: -3, max: 3 })),
        ageUs: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 12_000_000 })),
      }), {
      minLength: 8,
      maxLength: 8,
    });
    let keptSome = 0;
    fc.assert(
      fc.property(caseArb, nudgeArb, (c, nudges) => {
        const strategy = createStrategy(c.config);
        const first = strategy.decide({ ...c.ctx, liveQuotes: [] });
        const live: LiveQuote[] = first.quotes.map((q, i) => ({
          side: q.side,
          priceTicks: q.priceTicks + nudges[i % 8].dPrice,
          qtyLots: Math.max(1, q.qtyLots + nudges[i % 8].dQty),
          placedAtUs: c.ctx.tsUs - nudges[i % 8].ageUs,
        }));
        const ctx = { ...c.ctx, liveQuotes: live };
        const second = strategy.decide(ctx);
        if (/\([1-9]\d* kept\)/.test(second.reason)) keptSome++;
        checkInvariants({ config: c.config, ctx }, second);
        for (const q of second.quotes) {
          // A quote priced off the desired level price must be a live order kept exactly. (Sizes of
          // new quotes may differ from the first intent: kept orders change the capacity left.)
          const desired = first.quotes.find((d) => d.side === q.side && d.level === q.level);
          if (desired !== undefined && desired.priceTicks !== q.priceTicks) {
            expect(live.some((l) => l.side === q.side && l.priceTicks === q.priceTicks && l.qtyLots === q.qtyLots)).toBe(true);
          }
        }
      }),
      { numRuns: 400 },
    );
    // The refresh paths must actually be exercised, not just the "requote everything" one.
    expect(keptSome).toBeGreaterThan(40);
  });
});
