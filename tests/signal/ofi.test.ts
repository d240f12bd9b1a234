import { describe, expect, it } from 'vitest';
import { intervalEnd, OfiAccumulator, ofiContribution } from '../../src/signal/index.ts';

// Prices in half-ticks so that the §2.6 fixture's 100.5 is an integer: 100 → 200, 100.5 → 201, 101 → 202.
describe('ofiContribution (market-making.md §2.6 fixtures)', () => {
  const prev = [200, 10, 202, 8] as const;
  it('bid size 10 → 15 at the same price: +5 (non-strict comparisons)', () => {
    expect(ofiContribution(...prev, 200, 15, 202, 8)).toBe(5);
  });
  it('bid up to 100.5 × 7: +7', () => {
    expect(ofiContribution(...prev, 201, 7, 202, 8)).toBe(7);
  });
  it('ask down to 100.5 × 4: −4', () => {
    expect(ofiContribution(...prev, 200, 10, 201, 4)).toBe(-4);
  });
  it('bid level removed, new bid 99.5: −10', () => {
    expect(ofiContribution(...prev, 199, 3, 202, 8)).toBe(-10);
  });
  it('no change: 0; ask size up at the same price: −Δ; ask away: +old ask size', () => {
    expect(ofiContribution(...prev, ...prev)).toBe(0);
    expect(ofiContribution(...prev, 200, 10, 202, 11)).toBe(-3);
    expect(ofiContribution(...prev, 200, 10, 203, 2)).toBe(8);
  });
});

describe('OfiAccumulator', () => {
  it('sums e_n per interval (t_{k−1}, t_k] and reports the last closed one', () => {
    const acc = new OfiAccumulator(1000);
    const feed = (ts: number, b: number, bq: number, a: number, aq: number) => {
      acc.advance(ts);
      acc.update(ts, b, bq, a, aq);
    };
    feed(500, 100, 10, 101, 8); // anchor, interval (0, 1000] is partial
    feed(1000, 100, 15, 101, 8); // +5, on the boundary: still (0, 1000]
    expect(acc.current).toBe(5);
    expect(acc.ready).toBe(false);
    feed(1500, 100, 15, 101, 4); // (1000, 2000]: ask size down at the same price → +4
    expect(acc.last).toBe(5);
    expect(acc.ready).toBe(false);
    feed(2000, 99, 1, 101, 4); // bid down → −15
    expect(acc.current).toBe(4 - 15);
    feed(2001, 99, 1, 101, 4); // (2000, 3000]: closes the first full interval
    expect(acc.ready).toBe(true);
    expect(acc.last).toBe(-11);
    expect(acc.current).toBe(0);
    feed(5500, 99, 2, 101, 4); // skips (3000, 4000], (4000, 5000]: empty → last = 0
    expect(acc.last).toBe(0);
    expect(acc.current).toBe(1);
  });

  it('an empty side re-anchors without a contribution', () => {
    const acc = new OfiAccumulator(1000);
    acc.update(1, 100, 10, 101, 8);
    acc.update(2, NaN, 0, 101, 8);
    acc.update(3, 90, 1, 101, 8);
    expect(acc.current).toBe(0);
    acc.update(4, 90, 3, 101, 8);
    expect(acc.current).toBe(2);
    acc.resetAnchor();
    acc.update(5, 95, 3, 101, 8);
    expect(acc.current).toBe(2);
  });

  it('intervalEnd puts boundary times in the interval that ends there', () => {
    expect(intervalEnd(1000, 1000)).toBe(1000);
    expect(intervalEnd(1001, 1000)).toBe(2000);
    expect(intervalEnd(1, 1000)).toBe(1000);
  });
});
