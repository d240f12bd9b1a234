import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../src/core/errors.ts';
import { MidRangeWindow } from '../../src/risk/index.ts';

describe('MidRangeWindow', () => {
  it('is empty before any observation', () => {
    expect(new MidRangeWindow(1000).range(0)).toBeNull();
  });

  it('reports max − min of the mid in ticks (half ticks allowed) and bps of the latest mid', () => {
    const w = new MidRangeWindow(1000);
    w.observe(0, 9999, 10001); // mid 10000
    w.observe(10, 10000, 10001); // mid 10000.5
    w.observe(20, 9990, 9991); // mid 9990.5
    const r = w.range(20);
    expect(r?.rangeTicks).toBe(10);
    expect(r?.rangeBps).toBeCloseTo((10 / 9990.5) * 10_000, 9);
  });

  it('drops mids older than the window (sent at t, gone at t + window)', () => {
    const w = new MidRangeWindow(100);
    w.observe(0, 100, 102); // mid 101
    w.observe(50, 110, 112); // mid 111
    expect(w.range(99)?.rangeTicks).toBe(10);
    expect(w.range(100)?.rangeTicks).toBe(0);
    expect(w.range(150)).toBeNull();
  });

  it('matches a naive range on a long random walk (monotonic deques + compaction)', () => {
    const w = new MidRangeWindow(5_000);
    const seen: [number, number][] = [];
    let mid2 = 200_000;
    let seed = 12345;
    for (let t = 0; t < 400_000; t += 3) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      mid2 += (seed % 7) - 3;
      w.observe(t, Math.floor(mid2 / 2), mid2 - Math.floor(mid2 / 2));
      seen.push([t, mid2]);
      if (t % 30_003 === 0) {
        const inWin = seen.filter(([ts]) => ts > t - 5_000).map(([, m]) => m);
        expect(w.range(t)?.rangeTicks).toBe((Math.max(...inWin) - Math.min(...inWin)) / 2);
      }
    }
  });

  it('forgets everything on clear', () => {
    const w = new MidRangeWindow(100);
    w.observe(0, 100, 102);
    w.observe(1, 200, 202);
    w.clear();
    expect(w.range(2)).toBeNull();
    w.observe(3, 150, 152);
    expect(w.range(3)?.rangeTicks).toBe(0);
  });

  it('rejects time going backwards', () => {
    const w = new MidRangeWindow(100);
    w.observe(10, 1, 3);
    expect(() => w.observe(9, 1, 3)).toThrow(InvariantError);
  });
});
