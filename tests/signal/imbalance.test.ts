import { describe, expect, it } from 'vitest';
import { DepthImbalance, imbalanceFraction, signedImbalance, weightedMid } from '../../src/signal/index.ts';
import { NaiveBook } from './naive-book.ts';

describe('weighted mid and L1 imbalance', () => {
  it('matches hand-computed values', () => {
    // I = 30/(30+10) = 0.75 → 0.75·101 + 0.25·100 = 100.75
    expect(imbalanceFraction(30, 10)).toBe(0.75);
    expect(signedImbalance(30, 10)).toBe(0.5);
    expect(weightedMid(100, 30, 101, 10)).toBe(100.75);
    // equal sizes: the plain mid; M + S·(I − ½) form
    expect(weightedMid(100, 5, 104, 5)).toBe(102);
    expect(weightedMid(100, 1, 104, 3)).toBe(102 + 4 * (0.25 - 0.5));
  });

  it('is NaN when there is no quantity', () => {
    expect(imbalanceFraction(0, 0)).toBeNaN();
    expect(signedImbalance(0, 0)).toBeNaN();
    expect(weightedMid(100, 0, 101, 0)).toBeNaN();
  });
});

describe('DepthImbalance', () => {
  const book = new NaiveBook('T', [
    [100, 10],
    [99, 20],
    [98, 30],
    [90, 1000],
  ], [
    [101, 5],
    [102, 5],
    [103, 50],
    [120, 1000],
  ]);
  const d = new DepthImbalance();

  it('sums the best N levels per side', () => {
    expect(d.overLevels(book, 1)).toBeCloseTo((10 - 5) / 15, 12);
    expect(d.overLevels(book, 2)).toBeCloseTo((30 - 10) / 40, 12);
    expect(d.overLevels(book, 3)).toBeCloseTo((60 - 60) / 120, 12);
    expect(d.overLevels(book, 10)).toBeCloseTo((1060 - 1060) / 2120, 12);
    expect(d.overLevels(book, 0)).toBeNaN();
  });

  it('sums the levels inside mid·(1 ± d)', () => {
    // mid 100.5; 200 bps → [98.49, 102.51]: bids 100, 99 (98 is out), asks 101, 102.
    expect(d.overBand(book, 200)).toBeCloseTo((30 - 10) / 40, 12);
    // 300 bps → [97.485, 103.515]: bids 100, 99, 98; asks 101, 102, 103.
    expect(d.overBand(book, 300)).toBeCloseTo(0, 12);
    // 1 bp: only the touch fits on neither side (100 < 100.49) → no quantity.
    expect(d.overBand(book, 1)).toBeNaN();
  });

  it('is NaN on a one-sided book', () => {
    const oneSided = new NaiveBook('T', [[100, 1]], []);
    expect(d.overBand(oneSided, 100)).toBeNaN();
    expect(d.overLevels(oneSided, 3)).toBe(1);
  });
});
