import { describe, expect, it } from 'vitest';
import { L2Book } from '../../src/book/index.ts';
import { emptySignal, SignalEngine } from '../../src/signal/index.ts';
import { emptyStrategySignals, toStrategySignals, writeStrategySignals } from '../../src/trader/index.ts';

describe('Signal → StrategySignals mapping', () => {
  it('maps every value with its own ready flag, and the configured OBI / micro-price source', () => {
    const s = emptySignal();
    Object.assign(s, { sigmaTicksPerSqrtS: 0.3, intensityA: 0.9, intensityK: 0.25, obiL1: 0.1, obiLevels: 0.2, obiBand: 0.3, ofi: -4, microprice: 100.4, weightedMid: 100.3, markPriceTicks: 99.5 });
    Object.assign(s.ready, { sigma: true, intensity: true, obiL1: true, obiLevels: false, obiBand: true, ofi: true, microprice: false, weightedMid: true, markDeviation: true });
    const m = toStrategySignals(s);
    expect(m).toEqual({
      sigmaTicksPerSqrtS: { value: 0.3, ready: true },
      intensityAPerS: { value: 0.9, ready: true },
      intensityKPerTick: { value: 0.25, ready: true },
      obi: { value: 0.1, ready: true },
      ofiLots: { value: -4, ready: true },
      micropriceTicks: { value: 100.4, ready: false },
      markPriceTicks: { value: 99.5, ready: true },
    });
    expect(toStrategySignals(s, 'levels', 'weightedMid')).toMatchObject({ obi: { value: 0.2, ready: false }, micropriceTicks: { value: 100.3, ready: true } });
    expect(toStrategySignals(s, 'band').obi).toEqual({ value: 0.3, ready: true });
    // In place: the same reading objects are reused.
    const out = emptyStrategySignals();
    const sigma = out.sigmaTicksPerSqrtS;
    writeStrategySignals(s, out);
    expect(out.sigmaTicksPerSqrtS).toBe(sigma);
    expect(sigma.value).toBe(0.3);
  });
});

describe('SignalEngine on-demand depth imbalances', () => {
  it('equals the every-book values after a refresh, and skips the walk before it', () => {
    const book = new L2Book('X');
    book.loadSnapshot([100, 99, 98], [5, 6, 7], [101, 102, 103], [1, 2, 3]);
    book.setValid(true);
    const eager = new SignalEngine({ tickSize: '1' });
    const lazy = new SignalEngine({ tickSize: '1', depthImbalance: 'on-demand' });
    eager.onBook(1_000_000, book);
    lazy.onBook(1_000_000, book);
    expect(lazy.signal.ready.obiLevels).toBe(false);
    expect(lazy.signal.obiL1).toBe(eager.signal.obiL1);
    lazy.refreshDepthImbalances(book);
    expect(lazy.signal.obiLevels).toBe(eager.signal.obiLevels);
    expect(lazy.signal.obiBand).toBe(eager.signal.obiBand);
    expect(lazy.signal.ready.obiLevels).toBe(true);
    book.applyLevel('bid', 98, 70);
    eager.onBook(2_000_000, book);
    lazy.onBook(2_000_000, book);
    lazy.refreshDepthImbalances(book);
    lazy.refreshDepthImbalances(book); // nothing new: no recompute, same values
    expect(lazy.signal.obiLevels).toBe(eager.signal.obiLevels);
  });
});
