import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { downsampleMinMax, RunRecorder } from '../../../src/backtest/report/index.ts';
import { fmtTick, niceTicks, renderChart, timeTicks } from '../../../src/backtest/report/svg.ts';
import { Instrument } from '../../../src/model/index.ts';
import { BTCUSDT, START_US } from './sim-run.ts';

describe('downsampleMinMax', () => {
  it('keeps ≤ max points, first, last, the global min and max, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 5000 }), fc.integer({ min: 4, max: 400 }), (ys, max) => {
        const idx = downsampleMinMax(ys, max);
        expect(idx.length).toBeLessThanOrEqual(Math.max(max, 1) + 1);
        expect(idx[0]).toBe(0);
        expect(idx[idx.length - 1]).toBe(ys.length - 1);
        for (let i = 1; i < idx.length; i++) expect(idx[i]).toBeGreaterThan(idx[i - 1]);
        const kept = idx.map((i) => ys[i]);
        expect(Math.min(...kept)).toBe(Math.min(...ys));
        expect(Math.max(...kept)).toBe(Math.max(...ys));
      }),
    );
  });
});

describe('axes and charts', () => {
  it('nice ticks, tick labels and UTC time ticks', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(fmtTick(59_994.5, 0.5)).toBe('59994.5');
    expect(fmtTick(0.025, 0.025)).toBe('0.025');
    expect(fmtTick(10_000, 2)).toBe('10000');
    const t = timeTicks(START_US + 7e6, START_US + 1200e6);
    expect(t[0]).toBe(START_US + 300e6); // ~20 minutes: 5-minute steps on round minutes
    expect(t.every((x) => (x - START_US) % 300e6 === 0)).toBe(true);
    expect(t.length).toBe(4);
  });

  it('renders the same SVG bytes for the same data and breaks lines at NaN', () => {
    const spec = { title: 't <x>', yLabel: 'y', lines: [{ name: 'a', color: '#000', xs: [0, 1, 2, 3].map((s) => START_US + s * 1e6), ys: [1, Number.NaN, 2, 3] }] };
    const a = renderChart(spec);
    expect(renderChart(spec)).toBe(a);
    expect(a).toContain('t &lt;x&gt;');
    expect((a.match(/<path d="[^"]*"/)![0].match(/M/g) ?? []).length).toBe(2);
    expect(renderChart({ title: 'e', yLabel: 'y', lines: [] })).toContain('no data');
  });
});

describe('bounded memory', () => {
  it('the markout FIFO and the chart fill markers stay bounded over many fills', () => {
    const rec = new RunRecorder({ instruments: [new Instrument(BTCUSDT)], startUs: START_US, maxChartFills: 500, chunkRows: 1024 });
    const acct = { equity: 1, wallet: 1, unrealized: 0, spreadCapture: 0, inventory: 0, fees: 0, funding: 0, total: 0 };
    const sym = [{ symbol: 'BTCUSDT', positionLots: 0, bestBidTicks: 100, bestAskTicks: 101, midTicks: 100.5, bidQuoteTicks: 99, askQuoteTicks: 102 }];
    let next = START_US;
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      const t = START_US + i * 20_000; // 50 fills/s for 20 minutes
      while (next <= t) {
        rec.sample(next, acct, sym);
        next += 1_000_000;
      }
      rec.onFill({ tsUs: t, symbol: 'BTCUSDT', side: i % 2 ? 'buy' : 'sell', priceTicks: 100, qtyLots: 1, liquidity: 'maker', commission: '0', midTicks: 100.5, orderId: i, clientOrderId: 'c' });
    }
    const r = rec.symbol('BTCUSDT');
    expect(r.pending.ts.length).toBeLessThan(2 * 61 * 50 + 1100); // ≈ the last 60 s of fills, not all 60,000
    expect(r.chartFills.ts.length).toBeLessThan(500);
    expect(r.chartFills.stride).toBe(128);
    expect(r.chartFills.ts.every((ts) => ((ts - START_US) / 20_000) % 128 === 0)).toBe(true);
    expect(rec.fills.rows).toBe(n);
    // h = 60 s resolves every fill with a sample at or after t + 60 s: t ≤ last sample − 60 s
    const lastSampleUs = rec.sampleTs.data[rec.sampleTs.length - 1];
    expect(r.markouts[4].fills).toBe(Math.floor((lastSampleUs - START_US - 60e6) / 20_000) + 1);
    expect(r.markouts[4].fills + rec.unresolvedMarkouts('BTCUSDT', 3)).toBe(n);
  });
});
