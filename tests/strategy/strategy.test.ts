import { describe, expect, it } from 'vitest';
import { MakerError } from '../../src/core/errors.ts';
import { Instrument } from '../../src/model/instrument.ts';
import type { Quote } from '../../src/model/trading.ts';
import { createStrategy } from '../../src/strategy/index.ts';
import type { LiveQuote, StrategyContext } from '../../src/strategy/index.ts';
import { ArrayBook, BTC_SPEC, ctxWith, ready } from './helpers.ts';

const wideBook = new ArrayBook('TESTUSDT', [[90, 10]], [[110, 10]]);

function prices(quotes: readonly Quote[], side: 'buy' | 'sell'): number[] {
  return quotes.filter((q) => q.side === side).map((q) => q.priceTicks);
}
function sizes(quotes: readonly Quote[], side: 'buy' | 'sell'): number[] {
  return quotes.filter((q) => q.side === side).map((q) => q.qtyLots);
}
function fixed(over: Record<string, unknown> = {}) {
  return createStrategy({ kind: 'fixed', maxPositionLots: 10, ...over });
}

describe('fixed spread / grid', () => {
  it('quotes half spread either side of the mid', () => {
    const intent = fixed({ halfSpreadTicks: 3, sizeLots: 2 }).decide(ctxWith());
    expect(intent).toMatchObject({ symbol: 'TESTUSDT', tsUs: 1_000_000, cancelAll: false, flatten: false });
    expect(intent.quotes).toEqual([
      { side: 'buy', priceTicks: 97, qtyLots: 2, level: 0 },
      { side: 'sell', priceTicks: 103, qtyLots: 2, level: 0 },
    ]);
    expect(intent.reason).toMatch(/^fixed: fair 100 .*bid 97 ask 103; 2 quotes \(0 kept\)/);
  });

  it("the reason, formatted when first read, states its own decision's values, not a later one's", () => {
    const s = fixed({ halfSpreadTicks: 3, sizeLots: 2, skewTicksPerLot: 1 });
    const first = s.decide(ctxWith({ positionLots: 2 }));
    const second = s.decide(ctxWith({ positionLots: -3, book: wideBook }));
    expect(second.reason).toMatch(/^fixed: fair 100 .*skew 3\.0000; bid 100 ask 106;/);
    expect(first.reason).toMatch(/^fixed: fair 100 .*skew -2\.0000; bid 95 ask 101; 2 quotes \(0 kept\)/);
    expect(first.reason).toBe(first.reason);
    expect(JSON.parse(JSON.stringify(first)).reason).toBe(first.reason);
  });

  it('lays out grid levels behind level 0', () => {
    const intent = fixed({ halfSpreadTicks: 3, levels: 3, levelSpacingTicks: 2 }).decide(ctxWith());
    expect(prices(intent.quotes, 'buy')).toEqual([97, 95, 93]);
    expect(prices(intent.quotes, 'sell')).toEqual([103, 105, 107]);
    expect(intent.quotes.map((q) => q.level)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('skews both quotes against the position', () => {
    const long = fixed({ halfSpreadTicks: 3, skewTicksPerLot: 0.5 }).decide(ctxWith({ positionLots: 4 }));
    expect(prices(long.quotes, 'buy')).toEqual([95]);
    expect(prices(long.quotes, 'sell')).toEqual([101]);
    const short = fixed({ halfSpreadTicks: 3, skewTicksPerLot: 0.5 }).decide(ctxWith({ positionLots: -4, book: wideBook }));
    expect(prices(short.quotes, 'buy')).toEqual([99]);
    expect(prices(short.quotes, 'sell')).toEqual([105]);
  });

  it('rounds bids down and asks up onto the tick grid', () => {
    const intent = fixed({ halfSpreadTicks: 1.5 }).decide(ctxWith());
    expect(prices(intent.quotes, 'buy')).toEqual([98]);
    expect(prices(intent.quotes, 'sell')).toEqual([102]);
    // Float noise just below an integer does not cost a tick.
    const noisy = fixed({ halfSpreadTicks: 0.30000000000000004, fairPriceSource: 'external' }).decide(
      ctxWith({ book: wideBook, signals: { fairPriceTicks: ready(100.3) } }),
    );
    expect(prices(noisy.quotes, 'buy')).toEqual([100]);
    expect(prices(noisy.quotes, 'sell')).toEqual([101]);
  });

  it('widens to the minimum spread around the centre', () => {
    const intent = fixed({ halfSpreadTicks: 0, minSpreadTicks: 3 }).decide(ctxWith({ book: wideBook }));
    expect(prices(intent.quotes, 'buy')).toEqual([98]);
    expect(prices(intent.quotes, 'sell')).toEqual([101]);
    expect(intent.reason).toMatch(/widened to min spread 3/);
  });

  it('never crosses the book (post-only): clamps to one tick inside the opposite touch', () => {
    const high = fixed({ fairPriceSource: 'external' }).decide(ctxWith({ signals: { fairPriceTicks: ready(105) } }));
    expect(prices(high.quotes, 'buy')).toEqual([100]);
    expect(prices(high.quotes, 'sell')).toEqual([106]);
    expect(high.reason).toMatch(/bid 104 clamped to 100 \(post-only\)/);
    const low = fixed({ fairPriceSource: 'external' }).decide(ctxWith({ signals: { fairPriceTicks: ready(95) } }));
    expect(prices(low.quotes, 'buy')).toEqual([94]);
    expect(prices(low.quotes, 'sell')).toEqual([100]);
  });

  it('stops quoting the side that would take |position| beyond the limit, trims the rest', () => {
    const atMax = fixed({ maxPositionLots: 5 }).decide(ctxWith({ positionLots: 5 }));
    expect(sizes(atMax.quotes, 'buy')).toEqual([]);
    expect(sizes(atMax.quotes, 'sell')).toEqual([1]);
    expect(atMax.reason).toMatch(/bids off: position 5 at max 5/);
    const shortMax = fixed({ maxPositionLots: 5 }).decide(ctxWith({ positionLots: -7 }));
    expect(sizes(shortMax.quotes, 'sell')).toEqual([]);
    expect(sizes(shortMax.quotes, 'buy')).toEqual([1]);
    const near = fixed({ maxPositionLots: 5, sizeLots: 2, levels: 3 }).decide(ctxWith({ positionLots: 4 }));
    expect(sizes(near.quotes, 'buy')).toEqual([1]);
    expect(sizes(near.quotes, 'sell')).toEqual([2, 2, 2]);
    expect(near.reason).toMatch(/bid L0 trimmed to 1 lots by max position/);
  });

  it('closes everything and flattens at the flatten threshold', () => {
    const intent = fixed({ maxPositionLots: 5, flattenAtPositionLots: 8 }).decide(ctxWith({ positionLots: -8 }));
    expect(intent).toMatchObject({ quotes: [], cancelAll: true, flatten: true });
    expect(intent.reason).toMatch(/flattenAtPositionLots 8/);
  });
});

describe('exchange filters', () => {
  const btc = new Instrument(BTC_SPEC);
  const btcBook = (bid: number, ask: number) => new ArrayBook('BTCUSDT', [[bid, 1000]], [[ask, 1000]]);

  it('drops a quote below min notional, with the reason', () => {
    // 1000.0 × 0.001 = 1 USDT < 5.
    const intent = fixed().decide(ctxWith({ instrument: btc, book: btcBook(9999, 10001) }));
    expect(intent.quotes).toEqual([]);
    expect(intent.cancelAll).toBe(false);
    expect(intent.reason).toMatch(/bid L0 dropped: notional below min notional 5/);
    expect(intent.reason).toMatch(/ask L0 dropped: notional below min notional 5/);
  });

  it('sizes from a notional, rounding lots down', () => {
    // 10 USDT at 1000.0 → 10 lots of 0.001; at 1000.2 → 9.998 → 9 lots.
    const a = fixed({ sizeNotionalQuote: 10, halfSpreadTicks: 1 }).decide(ctxWith({ instrument: btc, book: btcBook(9999, 10001) }));
    expect(a.quotes).toEqual([
      { side: 'buy', priceTicks: 9999, qtyLots: 10, level: 0 },
      { side: 'sell', priceTicks: 10001, qtyLots: 9, level: 0 },
    ]);
  });

  it('drops a quote outside the price filter', () => {
    // min price 556.8 = 5568 ticks.
    const intent = fixed({ halfSpreadTicks: 3, sizeLots: 100 }).decide(ctxWith({ instrument: btc, book: btcBook(5569, 5571) }));
    expect(prices(intent.quotes, 'buy')).toEqual([]);
    expect(prices(intent.quotes, 'sell')).toEqual([5573]);
    expect(intent.reason).toMatch(/bid L0 dropped: price 5567 below min price 5568/);
    const top = new Instrument({ ...BTC_SPEC, maxPrice: '1000.1' });
    const above = fixed({ halfSpreadTicks: 1, sizeLots: 100 }).decide(ctxWith({ instrument: top, book: btcBook(10000, 10002) }));
    expect(prices(above.quotes, 'sell')).toEqual([]);
    expect(above.reason).toMatch(/ask L0 dropped: price 10002 above max price 10001/);
  });

  it('clips the size to max qty and drops below min qty', () => {
    const clipped = fixed({ sizeLots: 2_000_000, maxPositionLots: 10_000_000 }).decide(ctxWith());
    expect(sizes(clipped.quotes, 'buy')).toEqual([1_000_000]);
    const minQty = new Instrument({ ...BTC_SPEC, minQty: '0.005' });
    const small = fixed({ sizeLots: 4 }).decide(ctxWith({ instrument: minQty, book: btcBook(600000, 600002) }));
    expect(small.quotes).toEqual([]);
    expect(small.reason).toMatch(/qty 4 below min qty 5/);
  });
});

describe('no quotes when the inputs cannot be trusted', () => {
  const s = fixed();
  it.each([
    ['book invalid', new ArrayBook('TESTUSDT', [[99, 1]], [[101, 1]], false), /book invalid/],
    ['empty bids', new ArrayBook('TESTUSDT', [], [[101, 1]]), /bid side of the book empty/],
    ['empty asks', new ArrayBook('TESTUSDT', [[99, 1]], []), /ask side of the book empty/],
    ['crossed', new ArrayBook('TESTUSDT', [[101, 1]], [[101, 1]]), /book crossed or locked/],
  ])('%s', (_name, book, why) => {
    const intent = s.decide(ctxWith({ book }));
    expect(intent.quotes).toEqual([]);
    expect(intent.cancelAll).toBe(true);
    expect(intent.flatten).toBe(false);
    expect(intent.reason).toMatch(why);
  });

  it('a wiring mistake (book of another symbol) is an invariant error', () => {
    expect(() => s.decide(ctxWith({ book: new ArrayBook('ETHUSDT', [[1, 1]], [[2, 1]]) }))).toThrow(MakerError);
  });

  it('is deterministic', () => {
    const ctx = ctxWith({ positionLots: 3 });
    expect(s.decide(ctx)).toEqual(s.decide(ctx));
  });
});

describe('order refresh', () => {
  const liveAt = (side: 'buy' | 'sell', priceTicks: number, qtyLots = 1, placedAtUs = 999_000): LiveQuote => ({ side, priceTicks, qtyLots, placedAtUs });
  const ctx = (live: LiveQuote[], over: Partial<StrategyContext> = {}) => ctxWith({ book: wideBook, liveQuotes: live, ...over });

  it('keeps a live quote exactly while within tolerance and young', () => {
    const s = fixed({ halfSpreadTicks: 2, requoteToleranceTicks: 1, maxOrderAgeUs: 5_000 });
    const intent = s.decide(ctx([liveAt('buy', 99, 3), liveAt('sell', 104, 1)]));
    expect(intent.quotes).toEqual([
      { side: 'buy', priceTicks: 99, qtyLots: 3, level: 0 },
      { side: 'sell', priceTicks: 102, qtyLots: 1, level: 0 },
    ]);
    expect(intent.reason).toMatch(/2 quotes \(1 kept\)/);
  });

  it('forgets the live quotes of the previous decision (the sorted-live scratch is reused, not shrunk)', () => {
    const s = fixed({ halfSpreadTicks: 2, requoteToleranceTicks: 1, maxOrderAgeUs: 5_000, levels: 2 });
    const first = s.decide(ctx([liveAt('buy', 99, 1), liveAt('buy', 97, 1), liveAt('sell', 102, 1)]));
    expect(first.reason).toMatch(/\(3 kept\)/);
    // Fewer live orders now: the deeper bid and the ask of the first decision must not count as live.
    const second = s.decide(ctx([liveAt('buy', 99, 1)]));
    expect(second.reason).toMatch(/\(1 kept\)/);
    expect(prices(second.quotes, 'buy')).toEqual([99, 97]);
    const third = s.decide(ctx([]));
    expect(third.reason).toMatch(/\(0 kept\)/);
    expect(prices(third.quotes, 'buy')).toEqual([98, 97]);
  });

  it('requotes past the tolerance, past the max age, or over the position capacity', () => {
    const tight = fixed({ halfSpreadTicks: 2, requoteToleranceTicks: 0 }).decide(ctx([liveAt('buy', 99)]));
    expect(prices(tight.quotes, 'buy')).toEqual([98]);
    const old = fixed({ halfSpreadTicks: 2, requoteToleranceTicks: 1, maxOrderAgeUs: 1_000 }).decide(ctx([liveAt('buy', 99, 1, 999_000)]));
    expect(prices(old.quotes, 'buy')).toEqual([98]);
    const young = fixed({ halfSpreadTicks: 2, requoteToleranceTicks: 1, maxOrderAgeUs: 1_001 }).decide(ctx([liveAt('buy', 99, 1, 999_000)]));
    expect(prices(young.quotes, 'buy')).toEqual([99]);
    const big = fixed({ halfSpreadTicks: 2, requoteToleranceTicks: 1, maxPositionLots: 2 }).decide(ctx([liveAt('buy', 99, 3)]));
    expect(big.quotes.filter((q) => q.side === 'buy')).toEqual([{ side: 'buy', priceTicks: 98, qtyLots: 1, level: 0 }]);
  });

  it('does not keep a live quote that now crosses the book or narrows our spread below the minimum', () => {
    const crossing = fixed({ halfSpreadTicks: 2, requoteToleranceTicks: 5 }).decide(ctxWith({ liveQuotes: [liveAt('buy', 101), liveAt('sell', 99)] }));
    expect(prices(crossing.quotes, 'buy')).toEqual([98]);
    expect(prices(crossing.quotes, 'sell')).toEqual([102]);
    const narrow = fixed({ halfSpreadTicks: 2, minSpreadTicks: 4, requoteToleranceTicks: 1 }).decide(ctx([liveAt('buy', 99), liveAt('sell', 101)]));
    expect(prices(narrow.quotes, 'buy')).toEqual([98]);
    expect(prices(narrow.quotes, 'sell')).toEqual([102]);
    // A kept bid binds the ask: ask ≥ kept bid + min spread.
    const bound = fixed({ halfSpreadTicks: 2, minSpreadTicks: 3, requoteToleranceTicks: 1 }).decide(ctx([liveAt('buy', 99), liveAt('sell', 101)]));
    expect(prices(bound.quotes, 'buy')).toEqual([99]);
    expect(prices(bound.quotes, 'sell')).toEqual([102]);
  });

  it('matches levels to live orders best first and keeps levels strictly ordered', () => {
    const s = fixed({ halfSpreadTicks: 2, levels: 2, requoteToleranceTicks: 1 });
    const both = s.decide(ctx([liveAt('buy', 96, 2), liveAt('buy', 99, 1)]));
    expect(both.quotes.filter((q) => q.side === 'buy')).toEqual([
      { side: 'buy', priceTicks: 99, qtyLots: 1, level: 0 },
      { side: 'buy', priceTicks: 96, qtyLots: 2, level: 1 },
    ]);
    const collide = s.decide(ctx([liveAt('buy', 97)]));
    expect(prices(collide.quotes, 'buy')).toEqual([97]);
    expect(collide.reason).toMatch(/bid L1 dropped: not behind the kept quote at 97/);
    // Extra live orders are simply not in the intent (the OMS cancels them).
    const extra = fixed({ halfSpreadTicks: 2, requoteToleranceTicks: 1 }).decide(ctx([liveAt('buy', 99), liveAt('buy', 98)]));
    expect(prices(extra.quotes, 'buy')).toEqual([99]);
  });

  // From a shrunk fast-check case (seed -332310276): a kept, partly filled order leaves capacity
  // that the next new level takes, so new sizes may differ from a refresh-free decision.
  it('a kept partly filled order frees position capacity for the deeper levels', () => {
    const s = fixed({ halfSpreadTicks: 1, levels: 3, sizeLots: 4, maxPositionLots: 8, requoteToleranceTicks: 0 });
    const fresh = s.decide(ctx([], { positionLots: -1 }));
    expect(sizes(fresh.quotes, 'sell')).toEqual([4, 3]);
    const refreshed = s.decide(ctx([liveAt('sell', 101, 4), liveAt('sell', 102, 1)], { positionLots: -1 }));
    expect(refreshed.quotes.filter((q) => q.side === 'sell')).toEqual([
      { side: 'sell', priceTicks: 101, qtyLots: 4, level: 0 },
      { side: 'sell', priceTicks: 102, qtyLots: 1, level: 1 },
      { side: 'sell', priceTicks: 103, qtyLots: 2, level: 2 },
    ]);
  });

  it('drops a live order of a side that is off', () => {
    const intent = fixed({ maxPositionLots: 2, requoteToleranceTicks: 5 }).decide(ctx([liveAt('buy', 99)], { positionLots: 2 }));
    expect(prices(intent.quotes, 'buy')).toEqual([]);
  });
});

describe('fair price sources and signal tilt', () => {
  it('quotes around the mark or the microprice when configured', () => {
    const mark = fixed({ fairPriceSource: 'mark' }).decide(ctxWith({ book: wideBook, signals: { markPriceTicks: ready(105) } }));
    expect(prices(mark.quotes, 'buy')).toEqual([104]);
    expect(prices(mark.quotes, 'sell')).toEqual([106]);
    const micro = fixed({ fairPriceSource: 'microprice' }).decide(ctxWith({ book: wideBook, signals: { micropriceTicks: ready(95.5) } }));
    expect(prices(micro.quotes, 'buy')).toEqual([94]);
    expect(prices(micro.quotes, 'sell')).toEqual([97]);
    const missing = fixed({ fairPriceSource: 'microprice' }).decide(ctxWith({ signals: { micropriceTicks: { value: 100, ready: false } } }));
    expect(missing).toMatchObject({ quotes: [], cancelAll: true });
    expect(missing.reason).toMatch(/fair price source microprice not ready/);
  });

  it('shifts the fair price by OBI, OFI and microprice with weights, capped', () => {
    const obi = fixed({ tilt: { obiTicksPerUnit: 4 } }).decide(ctxWith({ book: wideBook, signals: { obi: ready(0.5) } }));
    expect(prices(obi.quotes, 'buy')).toEqual([101]);
    expect(prices(obi.quotes, 'sell')).toEqual([103]);
    expect(obi.reason).toMatch(/fair 102 \(tilt 2\)/);
    const capped = fixed({ tilt: { obiTicksPerUnit: 4, maxTiltTicks: 1 } }).decide(ctxWith({ book: wideBook, signals: { obi: ready(0.5) } }));
    expect(prices(capped.quotes, 'buy')).toEqual([100]);
    const ofi = fixed({ tilt: { ofiTicksPerLot: 0.1 } }).decide(ctxWith({ book: wideBook, signals: { ofiLots: ready(-20) } }));
    expect(prices(ofi.quotes, 'buy')).toEqual([97]);
    expect(prices(ofi.quotes, 'sell')).toEqual([99]);
    const micro = fixed({ tilt: { micropriceWeight: 1 } }).decide(ctxWith({ book: wideBook, signals: { micropriceTicks: ready(100.6) } }));
    expect(prices(micro.quotes, 'buy')).toEqual([99]);
    expect(prices(micro.quotes, 'sell')).toEqual([102]);
  });

  it('requires a tilt signal only when its weight is non-zero', () => {
    for (const [tilt, why] of [
      [{ obiTicksPerUnit: 1 }, /signal obi not ready/],
      [{ ofiTicksPerLot: 1 }, /signal ofiLots not ready/],
      [{ micropriceWeight: 1 }, /signal micropriceTicks not ready/],
    ] as const) {
      const intent = fixed({ tilt }).decide(ctxWith({ signals: { obi: { value: Number.NaN, ready: true } } }));
      expect(intent).toMatchObject({ quotes: [], cancelAll: true });
      expect(intent.reason).toMatch(why);
    }
    const unused = fixed({ tilt: { obiTicksPerUnit: 0 } }).decide(ctxWith());
    expect(unused.quotes).toHaveLength(2);
  });
});

describe('Avellaneda–Stoikov strategy', () => {
  const as = (over: Record<string, unknown> = {}) => createStrategy({ kind: 'avellaneda-stoikov', maxPositionLots: 10, gammaPerTick: 0.1, horizonS: 1, ...over });
  const signals = { sigmaTicksPerSqrtS: ready(2), intensityKPerTick: ready(1.5) };

  it('quotes around the reservation price with q in inventory units', () => {
    // q = 2 lots / 2 lots per unit = 1 → r = 99.6, spread 1.690770 → 98.754…, 100.445… → 98 / 101.
    const intent = as({ sizeLots: 2 }).decide(ctxWith({ book: wideBook, positionLots: 2, signals }));
    expect(prices(intent.quotes, 'buy')).toEqual([98]);
    expect(prices(intent.quotes, 'sell')).toEqual([101]);
    expect(intent.reason).toMatch(/r 99\.6000 spread 1\.6908 q 1\.0000/);
    const flat = as().decide(ctxWith({ book: wideBook, signals }));
    expect(prices(flat.quotes, 'buy')).toEqual([99]);
    expect(prices(flat.quotes, 'sell')).toEqual([101]);
  });

  it('uses overrides instead of signals', () => {
    const intent = as({ overrides: { sigmaTicksPerSqrtS: 2, intensityKPerTick: 1.5 }, horizonS: 10 }).decide(ctxWith({ book: wideBook, positionLots: 1 }));
    // r = 100 − 0.1·4·10 = 96, spread = 4 + 1.29077 → 93.35 / 98.65 → 93 / 99.
    expect(prices(intent.quotes, 'buy')).toEqual([93]);
    expect(prices(intent.quotes, 'sell')).toEqual([99]);
  });

  it('does not quote without usable σ and k', () => {
    expect(as().decide(ctxWith({ signals: { intensityKPerTick: ready(1.5) } })).reason).toMatch(/signal sigmaTicksPerSqrtS not ready/);
    expect(as().decide(ctxWith({ signals: { sigmaTicksPerSqrtS: ready(2) } })).reason).toMatch(/signal intensityKPerTick not ready/);
    const badK = as().decide(ctxWith({ signals: { sigmaTicksPerSqrtS: ready(2), intensityKPerTick: ready(0) } }));
    expect(badK).toMatchObject({ quotes: [], cancelAll: true });
    expect(badK.reason).toMatch(/intensityKPerTick = 0 not usable/);
    expect(as().decide(ctxWith({ signals: { sigmaTicksPerSqrtS: ready(-1), intensityKPerTick: ready(1) } })).reason).toMatch(/must be ≥ 0/);
  });
});

describe('Avellaneda–Stoikov options for model markets', () => {
  const as = (over: Record<string, unknown> = {}) =>
    createStrategy({ kind: 'avellaneda-stoikov', maxPositionLots: 100, gammaPerTick: 0.1, overrides: { sigmaTicksPerSqrtS: 2, intensityKPerTick: 1.5 }, ...over });

  it('counts T − t down to the end of each session of horizonS seconds (countdown mode)', () => {
    const countdown = as({ horizonMode: 'countdown', horizonS: 10 });
    // Flat: spread = 0.1·4·(T − t) + 1.290770; at t = 0 of a session T − t = 10, 2.5 s in 7.5, 12.5 s in (next session) 7.5.
    const spreadAt = (tsUs: number) => /spread ([\d.]+)/.exec(countdown.decide(ctxWith({ book: wideBook, tsUs })).reason)![1];
    expect(spreadAt(0)).toBe('5.2908');
    expect(spreadAt(2_500_000)).toBe('4.2908');
    expect(spreadAt(12_500_000)).toBe('4.2908');
    expect(spreadAt(9_999_999)).toBe('1.2908');
    expect(countdown.decide(ctxWith({ book: wideBook, tsUs: 2_500_000 })).reason).toMatch(/T-t 7\.5000/);
    // The rolling default ignores the clock.
    expect(/spread ([\d.]+)/.exec(as({ horizonS: 10 }).decide(ctxWith({ book: wideBook, tsUs: 2_500_000 })).reason)![1]).toBe('5.2908');
  });

  it('leaves γσ²(T − t) out of the spread with spreadRiskTerm: false, but not out of r', () => {
    const intent = as({ horizonS: 10, spreadRiskTerm: false }).decide(ctxWith({ book: wideBook, positionLots: 1 }));
    // r = 100 − 0.1·4·10 = 96, spread 1.290770 → 95.35 / 96.65 → 95 / 97.
    expect(intent.reason).toMatch(/r 96\.0000 spread 1\.2908/);
    expect(prices(intent.quotes, 'buy')).toEqual([95]);
    expect(prices(intent.quotes, 'sell')).toEqual([97]);
  });

  it('quotes the symmetric benchmark around the fair price whatever the inventory', () => {
    // q = 5: the inventory strategy's r = 100 − 5·0.4 = 98; the symmetric one stays at 100 ± 0.845.
    const skewed = as().decide(ctxWith({ book: wideBook, positionLots: 5 }));
    const sym = as({ symmetric: true }).decide(ctxWith({ book: wideBook, positionLots: 5 }));
    expect(prices(skewed.quotes, 'buy')).toEqual([97]);
    expect(prices(sym.quotes, 'buy')).toEqual([99]);
    expect(prices(sym.quotes, 'sell')).toEqual([101]);
  });

  it('quotes through the mid only with quoteThroughMid', () => {
    // q = −10: r = 100 + 4 = 104, bid 104 − 0.845 = 103.15 → 103, above the best ask 101 of a tight book.
    const tight = new ArrayBook('TESTUSDT', [[99, 1]], [[101, 1]]);
    const clamped = as().decide(ctxWith({ book: tight, positionLots: -10 }));
    expect(prices(clamped.quotes, 'buy')).toEqual([100]);
    expect(clamped.reason).toMatch(/clamped to 100 \(post-only\)/);
    const through = as({ quoteThroughMid: true }).decide(ctxWith({ book: tight, positionLots: -10 }));
    expect(prices(through.quotes, 'buy')).toEqual([103]);
    expect(prices(through.quotes, 'sell')).toEqual([105]);
    // A live bid through the mid is kept, not replaced, when it is at the desired price.
    const live: LiveQuote[] = [{ side: 'buy', priceTicks: 103, qtyLots: 1, placedAtUs: 0 }];
    const kept = as({ quoteThroughMid: true }).decide(ctxWith({ book: tight, positionLots: -10, liveQuotes: live }));
    expect(kept.reason).toMatch(/\(1 kept\)/);
    // Long through the bid side likewise.
    expect(prices(as({ quoteThroughMid: true }).decide(ctxWith({ book: tight, positionLots: 10 })).quotes, 'sell')).toEqual([97]);
  });

  it('takes γ per unit of the quote currency, converted with the tick size', () => {
    // Tick 0.1: gamma 1 per USDT = 0.1 per tick, the same quotes as gammaPerTick 0.1.
    const inst = new Instrument({ ...BTC_SPEC, minPrice: '0.1', minNotional: '0' });
    const book = new ArrayBook('BTCUSDT', [[90, 10]], [[110, 10]]);
    const a = as({ gammaPerTick: undefined, gamma: 1 }).decide(ctxWith({ instrument: inst, book, positionLots: 3 }));
    const b = as().decide(ctxWith({ instrument: inst, book, positionLots: 3 }));
    expect(a.quotes).toEqual(b.quotes);
    expect(a.reason).toBe(b.reason);
  });
});

describe('GLFT strategy', () => {
  const glft = (over: Record<string, unknown> = {}) => createStrategy({ kind: 'glft', maxPositionLots: 10, gammaPerTick: 0.01, ...over });
  const signals = { sigmaTicksPerSqrtS: ready(0.3), intensityAPerS: ready(0.9), intensityKPerTick: ready(0.3) };

  it('quotes the closed-form depths around the fair price', () => {
    // δ(0) = 3.312915 → 96.687 / 103.313 → 96 / 104.
    const flat = glft().decide(ctxWith({ book: wideBook, signals }));
    expect(prices(flat.quotes, 'buy')).toEqual([96]);
    expect(prices(flat.quotes, 'sell')).toEqual([104]);
    expect(flat.reason).toMatch(/half 3\.3129 skew 0\.0679 q 0\.0000/);
    // Fair 100.4, q = 1: bid 100.4 − 3.380781 = 97.019 → 97; ask 100.4 + 3.245049 = 103.645 → 104.
    const long = glft().decide(ctxWith({ book: new ArrayBook('TESTUSDT', [[90, 1]], [[110, 1]]), positionLots: 1, signals: { ...signals, fairPriceTicks: ready(100.4) } }));
    expect(prices(long.quotes, 'buy')).toEqual([96]);
    const ext = glft({ fairPriceSource: 'external' }).decide(ctxWith({ book: wideBook, positionLots: 1, signals: { ...signals, fairPriceTicks: ready(100.4) } }));
    expect(prices(ext.quotes, 'buy')).toEqual([97]);
    expect(prices(ext.quotes, 'sell')).toEqual([104]);
  });

  it('scales half spread and skew by the tuning factors', () => {
    // half 3.312915·2 = 6.62583, skew 0.0678658·10 = 0.678658, q = 3: bid 100 − 8.6618 → 91; ask 100 + 4.5898 → 105.
    const intent = glft({ halfSpreadAdj: 2, skewAdj: 10 }).decide(ctxWith({ book: wideBook, positionLots: 3, signals }));
    expect(prices(intent.quotes, 'buy')).toEqual([91]);
    expect(prices(intent.quotes, 'sell')).toEqual([105]);
  });

  it('does not quote without usable σ, A and k', () => {
    expect(glft().decide(ctxWith({ signals: { ...signals, sigmaTicksPerSqrtS: undefined } })).reason).toMatch(/sigmaTicksPerSqrtS not ready/);
    expect(glft().decide(ctxWith({ signals: { ...signals, intensityAPerS: { value: 1, ready: false } } })).reason).toMatch(/intensityAPerS not ready/);
    expect(glft().decide(ctxWith({ signals: { ...signals, intensityKPerTick: ready(Number.POSITIVE_INFINITY) } })).reason).toMatch(/intensityKPerTick not ready/);
    const overridden = glft({ overrides: { sigmaTicksPerSqrtS: 0.3, intensityAPerS: 0.9, intensityKPerTick: 0.3 } }).decide(ctxWith({ book: wideBook }));
    expect(prices(overridden.quotes, 'buy')).toEqual([96]);
  });

  it('one strategy deciding as σ, A and k change quotes what a fresh one quotes for each (its coefficients are reused only for the same inputs)', () => {
    const inputs = [
      { sigma: 0.3, a: 0.9, k: 0.3 },
      { sigma: 0.3, a: 0.9, k: 0.3 },
      { sigma: 3, a: 0.9, k: 0.3 },
      { sigma: 3, a: 0.2, k: 0.3 },
      { sigma: 3, a: 0.2, k: 0.05 },
      { sigma: 0.3, a: 0.9, k: 0.3 },
    ];
    const one = glft();
    for (const x of inputs) {
      const ctx = () => ctxWith({ book: wideBook, positionLots: 2, signals: { sigmaTicksPerSqrtS: ready(x.sigma), intensityAPerS: ready(x.a), intensityKPerTick: ready(x.k) } });
      const got = one.decide(ctx());
      const fresh = glft().decide(ctx());
      expect(got.quotes, JSON.stringify(x)).toEqual(fresh.quotes);
      expect(got.reason, JSON.stringify(x)).toBe(fresh.reason);
    }
  });

  it('reports non-finite model output instead of quoting', () => {
    // A tiny k makes (1 + γ/k)^(k/γ+1) finite but a tiny A makes c2 overflow to Infinity.
    const intent = glft({ overrides: { sigmaTicksPerSqrtS: 1, intensityAPerS: 1e-320, intensityKPerTick: 1e-300 } }).decide(ctxWith());
    expect(intent).toMatchObject({ quotes: [], cancelAll: true });
    expect(intent.reason).toMatch(/non-finite/);
  });
});
