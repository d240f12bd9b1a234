import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../src/core/errors.ts';
import { OrderRateLimiter } from '../../src/risk/index.ts';

const S = 1_000_000;

describe('OrderRateLimiter', () => {
  it('enforces 300 per 10 s and 1200 per minute over sliding windows', () => {
    const r = new OrderRateLimiter({ perSecond: null, per10s: 300, perMinute: 1200 });
    expect(r.remaining(0)).toBe(300);
    for (let i = 0; i < 300; i++) r.recordOrderSent(i * 1000); // 300 orders in 0.3 s
    expect(r.remaining(300_000)).toBe(0);
    // The first order leaves the 10 s window exactly 10 s after it was sent.
    expect(r.remaining(10 * S - 1)).toBe(0);
    expect(r.remaining(10 * S)).toBe(1);
    expect(r.remaining(10 * S + 299_000)).toBe(300);
    expect(r.usage(10 * S + 299_000)).toEqual([
      { label: '10s', lengthUs: 10 * S, maxOrders: 300, used: 0 },
      { label: '1m', lengthUs: 60 * S, maxOrders: 1200, used: 300 },
    ]);
  });

  it('the minute window binds after four full 10 s bursts', () => {
    const r = new OrderRateLimiter({ perSecond: null, per10s: 300, perMinute: 1200 });
    for (let burst = 0; burst < 4; burst++) r.recordOrderSent(burst * 10 * S, 300);
    expect(r.remaining(40 * S)).toBe(0); // 10 s window is empty, minute window is full
    expect(r.usage(40 * S).map((u) => u.used)).toEqual([0, 1200]);
    expect(r.remaining(60 * S)).toBe(300);
  });

  it('counts a batch as 5 on the 10 s limit and 1 on the minute limit', () => {
    const r = new OrderRateLimiter({ perSecond: 10, per10s: 300, perMinute: 1200 });
    r.recordOrderSent(0, 5, 1);
    expect(r.usage(0).map((u) => u.used)).toEqual([5, 5, 1]);
    expect(r.remaining(0)).toBe(5);
    r.recordOrderSent(0, 5, 1); // same timestamp merges into one entry
    expect(r.remaining(0)).toBe(0);
    expect(r.remaining(S)).toBe(10);
  });

  it('ignores zero weights and has no limit without windows', () => {
    const r = new OrderRateLimiter({ perSecond: null, per10s: 3, perMinute: null });
    r.recordOrderSent(0, 0);
    expect(r.remaining(0)).toBe(3);
    expect(new OrderRateLimiter({ perSecond: null, per10s: null, perMinute: null }).remaining(0)).toBe(Number.POSITIVE_INFINITY);
  });

  it('a limit of 0 blocks everything', () => {
    expect(new OrderRateLimiter({ perSecond: 0, per10s: 300, perMinute: 1200 }).remaining(0)).toBe(0);
  });

  it('rejects time going backwards and non-integer time', () => {
    const r = new OrderRateLimiter({ perSecond: null, per10s: 300, perMinute: 1200 });
    r.recordOrderSent(100);
    expect(() => r.remaining(99)).toThrow(InvariantError);
    expect(() => r.recordOrderSent(100.5)).toThrow(/integer/);
  });

  it('stays bounded and exact over a long run (compaction)', () => {
    const r = new OrderRateLimiter({ perSecond: 5, per10s: 40, perMinute: 200 });
    let sent = 0;
    const times: number[] = [];
    const probes = new Set([59 * S, 300 * S + 50_000, 599 * S]);
    let probed = 0;
    for (let t = 0; t < 600 * S; t += 50_000) {
      if (r.remaining(t) > 0) {
        r.recordOrderSent(t);
        times.push(t);
        sent++;
      }
      if (probes.has(t)) {
        // Naive reference: count the sends inside each trailing window.
        const used = (len: number): number => times.filter((x) => x > t - len && x <= t).length;
        expect(r.usage(t).map((u) => u.used)).toEqual([used(S), used(10 * S), used(60 * S)]);
        probed++;
      }
    }
    expect(probed).toBe(3);
    expect(sent).toBeGreaterThan(1900);
    expect(sent).toBeLessThanOrEqual(2000); // 200 per minute × 10 minutes
  });
});
