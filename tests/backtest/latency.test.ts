// Latency models: constant, feed-relative, seeded random, and interpolation in a recorded table.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { ConstantLatency, FeedRelativeLatency, FeedTiming, RandomLatency, RecordedLatency, medianOffsetUs } from '../../src/backtest/latency.ts';
import { InputError } from '../../src/core/errors.ts';

describe('latency models', () => {
  it('constant and feed-relative', () => {
    const c = new ConstantLatency(300, 700);
    expect([c.entryUs(), c.responseUs()]).toEqual([300, 700]);
    expect(() => new ConstantLatency(-1, 0)).toThrow(/non-negative/);
    const f = new FeedRelativeLatency({ entryMultiplier: 2, entryOffsetUs: 100, responseMultiplier: 0.5, responseOffsetUs: 0 });
    f.observeFeedLatency(1_001);
    expect([f.entryUs(), f.responseUs()]).toEqual([2_102, 501]);
  });

  it('random draws are seeded, integer and above the floor', () => {
    const draw = (seed: number) => {
      const m = new RandomLatency(new Rng(seed), { distribution: 'lognormal', entryMeanUs: 1_000, responseMeanUs: 2_000, sigma: 0.5, minUs: 50 });
      return Array.from({ length: 200 }, () => [m.entryUs(), m.responseUs()]).flat();
    };
    const a = draw(1);
    expect(draw(1)).toEqual(a);
    expect(draw(2)).not.toEqual(a);
    expect(a.every((x) => Number.isSafeInteger(x) && x >= 50)).toBe(true);
    const entries = a.filter((_, i) => i % 2 === 0).sort((x, y) => x - y);
    expect(entries[100]).toBeGreaterThan(800); // median ≈ 50 + 1000
    expect(entries[100]).toBeLessThan(1_300);
  });

  it('recorded: linear interpolation, constant beyond the ends, clear errors naming the line', () => {
    const m = RecordedLatency.fromCsv('ts_us,entry_latency_us,response_latency_us\n1000,100,10\n2000,300,30\n4000,300,90\n', 'lat.csv');
    expect([m.entryUs(0), m.entryUs(1_000), m.entryUs(1_500), m.entryUs(2_000), m.entryUs(9_999)]).toEqual([100, 100, 200, 300, 300]);
    expect([m.responseUs(3_000), m.responseUs(1_250)]).toEqual([60, 15]); // also after a backwards query
    const bad = (text: string) => {
      try {
        RecordedLatency.fromCsv(text, 'lat.csv');
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        return (e as InputError).describe();
      }
      throw new Error('expected an error');
    };
    expect(bad('ts,entry,response\n')).toMatch(/^lat\.csv:1: expected the header/);
    expect(bad('ts_us,entry_latency_us,response_latency_us\n1,2,x\n')).toMatch(/^lat\.csv:2: field "response_latency_us"/);
    expect(bad('ts_us,entry_latency_us,response_latency_us\n5,1,1\n4,1,1\n')).toMatch(/^lat\.csv:3: field "ts_us": rows must be sorted/);
    expect(bad('ts_us,entry_latency_us,response_latency_us\n')).toMatch(/no rows/);
  });

  it('feed timing keeps both stamps monotone and causal', () => {
    const t = new FeedTiming({ model: 'recorded', latencyUs: 0, clockOffsetUs: 100, minLatencyUs: 10 });
    const out: number[][] = [];
    for (const [ex, rx] of [[1_000, 1_200], [900, 1_150], [1_100, 1_150], [1_300, 1_300]]) {
      t.stamp(ex, rx);
      out.push([t.exchangeUs, t.localUs]);
    }
    expect(out).toEqual([[1_000, 1_100], [1_000, 1_100], [1_100, 1_110], [1_300, 1_310]]);
    expect(medianOffsetUs([5, 1, 3, 2])).toBe(2);
  });
});
