import { describe, expect, it } from 'vitest';
import {
  fitMicroprice,
  MicropriceEstimator,
  micropriceAdjustment,
  micropriceState,
  TransitionCounts,
} from '../../src/signal/index.ts';
import { touchWalk } from './synthetic.ts';

describe('micropriceState', () => {
  it('maps (I, S) to bucket + (S − 1)·buckets and rejects states outside the model', () => {
    expect(micropriceState(0, 1, 10, 6)).toBe(0);
    expect(micropriceState(0.55, 1, 10, 6)).toBe(5);
    expect(micropriceState(1, 1, 10, 6)).toBe(9);
    expect(micropriceState(0.05, 3, 10, 6)).toBe(20);
    expect(micropriceState(0.5, 7, 10, 6)).toBe(-1);
    expect(micropriceState(0.5, 0, 10, 6)).toBe(-1);
    expect(micropriceState(0.5, 1.5, 10, 6)).toBe(-1);
    expect(micropriceState(NaN, 1, 10, 6)).toBe(-1);
  });
});

describe('fitMicroprice on a hand-solvable chain', () => {
  // 2 buckets, spread 1. Observed: 3× (high I → high I, mid +½), 1× (high → low, no move); mirrored:
  // 3× (low → low, −½), 1× (low → high, 0). Q = [[0, ¼], [¼, 0]], r = [−⅜, ⅜], T = diag(¾, ¾).
  // (1−Q)⁻¹ = (16/15)[[1, ¼], [¼, 1]] → G¹ = [−0.3, 0.3], B = [[0.8, 0.2], [0.2, 0.8]],
  // B·[−a, a] = 0.6·[−a, a] → g* = ±0.3/(1 − 0.6) = ±0.75.
  const counts = new TransitionCounts(2, 1);
  for (let i = 0; i < 3; i++) counts.apply(1, 1, 0.5, 1);
  counts.apply(1, 0, 0, 1);

  it('solves G¹, B and the series', () => {
    const model = fitMicroprice(counts, 1, 500, 1e-12);
    expect(model.status).toBe('converged');
    expect(model.transitions).toBe(4);
    expect(model.g[1]).toBeCloseTo(0.75, 10);
    expect(model.g[0]).toBeCloseTo(-0.75, 10);
  });

  it('interpolates between bin centres and is 0 at I = ½', () => {
    const model = fitMicroprice(counts, 1, 500, 1e-12);
    expect(micropriceAdjustment(model, 0.5, 1)).toBe(0);
    expect(micropriceAdjustment(model, 0.75, 1)).toBeCloseTo(0.75, 10);
    expect(micropriceAdjustment(model, 0.625, 1)).toBeCloseTo(0.375, 10);
    expect(micropriceAdjustment(model, 0.95, 1)).toBeCloseTo(0.75, 10); // clamped at the edge bin
    expect(micropriceAdjustment(model, 0.1, 1)).toBeCloseTo(-0.75, 10);
    expect(micropriceAdjustment(model, 0.5, 2)).toBeNaN();
    expect(micropriceAdjustment(model, -0.1, 1)).toBeNaN();
  });

  it('reports a capped series and distrusts thin states', () => {
    const capped = fitMicroprice(counts, 1, 3, 1e-12);
    expect(capped.status).toBe('capped');
    expect(capped.iterations).toBe(3);
    expect(capped.g[1]).toBeCloseTo(0.3 * (1 + 0.6 + 0.36), 10);
    const strict = fitMicroprice(counts, 5, 100, 1e-12);
    expect(Number.isNaN(strict.g[0]) && Number.isNaN(strict.g[1])).toBe(true);
  });

  it('distrusts states that never reach a mid move', () => {
    const c = new TransitionCounts(2, 2);
    c.apply(0, 1, 0, 1); // spread 1 bucket 0 ↔ bucket 1 forever, no move
    c.apply(2, 3, 0.5, 1); // spread 2: moves happen
    const model = fitMicroprice(c, 1, 100, 1e-12);
    expect(model.g[0]).toBeNaN();
    expect(model.g[1]).toBeNaN();
    expect(model.g[3]).toBeCloseTo(-model.g[2], 15);
    expect(Number.isFinite(model.g[3])).toBe(true);
  });
});

describe('MicropriceEstimator on synthetic data', () => {
  const est = new MicropriceEstimator(10, 2, 400_000, 200_000, 1);
  let ts = 0;
  for (const s of touchWalk('microprice-1', 200_000)) {
    ts++;
    est.observe(ts, (s.bidTicks + s.askTicks) / 2, s.bidLots / (s.bidLots + s.askLots), s.askTicks - s.bidTicks);
  }
  const model = est.fit(20, 500, 1e-10);

  it('converges', () => {
    expect(model.status).toBe('converged');
    expect(model.transitions).toBeGreaterThan(20_000);
  });

  it('g*(½, S) = 0 after symmetrisation', () => {
    expect(micropriceAdjustment(model, 0.5, 1)).toBe(0);
    expect(micropriceAdjustment(model, 0.5, 2)).toBe(0);
  });

  it('is increasing in I and |g*| < S/2 at S = 1', () => {
    const g = Array.from({ length: 10 }, (_, b) => micropriceAdjustment(model, (b + 0.5) / 10, 1));
    for (const v of g) expect(Number.isFinite(v)).toBe(true);
    for (let b = 1; b < 10; b++) expect(g[b]).toBeGreaterThan(g[b - 1]);
    for (const v of g) expect(Math.abs(v)).toBeLessThan(0.5);
    expect(g[9]).toBeGreaterThan(0.05); // it learned something
  });

  it('expires transitions out of the rolling window', () => {
    const rolling = new MicropriceEstimator(2, 1, 10, 100, 1);
    rolling.observe(1, 100, 0.9, 1);
    rolling.observe(2, 100.5, 0.9, 1); // (1 → 1, +½)
    rolling.observe(3, 100.5, 0.9, 1); // no change: not stored
    rolling.observe(4, 100.5, 0.1, 1); // (1 → 0, 0)
    expect(rolling.counts.transitions).toBe(2);
    rolling.expire(12); // drops ts ≤ 2
    expect(rolling.counts.transitions).toBe(1);
    expect(rolling.counts.exits[1]).toBe(1);
    expect(rolling.counts.moveSum[1]).toBe(0);
    rolling.observe(20, 100.5, 0.1, 1);
    expect(rolling.counts.transitions).toBe(0);
    expect(Array.from(rolling.counts.exits)).toEqual([0, 0]);
    rolling.observe(21, NaN, 0.5, 1); // no book: ignored
    rolling.observe(22, 100, 0.5, 9); // spread outside the model: breaks the chain
    rolling.observe(23, 100, 0.5, 1);
    expect(rolling.counts.transitions).toBe(0);
  });

  it('a full ring drops the oldest transitions first, and expiry after the ring wrapped drops the right ones', () => {
    // Ring of 3, a long window: transitions alternate between the two buckets of spread 1, the mid
    // moving by +1 on every fourth.
    const states: [number, number][] = []; // (mid, imbalance)
    for (let i = 0; i < 12; i++) states.push([100 + Math.floor(i / 4), i % 2 === 0 ? 0.9 : 0.1]);
    const ring = new MicropriceEstimator(2, 1, 1_000_000, 3, 1);
    states.forEach(([mid, imb], i) => ring.observe(i + 1, mid, imb, 1));
    // What is left is the last three transitions: those of a fresh estimator fed the last four states.
    const fresh = new MicropriceEstimator(2, 1, 1_000_000, 100, 1);
    states.slice(-4).forEach(([mid, imb], i) => fresh.observe(100 + i, mid, imb, 1));
    const view = (e: MicropriceEstimator) => [e.counts.transitions, [...e.counts.exits], [...e.counts.transient], [...e.counts.absorbed], [...e.counts.moveSum]];
    expect(fresh.counts.transitions).toBe(3);
    expect(view(ring)).toEqual(view(fresh));
    // The ring has wrapped (11 transitions through 3 slots); expire the oldest one left (ts 10) by time.
    ring.expire(1_000_000 + 10);
    const fresh2 = new MicropriceEstimator(2, 1, 1_000_000, 100, 1);
    states.slice(-3).forEach(([mid, imb], i) => fresh2.observe(100 + i, mid, imb, 1));
    expect(view(ring)).toEqual(view(fresh2));
    ring.expire(1_000_000 + 12);
    expect(ring.counts.transitions).toBe(0);
    expect([...ring.counts.exits]).toEqual([0, 0]);
  });
});
