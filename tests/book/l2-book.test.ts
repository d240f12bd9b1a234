import { describe, expect, it } from 'vitest';
import { L2Book } from '../../src/book/index.ts';

function sample(): L2Book {
  const b = new L2Book('BTCUSDT');
  b.loadSnapshot([618002, 618000, 617990], [2909, 100, 5], [618003, 618010], [1072, 20]);
  return b;
}

describe('L2Book', () => {
  it('an empty book has NaN best prices, zero best quantities, and is not crossed', () => {
    const b = new L2Book('X');
    expect(b.bestBidTicks()).toBeNaN();
    expect(b.bestAskTicks()).toBeNaN();
    expect(b.bestBidLots()).toBe(0);
    expect(b.bestAskLots()).toBe(0);
    expect(b.isCrossed()).toBe(false);
    expect(b.levelCount('bid')).toBe(0);
    expect(b.topLevels('ask', 5)).toEqual([]);
    expect(b.depthWithin('bid', 100)).toBe(0);
    expect(b.lastUpdateId()).toBe(-1);
    expect(b.isValid()).toBe(true);
  });

  it('loads a snapshot and answers best, depth, and level queries', () => {
    const b = sample();
    expect(b.bestBidTicks()).toBe(618002);
    expect(b.bestBidLots()).toBe(2909);
    expect(b.bestAskTicks()).toBe(618003);
    expect(b.bestAskLots()).toBe(1072);
    expect(b.levelCount('bid')).toBe(3);
    expect(b.qtyAt('bid', 618000)).toBe(100);
    expect(b.qtyAt('bid', 618001)).toBe(0);
    expect(b.qtyAt('ask', 618000)).toBe(0);
    expect(b.topLevels('bid', 2)).toEqual([{ priceTicks: 618002, qtyLots: 2909 }, { priceTicks: 618000, qtyLots: 100 }]);
    expect(b.depthWithin('bid', 2)).toBe(3009);
    expect(b.depthWithin('bid', 12)).toBe(3014);
    expect(b.depthWithin('ask', 6)).toBe(1072);
    expect(b.depthWithin('ask', 7)).toBe(1092);
  });

  it('removing the best level moves the best to the next one; removing an absent level changes nothing', () => {
    const b = sample();
    b.applyLevel('bid', 618002, 0);
    expect(b.bestBidTicks()).toBe(618000);
    b.applyLevel('bid', 617000, 0);
    b.applyLevel('ask', 618004, 0);
    expect(b.levelCount('bid')).toBe(2);
    expect(b.levelCount('ask')).toBe(2);
    b.applyLevel('ask', 618003, 0);
    b.applyLevel('ask', 618010, 0);
    expect(b.bestAskTicks()).toBeNaN();
  });

  it('keeps levels far from the market (the real book has bids at 560.0 next to 61800.0)', () => {
    const b = sample();
    b.applyLevel('bid', 5600, 3);
    b.applyLevel('ask', 6213687, 4);
    expect(b.qtyAt('bid', 5600)).toBe(3);
    expect(b.levelCount('bid')).toBe(4);
    const bids: number[] = [];
    b.forEachLevel('bid', (p) => void bids.push(p));
    expect(bids).toEqual([618002, 618000, 617990, 5600]);
    const asks: number[] = [];
    b.forEachLevel('ask', (p) => void asks.push(p));
    expect(asks).toEqual([618003, 618010, 6213687]);
    // Emptying the near side leaves the far level as the best.
    for (const p of [618002, 618000, 617990]) b.applyLevel('bid', p, 0);
    expect(b.bestBidTicks()).toBe(5600);
    expect(b.bestBidLots()).toBe(3);
  });

  it('follows a market that moves further than its window', () => {
    const b = new L2Book('X', { windowTicks: 64 });
    let mid = 1000;
    for (; mid < 5000; mid += 7) {
      b.applyLevel('bid', mid - 8, 0);
      b.applyLevel('bid', mid - 1, 10);
      b.applyLevel('ask', mid + 1, 11);
      b.applyLevel('ask', mid - 6, 0);
    }
    const last = mid - 7;
    expect(b.bestBidTicks()).toBe(last - 1);
    expect(b.bestAskTicks()).toBe(last + 1);
    expect(b.levelCount('bid')).toBe(1);
    expect(b.levelCount('ask')).toBe(1);
  });

  it('stops iterating when the visitor returns false', () => {
    const b = sample();
    const seen: number[] = [];
    b.forEachLevel('bid', (p) => {
      seen.push(p);
      return seen.length < 2;
    });
    expect(seen).toEqual([618002, 618000]);
  });

  it('reports a crossed book without repairing it', () => {
    const b = sample();
    b.applyLevel('bid', 618003, 1);
    expect(b.isCrossed()).toBe(true);
    expect(b.bestBidTicks()).toBe(618003);
    expect(b.qtyAt('ask', 618003)).toBe(1072);
  });

  it('applies a range of flat arrays, and a snapshot replaces everything', () => {
    const b = sample();
    const ticks = new Float64Array([1, 618001, 618002, 2]);
    const lots = new Float64Array([9, 7, 0, 9]);
    b.applySideLevels('bid', ticks, lots, 1, 3);
    expect(b.bestBidTicks()).toBe(618001);
    expect(b.qtyAt('bid', 1)).toBe(0);
    b.loadSnapshot([10], [1], [20], [2]);
    expect(b.levelCount('bid')).toBe(1);
    expect(b.bestAskTicks()).toBe(20);
    expect(() => b.loadSnapshot([10, 11], [1], [], [])).toThrow(RangeError);
  });
});
