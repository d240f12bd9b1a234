// CoverageMeter (src/backtest/coverage.ts) against a naive count over the same events: streams of
// several types (depth = diffs + snapshots), types of no stream (forceOrder), runs and interleaving.
import { describe, expect, it } from 'vitest';
import { COVERAGE_STREAMS, CoverageMeter } from '../../src/backtest/coverage.ts';
import { STREAM_TYPES } from '../../src/backtest/feed.ts';
import type { MarketEvent, MarketEventType } from '../../src/model/events.ts';

const TYPES: MarketEventType[] = ['bookTicker', 'bookTicker', 'depth', 'trade', 'bookTicker', 'snapshot', 'forceOrder', 'markPrice', 'aggTrade', 'bookTicker', 'depth', 'depth', 'forceOrder', 'trade'];

describe('CoverageMeter', () => {
  it('counts, first / last times and the longest silence per stream as a naive pass does', async () => {
    // Only type and receive time are read.
    const events = Array.from({ length: 400 }, (_, i) => ({ type: TYPES[(i * 7 + (i >> 3)) % TYPES.length], symbol: 'BTCUSDT', tsReceiveUs: 1000 + i * i * 3 }) as unknown as MarketEvent);
    const meter = new CoverageMeter(['ETHUSDT', 'BTCUSDT']);
    for await (const _ of meter.wrap([events.slice(0, 150), events.slice(150)], 1)) void _;
    const got = meter.result()[1].streams;
    expect(got.map((s) => s.stream)).toEqual(COVERAGE_STREAMS);
    for (const s of got) {
      const ts = events.filter((e) => STREAM_TYPES[s.stream].includes(e.type)).map((e) => e.tsReceiveUs);
      let longest: number | null = null;
      let from: number | null = null;
      for (let i = 1; i < ts.length; i++) if (longest === null || ts[i] - ts[i - 1] > longest) [longest, from] = [ts[i] - ts[i - 1], ts[i - 1]];
      expect(s).toEqual({ stream: s.stream, events: ts.length, firstUs: ts[0] ?? null, lastUs: ts.at(-1) ?? null, longestSilenceUs: longest, longestSilenceFromUs: from });
    }
    expect(got.find((s) => s.stream === 'depth')!.events).toBeGreaterThan(0);
    expect(meter.result()[0].streams.every((s) => s.events === 0)).toBe(true);
  });
});
