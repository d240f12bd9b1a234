/**
 * The one place where the signal module's `Signal` snapshot becomes the strategy's
 * `StrategySignals` (the strategy does not depend on the signal module). Units carry over
 * unchanged: ticks, ticks/√s, 1/s, 1/tick, lots. A value whose ready flag is false is passed as
 * not ready (its value is whatever the signal holds, normally NaN).
 *
 * | StrategySignals      | Signal                                         | ready flag                  |
 * |----------------------|------------------------------------------------|-----------------------------|
 * | sigmaTicksPerSqrtS   | sigmaTicksPerSqrtS                             | sigma                       |
 * | intensityAPerS       | intensityA                                     | intensity                   |
 * | intensityKPerTick    | intensityK                                     | intensity                   |
 * | obi                  | obiL1 / obiLevels / obiBand (`obiSource`)      | obiL1 / obiLevels / obiBand |
 * | ofiLots              | ofi (last closed interval)                     | ofi                         |
 * | micropriceTicks      | microprice / weightedMid (`micropriceSource`)  | microprice / weightedMid    |
 * | markPriceTicks       | markPriceTicks                                 | markDeviation (mark fresh)  |
 * | fairPriceTicks       | — (not produced here)                          | —                           |
 */
import type { Signal } from '../signal/index.ts';
import type { SignalReading, StrategySignals } from '../strategy/index.ts';
import type { MicropriceSource, ObiSource } from './config.ts';

/** A `StrategySignals` whose readings are all present, so `writeStrategySignals` can mutate them. */
export type FullStrategySignals = Required<Omit<StrategySignals, 'fairPriceTicks'>> & Pick<StrategySignals, 'fairPriceTicks'>;

function reading(): SignalReading {
  return { value: NaN, ready: false };
}

export function emptyStrategySignals(): FullStrategySignals {
  return {
    sigmaTicksPerSqrtS: reading(),
    intensityAPerS: reading(),
    intensityKPerTick: reading(),
    obi: reading(),
    ofiLots: reading(),
    micropriceTicks: reading(),
    markPriceTicks: reading(),
  };
}

function set(r: SignalReading, value: number, ready: boolean): void {
  r.value = value;
  r.ready = ready;
}

/** Copies `s` into `out` in place (no allocation: this runs on every decision). */
export function writeStrategySignals(s: Readonly<Signal>, out: FullStrategySignals, obiSource: ObiSource = 'l1', micropriceSource: MicropriceSource = 'stoikov'): FullStrategySignals {
  const ready = s.ready;
  set(out.sigmaTicksPerSqrtS, s.sigmaTicksPerSqrtS, ready.sigma);
  set(out.intensityAPerS, s.intensityA, ready.intensity);
  set(out.intensityKPerTick, s.intensityK, ready.intensity);
  if (obiSource === 'l1') set(out.obi, s.obiL1, ready.obiL1);
  else if (obiSource === 'levels') set(out.obi, s.obiLevels, ready.obiLevels);
  else set(out.obi, s.obiBand, ready.obiBand);
  set(out.ofiLots, s.ofi, ready.ofi);
  if (micropriceSource === 'stoikov') set(out.micropriceTicks, s.microprice, ready.microprice);
  else set(out.micropriceTicks, s.weightedMid, ready.weightedMid);
  set(out.markPriceTicks, s.markPriceTicks, ready.markDeviation);
  return out;
}

/** A fresh mapping (allocates; for tests and one-off use). */
export function toStrategySignals(s: Readonly<Signal>, obiSource: ObiSource = 'l1', micropriceSource: MicropriceSource = 'stoikov'): FullStrategySignals {
  return writeStrategySignals(s, emptyStrategySignals(), obiSource, micropriceSource);
}
