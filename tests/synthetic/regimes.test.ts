// Stress regimes: each one shows in the measurement it is about, and the feed stays valid.
import { describe, expect, it } from 'vitest';
import { DataChecker } from '../../src/marketdata/index.ts';
import type { MarketEvent, MarkPrice } from '../../src/model/index.ts';
import { DEFAULT_SYNTHETIC, generateSynthetic, measureMarket, parseSyntheticConfig, syntheticInstrument, type SyntheticConfig } from '../../src/synthetic/index.ts';

const inst = syntheticInstrument();
const run = (over: Partial<SyntheticConfig>): MarketEvent[] => [...generateSynthetic({ ...DEFAULT_SYNTHETIC, ...over }, inst)].flat();
const slice = (events: MarketEvent[], fromS: number, toS: number) => {
  const s = DEFAULT_SYNTHETIC.startUs;
  return events.filter((e) => e.type !== 'snapshot' || e.tsExchangeUs === s).filter((e) => e.type === 'snapshot' || (e.tsExchangeUs >= s + fromS * 1e6 && e.tsExchangeUs < s + toS * 1e6));
};
function check(events: MarketEvent[]) {
  const c = new DataChecker(() => inst);
  c.onBatch(events);
  return c.report().symbols.BTCUSDT;
}

describe('stress regimes', () => {
  it('volBurst: σ × 4 over half the run raises the measured σ more than 2-fold (≈ √8.5 expected)', () => {
    const events = run({ seed: 3, durationS: 120, regimes: [{ kind: 'volBurst', startS: 60, durationS: 60, sigmaMultiplier: 4 }] });
    const calm = measureMarket('BTCUSDT', [slice(events, 0, 60)]);
    const burst = measureMarket('BTCUSDT', [events]);
    const midCalm = calm.sigmaTicksPerSqrtS.at1s;
    // The burst half: σ over the whole run exceeds the calm half by far (σ² adds: (1 + 16) / 2 ≈ 8.5 → ×2.9).
    expect(burst.sigmaTicksPerSqrtS.at1s / midCalm).toBeGreaterThan(2);
    expect(check(events).crossed).toBe(0);
  });

  it('flashMove: −5 % over 3 s moves the mid by ≈ −5 %, recovers ~half, book thins; feed stays clean', () => {
    const cfg = { seed: 4, durationS: 40, regimes: [{ kind: 'flashMove' as const, startS: 10, movePct: -5, sweepS: 3, recoveryShare: 0.5, recoveryS: 10, depthFactor: 0.3 }] };
    const events = run(cfg);
    const stats = measureMarket('BTCUSDT', [events]);
    const mids = stats.midSeriesTicks; // 100 ms grid from the start
    const before = mids[95];
    const bottom = Math.min(...mids.slice(100, 140));
    const after = mids[mids.length - 1];
    expect(bottom / before - 1).toBeLessThan(-0.045);
    expect(bottom / before - 1).toBeGreaterThan(-0.056);
    expect(after / before - 1).toBeGreaterThan(-0.035); // recovered about half the move
    expect(after / before - 1).toBeLessThan(-0.015);
    const r = check(events);
    expect([r.gaps, r.crossed]).toEqual([0, 0]);
    expect(r.bookTicker.matched).toBe(r.bookTicker.checked);
    // Thinner touch during the move.
    const thin = measureMarket('BTCUSDT', [slice(events, 0, 0), slice(events, 0, 13)]);
    const calm = measureMarket('BTCUSDT', [slice(events, 0, 10)]);
    expect(thin.depthProfileLots[0]).toBeLessThan(calm.depthProfileLots[0]);
  });

  it('feedGap: no message for the gap, then exactly one gap and one resync from a new snapshot', () => {
    const events = run({ seed: 5, durationS: 30, regimes: [{ kind: 'feedGap', startS: 10, durationS: 5 }] });
    const s = DEFAULT_SYNTHETIC.startUs;
    expect(events.filter((e) => e.tsExchangeUs >= s + 10e6 && e.tsExchangeUs < s + 15e6)).toEqual([]);
    expect(events.filter((e) => e.type === 'snapshot').length).toBe(2);
    const r = check(events);
    expect(r.gaps).toBe(1);
    expect(r.resyncs).toBe(1);
    expect(r.crossed).toBe(0);
    expect(r.finalBook.valid).toBe(true);
    expect(r.bookTicker.matched).toBe(r.bookTicker.checked);
    for (let i = 1; i < events.length; i++) expect(events[i].tsReceiveUs).toBeGreaterThanOrEqual(events[i - 1].tsReceiveUs);
  });

  it('fundingSpike: the rate jumps until the next funding time (00/08/16 UTC), then returns', () => {
    // Start 10 s before 08:00 UTC so the spike ends inside the run.
    const startUs = Date.UTC(2024, 0, 1, 7, 59, 40) * 1000;
    const events = run({ seed: 6, startUs, durationS: 40, regimes: [{ kind: 'fundingSpike', startS: 10, fundingRate: '0.0075' }] });
    const marks = events.filter((e): e is MarkPrice => e.type === 'markPrice');
    const eight = Date.UTC(2024, 0, 1, 8) * 1000;
    for (const m of marks) {
      const expected = m.tsExchangeUs >= startUs + 10e6 && m.tsExchangeUs < eight ? '0.0075' : '0.0001';
      expect(m.fundingRate).toBe(expected);
      expect(m.nextFundingTimeUs).toBe(m.tsExchangeUs < eight ? eight : Date.UTC(2024, 0, 1, 16) * 1000);
      const mark = Number(m.markPrice);
      const index = Number(m.indexPrice);
      expect(Math.abs(mark / index - 1)).toBeLessThan(0.005);
    }
    expect(marks.filter((m) => m.fundingRate === '0.0075').length).toBe(10);
  });

  it('regimes parsed from a scenario section run as given', () => {
    const cfg = parseSyntheticConfig({ seed: 9, durationS: 5, regimes: [{ kind: 'feedGap', startS: 1, durationS: 1 }] });
    expect(check([...generateSynthetic(cfg, inst)].flat()).gaps).toBe(1);
  });
});
